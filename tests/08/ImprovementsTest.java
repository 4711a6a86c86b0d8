import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImprovementsTest {
    static final Path IRIS = Improvements.courseDir().resolve("datasets").resolve("iris.csv");

    @BeforeAll
    static void readIris() {
        Improvements.readIris(IRIS);
    }

    static final Improvements.Training PLAIN = Improvements.Training.plain(Improvements.LEARNING_RATE);

    /** Epochs to the lesson's threshold; a run that never gets there counts as one epoch more than it had. */
    static int epochsToThreshold(Improvements.Training training, long seed) {
        Improvements.Result run = new Improvements.Recipe("test", Improvements.Init.UNIFORM, training)
                .run(seed, Improvements.EPOCHS, 0);
        int epochs = run.epochsTo(Improvements.THRESHOLD);
        return epochs > 0 ? epochs : Improvements.EPOCHS + 1;
    }

    @Test
    void momentumReachesTheThresholdInFewerEpochsThanPlainGradientDescent() {
        for (long seed = 42; seed < 42 + Improvements.SEEDS; seed++) {
            int plain = epochsToThreshold(PLAIN, seed);
            int momentum = epochsToThreshold(PLAIN.withMomentum(Improvements.MOMENTUM), seed);
            assertTrue(momentum < plain, "seed " + seed + ": momentum " + momentum + " epochs, plain " + plain);
        }
    }

    /** A 3-4-2 network fed inputs in the hundreds, so that its gradients are large. */
    static Improvements.NeuralNetwork bigGradients(Random rng) {
        return Improvements.NeuralNetwork.random(new int[] {3, 4, 2}, Improvements.Activation.TANH, Improvements.Init.UNIFORM, rng);
    }

    static double[] bigInput(Random rng) {
        return new double[] {300 * rng.nextGaussian(), 300 * rng.nextGaussian(), 300 * rng.nextGaussian()};
    }

    /** The largest change of any weight or bias made by one backpropagate step. */
    static double largestUpdate(Improvements.NeuralNetwork net, double[] x, double[] t, Improvements.Training training) {
        double[] before = net.parameters();
        net.backpropagate(x, t, training);
        double[] after = net.parameters();
        double largest = 0;
        for (int i = 0; i < before.length; i++) largest = Math.max(largest, Math.abs(after[i] - before[i]));
        return largest;
    }

    @Test
    void clippingBoundsEveryUpdate() {
        Random rng = new Random(3);
        Improvements.Training clipped = Improvements.Training.plain(0.5).withClip(0.1);
        Improvements.Training unclipped = Improvements.Training.plain(0.5);
        Improvements.NeuralNetwork a = bigGradients(new Random(4)), b = bigGradients(new Random(4));
        double largestUnclipped = 0;
        for (int step = 0; step < 50; step++) {
            double[] x = bigInput(rng), t = {rng.nextDouble(), rng.nextDouble()};
            double update = largestUpdate(a, x, t, clipped);
            assertTrue(update <= 0.5 * 0.1 + 1e-12, "step " + step + " moved a parameter by " + update);
            largestUnclipped = Math.max(largestUnclipped, largestUpdate(b, x, t, unclipped));
        }
        assertTrue(largestUnclipped > 10 * 0.5 * 0.1, "without clipping the test would prove nothing: " + largestUnclipped);
    }

    @Test
    void withMomentumEveryUpdateStaysWithinTheGeometricBound() {
        Random rng = new Random(5);
        Improvements.Training training = Improvements.Training.plain(0.5).withClip(0.1).withMomentum(0.9);
        assertEquals(0.5 * 0.1 / (1 - 0.9), training.largestStep(), 1e-12);
        Improvements.NeuralNetwork net = bigGradients(new Random(6));
        double largest = 0;
        for (int step = 0; step < 300; step++) {
            double[] x = {300, 300, 300}, t = {1, 1}; // the same push every step: the velocity builds up
            if (step % 50 == 49) x = bigInput(rng);
            largest = Math.max(largest, largestUpdate(net, x, t, training));
        }
        assertTrue(largest <= training.largestStep() + 1e-12, "an update of " + largest);
        assertTrue(largest > 0.5 * 0.1 * 2, "momentum should have built steps beyond one clipped step: " + largest);
    }

    @Test
    void eachInitialisersSampleVarianceMatchesItsFormula() {
        Random rng = new Random(7);
        for (Improvements.Init init : Improvements.Init.values()) {
            for (int[] fan : new int[][] {{4, 3}, {30, 10}, {200, 100}}) {
                double[] w = new double[100_000];
                for (int i = 0; i < w.length; i++) w[i] = init.weight(fan[0], fan[1], rng);
                double expected = init.variance(fan[0], fan[1]), actual = Improvements.sampleVariance(w);
                assertEquals(expected, actual, 0.03 * expected, init.label + " " + Arrays.toString(fan));
                assertEquals(0, Arrays.stream(w).average().orElseThrow(), 0.01 * Math.sqrt(expected), init.label + " mean");
            }
        }
        assertEquals(2.0 / 30, Improvements.Init.GLOROT.variance(20, 10), 1e-15);
        assertEquals(2.0 / 20, Improvements.Init.HE.variance(20, 10), 1e-15);
        assertEquals(1.0 / 20, Improvements.Init.LECUN.variance(20, 10), 1e-15);
        assertEquals(1.0 / 3, Improvements.Init.UNIFORM.variance(20, 10), 1e-15);
        assertEquals(Improvements.Init.HE.variance(20, 10), Improvements.Init.HE_UNIFORM.variance(20, 10), 1e-15);
    }

    /** The tutorial's "Xavier", U(-a, a) with a = sqrt(6/n_in), is He uniform; Glorot (Xavier) uses n_in + n_out. */
    @Test
    void initialisersAreNamedForWhatTheyDraw() {
        assertEquals("He uniform", Improvements.Init.HE_UNIFORM.label);
        assertEquals("Glorot uniform", Improvements.Init.GLOROT.label);
        assertEquals("He normal", Improvements.Init.HE.label);
        assertEquals("LeCun normal", Improvements.Init.LECUN.label);
        Random a = new Random(1), b = new Random(1);
        assertEquals(Math.sqrt(6.0 / 20) * (2 * b.nextDouble() - 1), Improvements.Init.HE_UNIFORM.weight(20, 10, a), 1e-15);
        for (Improvements.Init init : Improvements.Init.values()) assertFalse(init.label.contains("Xavier"), init.label);
    }

    @Test
    void networksDrawTheirWeightsWithTheirLayersFans() {
        for (Improvements.Init init : List.of(Improvements.Init.GLOROT, Improvements.Init.HE, Improvements.Init.LECUN)) {
            Improvements.NeuralNetwork net = Improvements.NeuralNetwork.random(new int[] {200, 100, 10},
                    Improvements.Activation.SIGMOID, init, new Random(8));
            double[] w = Arrays.stream(net.layers[0]).flatMapToDouble(n -> Arrays.stream(n.weights)).toArray();
            assertEquals(init.variance(200, 100), Improvements.sampleVariance(w), 0.05 * init.variance(200, 100), init.label);
            for (Improvements.Neuron[] layer : net.layers) for (Improvements.Neuron n : layer) assertEquals(0.0, n.bias, init.label);
        }
    }

    @Test
    void historyStartsBeforeTrainingAndCountsEpochsFromOne() {
        Improvements.Result run = Improvements.Recipe.PLAIN.run(42, 3, 0);
        assertEquals(4, run.history().length); // before training, then epochs 1, 2 and 3
        Improvements.Result fresh = Improvements.Recipe.PLAIN.run(42, 0, 0);
        assertEquals(fresh.history()[0], run.history()[0], 0.0);
        Improvements.Result sorted = new Improvements.Result(null, null, new double[] {9, 6, 4, 3});
        assertEquals(2, sorted.epochsTo(5)); // epoch 2 is the first below 5
        assertEquals(-1, sorted.epochsTo(1));
    }

    @Test
    void stallDetectorStopsTrainingAndKeepsTheBestWeights() {
        Improvements.Recipe impatient = new Improvements.Recipe("impatient", Improvements.Init.GLOROT,
                Improvements.Recipe.ALL.training().withPatience(10));
        Improvements.Result run = impatient.run(42, 5000, 0);
        assertTrue(run.history().length < 5000, "never stopped");
        double best = Arrays.stream(run.history()).min().orElseThrow();
        double now = Improvements.totalError(run.net(), run.data().trainX(), run.data().trainTargets());
        assertEquals(best, now, 1e-12, "the network left behind is not the best one seen");
    }

    @Test
    void stallDetectorStopsOnANonNumberAndSaysWhy() {
        Improvements.NeuralNetwork net = bigGradients(new Random(9));
        Improvements.StallDetector detector = new Improvements.StallDetector(0, net);
        assertFalse(detector.stopsAt(1, 5.0, net)); // epochs count from 1
        assertFalse(detector.stopsAt(2, 4.0, net));
        assertTrue(detector.stopsAt(3, Double.NaN, net));
        String reason = detector.reason(3);
        assertTrue(reason.contains("stopped after epoch 3") && reason.contains("no longer a number")
                && reason.contains("from epoch 2 (total error 4.0000)"), reason);
        Improvements.StallDetector patient = new Improvements.StallDetector(3, net);
        for (int epoch = 1; epoch <= 3; epoch++) assertFalse(patient.stopsAt(epoch, 10 - 0.001 * epoch, net));
        assertTrue(patient.stopsAt(4, 9.995, net), "three epochs of less than 1% progress after epoch 1");
        assertTrue(patient.reason(4).contains("below 9.9990 (epoch 1) for 3 epochs"), patient.reason(4));
    }

    @Test
    void sparklineDrawsTheLogOfTheValues() {
        String line = Improvements.sparkline(new double[] {1000, 100, 10, 1}, 4);
        assertEquals("\u2588\u2586\u2583\u2581", line); // equal steps in log: levels 7, 4.67, 2.33, 0 rounded
        assertEquals(60, Improvements.sparkline(new double[] {5, 4, 3}, 60).length());
        assertEquals("\u2581\u2581", Improvements.sparkline(new double[] {2, 2}, 2)); // flat stays at the bottom
    }

    @Test
    void lossChartIsAReadablePngOnBothScales(@TempDir Path dir) throws Exception {
        Improvements.Result plain = Improvements.Recipe.PLAIN.run(42, 50, 0), all = Improvements.Recipe.ALL.run(42, 50, 0);
        Improvements.out = dir;
        for (boolean log : new boolean[] {true, false}) {
            Improvements.Chart chart = Improvements.lossChart(new Improvements.Result[] {plain, all}, log);
            assertEquals(log, chart.logY);
            assertEquals(0.0, chart.series.get(0).x()[0]); // the first point is before training
            assertEquals(51, chart.series.get(1).x().length); // then epochs 1 to 50
            LessonRun.assertPng(chart.save("loss-" + log + ".png"), 800, 500);
        }
    }

    @TempDir
    static Path pictures;

    /** Runs main in this JVM (faster than a new one), its pictures going to a temporary folder, and returns what it printed. */
    static String mainOutput(String... args) {
        Improvements.out = pictures;
        return LessonRun.printed(() -> Improvements.main(args));
    }

    @Test
    void lessonRunsAndPrintsTheTableAndTheStops() {
        LessonRun run = LessonRun.of("Improvements");
        assertEquals(0, run.exitCode(), run.err());
        String out = run.out();
        List<String> stops = out.lines().filter(l -> l.contains("stopped after epoch")).toList();
        List<String> spans = out.lines().filter(l -> l.contains("total error from before training to epoch ")).toList();
        assertEquals(2, stops.size(), out);
        for (int k = 0; k < 2; k++) { // "stopped after epoch N" and "to epoch N" agree
            String n = stops.get(k).replaceAll(".*stopped after epoch (\\d+):.*", "$1");
            assertTrue(spans.get(k).endsWith("to epoch " + n + ", log scale:"), stops.get(k) + " / " + spans.get(k));
        }
        assertTrue(out.contains("so it is He uniform"), out);
        assertTrue(out.contains("   He uniform         U(-a, a), a = sqrt(6/n_in) "), out);
        assertFalse(out.contains("tutorial's Xavier"), out);
        assertEquals(2, out.lines().filter(l -> l.matches(" *[\u2581-\u2588]{60}")).count(), "two sparklines\n" + out);
        for (String row : new String[] {"plain gradient descent", "+ momentum 0.9", "- shuffling", "plain at learning rate 1.0"}) {
            assertTrue(out.contains("   " + row + " "), row + "\n" + out);
        }
        assertTrue(out.contains("plot: " + LessonRun.PICTURES.resolve("08-loss.png")), out);
    }

    @Test
    void exercisesRunAndRepeat() {
        for (String n : new String[] {"1", "2", "3"}) {
            String out = mainOutput("--exercise", n);
            assertTrue(out.startsWith("Exercise " + n), out);
            if (n.equals("2")) assertEquals(out, mainOutput("--exercise", n), "same seed, same output");
        }
    }

    /** The cases, which lesson 08 read with no checks at all: now each ends in one line, exit 2, nothing written. */
    @Test
    void brokenIrisFilesEndInOneLine(@TempDir Path dir) throws IOException {
        List<String> iris = Files.readAllLines(IRIS);
        Map<String, List<String>> cases = new LinkedHashMap<>();
        cases.put("header.csv holds no rows of numbers", iris.subList(0, 1));
        cases.put("label.csv, line 5, column 5: class index '200' should be a whole number from 0 to 2", with(iris, 5, "4.6,3.1,1.5,0.2,200"));
        cases.put("nan.csv, line 5, column 1: the value is not a finite number", with(iris, 5, "NaN,3.1,1.5,0.2,0"));
        cases.put("wide.csv, line 5: 6 values, but line 2 has 5", with(iris, 5, "4.6,3.1,1.5,0.2,0,7"));
        cases.put("five.csv has 5 features and 3 classes; this lesson's network is 4-4-3",
                List.of("3,5,a,b,c", "1,2,3,4,5,0", "2,3,4,5,6,1", "3,4,5,6,7,2"));
        cases.put("tiny.csv has 2 rows; an 80/20 split needs at least 3", List.of("2,4,a,b,c", "1,2,3,4,0", "2,3,4,5,1"));
        Path pictures = dir.resolve("pictures");
        for (var c : cases.entrySet()) {
            Path file = Files.write(dir.resolve(c.getKey().substring(0, c.getKey().indexOf(".csv") + 4)), c.getValue());
            LessonRun run = LessonRun.in(pictures, "Improvements", "--data", file.toString());
            assertTrue(run.isCleanUserError(), c.getKey() + ": exit " + run.exitCode() + ", " + run.err());
            assertTrue(run.err().contains(c.getKey()), "expected '" + c.getKey() + "' in: " + run.err());
            assertFalse(run.err().contains("NaN"), run.err());
        }
        assertFalse(Files.exists(pictures), "a failed run wrote a picture");
    }

    static List<String> with(List<String> lines, int lineNumber, String replacement) {
        List<String> copy = new ArrayList<>(lines);
        copy.set(lineNumber - 1, replacement);
        return copy;
    }

    /** --data takes any file in iris.csv's format: here its first 100 rows, two species, so 20 test rows. */
    @Test
    void dataFlagReadsAnotherFileOfTheSameFormat(@TempDir Path dir) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(IRIS).subList(0, 101));
        lines.set(0, "100,4,setosa,versicolor,virginica");
        Path file = Files.write(dir.resolve("hundred.csv"), lines);
        try {
            Improvements.readIris(file);
            assertEquals(100, Improvements.irisLabels.length);
            assertEquals(20, Improvements.Iris.testRows(100));
            Improvements.Iris split = Improvements.Iris.split(Improvements.irisFeatures, Improvements.irisLabels, new Random(1));
            assertEquals(80, split.trainX().length);
            assertEquals(20, split.testX().length);
        } finally {
            Improvements.readIris(IRIS);
        }
        assertEquals(30, Improvements.Iris.testRows(Improvements.irisLabels.length));
    }

    @Test
    void rateAndEpochsReachStepTwo() {
        String out = LessonRun.printed(() -> Improvements.plainAgainstAll(42, 50, 0.3));
        assertTrue(out.contains("learning rate 0.3, up to 50 epochs"), out);
        assertEquals(2, out.lines().filter(l -> l.contains("total error from before training to epoch 50,")).count(), out);
        for (String[] args : new String[][] {{"--rate", "NaN"}, {"--epochs", "4294967297"}}) {
            LessonRun run = LessonRun.of("Improvements", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + ": exit " + run.exitCode() + ": " + run.err());
        }
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        LessonRun run = LessonRun.of("Improvements", "--exercise", "4");
        assertTrue(run.isCleanUserError(), "exit " + run.exitCode() + ": " + run.err());
        for (String[] args : new String[][] {{"--seed", "x"}, {"--exercise", "1.5"}, {"--seed", "9223372036854775808"}}) {
            run = LessonRun.of("Improvements", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + ": exit " + run.exitCode() + ": " + run.err());
        }
        for (String[] args : new String[][] {{"--bogus"}, {"--seed"}}) {
            var e = assertThrows(Improvements.UserError.class, () -> Improvements.Flags.parse(args));
            assertTrue(e.getMessage().contains("usage:"), e.getMessage());
        }
    }
}
