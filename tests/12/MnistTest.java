import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistTest {
    static Mnist.Dataset train, test;

    @BeforeAll
    static void loadTheCoursesMnist() {
        Path dir = Mnist.courseDir().resolve("datasets").resolve("mnist");
        train = Mnist.load(dir, "train", 8000, 1, Mnist.TO_TRAIN);
        test = Mnist.load(dir, "t10k", Integer.MAX_VALUE, Mnist.SHOWN, Mnist.TO_TEST);
    }

    // ------------------------------------------------------------ IDX files written by the test

    /** An IDX file: magic number, dimensions (big-endian ints), then the bytes; gzipped if asked. */
    static void writeIdx(Path file, int magic, int[] dims, byte[] data, boolean gzip) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(4 + 4 * dims.length).putInt(magic);
        for (int d : dims) header.putInt(d);
        try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            out.write(header.array());
            out.write(data);
        }
    }

    /** count random 28x28 images with labels 0-9, as split-images-idx3-ubyte and split-labels-idx1-ubyte. */
    static void writeSplit(Path dir, String split, int count, boolean gzip, Random rng) throws IOException {
        byte[] pixels = new byte[count * 784], labels = new byte[count];
        rng.nextBytes(pixels);
        for (int i = 0; i < count; i++) labels[i] = (byte) rng.nextInt(10);
        String ending = gzip ? ".gz" : "";
        writeIdx(dir.resolve(split + "-images-idx3-ubyte" + ending), 0x803, new int[] {count, 28, 28}, pixels, gzip);
        writeIdx(dir.resolve(split + "-labels-idx1-ubyte" + ending), 0x801, new int[] {count}, labels, gzip);
    }

    @Test
    void idxReaderRoundTripsPlainAndGzippedFiles(@TempDir Path dir) throws IOException {
        for (boolean gzip : new boolean[] {false, true}) {
            Path sub = Files.createDirectory(dir.resolve("gzip-" + gzip));
            byte[] pixels = new byte[3 * 784];
            new Random(5).nextBytes(pixels);
            byte[] labels = {7, 0, 9};
            String ending = gzip ? ".gz" : "";
            writeIdx(sub.resolve("train-images-idx3-ubyte" + ending), 0x803, new int[] {3, 28, 28}, pixels, gzip);
            writeIdx(sub.resolve("train-labels-idx1-ubyte" + ending), 0x801, new int[] {3}, labels, gzip);
            Mnist.Dataset data = Mnist.load(sub, "train", 10, 1, Mnist.TO_TRAIN);
            assertArrayEquals(new int[] {7, 0, 9}, data.labels());
            for (int i = 0; i < pixels.length; i++) {
                assertEquals((pixels[i] & 0xFF) / 255.0, data.x().data()[i], 0.0, "pixel " + i);
            }
            assertEquals(2, Mnist.load(sub, "train", 2, 1, Mnist.TO_TRAIN).size()); // limit keeps the first images
        }
    }

    @Test
    void courseDataHasTheDocumentedSizes() {
        assertEquals(8000, train.size());
        assertEquals(2000, test.size());
        assertEquals(784, train.x().cols());
        int[] counts = new int[10];
        for (int label : test.labels()) counts[label]++;
        assertArrayEquals(new int[] {196, 210, 188, 213, 209, 185, 200, 197, 203, 199}, counts); // datasets/README.md
    }

    /** Writes both splits into dir, lets damage spoil one file, and runs the lesson on it. */
    interface Damage {
        void apply(Path dir) throws IOException;
    }

    static LessonRun runOnDamaged(Path dir, Damage damage) throws IOException {
        writeSplit(dir, "train", 20, true, new Random(1));
        writeSplit(dir, "t10k", 10, false, new Random(2));
        damage.apply(dir);
        return LessonRun.of("Mnist", "--data-dir", dir.toString());
    }

    static void assertCleanError(LessonRun run, String... words) {
        assertTrue(run.isCleanUserError(), "exit " + run.exitCode() + ": " + run.err());
        for (String word : words) assertTrue(run.err().contains(word), "'" + word + "' missing from: " + run.err());
    }

    @Test
    void wrongMagicNumberIsAOneLineError(@TempDir Path dir) throws IOException {
        LessonRun run = runOnDamaged(dir, d -> writeIdx(d.resolve("t10k-images-idx3-ubyte"), 0x801,
                new int[] {10, 28, 28}, new byte[10 * 784], false));
        assertCleanError(run, "t10k-images-idx3-ubyte", "magic number 0x00000801", "0x00000803");
    }

    @Test
    void truncatedFilesAreOneLineErrors(@TempDir Path dir) throws IOException {
        Path plain = Files.createDirectory(dir.resolve("plain"));
        LessonRun cut = runOnDamaged(plain, d -> {
            Path f = d.resolve("t10k-images-idx3-ubyte");
            byte[] bytes = Files.readAllBytes(f);
            Files.write(f, Arrays.copyOf(bytes, bytes.length - 100));
        });
        assertCleanError(cut, "t10k-images-idx3-ubyte", "truncated", "7840", "7740");

        Path gzip = Files.createDirectory(dir.resolve("gzip"));
        LessonRun cutGzip = runOnDamaged(gzip, d -> {
            Path f = d.resolve("train-images-idx3-ubyte.gz");
            byte[] bytes = Files.readAllBytes(f);
            Files.write(f, Arrays.copyOf(bytes, bytes.length / 2));
        });
        assertCleanError(cutGzip, "train-images-idx3-ubyte.gz", "truncated");
    }

    @Test
    void imagesAndLabelsOfDifferentCountsAreAOneLineError(@TempDir Path dir) throws IOException {
        LessonRun run = runOnDamaged(dir, d -> writeIdx(d.resolve("t10k-labels-idx1-ubyte"), 0x801,
                new int[] {9}, new byte[9], false));
        assertCleanError(run, "10 images", "9 labels");
    }

    @Test
    void labelOutsideZeroToNineIsAOneLineError(@TempDir Path dir) throws IOException {
        byte[] labels = new byte[10];
        labels[4] = 12;
        LessonRun run = runOnDamaged(dir, d -> writeIdx(d.resolve("t10k-labels-idx1-ubyte"), 0x801,
                new int[] {10}, labels, false));
        assertCleanError(run, "label 12", "image 4", "0-9");
    }

    @Test
    void dataDirWithoutTheFilesNamesTheMissingOne(@TempDir Path dir) throws IOException {
        LessonRun run = runOnDamaged(dir, d -> Files.delete(d.resolve("train-labels-idx1-ubyte.gz")));
        assertCleanError(run, "train-labels-idx1-ubyte", "--data-dir", "t10k-images-idx3-ubyte");
        assertCleanError(LessonRun.of("Mnist", "--data-dir", dir.resolve("nowhere").toString()), "not a folder");
    }

    /** Loads dir's train split (or t10k) through the lesson's reader and returns the one-line message it refuses with. */
    static String refusal(Path dir, String split, int minimum) {
        return assertThrows(Mnist.UserError.class, () -> Mnist.load(dir, split, 8000, minimum, Mnist.TO_TRAIN)).getMessage();
    }

    @Test
    void headersAreCheckedBeforeAnythingIsAllocated(@TempDir Path dir) throws IOException {
        writeSplit(dir, "train", 20, true, new Random(1));
        // 3,000,000 images of 28x28 would be 2,352,000,000 bytes, more than 2 GiB: refused from the header alone,
        // though the file holds 784 bytes (a 10 MB .gz of zeros can unzip to that many: this is the case)
        writeIdx(dir.resolve("train-images-idx3-ubyte.gz"), 0x803, new int[] {3_000_000, 28, 28}, new byte[784], true);
        String huge = refusal(dir, "train", 1);
        assertTrue(huge.contains("3000000 items of 784 bytes") && huge.contains("2 GiB"), huge);
        // 2,000,000 images (1.5 GB, under the cap) in a gzip of 784 bytes: refused as truncated, nothing set aside for them
        writeIdx(dir.resolve("train-images-idx3-ubyte.gz"), 0x803, new int[] {2_000_000, 28, 28}, new byte[784], true);
        writeIdx(dir.resolve("train-labels-idx1-ubyte.gz"), 0x801, new int[] {2_000_000}, new byte[2_000_000], true);
        String short_ = refusal(dir, "train", 1);
        assertTrue(short_.contains("truncated") && short_.contains("promises 1568000000 bytes") && short_.contains("holds 784"), short_);
        // a label file that announces 20 labels but holds 25: more data than its header says
        writeSplit(dir, "train", 20, true, new Random(1));
        writeIdx(dir.resolve("train-labels-idx1-ubyte.gz"), 0x801, new int[] {20}, new byte[25], true);
        String longer = refusal(dir, "train", 1);
        assertTrue(longer.contains("train-labels-idx1-ubyte.gz holds more data than the 20 bytes"), longer);
        // images of another size
        writeIdx(dir.resolve("train-images-idx3-ubyte.gz"), 0x803, new int[] {20, 2000, 2000}, new byte[100], true);
        String shape = refusal(dir, "train", 1);
        assertTrue(shape.contains("holds 2000x2000 images; this network reads 28x28"), shape);
        // a folder where a file should be
        Files.delete(dir.resolve("train-images-idx3-ubyte.gz"));
        Files.createDirectory(dir.resolve("train-images-idx3-ubyte.gz"));
        assertTrue(refusal(dir, "train", 1).contains("is not a file but a folder"), refusal(dir, "train", 1));
    }

    @Test
    void tooFewImagesNameTheMinimum(@TempDir Path dir) throws IOException {
        writeSplit(dir, "train", 0, false, new Random(1));
        writeSplit(dir, "t10k", 2, false, new Random(2));
        String noTraining = refusal(dir, "train", 1);
        assertTrue(noTraining.endsWith("train-images-idx3-ubyte holds 0 images; the lesson needs at least 1 to train on"), noTraining);
        var fewTests = assertThrows(Mnist.UserError.class, () -> Mnist.load(dir, "t10k", 100, Mnist.SHOWN, Mnist.TO_TEST));
        assertTrue(fewTests.getMessage().endsWith("t10k-images-idx3-ubyte holds 2 images; the lesson needs at least 3 to test on"
                + " (it prints the outputs for the first 3)"), fewTests.getMessage());
        assertEquals(2, Mnist.load(dir, "t10k", 100, 2, Mnist.TO_TEST).size()); // where 2 are enough, 2 load
        // end to end: both used to crash or print nonsense (an ArrayIndexOutOfBoundsException, "0/0 = NaN%")
        assertCleanError(LessonRun.of("Mnist", "--data-dir", dir.toString()), "0 images", "at least 1 to train on");
        writeSplit(dir, "train", 20, false, new Random(1));
        assertCleanError(LessonRun.of("Mnist", "--data-dir", dir.toString()), "2 images", "at least 3");
        writeSplit(dir, "t10k", 0, false, new Random(2));
        assertCleanError(LessonRun.of("Mnist", "--data-dir", dir.toString(), "--exercise", "3"), "0 images", "at least 1 to test on");
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        for (String[] args : new String[][] {{"--train", "4294967297"}, {"--rate", "1e400"},
                {"--epochs", "0.5"}}) {
            LessonRun run = LessonRun.of("Mnist", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
    }

    // ------------------------------------------------------------ the network

    static Mnist.Matrix gaussian(int rows, int cols, Random rng) {
        Mnist.Matrix m = new Mnist.Matrix(rows, cols);
        for (int i = 0; i < m.size(); i++) m.data()[i] = rng.nextGaussian();
        return m;
    }

    /** Lesson 11's gradient check, carried unchanged, on stacks ending in either loss. */
    @Test
    void backwardMatchesFiniteDifferencesWithEitherLoss() {
        Random rng = new Random(11);
        for (int trial = 0; trial < 30; trial++) {
            int batch = 1 + rng.nextInt(5), inputs = 1 + rng.nextInt(6), depth = 1 + rng.nextInt(3);
            boolean mse = trial % 2 == 0;
            Mnist.Network net = new Mnist.Network();
            int width = inputs;
            for (int d = 0; d < depth; d++) {
                int next = 1 + rng.nextInt(6);
                net.add(Mnist.glorotUniform(width, next, rng));
                if (d < depth - 1 || mse) net.add(new Mnist.ActivationLayer(Mnist.Activation.TANH));
                width = next;
            }
            net.use(mse ? new Mnist.MeanSquaredError() : new Mnist.SoftmaxCrossEntropy());
            Mnist.Matrix y = new Mnist.Matrix(batch, width);
            for (int r = 0; r < batch; r++) y.data()[r * width + rng.nextInt(width)] = 1; // one-hot targets
            double error = Mnist.gradientCheck(net, gaussian(batch, inputs, rng), y);
            assertTrue(error < 1e-6, "trial " + trial + ": max relative error " + error);
        }
    }

    @Test
    void glorotUniformStaysWithinItsLimitWithZeroBiases() {
        Mnist.Dense dense = Mnist.glorotUniform(784, 100, new Random(1));
        double limit = Math.sqrt(6.0 / (784 + 100)), largest = 0;
        for (double w : dense.weights.data()) largest = Math.max(largest, Math.abs(w));
        assertTrue(largest <= limit && largest > 0.99 * limit, largest + " against " + limit);
        assertArrayEquals(new double[100], dense.bias.data(), 0.0);
        Mnist.Dense tutorial = new Mnist.Dense(784, 100, new Random(1)); // the tutorial's start: [-0.5, 0.5)
        double spread = 0;
        for (double w : tutorial.weights.data()) spread = Math.max(spread, Math.abs(w));
        assertTrue(spread <= 0.5 && spread > 0.49, "tutorial's start reaches " + spread);
    }

    @Test
    void skippingBlankPixelsGivesTheSameNumbers() {
        Random rng = new Random(4);
        Mnist.Matrix w = gaussian(784, 10, rng);
        Mnist.Matrix digits = train.rows(Mnist.firstIndices(8)).x();
        assertArrayEquals(Mnist.multiplyEveryEntry(digits, w).data(), digits.multiply(w).data(), 0.0);
    }

    @Test
    void softmaxCrossEntropyMatchesItsDefinition() {
        Mnist.Matrix scores = new Mnist.Matrix(1, 3, new double[] {1, 2, 3});
        Mnist.Matrix target = new Mnist.Matrix(1, 3, new double[] {0, 0, 1});
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertEquals(-Math.log(Math.exp(3) / z), new Mnist.SoftmaxCrossEntropy().loss(scores, target), 1e-12);
        assertArrayEquals(new double[] {Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z - 1},
                new Mnist.SoftmaxCrossEntropy().gradient(scores, target).data(), 1e-12); // p - t, for a batch of one
        Mnist.Matrix huge = new Mnist.Matrix(1, 2, new double[] {1000, 0}); // e^1000 would overflow
        assertEquals(1.0, Mnist.SoftmaxCrossEntropy.softmax(huge).data()[0], 1e-12);
    }

    static double crossEntropy(int trueClass, double... scores) {
        Mnist.Matrix target = new Mnist.Matrix(1, scores.length);
        target.data()[trueClass] = 1;
        return new Mnist.SoftmaxCrossEntropy().loss(new Mnist.Matrix(1, scores.length, scores), target);
    }

    static double[] gradient(int trueClass, double... scores) {
        Mnist.Matrix target = new Mnist.Matrix(1, scores.length);
        target.data()[trueClass] = 1;
        return new Mnist.SoftmaxCrossEntropy().gradient(new Mnist.Matrix(1, scores.length, scores), target).data();
    }

    @Test
    void crossEntropyIsExactAtExtremeScores() {
        // E = -ln p_c = ln(sum_k e^(s_k)) - s_c = max + ln(sum_k e^(s_k - max)) - s_c.
        // e^-800 and e^-1e4 are far below the smallest double (about e^-744.4): 1 + e^-800 is 1, its ln 0.
        // [0, 800], true class 0: E = 800 + ln(1 + e^-800) - 0 = 800 (p_0 = e^-800 itself underflows to 0,
        // and -ln 0 = Infinity was the old answer)
        assertEquals(800.0, crossEntropy(0, 0, 800), 0.0);
        assertEquals(0.0, crossEntropy(1, 0, 800), 0.0);       // E = 800 + ln(1 + e^-800) - 800 = 0
        assertEquals(1600.0, crossEntropy(0, -800, 800), 0.0); // E = 800 - (-800)
        assertEquals(0.0, crossEntropy(0, 800, -800), 0.0);    // E = ln(1 + e^-1600) = 0
        assertEquals(1e4, crossEntropy(0, 0, 1e4), 0.0);       // E = 1e4 + ln(1 + e^-1e4) - 0
        assertEquals(2e4, crossEntropy(0, -1e4, 1e4), 0.0);
        assertEquals(0.0, crossEntropy(0, 1e4, -1e4), 0.0);
        // ten equal scores of 1e4: E = 1e4 + ln(10 e^0) - 1e4 = ln 10 = 2.302585092994046
        double[] ten = new double[10];
        Arrays.fill(ten, 1e4);
        assertEquals(2.302585092994046, crossEntropy(3, ten), 1e-15);
        // [1e4, 1e4 - 1], true class 1: E = 1e4 + ln(1 + e^-1) - (1e4 - 1) = 1 + ln(1.3678794411714423)
        // = 1 + 0.31326168751822286 = ln(1 + e) = 1.3132616875182228, as for the scores [1, 0]
        assertEquals(1.3132616875182228, crossEntropy(1, 1e4, 1e4 - 1), 1e-15);
        assertEquals(1.3132616875182228, crossEntropy(1, -1e4, -1e4 - 1), 1e-15);
        // a batch of two: the mean of 800 and 0
        Mnist.Matrix batch = new Mnist.Matrix(2, 2, new double[] {0, 800, 800, 0});
        Mnist.Matrix targets = new Mnist.Matrix(2, 2, new double[] {1, 0, 1, 0});
        assertEquals(400.0, new Mnist.SoftmaxCrossEntropy().loss(batch, targets), 0.0);

        // dE/ds = p - t: [0, 800] gives p = [e^-800, 1] = [0, 1], so [0 - 1, 1 - 0]; finite and right
        assertArrayEquals(new double[] {-1, 1}, gradient(0, 0, 800), 0.0);
        assertArrayEquals(new double[] {0, 0}, gradient(1, 0, 800), 0.0);
        assertArrayEquals(new double[] {1, -1}, gradient(1, 1e4, -1e4), 0.0);
        assertArrayEquals(new double[] {0.1 - 1, 0.1, 0.1}, Arrays.copyOf(gradient(0, ten), 3), 1e-15);
        // and it is the slope of E there: central differences at scores near 800 (h = 1e-4)
        double[] s = {800, 801, 799.5};
        double[] analytic = gradient(2, s);
        for (int j = 0; j < 3; j++) {
            double[] up = s.clone(), down = s.clone();
            up[j] += 1e-4;
            down[j] -= 1e-4;
            double numeric = (crossEntropy(2, up) - crossEntropy(2, down)) / 2e-4;
            assertEquals(numeric, analytic[j], 1e-6, "dE/ds_" + j);
        }
    }

    @Test
    void infiniteScoresGiveNoNaN() {
        double inf = Double.POSITIVE_INFINITY;
        // the infinite scores share all the probability: a true class alone at +Infinity has p = 1, E = 0;
        // a wrong class at +Infinity leaves p = 0 for the true one, E = +Infinity (and training then stops)
        assertEquals(0.0, crossEntropy(0, inf, 0, 5), 0.0);
        assertEquals(inf, crossEntropy(0, 0, inf, 5), 0.0);
        assertEquals(Math.log(2), crossEntropy(0, inf, inf, 5), 1e-15); // two at +Infinity: p = 1/2 each
        assertEquals(inf, crossEntropy(0, -inf, 0), 0.0);              // e^-Infinity = 0: p = 0, E = Infinity
        assertEquals(0.0, crossEntropy(1, -inf, 0), 0.0);
        assertEquals(Math.log(2), crossEntropy(0, -inf, -inf), 1e-15);  // all at -Infinity: no score stands out
        assertArrayEquals(new double[] {0, 0, 0}, gradient(0, inf, 0, 5), 0.0);
        assertArrayEquals(new double[] {-1, 1, 0}, gradient(0, 0, inf, 5), 0.0);
        assertArrayEquals(new double[] {0.5, -0.5}, gradient(1, -inf, -inf), 0.0);
    }

    @Test
    void anInfiniteWrongScoreStopsTrainingInOneLine() {
        // one Dense layer whose bias gives class 1 the score +Infinity, on images none of which is a 1
        int[] notOnes = java.util.stream.IntStream.range(0, 200).filter(i -> train.labels()[i] != 1).limit(40).toArray();
        Mnist.Dataset few = train.rows(notOnes);
        Mnist.Network net = new Mnist.Network();
        Mnist.Dense dense = Mnist.glorotUniform(784, 10, new Random(1));
        dense.bias.data()[1] = Double.POSITIVE_INFINITY;
        net.add(dense);
        net.use(new Mnist.SoftmaxCrossEntropy());
        var e = assertThrows(Mnist.UserError.class, () -> quietly(() -> Mnist.train(net, few, 3, 8, 0.1, new Random(2), b -> b)));
        assertEquals("the loss became Infinity at epoch 1: the learning rate 0.1 is too large; try 0.01", e.getMessage());
    }

    @Test
    void theTutorialsRunNamesTheEpochItStoppedIn() {
        // a linear network (one Dense layer, MSE, no tanh) one image at a time at the tutorial's rate 0.1,
        // on digits three times as dark: a step moves each output by about 0.1 * 2/10 * |x|^2 times its
        // error, and |x|^2 is about 9 * 100, so every step overshoots about 17-fold and the error grows
        // until it is no longer a number
        Mnist.Dataset digits = train.rows(Mnist.firstIndices(50));
        Mnist.Dataset few = new Mnist.Dataset(digits.x().scale(3), digits.labels(), 10);
        Mnist.Network net = new Mnist.Network();
        net.add(Mnist.glorotUniform(784, 10, new Random(3)));
        net.use(new Mnist.MeanSquaredError());
        Mnist.UserError[] stop = new Mnist.UserError[1];
        String out = quietly(() -> stop[0] = assertThrows(Mnist.UserError.class, () -> Mnist.fitTheTutorialsWay(net, few, 1000)));
        long printed = out.lines().filter(l -> l.startsWith("epoch ")).count();
        assertTrue(printed > 0 && !out.contains("NaN") && !out.contains("Infinity"), out);
        assertTrue(stop[0].getMessage().matches("the loss became (Infinity|undefined) at epoch " + (printed + 1)
                + ": the learning rate 0.1 is too large; try 0.01"), printed + " epochs printed, then: " + stop[0].getMessage());
    }

    @Test
    void shiftMovesEachImageByAtMostOnePixel() {
        Mnist.Matrix batch = new Mnist.Matrix(200, 784);
        for (int r = 0; r < 200; r++) batch.data()[r * 784 + 14 * 28 + 14] = 1; // one ink pixel in the middle
        Mnist.Matrix moved = Mnist.shifted(batch, new Random(6));
        int[] seen = new int[9];
        for (int r = 0; r < 200; r++) {
            int ink = -1, count = 0;
            for (int i = 0; i < 784; i++) if (moved.data()[r * 784 + i] != 0) { ink = i; count++; }
            assertEquals(1, count, "image " + r);
            int dy = ink / 28 - 14, dx = ink % 28 - 14;
            assertTrue(Math.abs(dx) <= 1 && Math.abs(dy) <= 1, "moved by " + dx + ", " + dy);
            seen[(dy + 1) * 3 + dx + 1]++;
        }
        for (int s : seen) assertTrue(s > 0, "all nine moves happen: " + Arrays.toString(seen));
        assertEquals(1.0, batch.data()[14 * 28 + 14]); // the original is untouched
    }

    /** Runs train with System.out captured; returns what it printed. */
    static String quietly(Runnable training) {
        return LessonRun.printed(training);
    }

    /** The whole pipeline in seconds: a few hundred images, a few epochs, better than 80% held out. */
    @Test
    void shortRunBeatsEightyPercentHeldOut() {
        Random rng = new Random(42);
        Mnist.Dataset few = train.rows(Mnist.firstIndices(500));
        Mnist.Network net = Mnist.network(Mnist::glorotUniform, new Mnist.SoftmaxCrossEntropy(), rng);
        assertEquals(5, net.layers.size()); // Dense, tanh, Dense, tanh, Dense: the loss takes the raw scores
        double[][] errors = new double[1][];
        quietly(() -> errors[0] = Mnist.train(net, few, 5, Mnist.BATCH, Mnist.RATE, rng, batch -> Mnist.shifted(batch, rng)));
        assertTrue(errors[0][4] < errors[0][0], Arrays.toString(errors[0]));
        double accuracy = (double) Mnist.correct(Mnist.classify(net, test.x()), test.labels()) / test.size();
        assertTrue(accuracy > 0.80, "held-out accuracy " + accuracy);
    }

    @Test
    void theTutorialsPerSampleTrainingLearnsToo() {
        Random rng = new Random(42);
        Mnist.Dataset few = train.rows(Mnist.firstIndices(500));
        Mnist.Network net = Mnist.network(Mnist.Dense::new, new Mnist.MeanSquaredError(), rng);
        assertEquals(6, net.layers.size()); // Dense, tanh, Dense, tanh, Dense, tanh
        double[] errors = net.fit(few.x(), few.oneHot(), 10, Mnist.TUTORIAL_RATE);
        assertTrue(errors[9] < errors[0] / 2, Arrays.toString(errors));
        double accuracy = (double) Mnist.correct(Mnist.classify(net, test.x()), test.labels()) / test.size();
        assertTrue(accuracy > 0.6, "held-out accuracy " + accuracy); // its saturated start learns slowly: see exercise 3
    }

    @Test
    void sameSeedSameTraining() {
        double[][] runs = new double[2][];
        for (int i = 0; i < 2; i++) {
            int run = i;
            Random rng = new Random(9);
            Mnist.Dataset few = train.rows(Mnist.firstIndices(200));
            Mnist.Network net = Mnist.network(Mnist::glorotUniform, new Mnist.SoftmaxCrossEntropy(), rng);
            quietly(() -> runs[run] = Mnist.train(net, few, 2, Mnist.BATCH, Mnist.RATE, rng, batch -> Mnist.shifted(batch, rng)));
        }
        assertArrayEquals(runs[0], runs[1], 0.0);
    }

    @Test
    void trainPrintsOneTutorialLinePerEpoch() {
        double[][] errors = new double[1][];
        String out = quietly(() -> {
            Mnist.Dataset few = train.rows(Mnist.firstIndices(50));
            errors[0] = Mnist.train(Mnist.network(Mnist::glorotUniform, new Mnist.SoftmaxCrossEntropy(), new Random(1)),
                    few, 3, 10, Mnist.RATE, new Random(2), batch -> batch);
        });
        String[] lines = out.strip().split("\n");
        assertEquals(3, lines.length, out);
        assertEquals(String.format("epoch 3/3   error=%f", errors[0][2]), lines[2]); // epochs counted from 1
    }

    @Test
    void divergingTrainingIsAUserError() {
        // a linear network (one Dense layer and MSE) in batches of 8 at rate 50: each step overshoots,
        // the weights grow many times over with every step, and the error overflows within a few epochs
        Mnist.Dataset few = train.rows(Mnist.firstIndices(32));
        Mnist.Network net = new Mnist.Network();
        net.add(Mnist.glorotUniform(784, 10, new Random(1)));
        net.use(new Mnist.MeanSquaredError());
        var e = assertThrows(Mnist.UserError.class,
                () -> quietly(() -> Mnist.train(net, few, 100, 8, 50, new Random(2), batch -> batch)));
        assertTrue(e.getMessage().matches("the loss became (Infinity|undefined) at epoch \\d+: the learning rate 50.0 is too large; try 5.0"),
                e.getMessage());
        // the Softmax cross-entropy bigger run at the largest --rate, 100, does not learn, but its error stays a number
        Mnist.Network big = Mnist.network(Mnist::glorotUniform, new Mnist.SoftmaxCrossEntropy(), new Random(1));
        double[][] errors = new double[1][];
        quietly(() -> errors[0] = Mnist.train(big, few, 3, 8, 100, new Random(2), batch -> batch));
        for (double error : errors[0]) assertTrue(Double.isFinite(error) && error > 1, Arrays.toString(errors[0]));
    }

    /** The whole lesson on 200 training images: its conclusions follow its numbers, its pictures are written. */
    @Test
    void shortLessonRunWritesBothPictures(@TempDir Path dir) throws IOException {
        LessonRun run = LessonRun.in(dir, "Mnist", "--train", "200", "--rate", "0.2", "--epochs", "10");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains(": 200 training images, 2000 test images"), run.out());
        assertTrue(run.out().contains("and MSE; learning rate 0.2, 10 epochs"), run.out()); // the flags drive the bigger run,
        assertTrue(run.out().contains("epoch 35/35") && run.out().contains("epoch 10/10"), run.out()); // not the tutorial's
        List<String> accuracies = run.out().lines().filter(l -> l.contains("held-out accuracy: ")).toList();
        int tutorial = Integer.parseInt(accuracies.get(0).replaceAll(".*: (\\d+)/.*", "$1"));
        int big = Integer.parseInt(accuracies.get(1).replaceAll(".*: (\\d+)/.*", "$1"));
        String said = Math.abs(big - tutorial) + (big >= tutorial ? " more" : " fewer") + " held-out images right";
        assertTrue(run.out().contains(said), "expected '" + said + "' in\n" + run.out());
        List<String> plots = run.out().lines().filter(l -> l.startsWith("plot: ")).map(l -> l.substring(6)).toList();
        assertEquals(List.of(dir.resolve("12-digits.png").toString(), dir.resolve("12-confusion.png").toString()), plots);
        LessonRun.assertPng(dir.resolve("12-confusion.png"), 800, 500);
        assertEquals(800, ImageIO.read(dir.resolve("12-digits.png").toFile()).getWidth());
    }

    // ------------------------------------------------------------ pictures

    @Test
    void digitGridMarksMistakesInRed(@TempDir Path dir) throws IOException {
        int[] answers = test.labels().clone();
        answers[1] = (answers[1] + 1) % 10; // one mistake, in the first row
        Mnist.out = dir;
        Path png = Mnist.savePng(Mnist.digitGrid(test, answers).draw(), "12-digits.png");
        assertEquals(dir.resolve("12-digits.png"), png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(800, image.getWidth());
        int red = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y), r = rgb >> 16 & 0xFF, g = rgb >> 8 & 0xFF, b = rgb & 0xFF;
                if (r > 180 && g < 80 && b < 80) red++;
            }
        }
        assertTrue(red > 100, "the mistake is not framed in red: " + red + " red pixels");
        assertTrue(LessonRun.colours(png) > 50, "the grid looks blank");
    }

    @Test
    void confusionMatrixCountsAndHeatMap(@TempDir Path dir) throws IOException {
        int[] labels = {0, 0, 1, 2, 2, 2}, answers = {0, 1, 1, 2, 2, 0};
        int[][] counts = Mnist.confusion(answers, labels);
        assertEquals(1, counts[0][0]);
        assertEquals(1, counts[0][1]);
        assertEquals(2, counts[2][2]);
        assertEquals(1, counts[2][0]);
        assertEquals(4, Mnist.correct(answers, labels));
        Mnist.out = dir;
        LessonRun.assertPng(Mnist.savePng(new Mnist.ConfusionChart(counts, 4, 6).draw(), "12-confusion.png"), 800, 500);
    }
}
