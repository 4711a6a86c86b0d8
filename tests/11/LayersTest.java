import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayersTest {
    static final Layers.Matrix X = Layers.XOR_INPUTS, Y = Layers.XOR_TARGETS;

    /** A stack of 1 to 3 Dense layers of random widths, each followed by one of the four activations. */
    static Layers.Network randomStack(Random rng, int inputs, int outputs) {
        Layers.Network net = new Layers.Network();
        int depth = 1 + rng.nextInt(3), width = inputs;
        for (int d = 0; d < depth; d++) {
            int next = d == depth - 1 ? outputs : 1 + rng.nextInt(6);
            net.add(new Layers.Dense(Layers.Matrix.random(width, next, rng).scale(2), Layers.Matrix.random(1, next, rng)));
            net.add(new Layers.ActivationLayer(Layers.Activation.values()[rng.nextInt(4)]));
            width = next;
        }
        net.use(new Layers.MeanSquaredError());
        return net;
    }

    static Layers.Matrix gaussian(int rows, int cols, Random rng) {
        Layers.Matrix m = new Layers.Matrix(rows, cols);
        for (int i = 0; i < m.size(); i++) m.data()[i] = rng.nextGaussian();
        return m;
    }

    @Test
    void backwardMatchesFiniteDifferencesForRandomStacks() {
        Random rng = new Random(1);
        for (int trial = 0; trial < 40; trial++) {
            int batch = 1 + rng.nextInt(5), inputs = 1 + rng.nextInt(5), outputs = 1 + rng.nextInt(4);
            Layers.Network net = randomStack(rng, inputs, outputs);
            double error = Layers.gradientCheck(net, gaussian(batch, inputs, rng), gaussian(batch, outputs, rng));
            // about 1e-9 for gradients of ordinary size; a tiny one (a leaky ReLU's slope 0.01 makes some)
            // loses digits to rounding in E(p + h) - E(p - h), up to a few 1e-6. A wrong backward is off by 1e-3 or more.
            assertTrue(error < 1e-5, "trial " + trial + ": max relative error " + error);
        }
    }

    @Test
    void gradientCheckCatchesAWrongBackward() {
        Layers.Network net = Layers.xorNetwork(Layers.Activation.TANH, new Random(3));
        net.layers.set(1, new Layers.ActivationLayer(Layers.Activation.TANH) {
            @Override
            public Layers.Matrix backward(Layers.Matrix outputGradient, double learningRate) {
                return outputGradient; // forgets the f'(Z) factor
            }
        });
        assertTrue(Layers.gradientCheck(net, X, Y) > 1e-3);
    }

    @Test
    void softmaxFromTheExercisePassesTheSameCheck() {
        Random rng = new Random(2);
        Layers.Network net = new Layers.Network();
        net.add(new Layers.Dense(3, 4, rng));
        net.add(new Layers.Softmax());
        net.use(new Layers.MeanSquaredError());
        assertTrue(Layers.gradientCheck(net, gaussian(5, 3, rng), gaussian(5, 4, rng)) < 1e-6);
        Layers.Matrix p = net.predict(Layers.Matrix.of(new double[] {1000, -1000, 3})); // large scores: no overflow
        assertEquals(1.0, p.sum(), 1e-12);
    }

    @Test
    void denseBackwardUsesTheWeightsBeforeTheStep() {
        Layers.Dense dense = new Layers.Dense(Layers.Matrix.of(new double[] {1, 2}, new double[] {3, 4}),
                Layers.Matrix.of(new double[] {0.5, -0.5}));
        Layers.Matrix x = Layers.Matrix.of(new double[] {1, 1}, new double[] {2, 0});
        assertArrayEquals(new double[] {4.5, 5.5, 2.5, 3.5}, dense.forward(x).data(), 1e-12);
        Layers.Matrix dY = Layers.Matrix.of(new double[] {1, 0}, new double[] {0, 1});
        Layers.Matrix dX = dense.backward(dY, 1.0);
        assertArrayEquals(new double[] {1, 3, 2, 4}, dX.data(), 1e-12);          // dY*W^T with the old W
        assertArrayEquals(new double[] {1, 2, 1, 0}, dense.weightGradient.data(), 1e-12); // X^T*dY
        assertArrayEquals(new double[] {1, 1}, dense.biasGradient.data(), 1e-12);         // summed over the batch
        assertArrayEquals(new double[] {0, 0, 2, 4}, dense.weights.data(), 1e-12);        // W - 1*dE/dW
        assertArrayEquals(new double[] {-0.5, -1.5}, dense.bias.data(), 1e-12);
    }

    @Test
    void multiplyMatchesTheDefinitionZerosIncluded() {
        Random rng = new Random(4);
        Layers.Matrix a = gaussian(5, 7, rng), b = gaussian(7, 3, rng);
        a.data()[3] = 0; // skipped by multiply: it must add nothing
        a.data()[20] = 0;
        Layers.Matrix c = a.multiply(b);
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 3; j++) {
                double sum = 0;
                for (int k = 0; k < 7; k++) sum += a.get(i, k) * b.get(k, j);
                assertEquals(sum, c.get(i, j), 1e-12, "(" + i + ", " + j + ")");
            }
        }
        assertArrayEquals(a.data(), a.transpose().transpose().data(), 0.0);
        assertEquals(a.get(2, 5), a.transpose().get(5, 2));
    }

    @Test
    void mseIsTheMeanOverEveryNumberOfTheBatch() {
        Layers.MeanSquaredError mse = new Layers.MeanSquaredError();
        Layers.Matrix predicted = Layers.Matrix.of(new double[] {1, 2}, new double[] {3, 4});
        Layers.Matrix target = Layers.Matrix.of(new double[] {0, 2}, new double[] {3, 2});
        assertEquals((1 + 0 + 0 + 4) / 4.0, mse.loss(predicted, target), 1e-12);
        assertArrayEquals(new double[] {2 * 1 / 4.0, 0, 0, 2 * 2 / 4.0}, mse.gradient(predicted, target).data(), 1e-12);
    }

    @Test
    void xorIsLearnedAsInTheTutorial() {
        Layers.Network net = Layers.xorNetwork(Layers.Activation.TANH, new Random(42));
        double[] errors = net.fit(X, Y, 1000, 0.1);
        assertTrue(errors[999] < 0.001 && errors[0] > 0.2, errors[0] + " -> " + errors[999]);
        Layers.Matrix p = net.predict(X);
        for (int i = 0; i < 4; i++) assertEquals(Y.get(i, 0), p.get(i, 0), 0.05, "sample " + i);
    }

    @Test
    void exerciseClaimsHold() {
        // Exercise 2: over seeds 0-99, tanh usually learns XOR in 1000 epochs; sigmoid never does
        assertEquals(72, Layers.learnedSeeds(Layers.Activation.TANH, 100));
        assertEquals(0, Layers.learnedSeeds(Layers.Activation.SIGMOID, 100));
        assertEquals(34, Layers.learnedSeeds(Layers.Activation.RELU, 100));
        assertEquals(58, Layers.learnedSeeds(Layers.Activation.LEAKY_RELU, 100));
        // Exercise 3: seed 5 is stuck one sample at a time, but the batch of four learns in 4000 epochs
        double[] single = Layers.xorNetwork(Layers.Activation.TANH, new Random(5)).fit(X, Y, 1000, 0.1);
        double[] batch = Layers.xorNetwork(Layers.Activation.TANH, new Random(5)).fit(X, Y, 4000, 0.1, 4);
        assertTrue(single[999] > 0.2 && batch[3999] < 0.001, single[999] + " vs " + batch[3999]);
    }

    @Test
    void shapeMistakesNameBothSizes() {
        Layers.Dense dense = new Layers.Dense(2, 3, new Random(0));
        var e = assertThrows(IllegalArgumentException.class, () -> dense.forward(new Layers.Matrix(1, 5)));
        assertTrue(e.getMessage().contains("2") && e.getMessage().contains("5"), e.getMessage());
        var m = assertThrows(IllegalArgumentException.class, () -> new Layers.Matrix(2, 2).minus(new Layers.Matrix(2, 3)));
        assertTrue(m.getMessage().contains("2x2") && m.getMessage().contains("2x3"), m.getMessage());
        var p = assertThrows(IllegalArgumentException.class, () -> new Layers.Matrix(2, 3).multiply(new Layers.Matrix(2, 3)));
        assertTrue(p.getMessage().contains("2x3 by 2x3") && p.getMessage().contains("3 columns"), p.getMessage());
    }

    @Test
    void lessonPrintsTheTutorialsFormatAndDrawsTheErrorCurve(@TempDir Path dir) throws Exception {
        LessonRun run = LessonRun.in(dir, "Layers");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("epoch 1/1000   error=0.380698"), run.out());
        assertTrue(run.out().contains("epoch 1000/1000   error=0.000293"), run.out());
        assertTrue(run.out().contains("[1, 1] -> -0.001664"), run.out());
        assertTrue(run.out().contains("off by 0.0264: XOR is learned"), run.out());
        String plot = run.out().lines().filter(l -> l.startsWith("plot: ")).findFirst().orElseThrow().substring(6);
        assertEquals(dir.resolve("11-xor-error.png"), Path.of(plot));
        LessonRun.assertPng(Path.of(plot), 800, 500);
        assertEquals(1000, LessonRun.of("Layers", "--every", "1").out().lines().filter(l -> l.startsWith("epoch ")).count());
    }

    @Test
    void aSeedThatDoesNotLearnIsSaidToNotLearn() {
        // seed 5 is stuck at about 0.28: the conclusion line must follow the numbers
        LessonRun run = LessonRun.of("Layers", "--seed", "5");
        assertTrue(run.out().contains("XOR is not learned"), run.out());
    }

    @Test
    void activationLayerUsesTheDerivativeFromTheOutput() {
        // f'(z) from y = f(z): for every activation, the layer's backward equals dE/dY * f'(z) computed from z
        Layers.Matrix z = Layers.Matrix.of(new double[] {-2, -0.3, 0.4, 1.7});
        Layers.Matrix dY = Layers.Matrix.of(new double[] {0.5, -1, 2, 0.25});
        double h = 1e-6;
        for (Layers.Activation f : Layers.Activation.values()) {
            Layers.ActivationLayer layer = new Layers.ActivationLayer(f);
            layer.forward(z);
            Layers.Matrix dZ = layer.backward(dY, 0.1);
            for (int i = 0; i < 4; i++) {
                double zi = z.data()[i], slope = (f.apply(zi + h) - f.apply(zi - h)) / (2 * h);
                assertEquals(dY.data()[i] * slope, dZ.data()[i], 1e-6, f.label + " at z = " + zi);
            }
        }
    }

    @Test
    void sameSeedSameOutput() {
        assertEquals(LessonRun.of("Layers", "--seed", "7").out(), LessonRun.of("Layers", "--seed", "7").out());
        assertNotEquals(LessonRun.of("Layers", "--seed", "7").out(), LessonRun.of("Layers", "--seed", "8").out());
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        for (String[] args : new String[][] {{"--every", "4294967297"}, {"--rate", "NaN"},
                {"--rate", "0.1", "--rate", "0.2"}}) {
            LessonRun run = LessonRun.of("Layers", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
    }

    // ------------------------------------------------------------ extreme inputs and runs that blow up

    @Test
    void sigmoidAndTanhAreExactAtExtremeInputs() {
        Layers.Activation sigmoid = Layers.Activation.SIGMOID, tanh = Layers.Activation.TANH;
        // sigmoid(z) = 1 / (1 + e^-z). The largest double is about e^709.8 and the smallest (subnormal)
        // about e^-744.4, so e^800 and e^10000 are Infinity and e^-800, e^-10000 are 0:
        // sigmoid(800) = 1 / (1 + 0) = 1, and the true value 1 - e^-800 (about 1 - 1e-347) rounds to 1;
        // sigmoid(-800) = 1 / (1 + Infinity) = 0, and the true value e^-800 (about 3.6e-348) rounds to 0.
        for (double z : new double[] {800, 1e4, Double.POSITIVE_INFINITY}) {
            assertEquals(1.0, sigmoid.apply(z), 0.0, "sigmoid(" + z + ")");
            assertEquals(0.0, sigmoid.apply(-z), 0.0, "sigmoid(" + -z + ")");
            assertEquals(1.0, tanh.apply(z), 0.0, "tanh(" + z + ")");
            assertEquals(-1.0, tanh.apply(-z), 0.0, "tanh(" + -z + ")");
            // the slopes, y(1 - y) and 1 - y^2, are 0 there, not NaN: a saturated unit passes nothing back
            assertEquals(0.0, sigmoid.derivative(sigmoid.apply(z)), 0.0);
            assertEquals(0.0, sigmoid.derivative(sigmoid.apply(-z)), 0.0);
            assertEquals(0.0, tanh.derivative(tanh.apply(-z)), 0.0);
        }
        // sigmoid(-700) = 1 / (1 + e^700) = e^-700 / (1 + e^-700): e^-700 to the last digit (e^-700 = 9.86e-305)
        assertEquals(Math.exp(-700), sigmoid.apply(-700), 1e-15 * Math.exp(-700));
    }

    @Test
    void softmaxLayerIsExactAtExtremeScores() {
        Layers.Softmax softmax = new Layers.Softmax();
        // e^(s - max) / sum: [800, -800] gives 1 / (1 + e^-1600) = 1 and e^-1600 / (1 + e^-1600) = 0
        // (e^-1600 is far below the smallest double); [0, 1e4] gives e^-1e4 = 0 and 1; three equal
        // scores of 1e4 give e^0 / 3 each; an infinite score takes everything, two share it, and a
        // -Infinity gets e^-Infinity = 0: none of them is NaN (Infinity - Infinity would be).
        double inf = Double.POSITIVE_INFINITY;
        double[][][] cases = {
            {{800, -800}, {1, 0}}, {{-800, 800}, {0, 1}}, {{0, 1e4}, {0, 1}}, {{-1e4, 1e4}, {0, 1}},
            {{1e4, 1e4, 1e4}, {1 / 3.0, 1 / 3.0, 1 / 3.0}}, {{inf, 0}, {1, 0}}, {{0, inf}, {0, 1}},
            {{inf, inf}, {0.5, 0.5}}, {{-inf, 0}, {0, 1}}, {{-inf, -inf}, {0.5, 0.5}}};
        for (double[][] c : cases) {
            Layers.Matrix p = softmax.forward(Layers.Matrix.of(c[0]));
            assertArrayEquals(c[1], p.data(), 1e-15, Arrays.toString(c[0]));
            Layers.Matrix dX = softmax.backward(Layers.Matrix.of(c[1]), 0.1);
            for (double g : dX.data()) assertTrue(Double.isFinite(g), "backward at " + Arrays.toString(c[0]) + ": " + g);
        }
    }

    /** Dense(2->1) and MSE, no activation: a linear model whose output, unlike tanh's, has no bound. */
    static Layers.Network linear() {
        Layers.Network net = new Layers.Network();
        net.add(new Layers.Dense(Layers.Matrix.of(new double[] {0.3}, new double[] {-0.2}), Layers.Matrix.of(new double[] {0.1})));
        net.use(new Layers.MeanSquaredError());
        return net;
    }

    @Test
    void fitStopsWhenTheErrorIsNoLongerANumber() {
        // rate 0.1 converges; at rate 100 each step overshoots 100 times too far, the weights grow about
        // a hundredfold a step, and the error overflows to Infinity, then NaN, within a few epochs
        double[] calm = linear().fit(X, Y, 50, 0.1);
        for (double e : calm) assertTrue(Double.isFinite(e), Arrays.toString(calm));
        var e = assertThrows(Layers.UserError.class, () -> linear().fit(X, Y, 1000, 100));
        assertTrue(e.getMessage().matches("the loss became (Infinity|undefined) at epoch \\d+: the learning rate 100.0 is too large; try 10.0"),
                e.getMessage());
        // the epoch is counted over every call of fit: one epoch per call, as lesson 12's tutorial run does
        Layers.Network net = linear();
        int calls = 0;
        try {
            while (calls < 1000) {
                calls++;
                net.fit(X, Y, 1, 100);
            }
        } catch (Layers.UserError stop) {
            assertEquals(e.getMessage(), stop.getMessage()); // the same epoch as in one call of 1000 epochs
            assertTrue(stop.getMessage().contains("at epoch " + calls + ":"), calls + " calls: " + stop.getMessage());
            assertTrue(calls > 1, "diverged in the first epoch already");
            return;
        }
        throw new AssertionError("1000 epochs at rate 100 did not stop");
    }

    @Test
    void rateAndEpochsDriveTheLessonsRun() {
        LessonRun run = LessonRun.of("Layers", "--rate", "0.5", "--epochs", "300", "--every", "100");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("2. Training on XOR: 300 epochs, learning rate 0.5, one sample at a time"), run.out());
        assertEquals(List.of("epoch 1/300", "epoch 100/300", "epoch 200/300", "epoch 300/300"),
                run.out().lines().filter(l -> l.startsWith("epoch ")).map(l -> l.substring(0, l.indexOf(' ', 6))).toList());
        // the largest rate: tanh saturates and the run does not learn, but every number printed is a number
        LessonRun fast = LessonRun.of("Layers", "--rate", "100");
        assertEquals(0, fast.exitCode(), fast.err());
        assertTrue(fast.out().contains("XOR is not learned") && !fast.out().contains("NaN") && !fast.out().contains("Infinity"),
                fast.out());
    }
}
