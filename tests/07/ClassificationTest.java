import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassificationTest {
    static final Path IRIS = Path.of("datasets", "iris.csv");

    static Classification.Experiment trained(long seed) {
        Classification.Experiment run = Classification.Experiment.prepare(Classification.readDataset(IRIS), new Random(seed));
        run.train(Classification.Experiment.EPOCHS, Classification.Experiment.LEARNING_RATE, 0);
        return run;
    }

    @Test
    void irisTestAccuracyByArgMaxIsAtLeast93PercentWithTheDefaultSeed() {
        Classification.Experiment run = trained(42);
        assertEquals(30, run.split().test().size());
        double accuracy = run.testAccuracy().byArgMax();
        assertTrue(accuracy >= 0.93, "test accuracy " + accuracy);
    }

    @Test
    void irisFileReadsAs150RowsOfThreeClasses() {
        Classification.Dataset iris = Classification.readDataset(IRIS);
        assertEquals(150, iris.size());
        assertArrayEquals(new String[] {"setosa", "versicolor", "virginica"}, iris.classNames());
        assertArrayEquals(new double[] {5.1, 3.5, 1.4, 0.2}, iris.features()[0], 0.0);
        assertEquals(2, iris.labels()[149]);
    }

    @Test
    void oneHotArgMaxAndTheTutorialsThresholdedTest() {
        assertArrayEquals(new double[] {0, 1, 0}, Classification.oneHot(1, 3), 0.0);
        assertEquals(2, Classification.argMax(new double[] {0.1, 0.3, 0.4}));
        assertTrue(Classification.thresholdedMatches(new double[] {0.1, 0.3, 0.6}, 2));
        assertFalse(Classification.thresholdedMatches(new double[] {0.1, 0.3, 0.4}, 2), "no output above 0.5");
        assertFalse(Classification.thresholdedMatches(new double[] {0.6, 0.1, 0.7}, 2), "two outputs above 0.5");
    }

    @Test
    void splitIsSeededDisjointAndCoversEveryRow() {
        Classification.Dataset data = numbered(10);
        Classification.Split a = Classification.split(data, new Random(5)), b = Classification.split(data, new Random(5));
        assertEquals(2, a.test().size());
        assertEquals(8, a.train().size());
        assertArrayEquals(a.test().features(), b.test().features());
        double[] all = Stream.concat(Arrays.stream(a.train().features()), Arrays.stream(a.test().features()))
                .mapToDouble(x -> x[0]).sorted().toArray();
        assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, all, 0.0);
        assertFalse(Arrays.deepEquals(a.test().features(), Classification.split(data, new Random(6)).test().features()));
    }

    /** Rows i = 0..n-1 with features [i, i^2], alternating between two classes. */
    static Classification.Dataset numbered(int n) {
        double[][] x = new double[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = new double[] {i, i * i};
            y[i] = i % 2;
        }
        return new Classification.Dataset("numbered", x, y, new String[] {"even", "odd"});
    }

    @Test
    void standardiserUsesTheTrainingRowsOnly() {
        Classification.Standardiser scaler = Classification.Standardiser.fit(new double[][] {{1}, {3}}, new String[] {"a"});
        assertArrayEquals(new double[] {2}, scaler.mean(), 1e-12);
        assertArrayEquals(new double[] {1}, scaler.std(), 1e-12); // population std, as scikit-learn's StandardScaler
        assertArrayEquals(new double[] {-1, 1, 8}, Arrays.stream(scaler.apply(new double[][] {{1}, {3}, {10}}))
                .mapToDouble(r -> r[0]).toArray(), 1e-12);
    }

    @Test
    void trainLowersTheTotalError() {
        Classification.NeuralNetwork net = Classification.NeuralNetwork.random(new int[] {2, 3, 2},
                Classification.Activation.SIGMOID, new Random(1));
        double[][] x = {{0, 1}, {1, 0}}, t = {{1, 0}, {0, 1}};
        double before = Classification.totalError(net, x, t);
        double[] history = Classification.train(net, x, t, 200, 0.5, 0); // history[e]: after e epochs
        assertEquals(201, history.length);
        assertEquals(before, history[0], 0.0); // history[0]: before training
        assertTrue(history[200] < before / 10, before + " -> " + history[200]);
        double[] o = net.forward(x[0]); // total error is sum (t - o)^2, with no 1/2
        assertEquals(Math.pow(1 - o[0], 2) + Math.pow(o[1], 2) + sumSquares(t[1], net.forward(x[1])), history[200], 1e-12);
    }

    static double sumSquares(double[] t, double[] o) {
        double sum = 0;
        for (int i = 0; i < t.length; i++) sum += (t[i] - o[i]) * (t[i] - o[i]);
        return sum;
    }

    @Test
    void confusionMatrixCountsEveryTestRowOnce() {
        Classification.Experiment run = trained(42);
        int[][] counts = Classification.confusionMatrix(run.network(), run.testX(), run.split().test().labels(), 3);
        int total = 0, diagonal = 0;
        for (int t = 0; t < 3; t++) {
            for (int p = 0; p < 3; p++) total += counts[t][p];
            diagonal += counts[t][t];
        }
        assertEquals(30, total);
        assertEquals(run.testAccuracy().byArgMax(), diagonal / 30.0, 1e-12);
    }

    @Test
    void chartsAreReadablePngs(@TempDir Path dir) throws Exception {
        Classification.Experiment run = Classification.Experiment.prepare(Classification.readDataset(IRIS), new Random(42));
        double[] history = run.train(50, Classification.Experiment.LEARNING_RATE, 0);
        Classification.out = dir;
        Classification.Chart loss = Classification.lossChart(history);
        assertEquals(Classification.Chart.Style.LINE, loss.series.get(0).style());
        LessonRun.assertPng(loss.save("loss.png"), 800, 500);
        Classification.Chart flowers = Classification.flowerChart(Classification.readDataset(IRIS), run);
        assertEquals(List.of("setosa", "versicolor", "virginica", "wrong, training row", "wrong, test row"), flowers.names);
        assertEquals(Classification.Chart.Style.DOTS, flowers.series.get(0).style());
        assertEquals(Classification.Chart.Style.RINGS, flowers.series.get(4).style());
        assertEquals(50, flowers.series.get(0).x().length); // every setosa, training and test rows alike
        LessonRun.assertPng(flowers.save("flowers.png"), 800, 500);
    }

    @TempDir
    static Path pictures;

    /** Runs main in this JVM (faster than a new one), its pictures going to a temporary folder, and returns what it printed. */
    static String mainOutput(String... args) {
        Classification.out = pictures;
        return LessonRun.printed(() -> Classification.main(args));
    }

    @Test
    void lessonRunsReproduciblyAndReportsBothAccuracies() {
        LessonRun run = LessonRun.in(pictures, "Classification");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(run.out(), mainOutput(), "same seed, same output");
        assertTrue(run.out().contains("plot: " + pictures.resolve("07-flowers.png")), run.out());
        assertTrue(run.out().contains("after 1,000 epochs: total error"), run.out());
        assertTrue(run.out().contains("every output right (tutorial)"), run.out());
        assertTrue(run.out().contains("   setosa  versicolor   virginica"), run.out());
        assertTrue(run.out().contains("07-flowers.png"), run.out());
        assertNotEquals(run.out(), mainOutput("--seed", "7"));
    }

    @Test
    void exercisesRun() {
        for (String n : new String[] {"1", "2", "3"}) {
            assertTrue(mainOutput("--exercise", n).startsWith("Exercise " + n));
        }
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        LessonRun run = LessonRun.of("Classification", "--exercise", "4");
        assertTrue(run.isCleanUserError(), "exit " + run.exitCode() + ": " + run.err());
        assertTrue(run.err().contains("--exercise takes a whole number from 0 to 3, not '4'"), run.err());
        run = LessonRun.of("Classification", "--exercise", "4294967297");
        assertTrue(run.isCleanUserError(), "exit " + run.exitCode() + ": " + run.err());
        for (String[] args : new String[][] {{"--bogus"}, {"--data"}, {"--seed"}}) {
            var e = assertThrows(Classification.UserError.class, () -> Classification.Flags.parse(args));
            assertTrue(e.getMessage().contains("usage:"), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- bad input

    static final List<String> IRIS_LINES = readIris();

    static List<String> readIris() {
        try {
            return Files.readAllLines(IRIS);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs the lesson on a file made from iris.csv with the given lines replaced; checks that it wrote no picture. */
    static LessonRun runOn(Path file, List<String> lines) throws IOException {
        if (lines != null) Files.write(file, lines);
        Path pictures = file.resolveSibling("pictures of " + file.getFileName());
        LessonRun run = LessonRun.in(pictures, "Classification", "--data", file.toString());
        assertFalse(Files.exists(pictures), "a failed run wrote a picture");
        assertTrue(run.isCleanUserError(), "exit " + run.exitCode() + ": " + run.err());
        return run;
    }

    static List<String> irisWith(int lineNumber, String replacement) {
        List<String> lines = new java.util.ArrayList<>(IRIS_LINES);
        lines.set(lineNumber - 1, replacement);
        return lines;
    }

    @Test
    void missingFileIsOneClearLine(@TempDir Path dir) throws IOException {
        LessonRun run = runOn(dir.resolve("no-such.csv"), null);
        assertTrue(run.err().contains("no-such.csv not found; check the name"), run.err());
    }

    @Test
    void nonNumericCellNamesFileLineAndColumn(@TempDir Path dir) throws IOException {
        LessonRun run = runOn(dir.resolve("iris.csv"), irisWith(21, "5.0,abc,1.4,0.2,0"));
        assertTrue(run.err().contains("iris.csv, line 21, column 2: 'abc' is not a number"), run.err());
    }

    @Test
    void rowsOfUnequalLengthAreRefused(@TempDir Path dir) throws IOException {
        LessonRun run = runOn(dir.resolve("short.csv"), irisWith(11, "5.0,3.4,1.4,0"));
        assertTrue(run.err().contains("line 11: 4 values, but line 2 has 5"), run.err());
    }

    @Test
    void tooFewRowsForTheSplitAreRefused(@TempDir Path dir) throws IOException {
        LessonRun run = runOn(dir.resolve("tiny.csv"), List.of("2,4,a,b", "1,2,3,4,0", "2,3,4,5,1"));
        assertTrue(run.err().contains("has 2 rows; an 80/20 split needs at least 3"), run.err());
    }

    @Test
    void constantFeatureIsRefusedInsteadOfBecomingNaN(@TempDir Path dir) throws IOException {
        List<String> lines = new java.util.ArrayList<>(IRIS_LINES.subList(0, 1));
        for (String row : IRIS_LINES.subList(1, IRIS_LINES.size())) {
            String[] cells = row.split(",");
            cells[2] = "1.0";
            lines.add(String.join(",", cells));
        }
        LessonRun run = runOn(dir.resolve("constant.csv"), lines);
        assertTrue(run.err().contains("feature 'petal length' (column 3) has the same value, 1.0, in every training row"), run.err());
        var e = assertThrows(Classification.UserError.class, () -> Classification.Standardiser.fit(
                new double[][] {{1, 2}, {1, 3}}, new String[] {"a", "b"}));
        assertTrue(e.getMessage().contains("'a' (column 1)"), e.getMessage());
    }

    /** The message readDataset gives for a copy of iris.csv with the given lines. */
    static String refusal(Path file, List<String> lines) throws IOException {
        Files.write(file, lines);
        return assertThrows(Classification.UserError.class, () -> Classification.readDataset(file)).getMessage();
    }

    @Test
    void headerAndClassIndexAreChecked(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("iris.csv");
        assertTrue(refusal(file, irisWith(1, "sepal,petal")).contains("line 1"));
        assertTrue(refusal(file, irisWith(1, "150,x,a,b,c")).contains("line 1: 'x' should be a whole number"));
        assertTrue(refusal(file, irisWith(5, "4.6,3.1,1.5,0.2,3"))
                .contains("line 5, column 5: class index '3' should be a whole number from 0 to 2"));
        assertTrue(refusal(file, irisWith(5, "4.6,3.1,1.5,0.2,0.5")).contains("class index '0.5'"));
        assertTrue(refusal(file, irisWith(5, "4.6,3.1,NaN,0.2,0")).contains("column 3: the value is not a finite number"));
        assertTrue(refusal(file, IRIS_LINES.subList(0, 100)).contains("the header says 150 rows but the file has 99"));
        assertTrue(refusal(file, List.of()).contains("holds no rows of numbers"));
        assertTrue(refusal(file, List.of("3,4,a,b", "1,2,3,0", "2,3,4,1", "3,4,5,0"))
                .contains("line 2 has 4 fields, expected 5 (4 features and the class index, as the header says)"));
    }

    /** The cases: each used to crash, print Infinity or pass unchecked; now one line names the file, line and column. */
    @Test
    void headerOnlyLabel200NaNAndAWideRowAreRefused(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("iris.csv");
        assertTrue(refusal(file, IRIS_LINES.subList(0, 1)).contains("iris.csv holds no rows of numbers"));
        assertTrue(refusal(file, irisWith(5, "4.6,3.1,1.5,0.2,200"))
                .contains("iris.csv, line 5, column 5: class index '200' should be a whole number from 0 to 2 (setosa, versicolor, virginica)"));
        assertTrue(refusal(file, irisWith(5, "4.6,3.1,1.5,0.2,0,7")).contains("iris.csv, line 5: 6 values, but line 2 has 5"));
        assertTrue(refusal(file, irisWith(7, "5.4e200,3.9,1.7,0.4,0")).contains("line 7, column 1: 5.4e200 is too large to square"));
        List<String> bom = new java.util.ArrayList<>(IRIS_LINES);
        bom.set(0, "\uFEFF" + bom.get(0));
        Files.write(file, bom);
        assertEquals(150, Classification.readDataset(file).size());
        if (Files.exists(Path.of("/dev/zero"))) { // endless: refused at once instead of filling the memory
            var e = assertThrows(Classification.UserError.class, () -> Classification.readDataset(Path.of("/dev/zero")));
            assertTrue(e.getMessage().contains("/dev/zero is not a regular file"), e.getMessage());
        }
    }

    @Test
    void rateAndEpochsReachTheLesson() {
        String out = mainOutput("--rate", "0.5", "--epochs", "40");
        assertTrue(out.contains("40 epochs, learning rate 0.5, one example at a time"), out);
        assertTrue(out.contains("after 40 epochs: total error"), out);
        for (String[] args : new String[][] {{"--rate", "1e400"}, {"--epochs", "0"}}) {
            LessonRun run = LessonRun.of("Classification", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + ": exit " + run.exitCode() + ": " + run.err());
        }
    }
}
