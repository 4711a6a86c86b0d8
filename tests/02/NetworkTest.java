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
    static Network.NeuralNetwork tutorialNetwork(long seed) {
        return Network.NeuralNetwork.random(new int[] {2, 4, 4, 1}, Network.Activation.SIGMOID, new Random(seed));
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
        assertEquals("2-2-1", Network.shape(tiny));
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
        Network.NeuralNetwork net = tutorialNetwork(42);
        var e = assertThrows(IllegalArgumentException.class, () -> net.forward(new double[] {1, 2, 3}));
        assertEquals("expected 2 inputs, got 3", e.getMessage());
    }

    @Test
    void layersThatDoNotFitFailAtTheFirstNeuronThatReadsTooFew() {
        Network.Neuron misfit = new Network.Neuron(new double[] {0, 1, 0}, 0, Network.Activation.SIGMOID);
        Network.NeuralNetwork net = new Network.NeuralNetwork(new Network.Neuron[][] {Network.workedExample().layers[0], {misfit}});
        var e = assertThrows(IllegalArgumentException.class, () -> net.forward(new double[] {2, 3}));
        assertEquals("expected 3 inputs, got 2", e.getMessage());
    }

    @Test
    void classGivesExactlyWhatTheLoopOverLayersGives() {
        Network.NeuralNetwork net = tutorialNetwork(42);
        double[] x = {1, 2};
        for (Network.Neuron[] layer : net.layers) {
            double[] out = new double[layer.length];
            for (int j = 0; j < layer.length; j++) out[j] = layer[j].forward(x);
            x = out;
        }
        assertArrayEquals(x, net.forward(new double[] {1, 2}), 0.0);
        assertEquals("2-4-4-1", Network.shape(net));
        assertTrue(x[0] > 0 && x[0] < 1, "a sigmoid output lies in (0, 1), got " + x[0]);
    }

    @Test
    void sameSeedBuildsTheSameNetworkWithWeightsInMinusOneToOne() {
        Network.NeuralNetwork a = tutorialNetwork(42), again = tutorialNetwork(42), other = tutorialNetwork(43);
        double[] x = {1, 2};
        assertArrayEquals(a.forward(x), again.forward(x), 0.0);
        assertNotEquals(a.forward(x)[0], other.forward(x)[0]);
        for (Network.Neuron[] layer : a.layers) {
            for (Network.Neuron n : layer) {
                assertTrue(n.bias >= -1 && n.bias < 1, "bias " + n.bias + " outside [-1, 1)");
                for (double w : n.weights) assertTrue(w >= -1 && w < 1, "weight " + w + " outside [-1, 1)");
            }
        }
        // the first two neurons are lesson 01's neurons A and B: the same draws from Random(42)
        assertEquals(0.691141, a.layers[0][0].forward(x), 5e-7);
        assertEquals(0.735575, a.layers[0][1].forward(x), 5e-7);
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
        Network.out = dir; // what --out does: never the learner's out/
        try {
            Network.savePng(Network.diagram(tutorialNetwork(42).layers, new double[] {1, 2}, "test"), "02-network.png");
        } finally {
            Network.out = null;
        }
        LessonRun.assertPng(dir.resolve("02-network.png"), 800, 500);
    }

    @Test
    void lessonRunsAndPrintsTheWorkedExamples(@TempDir Path dir) throws Exception {
        Path pictures = dir.resolve("my pictures");
        LessonRun run = LessonRun.in(pictures, "Network");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("sigmoid(3) = 0.9525741268224334"), run.out());
        assertTrue(run.out().contains("sigmoid(0.9525741268224334) = 0.7216325609518421"), run.out());
        assertTrue(run.out().contains("forward([2, 3]) = [0.7216325609518421]"), run.out());
        assertTrue(run.out().lines().anyMatch(line -> line.endsWith("/ 4 = 0.5")), run.out());
        assertTrue(run.out().contains("to the last bit: true"), run.out());
        String line = run.out().lines().filter(l -> l.contains("diagram: ")).findFirst().orElseThrow();
        Path png = Path.of(line.substring(line.indexOf("diagram: ") + 9)); // the rest of the line, spaces and all
        assertEquals(pictures.resolve("02-network.png"), png);
        LessonRun.assertPng(png, 800, 500);
    }

    @Test
    void sameSeedSameOutput() {
        assertEquals(LessonRun.of("Network", "--seed", "7").out(), LessonRun.of("Network", "--seed", "7").out());
        assertNotEquals(LessonRun.of("Network", "--seed", "7").out(), LessonRun.of("Network", "--seed", "8").out());
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        for (String[] args : new String[][] {{"--bogus"}, {"--exercise", "9"}}) {
            LessonRun run = LessonRun.of("Network", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
        LessonRun help = LessonRun.of("Network", "--help");
        assertEquals(0, help.exitCode(), help.err());
        assertTrue(help.out().startsWith("usage: java lessons/02/Network.java [--seed N] [--exercise 1|2|3]"), help.out());
    }
}
