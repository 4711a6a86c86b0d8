import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DigitsTest {
    static final Path DIGITS = Digits.courseDir().resolve("datasets").resolve("digits.csv.gz");

    @Test
    void readsAllDigitsWithTheirLabels() {
        Digits.Dataset data = Digits.readDigits(DIGITS);
        assertEquals(1797, data.size());
        int[] perDigit = new int[10];
        for (int label : data.labels()) perDigit[label]++;
        assertArrayEquals(new int[] {178, 182, 177, 183, 181, 182, 181, 179, 174, 180}, perDigit); // datasets/README.md
        assertEquals(5, data.x().get(0, 2), 0.0); // the first image's first row: 0 0 5 13 9 1 0 0
        assertEquals(13, data.x().get(0, 3), 0.0);
    }

    @Test
    void splitIsEightyTwentyAndOneHotHasOneOne() {
        Digits.Split split = Digits.split(Digits.readDigits(DIGITS), new Random(42));
        assertEquals(1437, split.train().size());
        assertEquals(360, split.test().size());
        Digits.Matrix t = split.train().oneHot();
        for (int r = 0; r < t.rows; r++) {
            double sum = 0;
            for (int c = 0; c < 10; c++) sum += t.get(r, c);
            assertEquals(1, sum, 0.0);
            assertEquals(1, t.get(r, split.train().labels()[r]), 0.0);
        }
    }

    @Test
    void shortRunReadsMoreThan85PercentOfTheTestDigits(@TempDir Path dir) throws Exception {
        Path pictures = dir.resolve("my pictures");
        LessonRun run = LessonRun.in(pictures, "Digits", "--epochs", "40");
        assertEquals(0, run.exitCode(), run.err());
        Matcher m = Pattern.compile("Test accuracy: ([0-9.]+)%").matcher(run.out());
        assertTrue(m.find(), run.out());
        assertTrue(Double.parseDouble(m.group(1)) > 85, "test accuracy " + m.group(1));
        assertTrue(run.out().contains("true\\read"), run.out());
        assertTrue(run.out().contains("read ") && run.out().contains(", is "), run.out());
        // epochs count from 1: the first line is epoch 1, the last epoch 40
        assertTrue(run.out().contains("epoch     1  MSE") && run.out().contains("epoch    40  MSE"), run.out());
        assertTrue(!run.out().contains("epoch     0"), run.out());
        List<String> plots = run.out().lines().filter(l -> l.startsWith("   plot: ")).map(l -> l.substring("   plot: ".length())).toList();
        assertEquals(List.of(pictures.resolve("10-test-digits.png").toString(), pictures.resolve("10-loss.png").toString()), plots);
        LessonRun.assertPng(pictures.resolve("10-test-digits.png"), 800, 500);
        LessonRun.assertPng(pictures.resolve("10-loss.png"), 800, 500);
    }

    @Test
    void theMistakesAreDescribedFromTheConfusionMatrix() {
        int[] labels = {9, 9, 9, 3, 1, 5}, predicted = {8, 8, 9, 5, 1, 5};
        String text = printed(() -> Digits.describeMistakes(Digits.confusion(predicted, labels)));
        assertTrue(text.contains("3 mistakes") && text.contains("2 of the 10 true digits") && text.contains("a 9 read as an 8, 2 times"), text);
        text = printed(() -> Digits.describeMistakes(Digits.confusion(new int[] {8, 8, 1, 1}, new int[] {9, 9, 7, 7})));
        assertTrue(text.contains("one of the 2 most frequent"), text);
        text = printed(() -> Digits.describeMistakes(Digits.confusion(new int[] {1, 2, 4}, new int[] {1, 3, 5})));
        assertTrue(text.contains("2 mistakes") && text.contains("no confusion happened twice"), text);
        text = printed(() -> Digits.describeMistakes(Digits.confusion(labels, labels)));
        assertTrue(text.contains("No mistakes"), text);
    }

    static String printed(Runnable code) {
        return LessonRun.printed(code);
    }

    @Test
    void confusionMatrixCountsEveryTestImageOnce() {
        int[] labels = {0, 1, 2, 2, 9}, predicted = {0, 7, 2, 3, 9};
        int[][] counts = Digits.confusion(predicted, labels);
        assertEquals(1, counts[1][7]);
        assertEquals(1, counts[2][3]);
        int total = 0;
        for (int[] row : counts) for (int c : row) total += c;
        assertEquals(labels.length, total);
        assertEquals(0.6, Digits.accuracy(predicted, labels), 1e-12);
        assertArrayEquals(new int[] {1, 3}, Digits.mistakes(predicted, labels));
    }

    @Test
    void inkGoesFromPaperToFullInk() {
        assertEquals("  ", Digits.ink(0));
        assertEquals("##", Digits.ink(16));
        assertNotEquals(Digits.ink(4), Digits.ink(12));
    }

    @Test
    void digitGridIsADrawingWithRedMistakes() {
        Digits.Dataset data = Digits.readDigits(DIGITS);
        int[] labels = java.util.Arrays.copyOf(data.labels(), 40), predicted = labels.clone();
        predicted[3] = (predicted[3] + 1) % 10; // one mistake
        BufferedImage image = new Digits.DigitGrid(data.x(), predicted, labels).draw();
        assertEquals(800, image.getWidth());
        assertEquals(500, image.getHeight());
        boolean red = false;
        for (int y = 0; y < image.getHeight() && !red; y++) {
            for (int x = 0; x < image.getWidth(); x++) red |= image.getRGB(x, y) == Digits.DigitGrid.WRONG.getRGB();
        }
        assertTrue(red, "the mistake is not marked in red");
    }

    @Test
    void sameSeedSameOutput() {
        String a = untimed(LessonRun.of("Digits", "--epochs", "3", "--seed", "7").out());
        assertEquals(a, untimed(LessonRun.of("Digits", "--epochs", "3", "--seed", "7").out()));
        assertNotEquals(a, untimed(LessonRun.of("Digits", "--epochs", "3", "--seed", "8").out()));
    }

    /** The output without its one line of times, which change from run to run. */
    static String untimed(String out) {
        List<String> timed = out.lines().filter(l -> l.startsWith("   trained in ")).toList();
        assertEquals(1, timed.size(), out);
        Matcher m = Pattern.compile("trained in ([0-9.]+) s .* about ([0-9.]+) s \\(([0-9.]+) times as long\\)").matcher(timed.get(0));
        assertTrue(m.find(), timed.get(0));
        assertTrue(Double.parseDouble(m.group(2)) > 0 && Double.parseDouble(m.group(3)) > 0, timed.get(0));
        return out.lines().filter(l -> !l.startsWith("   trained in ")).collect(Collectors.joining("\n"));
    }

    /** The first n lines of the course's digits file, after prefix, as a file of its own. */
    static Path firstLines(Path dir, int n, String prefix) throws Exception {
        List<String> lines;
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(DIGITS))) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().limit(n).toList();
        }
        return Files.writeString(dir.resolve(n + " rows.csv"), prefix + String.join("\n", lines) + "\n");
    }

    @Test
    void theLessonNeedsTwentySixImagesTheLeastThatFillsItsPrintouts(@TempDir Path dir) throws Exception {
        // 20 rows passed the old reader's check and then crashed in printDigits: the issue's reproduction
        for (int n : new int[] {1, 20, 25}) {
            Path file = firstLines(dir, n, "");
            var e = assertThrows(Digits.UserError.class, () -> Digits.readDigits(file));
            assertTrue(e.getMessage().contains("holds " + n + " image") && e.getMessage().contains("at least 26"), e.getMessage());
        }
        // 25 would leave 5 test images for step 5's six; 26 leaves 6, and 20 to train on fill a batch
        assertEquals(5, Digits.split(Digits.DIGITS.read(firstLines(dir, 25, "")), new Random(1)).test().size());
        Digits.Split split = Digits.split(Digits.readDigits(firstLines(dir, Digits.MIN_IMAGES, "")), new Random(1));
        assertEquals(6, split.test().size());
        assertTrue(split.train().size() >= Digits.BATCH);
        LessonRun run = LessonRun.of("Digits", "--data", firstLines(dir, 26, "").toString(), "--epochs", "2");
        assertEquals(0, run.exitCode(), run.err());
        String step5 = run.out().substring(run.out().indexOf("5. The first test images"));
        assertEquals(6, step5.lines().skip(1).findFirst().orElseThrow().split("read ").length - 1, step5);
    }

    @Test
    void aByteOrderMarkIsSkippedAndBadCellsAreNamedByLineAndColumn(@TempDir Path dir) throws Exception {
        Digits.Dataset data = Digits.readDigits(firstLines(dir, 30, "\uFEFF"));
        assertEquals(30, data.size());
        assertEquals(0, data.x().get(0, 0), 0.0);
        assertEquals(5, data.x().get(0, 2), 0.0);
        List<String> good = Files.readAllLines(firstLines(dir, 30, ""));
        String[][] cases = { // line 3 gets a new first cell (or label), and the message must say
            {"NaN", "column 1: the value is not a finite number"}, {"-Infinity", "column 1: the value is not a finite number"},
            {"1e200", "column 1: '1e200' should be a whole number from 0 to 16"}, {"2.5", "column 1: '2.5' should be"},
            {"17", "column 1: '17' should be"}, {"-1", "column 1: '-1' should be"}, {"", "column 1: the cell is empty"},
            {"label 10", "column 65: '10' should be a whole number from 0 to 9"}};
        for (String[] c : cases) {
            List<String> lines = new java.util.ArrayList<>(good);
            String line = lines.get(2);
            lines.set(2, c[0].startsWith("label ") ? line.substring(0, line.lastIndexOf(',') + 1) + c[0].substring(6)
                    : c[0] + line.substring(line.indexOf(',')));
            Path file = Files.write(dir.resolve("bad.csv"), lines);
            var e = assertThrows(Digits.UserError.class, () -> Digits.readDigits(file), c[0]);
            assertTrue(e.getMessage().contains("bad.csv line 3, " + c[1]), e.getMessage());
            assertTrue(!e.getMessage().contains("NaN") && !e.getMessage().contains("Infinity"), e.getMessage());
        }
    }

    @Test
    void aRateThatIsTooLargeForTheSigmoidsIsCalledSo() {
        // the sigmoid outputs keep the MSE below 1 at any rate: too large a rate flattens them, it never prints NaN
        LessonRun run = LessonRun.of("Digits", "--rate", "50", "--epochs", "3");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("learning rate 50.0") && run.out().contains("Try a smaller --rate"), run.out());
        assertTrue(!run.out().contains("NaN") && !run.out().contains("Infinity"), run.out());
        run = LessonRun.of("Digits", "--rate", "0.1", "--epochs", "3");
        assertTrue(run.out().contains("learning rate 0.1,") && !run.out().contains("--rate"), run.out());
    }

    @Test
    void missingOrMalformedDataIsAOneLineError(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "0,".repeat(64) + "3\n" + "0,".repeat(63) + "17,3\n"); // line 2 has a pixel of 17
        Path short_ = dir.resolve("short.csv");
        Files.writeString(short_, "1,2,3\n");
        String[][] cases = {{"--data", dir.resolve("missing.csv.gz").toString()}, {"--data", bad.toString()}, {"--data", short_.toString()},
            {"--data", firstLines(dir, 20, "").toString()}, {"--data", "/dev/zero"}};
        for (String[] args : cases) {
            if (!Files.exists(Path.of(args[1])) && args[1].startsWith("/dev")) continue;
            LessonRun run = LessonRun.of("Digits", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
        assertTrue(LessonRun.of("Digits", "--data", bad.toString()).err().contains("line 2, column 64: '17'"));
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        for (String[] args : new String[][] {{"--epochs", "4294967297"}, {"--rate", "NaN"},
            {"--rate", "1", "--exercise", "1"}, {"--epochs", "5", "--exercise", "2"}}) {
            LessonRun run = LessonRun.of("Digits", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
    }
}
