import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackpropTest {

    static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    /**
     * The tutorial's exercise 5, worked by hand independently of the lesson's classes:
     * 1-2-1, all weights 0.5, biases 0, input 1, target 1, learning rate 0.8.
     */
    @Test
    void exerciseFiveMatchesAHandCalculation() {
        double lr = 0.8;
        double h = sigmoid(0.5);                  // both hidden neurons
        double o = sigmoid(0.5 * h + 0.5 * h);
        double deltaOut = (o - 1) * o * (1 - o);  // dE/dz at the output, E = 1/2(t - o)^2
        double deltaHidden = deltaOut * 0.5 * h * (1 - h); // passed back along the OLD weight 0.5
        double[] outputWeights = {0.5 - lr * deltaOut * h, 0.5 - lr * deltaOut * h};
        double outputBias = -lr * deltaOut;
        double hiddenWeight = 0.5 - lr * deltaHidden * 1;
        double hiddenBias = -lr * deltaHidden;

        Backprop.NeuralNetwork net = Backprop.exerciseNetwork();
        assertEquals(0.6507776782147005, net.forward(new double[] {1})[0], 1e-12);
        net.backpropagate(new double[] {1}, new double[] {1}, lr);
        Backprop.Neuron out = net.layers[1][0];
        assertArrayEquals(outputWeights, out.weights, 1e-12);
        assertEquals(outputBias, out.bias, 1e-12);
        for (Backprop.Neuron hidden : net.layers[0]) {
            assertEquals(hiddenWeight, hidden.weights[0], 1e-12);
            assertEquals(hiddenBias, hidden.bias, 1e-12);
        }
        // the same numbers, computed once more in plain arithmetic elsewhere
        assertEquals(0.5395218811393069, out.weights[0], 1e-12);
        assertEquals(0.5074605587187474, net.layers[0][0].weights[0], 1e-12);
    }

    @Test
    void tutorialOrderPassesBackWithTheUpdatedWeights() {
        double lr = 0.8;
        double h = sigmoid(0.5);
        double o = sigmoid(h);
        double deltaOut = (o - 1) * o * (1 - o);
        double newOutputWeight = 0.5 - lr * deltaOut * h;
        double deltaHidden = deltaOut * newOutputWeight * h * (1 - h); // the tutorial's mistake

        Backprop.NeuralNetwork net = Backprop.exerciseNetwork();
        Backprop.backpropagateTutorialOrder(net, new double[] {1}, new double[] {1}, lr);
        assertEquals(0.5 - lr * deltaHidden, net.layers[0][0].weights[0], 1e-12);
        assertEquals(0.5080502693485777, net.layers[0][0].weights[0], 1e-12);
    }

    @Test
    void gradientCheckPassesForEveryActivation() {
        Random rng = new Random(1);
        for (Backprop.Activation f : Backprop.Activation.values()) {
            for (int trial = 0; trial < 5; trial++) {
                int[] sizes = {1 + rng.nextInt(4), 1 + rng.nextInt(5), 1 + rng.nextInt(5), 1 + rng.nextInt(3)};
                Backprop.NeuralNetwork net = Backprop.NeuralNetwork.random(sizes, f, rng);
                double[] x = new double[sizes[0]], t = new double[sizes[3]];
                for (int i = 0; i < x.length; i++) x[i] = rng.nextGaussian();
                for (int i = 0; i < t.length; i++) t[i] = rng.nextDouble();
                double worst = Backprop.gradientCheck(net, x, t);
                assertTrue(worst < 1e-6, f.label + " " + java.util.Arrays.toString(sizes) + ": " + worst);
            }
        }
    }

    @Test
    void gradientCheckCatchesAOnePercentMistake() {
        Random rng = new Random(2);
        Backprop.NeuralNetwork net = Backprop.NeuralNetwork.random(new int[] {2, 3, 1}, Backprop.Activation.TANH, rng);
        double[] x = {0.3, -0.8}, t = {0.5};
        net.backward(Backprop.errorGradient(t, net.forward(x)));
        Backprop.Neuron n = net.layers[0][1];
        double wrong = n.weightGradients[0] * 1.01;
        double numeric = Backprop.numericGradient(net, x, t, n.weights[0], v -> n.weights[0] = v);
        assertTrue(Backprop.relativeError(wrong, numeric) > 1e-3);
        assertTrue(Backprop.relativeError(n.weightGradients[0], numeric) < 1e-6);
    }

    @Test
    void derivativesFromTheOutputMatchTheSlope() {
        for (Backprop.Activation f : Backprop.Activation.values()) {
            for (double z : new double[] {-3.3, -0.7, 0.4, 2.1}) {
                double slope = (f.apply(z + 1e-6) - f.apply(z - 1e-6)) / 2e-6;
                assertEquals(slope, f.derivative(f.apply(z)), 1e-8, f.label + " at " + z);
            }
        }
    }

    @Test
    void oneNeuronStepLowersTheError() {
        Backprop.Neuron n = new Backprop.Neuron(new double[] {0.5, -0.3}, 0.1, Backprop.Activation.SIGMOID);
        double[] x = {1, 2};
        double y = n.forward(x);
        double[] dEdx = n.backward(y - 1);
        assertArrayEquals(new double[] {-0.125, -0.25}, n.weightGradients, 1e-12); // (0.5 - 1)*1/4*x
        assertArrayEquals(new double[] {-0.0625, 0.0375}, dEdx, 1e-12);             // (0.5 - 1)*1/4*w
        n.update(0.5);
        assertTrue(Backprop.error(new double[] {1}, new double[] {n.forward(x)}) < 0.125);
    }

    /** The hand-derived network uses L = (y - o)^2, twice the lesson's E, so its step equals a general step at twice the learning rate. */
    @Test
    void handDerivedNetworkAgreesWithGeneralBackprop() {
        Backprop.GenderNetwork hand = new Backprop.GenderNetwork(new Random(3));
        Backprop.Neuron h1 = new Backprop.Neuron(new double[] {hand.w1, hand.w2}, hand.b1, Backprop.Activation.SIGMOID);
        Backprop.Neuron h2 = new Backprop.Neuron(new double[] {hand.w3, hand.w4}, hand.b2, Backprop.Activation.SIGMOID);
        Backprop.Neuron o = new Backprop.Neuron(new double[] {hand.w5, hand.w6}, hand.b3, Backprop.Activation.SIGMOID);
        Backprop.NeuralNetwork general = new Backprop.NeuralNetwork(new Backprop.Neuron[][] {{h1, h2}, {o}});
        double[] alice = {-2, -1};
        assertEquals(hand.predict(alice), general.forward(alice)[0], 1e-15);
        hand.train(alice, 1, 0.1);
        general.backpropagate(alice, new double[] {1}, 0.2);
        assertArrayEquals(new double[] {hand.w1, hand.w2, hand.b1, hand.w3, hand.w4, hand.b2, hand.w5, hand.w6, hand.b3},
                new double[] {h1.weights[0], h1.weights[1], h1.bias, h2.weights[0], h2.weights[1], h2.bias,
                    o.weights[0], o.weights[1], o.bias}, 1e-12);
    }

    @Test
    void genderNetworkLearnsAndClassifiesEmilyAndFrank() {
        Backprop.GenderNetwork net = new Backprop.GenderNetwork(new Random(42));
        double[] history = net.fit(Backprop.PEOPLE, 1000, 0.1);
        assertTrue(history[1000] < history[0] / 10, "loss " + history[0] + " -> " + history[1000]);
        assertTrue(net.predict(new double[] {-7, -3}) > 0.9, "Emily");
        assertTrue(net.predict(new double[] {20, 2}) < 0.1, "Frank");
    }

    /** Weights that are no longer numbers make the MSE NaN: fit stops at once with a UserError, never returning NaN. */
    @Test
    void fitStopsWhenTheLossIsNoLongerANumber() {
        Backprop.GenderNetwork net = new Backprop.GenderNetwork(new Random(42));
        net.w1 = Double.POSITIVE_INFINITY;
        net.w2 = Double.NEGATIVE_INFINITY; // Infinity - Infinity in the hidden sum
        var e = assertThrows(Backprop.UserError.class, () -> net.fit(Backprop.PEOPLE, 10, 0.1));
        assertTrue(e.getMessage().startsWith("the loss became undefined at epoch 1: the learning rate 0.1 is too large"), e.getMessage());
    }

    @Test
    void rateAndEpochsReachStepFour() {
        LessonRun run = LessonRun.of("Backprop", "--rate", "0.5", "--epochs", "50");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("from weight and height (learning rate 0.5)"), run.out());
        assertTrue(run.out().contains("   epoch   50 MSE ") && run.out().contains("after 50 epochs the MSE is"), run.out());
    }

    @Test
    void wrongSizedInputAndTargetNameBothSizes() {
        Backprop.NeuralNetwork net = Backprop.NeuralNetwork.random(new int[] {2, 2, 1}, Backprop.Activation.SIGMOID, new Random(0));
        var input = assertThrows(IllegalArgumentException.class, () -> net.forward(new double[] {1, 2, 3}));
        assertTrue(input.getMessage().contains("expected 2") && input.getMessage().contains("got 3"), input.getMessage());
        var target = assertThrows(IllegalArgumentException.class,
                () -> net.backpropagate(new double[] {1, 2}, new double[] {1, 0}, 0.1));
        assertTrue(target.getMessage().contains("expected 1") && target.getMessage().contains("got 2"), target.getMessage());
    }

    @Test
    void derivativeChartIsAReadablePng(@TempDir Path dir) throws Exception {
        Backprop.out = dir; // what --out does: never the learner's out/
        try {
            Backprop.derivativeChart().save("03-derivatives.png");
        } finally {
            Backprop.out = null;
        }
        LessonRun.assertPng(dir.resolve("03-derivatives.png"), 800, 500);
    }

    /** history[e] is the MSE after e epochs: history[0] is the untrained network, history[1] follows one pass. */
    @Test
    void lossHistoryCountsEpochsFromOne() {
        Backprop.GenderNetwork net = new Backprop.GenderNetwork(new Random(5)), again = new Backprop.GenderNetwork(new Random(5));
        double untrained = net.loss(Backprop.PEOPLE);
        double[] history = net.fit(Backprop.PEOPLE, 3, 0.1);
        assertEquals(4, history.length);
        assertEquals(untrained, history[0], 0.0);
        for (int p = 0; p < Backprop.PEOPLE.length; p++) again.train(Backprop.PEOPLE[p], Backprop.FEMALE[p], 0.1);
        assertEquals(again.loss(Backprop.PEOPLE), history[1], 0.0);
        assertEquals(net.loss(Backprop.PEOPLE), history[3], 0.0);
    }

    @Test
    void lessonRunsReproduciblyAndReportsSmallGradientErrors(@TempDir Path dir) throws Exception {
        Path pictures = dir.resolve("my pictures");
        LessonRun first = LessonRun.in(pictures, "Backprop"), second = LessonRun.of("Backprop");
        assertEquals(0, first.exitCode(), first.err());
        assertEquals(first.out().replace(pictures.toString(), "DIR"), second.out().replace(LessonRun.PICTURES.toString(), "DIR"));
        for (String name : new String[] {"03-derivatives.png", "03-gender-loss.png"}) {
            String line = first.out().lines().filter(l -> l.contains("plot: ") && l.endsWith(name)).findFirst().orElseThrow();
            Path png = Path.of(line.substring(line.indexOf("plot: ") + 6)); // the rest of the line, spaces and all
            assertEquals(pictures.resolve(name), png);
            LessonRun.assertPng(png, 800, 500);
        }
        assertTrue(first.out().contains("0.507460558719    0.508050269349"), first.out());
        assertTrue(first.out().contains("Emily (128 lb, 63 in)"), first.out());
        long checks = first.out().lines().filter(l -> l.contains("largest relative error")).count();
        assertEquals(4, checks);
    }

    @Test
    void exercisesRun() {
        for (String n : new String[] {"1", "2", "3"}) {
            LessonRun run = LessonRun.of("Backprop", "--exercise", n);
            assertEquals(0, run.exitCode(), run.err());
        }
        String raw = LessonRun.of("Backprop", "--exercise", "3").out();
        assertTrue(raw.contains("0.250 is the MSE of answering 0.5 for everyone: the network has learned nothing"), raw);
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        for (String[] args : new String[][] {{"--bogus"}, {"--seed", "1.5"}, {"--exercise", "4"}, {"--exercise", "4294967297"}}) {
            LessonRun run = LessonRun.of("Backprop", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
        LessonRun help = LessonRun.of("Backprop", "--help");
        assertEquals(0, help.exitCode(), help.err());
        assertTrue(help.out().startsWith("usage: java lessons/03/Backprop.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3]"),
                help.out());
        for (String[] args : new String[][] {{"--rate", "Infinity"}, {"--epochs", "4294967297"}}) {
            LessonRun run = LessonRun.of("Backprop", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
    }
}
