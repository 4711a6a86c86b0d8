import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApproximationTest {

    /** The lesson's data for a seed: the points, then the seed of the starting weights, as lesson() draws them. */
    record Draw(double[][] points, long weightSeed) {
        static Draw of(Random rng, int n) {
            return new Draw(Approximation.randomPoints(n, rng), rng.nextLong());
        }
    }

    /** The lesson's two runs on the default seed, trained once for all the tests that need them. */
    static final class Lesson {
        static final Draw DRAW = Draw.of(new Random(42), Approximation.POINTS);
        static final Approximation.Run RAW = Approximation.trainRaw(DRAW.points, DRAW.weightSeed, Approximation.EPOCHS, Approximation.LEARNING_RATE, 0);
        static final Approximation.Run NORMALISED = Approximation.trainNormalised(DRAW.points, DRAW.weightSeed, Approximation.EPOCHS, Approximation.LEARNING_RATE, 0);
    }

    @Test
    void normalisedBeatsRawOnTheGridWithTheLessonsSettings() {
        assertEquals(0.05969, Lesson.RAW.gridError(), 5e-6);
        assertEquals(0.03724, Lesson.NORMALISED.gridError(), 5e-6);
        // the default draw reaches only 1.22, so both networks miss the corners: 1.6-fold, not more
        assertTrue(Lesson.RAW.gridError() > 1.5 * Lesson.NORMALISED.gridError());
    }

    @Test
    void aSigmoidOutputStaysBelowOneThoughAQuarterOfTheGridIsAbove() {
        assertTrue(Approximation.max(Lesson.RAW.grid()) < 1, "largest prediction " + Approximation.max(Lesson.RAW.grid()));
        assertEquals(416 / 1600.0, Approximation.fractionAbove(Approximation.TRUTH, 1), 1e-12); // 26.0%
        // every grid point with y > 1 costs the raw network at least (y - 1)^2
        double floor = 0;
        for (double[] row : Approximation.TRUTH) for (double y : row) if (y > 1) floor += (y - 1) * (y - 1);
        assertTrue(Lesson.RAW.gridError() >= floor / 1600);
        // and the normalised one stops at the largest training target
        assertTrue(Approximation.max(Lesson.NORMALISED.grid()) <= 1.2204);
    }

    /** Exercise 3's claim: once the data reach into the corners, normalising wins by a wide margin. */
    @Test
    void withSeventyPointsNormalisedWinsByAWideMargin() {
        Random rng = new Random(42);
        Draw d = Draw.of(rng, Approximation.POINTS);
        double[][] seventy = Approximation.concat(d.points, Approximation.randomPoints(Approximation.POINTS, rng));
        Approximation.Run raw = Approximation.trainRaw(seventy, d.weightSeed, Approximation.EPOCHS, Approximation.LEARNING_RATE, 0);
        Approximation.Run normalised = Approximation.trainNormalised(seventy, d.weightSeed, Approximation.EPOCHS, Approximation.LEARNING_RATE, 0);
        assertTrue(raw.gridError() > 4 * normalised.gridError(), raw.gridError() + " vs " + normalised.gridError());
    }

    /** Exercise 2's claim: over ten draws normalising usually wins, though not always and not always by much. */
    @Test
    void overTenDrawsNormalisedWinsNineTimes() {
        Random rng = new Random(42);
        double[] ratios = new double[10];
        for (int i = 0; i < ratios.length; i++) {
            Draw d = Draw.of(rng, Approximation.POINTS);
            ratios[i] = Approximation.trainRaw(d.points, d.weightSeed, Approximation.EPOCHS, Approximation.LEARNING_RATE, 0).gridError()
                    / Approximation.trainNormalised(d.points, d.weightSeed, Approximation.EPOCHS, Approximation.LEARNING_RATE, 0).gridError();
        }
        assertEquals(9, Approximation.wins(ratios), Arrays.toString(ratios));
        assertEquals(1.63, Approximation.median(ratios), 0.005);
    }

    @Test
    void aLinearOutputGoesAboveTheTrainingTargets() {
        String out = captured(() -> Approximation.exerciseLinearOutput(new Random(42)));
        double largest = Double.parseDouble(out.replaceAll("(?s).*largest prediction on the grid ([0-9.]+).*", "$1"));
        double gridError = Double.parseDouble(out.replaceAll("(?s).*grid MSE ([0-9.]+).*", "$1"));
        assertTrue(largest > 1.5, out); // the largest training target is 1.2204
        assertTrue(gridError < Lesson.NORMALISED.gridError() / 2, out); // better than the normalised sigmoid
    }

    @Test
    void trainIsTheTutorialsLoopAndReportsItsTotalError() {
        Random rng = new Random(3);
        double[][] x = Approximation.randomPoints(5, rng);
        double[][] t = Approximation.targets(x);
        long seed = rng.nextLong();
        Approximation.NeuralNetwork viaTrain = network(seed), byHand = network(seed);
        double[][] history = new double[1][];
        String out = captured(() -> history[0] = Approximation.train(viaTrain, x, t, 2, 0.1, 1));
        for (int epoch = 0; epoch < 2; epoch++) {
            for (int s = 0; s < x.length; s++) byHand.backpropagate(x[s], t[s], 0.1); // one sample at a time, in order
        }
        assertArrayEquals(byHand.layers[0][2].weights, viaTrain.layers[0][2].weights, 0.0);
        assertEquals(byHand.layers[2][0].bias, viaTrain.layers[2][0].bias, 0.0);
        double total = 0;
        for (int s = 0; s < x.length; s++) total += Math.pow(t[s][0] - byHand.forward(x[s])[0], 2);
        assertEquals(total, history[0][2], 1e-15); // history[e]: after e epochs
        assertEquals(2, out.lines().count(), out); // after epochs 1 and 2: epochs count from 1
        assertTrue(out.contains(String.format("epoch     2  total error %.4f", total)), out);
    }

    static Approximation.NeuralNetwork network(long seed) {
        return Approximation.NeuralNetwork.random(Approximation.SIZES, Approximation.Activation.SIGMOID, new Random(seed));
    }

    @Test
    void backpropMatchesCentralDifferencesWithALinearOutput() {
        Random rng = new Random(5);
        Approximation.NeuralNetwork net = network(rng.nextLong());
        net.layers[2][0] = new Approximation.LinearNeuron(net.layers[2][0]);
        double[] x = {0.3, -0.7}, t = {1.4};
        net.backward(Approximation.errorGradient(t, net.forward(x)));
        double h = 1e-6;
        for (Approximation.Neuron[] layer : net.layers) {
            for (Approximation.Neuron n : layer) {
                for (int i = 0; i < n.weights.length; i++) {
                    double w = n.weights[i];
                    n.weights[i] = w + h;
                    double plus = halfSquaredError(net, x, t);
                    n.weights[i] = w - h;
                    double minus = halfSquaredError(net, x, t);
                    n.weights[i] = w;
                    assertEquals((plus - minus) / (2 * h), n.weightGradients[i], 1e-8);
                }
            }
        }
    }

    static double halfSquaredError(Approximation.NeuralNetwork net, double[] x, double[] t) {
        double o = net.forward(x)[0];
        return (t[0] - o) * (t[0] - o) / 2;
    }

    @Test
    void minMaxUsesTheTrainingTargetsAndMapsBack() {
        double[][] targets = {{0.5}, {2.0}, {1.25}};
        Approximation.MinMax range = Approximation.MinMax.fit(targets);
        assertArrayEquals(new double[] {0, 1, 0.5}, Arrays.stream(range.scale(targets)).mapToDouble(r -> r[0]).toArray(), 1e-15);
        assertEquals(1.25, range.unscale(0.5), 1e-15);
        assertEquals(2.0, range.unscale(1), 1e-15); // a sigmoid's ceiling becomes the training maximum
    }

    @Test
    void theGridRunsFromCornerToCorner() {
        double[] axis = Approximation.linspace(Approximation.GRID);
        assertEquals(-1.0, axis[0], 0.0);
        assertEquals(1.0, axis[39], 0.0);
        assertEquals(2.0, Approximation.max(Approximation.TRUTH), 1e-15);
        double[][] truth = Approximation.TRUTH;
        assertEquals(axis[5] * axis[5] + axis[30] * axis[30], truth[30][5], 1e-15); // row = x2, column = x1
        assertEquals(0.0, Approximation.meanSquaredError(truth, -Double.MAX_VALUE, Double.MAX_VALUE), 0.0);
        double[][] offByOne = new double[40][40];
        for (int r = 0; r < 40; r++) for (int c = 0; c < 40; c++) offByOne[r][c] = truth[r][c] + 1;
        assertEquals(1.0, Approximation.meanSquaredError(offByOne, 1.5, Double.MAX_VALUE), 1e-12);
    }

    @Test
    void theVerdictFollowsTheNumbers() {
        assertEquals("Normalising cut the grid error 2.0-fold.", Approximation.verdict(0.2, 0.1));
        assertTrue(Approximation.verdict(0.1, 0.2).startsWith("Here normalising did not help"), Approximation.verdict(0.1, 0.2));
    }

    @Test
    void aLinearNeuronOutputsItsSumAndPassesTheGradientStraightBack() {
        Approximation.Neuron n = new Approximation.Neuron(new double[] {2, -1}, 0.5, Approximation.Activation.SIGMOID);
        Approximation.LinearNeuron linear = new Approximation.LinearNeuron(n);
        assertEquals(2 * 3 - 1 * 4 + 0.5, linear.forward(new double[] {3, 4}), 1e-15); // z itself, no squashing
        assertArrayEquals(new double[] {1.5 * 2, 1.5 * -1}, linear.backward(1.5), 1e-15); // dE/dx = dE/dy * w
        assertArrayEquals(new double[] {1.5 * 3, 1.5 * 4}, linear.weightGradients, 1e-15);
        assertEquals(1.5, linear.biasGradient, 1e-15);
    }

    @Test
    void heatMapIsAReadablePng(@TempDir Path dir) throws Exception {
        double[][] half = new double[40][40];
        for (int r = 0; r < 40; r++) for (int c = 0; c < 40; c++) half[r][c] = Approximation.TRUTH[r][c] / 2;
        Approximation.Run fake = new Approximation.Run(half, 0.5, 0);
        Approximation.out = dir;
        Path png = Approximation.savePng(Approximation.heatMaps(fake, fake, Lesson.DRAW.points).draw(), "approximation.png");
        assertEquals(dir.resolve("approximation.png"), png);
        LessonRun.assertPng(png, 1200, 460);
        assertEquals(new java.awt.Color(68, 1, 84), Approximation.HeatMaps.colour(0));
        assertEquals(new java.awt.Color(253, 231, 37), Approximation.HeatMaps.colour(1));
    }

    @Test
    void lessonRunsReproduciblyAndWritesItsPlot(@TempDir Path dir) throws Exception {
        Path pictures = dir.resolve("my pictures");
        LessonRun first = LessonRun.in(pictures, "Approximation"), second = LessonRun.of("Approximation");
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(first.out().contains("epoch  4000  total error"), first.out());
        assertTrue(first.out().contains("largest prediction on the grid: 0.99"), first.out());
        assertTrue(first.out().contains("above 1 at 26.0% of the points"), first.out());
        assertTrue(first.out().contains("the whole grid                           100%   0.05969   0.03724"), first.out());
        assertTrue(first.out().contains("Normalising cut the grid error 1.6-fold."), first.out());
        String plot = first.out().lines().filter(l -> l.startsWith("plot: ")).findFirst().orElseThrow().substring(6);
        assertEquals(pictures.resolve("05-approximation.png"), Path.of(plot));
        assertEquals(1200, ImageIO.read(Path.of(plot).toFile()).getWidth());
        assertEquals(first.out().replace(plot, "X"), second.out().replace(LessonRun.PICTURES.resolve("05-approximation.png").toString(), "X"));
    }

    @Test
    void exerciseOneRunsFromTheCommandLine() {
        LessonRun run = LessonRun.of("Approximation", "--exercise", "1");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("output: linear"), run.out());
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        for (String[] args : new String[][] {{"--bogus"}, {"--rate", "-Infinity"}, {"--epochs", "999999999999"}}) {
            LessonRun run = LessonRun.of("Approximation", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
    }

    /** --rate and --epochs reach both of the lesson's networks; the exercises keep the lesson's own settings. */
    @Test
    void rateAndEpochsReachTheLesson(@TempDir Path dir) {
        Approximation.out = dir; // what --out does: never the learner's out/
        String out;
        try {
            out = captured(() -> Approximation.lesson(42, 90, 0.5));
        } finally {
            Approximation.out = null;
        }
        assertTrue(out.contains("2. Raw targets: 90 epochs, learning rate 0.5, one sample at a time"), out);
        assertTrue(out.contains("after 90 epochs: total error"), out);
        assertEquals(2, out.lines().filter(l -> l.startsWith("   epoch    90  total error")).count(), out); // printed every 10
        assertFalse(out.contains("NaN"), out);
    }

    /** What a piece of the lesson prints, captured instead of shown. */
    static String captured(Runnable code) {
        return LessonRun.printed(code);
    }
}
