import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/** Lesson 07's checks: one-hot, arg-max, the tutorial's test, the confusion matrix, both accuracies, the split, exercise 2's copy. */
class ClassificationCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("oneHot", ClassificationCheck::oneHot)
                .hole("argMax", ClassificationCheck::argMax)
                .hole("thresholdedMatches", ClassificationCheck::thresholded)
                .hole("confusionMatrix", ClassificationCheck::confusion)
                .hole("Accuracy.of", ClassificationCheck::accuracy)
                .hole("split", ClassificationCheck::split)
                .hole("copy", ClassificationCheck::copy)
                .verdicts;
    }

    static void oneHot() {
        that(Arrays.equals(Classification.oneHot(1, 3), new double[] {0, 1, 0}), "oneHot(1, 3) should be [0, 1, 0]");
        that(Arrays.equals(Classification.oneHot(0, 2), new double[] {1, 0}), "oneHot(0, 2) should be [1, 0]");
    }

    static void argMax() {
        that(Classification.argMax(new double[] {0.1, 0.7, 0.2}) == 1, "argMax of [0.1, 0.7, 0.2] should be 1");
        that(Classification.argMax(new double[] {-3, -1, -2}) == 1, "argMax of [-3, -1, -2] should be 1: start from the first value, not 0");
        that(Classification.argMax(new double[] {0.5, 0.5, 0.1}) == 0, "argMax of [0.5, 0.5, 0.1] should be 0: the first of equal values");
        that(Classification.argMax(new double[] {0.1, 0.2, 0.9}) == 2, "argMax of [0.1, 0.2, 0.9] should be 2: look at the last output too");
    }

    static void thresholded() {
        that(Classification.thresholdedMatches(new double[] {0.1, 0.8, 0.3}, 1), "[0.1, 0.8, 0.3] for class 1 is right by the tutorial's test");
        that(!Classification.thresholdedMatches(new double[] {0.1, 0.8, 0.6}, 1), "[0.1, 0.8, 0.6] for class 1 has two outputs above 0.5: wrong by the tutorial's test");
        that(!Classification.thresholdedMatches(new double[] {0.1, 0.4, 0.3}, 1), "[0.1, 0.4, 0.3] for class 1 has no output above 0.5: wrong by the tutorial's test");
    }

    /** A 2-input, 3-output network whose output k is sigmoid(10 * (x_k - 0.5)) for k < 2 and a constant 0.4. */
    static Classification.NeuralNetwork picker() {
        Classification.Activation s = Classification.Activation.SIGMOID;
        return new Classification.NeuralNetwork(new Classification.Neuron[][] {{
            new Classification.Neuron(new double[] {10, 0}, -5, s), new Classification.Neuron(new double[] {0, 10}, -5, s),
            new Classification.Neuron(new double[] {0, 0}, Math.log(0.4 / 0.6), s)}});
    }

    static final double[][] X = {{1, 0}, {0, 1}, {0, 0}, {1, 0}, {0.6, 0}};
    static final int[] LABELS = {0, 1, 2, 1, 0};

    static void confusion() {
        int[][] counts = Classification.confusionMatrix(picker(), X, LABELS, 3);
        int[][] expected = {{2, 0, 0}, {1, 1, 0}, {0, 0, 1}};
        that(Arrays.deepEquals(counts, expected), "the confusion matrix should be " + Arrays.deepToString(expected)
                + " (row: true class, column: class picked), got " + Arrays.deepToString(counts));
    }

    static void accuracy() {
        Classification.Accuracy a = Classification.Accuracy.of(picker(), X, LABELS);
        near(0.8, a.byArgMax(), "the accuracy by arg-max (4 of 5 rows)", "");
        near(0.6, a.thresholded(), "the accuracy by the tutorial's test (3 of 5 rows)", "");
    }

    static Classification.Dataset rows(int n) {
        double[][] x = new double[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = new double[] {i};
            y[i] = i % 3;
        }
        return new Classification.Dataset("rows", x, y, new String[] {"a", "b", "c"});
    }

    static void split() {
        Classification.Split s = Classification.split(rows(21), new Random(4));
        that(s.test().size() == 5 && s.train().size() == 16, "21 rows should split into 5 to test on (20%, rounded up) and 16 to train on");
        boolean[] seen = new boolean[21];
        for (Classification.Dataset part : new Classification.Dataset[] {s.train(), s.test()}) {
            for (int i = 0; i < part.size(); i++) {
                int row = (int) part.features()[i][0];
                that(!seen[row], "row " + row + " appears twice in the split");
                that(part.labels()[i] == row % 3, "row " + row + " lost its own label -- move features and labels together");
                seen[row] = true;
            }
        }
        Classification.Split again = Classification.split(rows(21), new Random(4));
        that(Arrays.equals(s.test().labels(), again.test().labels()) && s.test().features()[0][0] == again.test().features()[0][0],
                "two splits with new Random(4) differ -- shuffle with the rng you are given");
        double[] first = new double[5];
        for (int i = 0; i < 5; i++) first[i] = s.test().features()[i][0];
        that(!Arrays.equals(first, new double[] {0, 1, 2, 3, 4}) && !Arrays.equals(first, new double[] {16, 17, 18, 19, 20}),
                "the test rows come in their file order -- shuffle first");
    }

    static void copy() {
        Classification.NeuralNetwork net = Classification.NeuralNetwork.random(new int[] {2, 3, 2}, Classification.Activation.TANH, new Random(2));
        Classification.NeuralNetwork twin = Classification.copy(net);
        that(twin != net && twin.layers[0][0] != net.layers[0][0] && twin.layers[1][1].weights != net.layers[1][1].weights,
                "copy should make new neurons with new weight arrays, so that training the copy leaves the original alone");
        that(Arrays.equals(twin.layers[1][1].weights, net.layers[1][1].weights) && twin.layers[0][2].bias == net.layers[0][2].bias
                && twin.layers[0][0].activation == Classification.Activation.TANH, "the copy should have the same weights, biases and activations");
    }
}
