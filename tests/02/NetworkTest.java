import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetworkTest {
    /** The tutorial's 2-4-4-1 network, drawn from one seeded generator as the lesson does. */
    static Network.Neuron[][] tutorialLayers(long seed) {
        Random rng = new Random(seed);
        return new Network.Neuron[][] {Network.layer(2, 4, rng), Network.layer(4, 4, rng), Network.layer(4, 1, rng)};
    }

    @Test
    void workedExampleGivesTheTutorialsNumbers() {
        Network.NeuralNetwork tiny = Network.workedExample();
        double[] x = {2, 3};
        double[] hidden = Network.forwardLayer(tiny.layers[0], x);
        // h1 = h2 = sigmoid(0*2 + 1*3 + 0) = sigmoid(3); o1 = sigmoid(0*h1 + 1*h2 + 0) = sigmoid(h2)
        assertEquals(0.9525741268224334, hidden[0], 1e-12);
        assertEquals(0.9525741268224334, hidden[1], 1e-12);
        assertEquals(0.7216325609518421, tiny.forward(x)[0], 1e-12);
        assertEquals(1, tiny.forward(x).length);
        assertEquals("2-2-1", tiny.shape());
    }

    @Test
    void mseOfTheExampleIsOneHalf() {
        assertEquals(0.5, Network.mse(new double[] {1, 0, 0, 1}, new double[] {0, 0, 0, 0}), 1e-12);
        assertEquals(0.0, Network.mse(new double[] {0.3, 0.7}, new double[] {0.3, 0.7}), 1e-12);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Network.mse(new double[] {1, 0, 0, 1}, new double[] {0, 0, 0}));
        assertTrue(e.getMessage().contains("4") && e.getMessage().contains("3"), e.getMessage());
    }

    @Test
    void wrongSizedInputNamesBothSizes() {
        Network.NeuralNetwork net = new Network.NeuralNetwork(tutorialLayers(42));
        var e = assertThrows(IllegalArgumentException.class, () -> net.forward(new double[] {1, 2, 3}));
        assertEquals("expected 2 inputs, got 3", e.getMessage());
    }

    @Test
    void layersThatDoNotFitAreRefused() {
        Random rng = new Random(1);
        var e = assertThrows(IllegalArgumentException.class, () -> new Network.NeuralNetwork(
                new Network.Neuron[][] {Network.layer(2, 4, rng), Network.layer(3, 1, rng)}));
        assertTrue(e.getMessage().contains("expected 3 inputs, got 4"), e.getMessage());
    }

    @Test
    void classGivesExactlyWhatTheLoopOverLayersGives() {
        Network.Neuron[][] layers = tutorialLayers(42);
        double[] x = {1, 2};
        for (Network.Neuron[] layer : layers) {
            double[] out = new double[layer.length];
            for (int j = 0; j < layer.length; j++) out[j] = layer[j].forward(x);
            x = out;
        }
        Network.NeuralNetwork net = new Network.NeuralNetwork(layers);
        assertArrayEquals(x, net.forward(new double[] {1, 2}), 0.0);
        assertEquals("2-4-4-1", net.shape());
        assertTrue(x[0] > 0 && x[0] < 1, "a sigmoid output lies in (0, 1), got " + x[0]);
    }

    @Test
    void sameSeedBuildsTheSameNetworkWithWeightsInMinusOneToOne() {
        Network.Neuron[][] a = tutorialLayers(42), again = tutorialLayers(42), other = tutorialLayers(43);
        double[] x = {1, 2};
        assertArrayEquals(new Network.NeuralNetwork(a).forward(x), new Network.NeuralNetwork(again).forward(x), 0.0);
        assertNotEquals(new Network.NeuralNetwork(a).forward(x)[0], new Network.NeuralNetwork(other).forward(x)[0]);
        for (Network.Neuron[] layer : a) {
            for (Network.Neuron n : layer) {
                assertTrue(n.bias >= -1 && n.bias < 1, "bias " + n.bias + " outside [-1, 1)");
                for (double w : n.weights) assertTrue(w >= -1 && w < 1, "weight " + w + " outside [-1, 1)");
            }
        }
    }

    @Test
    void exerciseOneByHand() {
        Network.NeuralNetwork tiny = Network.workedExample();
        // h1 = h2 = sigmoid(0) = 0.5, so o1 = sigmoid(0.5) = 1 / (1 + e^-0.5)
        assertEquals(1 / (1 + Math.exp(-0.5)), tiny.forward(new double[] {0, 0})[0], 1e-12);
        assertEquals(0.6225, tiny.forward(new double[] {0, 0})[0], 5e-5);
        assertEquals(tiny.forward(new double[] {0, 0})[0], tiny.forward(new double[] {-100, 0})[0], 0.0);
    }

    @Test
    void exerciseTwoCountsOneWeightPerInputAndOneBiasPerNeuron() {
        LessonRun run = LessonRun.of("Network", "--exercise", "2");
        assertEquals(0, run.exitCode(), run.err());
        // (2+1)*4 + (4+1)*4 + (4+1)*1 = 37 and (784+1)*30 + (30+1)*10 = 23860
        for (String row : new String[] {"2-4-4-1 +28 +9 +37", "3-5-2 +25 +7 +32", "784-30-10 +23820 +40 +23860",
                "784-30-30-30-10 +25620 +100 +25720", "784-100-10 +79400 +110 +79510"}) {
            assertTrue(run.out().lines().anyMatch(line -> line.strip().matches(row)), row + " missing in\n" + run.out());
        }
    }

    @Test
    void exerciseThreeOneConfidentMistakeCostsAsMuchAsBeingUnsureEverywhere() {
        double[] target = {1, 0, 0, 1};
        assertEquals(0.025, Network.mse(target, new double[] {0.9, 0.1, 0.2, 0.8}), 1e-12);
        assertEquals(0.25, Network.mse(target, new double[] {0.5, 0.5, 0.5, 0.5}), 1e-12);
        assertEquals(0.25, Network.mse(target, new double[] {0, 0, 0, 1}), 1e-12);
        assertEquals(1.0, Network.mse(target, new double[] {0, 1, 1, 0}), 1e-12);
    }

    @Test
    void diagramIsAReadablePng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("network.png");
        Network.save(Network.diagram(tutorialLayers(42), new double[] {1, 2}, "test"), png);
        LessonRun.assertPng(png, 800, 500);
    }

    @Test
    void lessonRunsAndPrintsTheWorkedExamples() {
        LessonRun run = LessonRun.of("Network");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("sigmoid(3) = 0.9525741268224334"), run.out());
        assertTrue(run.out().contains("sigmoid(0.9525741268224334) = 0.7216325609518421"), run.out());
        assertTrue(run.out().contains("forward([2, 3]) = [0.7216325609518421]"), run.out());
        assertTrue(run.out().lines().anyMatch(line -> line.endsWith("/ 4 = 0.5")), run.out());
        assertTrue(run.out().contains("to the last bit: true"), run.out());
        assertTrue(run.out().contains("02-network.png"), run.out());
    }

    @Test
    void sameSeedSameOutput() {
        assertEquals(LessonRun.of("Network", "--seed", "7").out(), LessonRun.of("Network", "--seed", "7").out());
        assertNotEquals(LessonRun.of("Network", "--seed", "7").out(), LessonRun.of("Network", "--seed", "8").out());
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        for (String[] args : new String[][] {{"--bogus"}, {"--seed"}, {"--seed", "x"}, {"--exercise", "9"}}) {
            LessonRun run = LessonRun.of("Network", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
    }
}
