import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptimizersTest {
    static final double[] START = {1, -2}, G1 = {0.5, -1}, G2 = {0.5, 1};

    /** Two steps (the gradients G1, then G2) from START; returns w after each. */
    static double[][] twoSteps(Optimizers.Optimizer optimizer) {
        double[] w = START.clone();
        optimizer.step(w, G1.clone());
        double[] first = w.clone();
        optimizer.step(w, G2.clone());
        return new double[][] {first, w.clone()};
    }

    static void assertSteps(double[] first, double[] second, Optimizers.Optimizer optimizer) {
        double[][] w = twoSteps(optimizer);
        assertArrayEquals(first, w[0], 1e-7, "after step 1");
        assertArrayEquals(second, w[1], 1e-7, "after step 2");
    }

    // ------------------------------------------------------------ each optimizer, by hand, rate 0.1

    @Test
    void sgdStepsByHand() {
        // w - 0.1 g: [1, -2] - [0.05, -0.1] = [0.95, -1.9]; then - [0.05, 0.1] = [0.9, -2]
        assertSteps(new double[] {0.95, -1.9}, new double[] {0.9, -2.0}, new Optimizers.Sgd(0.1));
    }

    @Test
    void momentumStepsByHand() {
        // v1 = g1 = [0.5, -1], w = [0.95, -1.9]; v2 = 0.9 v1 + g2 = [0.95, 0.1], w = [0.855, -1.91];
        // a third step with g = 0: v3 = 0.9 v2 = [0.855, 0.09], w = [0.7695, -1.919]: it coasts on
        Optimizers.Momentum momentum = new Optimizers.Momentum(0.1);
        assertSteps(new double[] {0.95, -1.9}, new double[] {0.855, -1.91}, momentum);
        double[] w = {0.855, -1.91};
        momentum.step(w, new double[] {0, 0});
        assertArrayEquals(new double[] {0.7695, -1.919}, w, 1e-12);
    }

    @Test
    void nesterovStepsByHand() {
        // v1 = [0.5, -1]; step g1 + 0.9 v1 = [0.95, -1.9], w = [0.905, -1.81];
        // v2 = [0.95, 0.1]; step g2 + 0.9 v2 = [1.355, 1.09], w = [0.7695, -1.919]
        assertSteps(new double[] {0.905, -1.81}, new double[] {0.7695, -1.919}, new Optimizers.Nesterov(0.1));
    }

    @Test
    void adaGradStepsByHand() {
        // s1 = [0.25, 1]: w = [1 - 0.1 * 0.5 / 0.5, -2 + 0.1 * 1 / 1] = [0.9, -1.9];
        // s2 = [0.5, 2]: w = [0.9 - 0.05 / sqrt 0.5, -1.9 - 0.1 / sqrt 2] = [0.829289322, -1.970710678]
        assertSteps(new double[] {0.9, -1.9}, new double[] {0.829289322, -1.970710678}, new Optimizers.AdaGrad(0.1));
    }

    @Test
    void rmsPropStepsByHand() {
        // s1 = 0.1 g1^2 = [0.025, 0.1]: steps 0.05 / sqrt 0.025 = 0.1 / sqrt 0.1 = 0.316227766, w = [0.683772234, -1.683772234];
        // s2 = 0.9 s1 + 0.1 g2^2 = [0.0475, 0.19]: steps 0.05 / sqrt 0.0475 = 0.1 / sqrt 0.19 = 0.229415734
        assertSteps(new double[] {0.683772234, -1.683772234}, new double[] {0.454356500, -1.913187968}, new Optimizers.RmsProp(0.1));
    }

    @Test
    void adamStepsByHand() {
        // t = 1: m = 0.1 g1, v = 0.001 g1^2, corrected m / sqrt v = g1 / |g1|: w = [0.9, -1.9].
        // t = 2: m = [0.095, 0.01] / 0.19 = [0.5, 0.0526315789]; v = [0.00049975, 0.001999] / 0.001999 = [0.25, 1]:
        // steps 0.1 * [0.5 / 0.5, 0.0526315789 / 1], w = [0.8, -1.905263158]
        assertSteps(new double[] {0.9, -1.9}, new double[] {0.8, -1.905263158}, new Optimizers.Adam(0.1));
    }

    @Test
    void adamsBiasCorrectionMakesTheFirstStepTheRate() {
        // corrected: m^ = g, v^ = g^2, the step is rate * g / |g| = 1; without: 0.1 / sqrt 0.001 = 3.16227766
        assertEquals(1, Optimizers.firstStep(true), 1e-7);
        assertEquals(Math.sqrt(10), Optimizers.firstStep(false), 1e-5); // eps = 1e-8 beside sqrt v = 0.0316 shifts the 7th digit
        for (double g : new double[] {1e-4, 3, 1e3}) { // whatever the gradient's size, the first step is the rate
            double[] w = {0};
            new Optimizers.Adam(0.01).step(w, new double[] {g});
            // exactly 0.01 g / (g + eps): eps = 1e-8 beside g = 1e-4 makes it 0.01 (1 - 1e-4), 1e-6 short of the rate
            assertEquals(-0.01 * g / (g + 1e-8), w[0], 1e-15, "first step for g = " + g);
            assertEquals(-0.01, w[0], 2e-6, "first step for g = " + g);
        }
    }

    @Test
    void anOptimizerRefusesParametersOfAnotherSize() {
        Optimizers.Adam adam = new Optimizers.Adam(0.1);
        adam.step(new double[2], new double[2]);
        assertThrows(IllegalArgumentException.class, () -> adam.step(new double[3], new double[3]));
        assertThrows(IllegalArgumentException.class, () -> new Optimizers.Sgd(0.1).step(new double[2], new double[1]));
    }

    // ------------------------------------------------------------ softmax cross-entropy

    static double loss(double[] scores, int truth) {
        double[] t = new double[scores.length];
        t[truth] = 1;
        return new Optimizers.SoftmaxCrossEntropy().loss(Optimizers.Matrix.of(scores), Optimizers.Matrix.of(t));
    }

    @Test
    void crossEntropyIsExactAtExtremeScores() {
        // ln p_0 = (0 - 800) - ln(e^-800 + e^0) = -800 - ln(1 + 4e-348) = -800 exactly in doubles
        assertEquals(800, loss(new double[] {0, 800}, 0));
        assertEquals(0, loss(new double[] {800, 0}, 0)); // ln(1 + e^-800) = 0
        assertEquals(1600, loss(new double[] {-800, 800}, 0));
        assertEquals(2e4, loss(new double[] {1e4, -1e4}, 1));
        assertEquals(1e4, loss(new double[] {0, 1e4}, 0));
        assertEquals(Math.log(2), loss(new double[] {1e4, 1e4}, 0), 1e-15); // two equal scores: p = 1/2
        assertTrue(Double.isInfinite(Optimizers.naiveLoss(0, 800)), "the naive way overflows: what the lesson shows");
    }

    @Test
    void gradientCheckConfirmsPMinusY() {
        assertTrue(Optimizers.softmaxGradientCheck(new Random(42)) < 1e-6);
        // dL/dz = (p - y) / m, entry by entry, against central differences of the loss
        double[] s = {0.3, -1.2, 2.0};
        Optimizers.Matrix g = new Optimizers.SoftmaxCrossEntropy().gradient(Optimizers.Matrix.of(s), Optimizers.Matrix.of(new double[] {0, 1, 0}));
        for (int j = 0; j < 3; j++) {
            double[] up = s.clone(), down = s.clone();
            up[j] += 1e-6;
            down[j] -= 1e-6;
            assertEquals((loss(up, 1) - loss(down, 1)) / 2e-6, g.get(0, j), 1e-8, "dL/dz_" + j);
        }
    }

    // ------------------------------------------------------------ the bowl

    @Test
    void everyOptimizerDescendsTheBowl() {
        Optimizers.Bowl bowl = new Optimizers.Bowl();
        double start = bowl.f(Optimizers.START[0], Optimizers.START[1]);
        for (Optimizers.Kind k : Optimizers.KINDS) {
            double[][] p = Optimizers.descend(bowl, k.make().apply(k.bowlRate()), Optimizers.START[0], Optimizers.START[1], 60);
            double end = bowl.f(p[0][60], p[1][60]);
            assertTrue(end < start / 10, k.name() + " ends at f = " + end + " from " + start);
            assertEquals(Optimizers.START[0], p[0][0]);
        }
    }

    @Test
    void theSaddleAndBowlGradientsAreTheirSlopes() {
        Optimizers.Surface[] surfaces = {new Optimizers.Bowl(), new Optimizers.Saddle()};
        for (Optimizers.Surface f : surfaces) {
            double x = 0.7, y = -1.3, h = 1e-6;
            double[] g = f.gradient(x, y);
            assertEquals((f.f(x + h, y) - f.f(x - h, y)) / (2 * h), g[0], 1e-6);
            assertEquals((f.f(x, y + h) - f.f(x, y - h)) / (2 * h), g[1], 1e-6);
        }
    }

    // ------------------------------------------------------------ training, and the whole lesson

    @Test
    void theSameSeedTrainsTheSameNetwork() {
        Path dir = Path.of("datasets", "mnist");
        Optimizers.Dataset train = Optimizers.load(dir, "train", 300, 1, "x"), test = Optimizers.load(dir, "t10k", 100, 1, "x");
        Optimizers.History[] runs = new Optimizers.History[3];
        for (int i = 0; i < 3; i++) {
            Random rng = new Random(i < 2 ? 7 : 8);
            runs[i] = Optimizers.train(Optimizers.network(rng), train, test, 2, Optimizers.ADAM, 0.002, Optimizers.Schedule.COSINE, rng, () -> {});
        }
        assertArrayEquals(runs[0].loss(), runs[1].loss());
        assertArrayEquals(runs[0].accuracy(), runs[1].accuracy());
        assertFalse(Arrays.equals(runs[0].loss(), runs[2].loss()), "another seed, another run");
        assertTrue(runs[0].loss()[1] < runs[0].loss()[0], "the loss falls: " + Arrays.toString(runs[0].loss()));
    }

    @Test
    void schedulesStartAtTheRateAndDecay() {
        assertEquals(0.1, Optimizers.Schedule.COSINE.rate(0.1, 1, 20), 1e-15);
        assertEquals(0.05, Optimizers.Schedule.COSINE.rate(0.1, 11, 20), 1e-15); // half way down the cosine
        assertEquals(0.1, Optimizers.Schedule.STEP.rate(0.1, 6, 20));
        assertEquals(0.05, Optimizers.Schedule.STEP.rate(0.1, 8, 20));
        assertEquals(0.025, Optimizers.Schedule.STEP.rate(0.1, 20, 20));
    }

    /** The printed output with the wall times (the last column of the tables, one decimal) taken out. */
    static String withoutTimes(String out) {
        return out.replaceAll("(?m) +\\d+\\.\\d$", "");
    }

    @Test
    void aShortRunOfTheLessonIsRepeatableAndDrawsItsPictures(@TempDir Path dir, @TempDir Path pictures) throws IOException {
        LessonRun.copyFirst(dir, "train", 400);
        LessonRun.copyFirst(dir, "t10k", 200);
        LessonRun a = LessonRun.in(pictures, "Optimizers", "--data-dir", dir.toString(), "--epochs", "1", "--seed", "3");
        LessonRun b = LessonRun.in(pictures, "Optimizers", "--data-dir", dir.toString(), "--epochs", "1", "--seed", "3");
        assertEquals(0, a.exitCode(), a.err());
        assertEquals(withoutTimes(a.out()), withoutTimes(b.out()), "the same seed, the same output");
        assertTrue(a.out().contains("the derivation holds"), a.out());
        assertTrue(a.out().contains("400 training images, 200 held out"), a.out());
        for (String name : new String[] {"SGD (0.1)", "momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam (0.002)", "Adam, cosine decay"}) {
            assertTrue(a.out().contains(name), name + " missing:\n" + a.out());
        }
        LessonRun.assertPng(pictures.resolve("13-trajectories.png"), 800, 1500);
        LessonRun.assertPng(pictures.resolve("13-mnist-loss.png"), 800, 500);
    }

    @Test
    void mistakesEndInOneLine() {
        for (String[] args : new String[][] {{"--optimizer", "lbfgs"}, {"--rate", "0.1"}, {"--optimizer", "adam", "--rate", "0"},
            {"--epochs", "0"}, {"--exercise", "3"}}) {
            LessonRun run = LessonRun.of("Optimizers", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + ": " + run.err());
        }
    }

    @Test
    void theExercisesPrintTheirConclusions() {
        LessonRun one = LessonRun.of("Optimizers", "--exercise", "1"), two = LessonRun.of("Optimizers", "--exercise", "2");
        assertTrue(one.out().contains("Without the correction the first steps are larger"), one.out());
        assertTrue(two.out().contains("First off the saddle:"), two.out());
    }
}
