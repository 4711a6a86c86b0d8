import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Lesson 12's checks: the IDX reader (open, read, load) on small files written to a temporary
 * folder, softmax, its exact logarithm, the cross-entropy loss and its gradient, the Glorot
 * uniform start, exercise 2's product without the skip. None of them needs the MNIST files.
 */
class MnistCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("Idx.open", () -> inFolder(MnistCheck::open))
                .hole("Idx.read", MnistCheck::read)
                .hole("load", () -> inFolder(MnistCheck::load))
                .hole("SoftmaxCrossEntropy.logSoftmax", MnistCheck::logSoftmax)
                .hole("SoftmaxCrossEntropy.softmax", MnistCheck::softmax)
                .hole("SoftmaxCrossEntropy.loss", MnistCheck::loss)
                .hole("SoftmaxCrossEntropy.gradient", MnistCheck::gradient)
                .hole("glorotUniform", MnistCheck::glorotUniform)
                .hole("multiplyEveryEntry", MnistCheck::multiplyEveryEntry)
                .verdicts;
    }

    static final int IMAGES = 0x803, LABELS = 0x801;

    // ---------------------------------------------------------------- IDX files, written here

    interface FolderStep {
        void run(Path dir) throws Exception;
    }

    /** Runs check in a new temporary folder, and removes the folder afterwards. */
    static void inFolder(FolderStep check) throws Exception {
        Path dir = Files.createTempDirectory("mnist-check-");
        try {
            check.run(dir);
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** An IDX file's bytes: the magic number and the dimensions as big-endian ints, then the data. */
    static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer bytes = ByteBuffer.allocate(4 + 4 * dims.length + data.length).putInt(magic);
        for (int d : dims) bytes.putInt(d);
        return bytes.put(data).array();
    }

    static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zipped = new GZIPOutputStream(out)) {
            zipped.write(bytes);
        }
        return out.toByteArray();
    }

    static byte[] pixels(int images, long seed) {
        byte[] p = new byte[images * 784];
        new Random(seed).nextBytes(p);
        return p;
    }

    /** Runs step, which must throw a one-line UserError, and returns its message. */
    static String userError(Step step, String what) {
        try {
            step.run();
        } catch (Mnist.UserError e) {
            String m = String.valueOf(e.getMessage());
            that(!m.contains("\n"), what + ": the UserError should be one line, it has several: " + m);
            return m;
        } catch (Exception e) {
            if (notDone(e) != null) throw new IllegalStateException(e);
            throw new Miss(what + " should throw a UserError (main prints it as one line, exit code 2), it threw "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
        }
        throw new Miss(what + " should throw a UserError, but nothing was refused");
    }

    /** Fails unless message names file and holds one of the words (any case). */
    static void names(String message, Path file, String what, String... words) {
        that(message.contains(file.toString()), what + ": the message should name the file, " + file + "; it says: " + message);
        String lower = message.toLowerCase(Locale.ROOT);
        that(Arrays.stream(words).anyMatch(lower::contains), what + ": the message should say what is wrong (a word such as '"
                + words[0] + "'); it says: " + message);
    }

    static void open(Path dir) throws Exception {
        opens(dir);
        refuses(dir);
    }

    /** Plain and gzipped images, and labels: the count, the item size, the stream left at the first data byte. */
    static void opens(Path dir) throws Exception {
        byte[] data = pixels(2, 1);
        Path plain = Files.write(dir.resolve("train-images-idx3-ubyte"), idx(IMAGES, new int[] {2, 28, 28}, data));
        Path zipped = Files.write(dir.resolve("zipped-images-named-without-gz"), gzip(idx(IMAGES, new int[] {2, 28, 28}, data)));
        for (Path file : new Path[] {plain, zipped}) {
            String kind = file == plain ? "a plain" : "a gzipped";
            try (Mnist.Idx images = Mnist.Idx.open(file, IMAGES, 28, 28)) {
                that(images.count() == 2 && images.itemBytes() == 784, kind + " file of two 28x28 images should open with count 2 and itemBytes 784, got "
                        + images.count() + " and " + images.itemBytes() + (file == zipped ? " -- gzip starts with the bytes 1f 8b: look at them, not at the name" : ""));
                that(images.in().read() == (data[0] & 0xFF), kind + " file: open should leave the stream at the first pixel, just after the 16-byte header"
                        + (file == zipped ? ", read through a GZIPInputStream" : ""));
            }
        }
        Path labels = Files.write(dir.resolve("train-labels-idx1-ubyte"), idx(LABELS, new int[] {3}, new byte[] {7, 0, 9}));
        try (Mnist.Idx idx = Mnist.Idx.open(labels, LABELS)) {
            that(idx.count() == 3 && idx.itemBytes() == 1 && idx.in().read() == 7, "a labels file of 7, 0, 9 should open with count 3, itemBytes 1, the stream at the 7");
        }
    }

    /** Headers open must refuse, each with a one-line UserError that names the file and the problem. */
    static void refuses(Path dir) throws Exception {
        byte[] data = pixels(2, 1);
        Path wrongMagic = Files.write(dir.resolve("t10k-images-idx3-ubyte"), idx(LABELS, new int[] {2, 28, 28}, data));
        names(userError(() -> Mnist.Idx.open(wrongMagic, IMAGES, 28, 28), "an images file whose magic number is 0x00000801 (labels), not 0x00000803"),
                wrongMagic, "a wrong magic number", "magic");
        Path shortFile = Files.write(dir.resolve("short-images-idx3-ubyte"), Arrays.copyOf(idx(IMAGES, new int[] {2, 28, 28}, data), 6));
        names(userError(() -> Mnist.Idx.open(shortFile, IMAGES, 28, 28), "a file of 6 bytes, shorter than its header"),
                shortFile, "a header cut short", "truncated", "short", "ends", "incomplete");
        Path wrongSize = Files.write(dir.resolve("small-images-idx3-ubyte"), idx(IMAGES, new int[] {1, 27, 28}, new byte[27 * 28]));
        names(userError(() -> Mnist.Idx.open(wrongSize, IMAGES, 28, 28), "a file of 27x28 images opened for 28x28"),
                wrongSize, "images of the wrong size", "27");
        Path huge = Files.write(dir.resolve("huge-images-idx3-ubyte"), idx(IMAGES, new int[] {3_000_000, 28, 28}, new byte[0]));
        names(userError(() -> Mnist.Idx.open(huge, IMAGES, 28, 28), "a header that announces 3000000 images of 784 bytes (2.35 GB, more than"
                + " the 2 GiB one Java array holds: refuse it before setting anything aside)"),
                huge, "a header announcing too much", "3000000", "2352000000", "gib", "gb", "too big", "too large", "too much", "more than");
    }

    /** An Idx as open would leave it, on bytes held in memory, so that read is checked on its own. */
    static Mnist.Idx opened(byte[] data, int count, int itemBytes) {
        return new Mnist.Idx(Path.of("DIR", "t10k-images-idx3-ubyte"), new ByteArrayInputStream(data), count, itemBytes);
    }

    static void read() {
        byte[] twelve = new byte[12];
        for (int i = 0; i < 12; i++) twelve[i] = (byte) (i + 1);
        byte[] kept = opened(twelve, 3, 4).read(2);
        that(Arrays.equals(kept, Arrays.copyOf(twelve, 8)), "read(2) of 3 items of 4 bytes (1 to 12) should keep the first 8 bytes, 1 to 8, got " + Arrays.toString(kept));
        kept = opened(twelve, 3, 4).read(3);
        that(Arrays.equals(kept, twelve), "read(3) of 3 items of 4 bytes should keep all 12, got " + Arrays.toString(kept));
        Path file = Path.of("DIR", "t10k-images-idx3-ubyte");
        names(userError(() -> opened(Arrays.copyOf(twelve, 10), 3, 4).read(1), "read(1) when the header announces 3 items of 4 bytes and 10 bytes follow"
                + " (read on to the end, without keeping the rest)"), file, "data that ends early", "truncated", "short", "ends", "incomplete", "missing");
        names(userError(() -> opened(Arrays.copyOf(twelve, 10), 3, 4).read(3), "read(3) when the header announces 3 items of 4 bytes and 10 bytes follow"),
                file, "data that ends early", "truncated", "short", "ends", "incomplete", "missing");
        names(userError(() -> opened(Arrays.copyOf(twelve, 13), 3, 4).read(1), "read(1) when the header announces 3 items of 4 bytes and 13 bytes follow"
                + " (check that nothing follows the announced bytes)"), file, "more data than announced", "more", "extra", "long", "trailing");
    }

    /** dir/train-images-idx3-ubyte and dir/train-labels-idx1-ubyte. */
    static void split(Path dir, byte[] images, int imageCount, byte[] labels) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("train-images-idx3-ubyte"), idx(IMAGES, new int[] {imageCount, 28, 28}, images));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), idx(LABELS, new int[] {labels.length}, labels));
    }

    static void load(Path dir) throws Exception {
        byte[] pixels = pixels(3, 2);
        pixels[5] = (byte) 255;
        split(dir.resolve("good"), pixels, 3, new byte[] {7, 0, 9});
        Mnist.Dataset two = Mnist.load(dir.resolve("good"), "train", 2, 1, "to train on");
        that(two.size() == 2 && Arrays.equals(two.labels(), new int[] {7, 0}), "load with limit 2 of 3 images labelled 7, 0, 9 should keep the first two: labels [7, 0], got " + Arrays.toString(two.labels()));
        that(two.x().rows() == 2 && two.x().cols() == 784 && two.classes() == 10, "the images should be a 2x784 matrix, one row per image, with 10 classes; got "
                + two.x().shape() + " and " + two.classes() + " classes");
        for (int i = 0; i < 2 * 784; i++) {
            near((pixels[i] & 0xFF) / 255.0, two.x().data()[i], "pixel " + i + " (byte " + (pixels[i] & 0xFF) + ")", "a byte is 0 to 255 (b & 0xFF), the input v / 255");
        }
        that(Mnist.load(dir.resolve("good"), "train", 100, 1, "to train on").size() == 3, "load with limit 100 of 3 images should keep all 3");
        split(dir.resolve("counts"), pixels, 3, new byte[] {7, 0});
        String counts = userError(() -> Mnist.load(dir.resolve("counts"), "train", 100, 1, "to train on"), "load of 3 images with 2 labels");
        that(counts.replace(dir.toString(), "").matches(".*\\b3\\b.*") && counts.replace(dir.toString(), "").matches(".*\\b2\\b.*"),
                "load of 3 images with 2 labels: the message should give both counts, 3 and 2; it says: " + counts);
        split(dir.resolve("label"), pixels, 3, new byte[] {7, 12, 9});
        String label = userError(() -> Mnist.load(dir.resolve("label"), "train", 100, 1, "to train on"), "load of a label 12 (every label must be 0-9)");
        that(label.replace(dir.toString(), "").contains("12"), "load of a label 12: the message should name the label, 12; it says: " + label);
        String few = userError(() -> Mnist.load(dir.resolve("good"), "train", 100, 5, "to test on"), "load of 3 images where at least 5 are needed");
        that(few.replace(dir.toString(), "").contains("5"), "load of 3 images where 5 are needed: the message should give the minimum, 5; it says: " + few);
    }

    // ---------------------------------------------------------------- softmax and cross-entropy

    static Mnist.Matrix m(double[]... rows) {
        return Mnist.Matrix.of(rows);
    }

    /** Like near, but an infinite expected value must be met exactly, and NaN is never right. */
    static void exactly(double expected, double actual, String what, String hint) {
        if (Double.isInfinite(expected) || Double.isNaN(actual)) {
            that(expected == actual, what + ": expected " + show(expected) + ", got " + show(actual) + " -- " + hint);
        } else {
            near(expected, actual, what, hint);
        }
    }

    /** ln p_j of one row, by log-sum-exp, computed here. */
    static double[] logP(double[] s) {
        double max = Arrays.stream(s).max().orElseThrow(), sum = 0;
        for (double v : s) sum += Math.exp(v - max);
        double[] out = new double[s.length];
        for (int j = 0; j < s.length; j++) out[j] = s[j] - max - Math.log(sum);
        return out;
    }

    static String row(double[] s) {
        return Arrays.toString(s).replace(".0,", ",").replace(".0]", "]");
    }

    static void logSoftmax() {
        String hint = "(s_j - M) - ln sum_k e^(s_k - M), M the row's max";
        double[][] rows = {{0.5, -1, 2, 0}, {3, 3, 3, 3}};
        Mnist.Matrix out = Mnist.SoftmaxCrossEntropy.logSoftmax(m(rows));
        that(out.rows() == 2 && out.cols() == 4, "logSoftmax of a 2x4 matrix should be 2x4, got " + out.shape());
        for (int r = 0; r < 2; r++) {
            double[] expected = logP(rows[r]);
            for (int j = 0; j < 4; j++) near(expected[j], out.get(r, j), "logSoftmax(" + row(rows[r]) + ") entry " + j, "each row on its own: " + hint);
        }
        double[][] extremes = {{0, 800}, {1e4, -1e4}, {1000, -1000}, {1000, 1000}};
        double[][] expected = {{-800, 0}, {0, -2e4}, {0, -2000}, {-Math.log(2), -Math.log(2)}};
        for (int r = 0; r < extremes.length; r++) {
            Mnist.Matrix e = Mnist.SoftmaxCrossEntropy.logSoftmax(m(extremes[r]));
            for (int j = 0; j < 2; j++) near(expected[r][j], e.get(0, j), "logSoftmax(" + row(extremes[r]) + ") entry " + j, "subtract the max before e^: " + hint);
        }
    }

    static void softmax() {
        double[][] rows = {{1, 2, 3}, {1001, 1002, 1003}, {1000, 999, 998}, {0, 1, 2}, {-1000, -1000, -1000}};
        Mnist.Matrix p = Mnist.SoftmaxCrossEntropy.softmax(m(rows));
        that(p.rows() == 5 && p.cols() == 3, "softmax of a 5x3 matrix should be 5x3, got " + p.shape());
        double sum = Math.exp(1) + Math.exp(2) + Math.exp(3);
        String hint = "e^(s_j - M) / sum_k e^(s_k - M), M the max of each row: e^1000 overflows, and e^-1000 is 0";
        for (int r = 0; r < 5; r++) {
            double total = 0;
            for (int j = 0; j < 3; j++) {
                double expected = r == 4 ? 1.0 / 3 : Math.exp(r == 2 ? 3 - j : j + 1) / sum; // rows 1 to 3 are row 0 shifted or reversed
                near(expected, p.get(r, j), "softmax(" + row(rows[r]) + ") entry " + j, hint);
                total += p.get(r, j);
            }
            near(1, total, "the sum of softmax(" + row(rows[r]) + ")", "each row's probabilities sum to 1");
        }
        Mnist.Matrix far = Mnist.SoftmaxCrossEntropy.softmax(m(new double[] {1000, -1000}));
        exactly(1, far.get(0, 0), "softmax([1000, -1000]) entry 0", hint);
        exactly(0, far.get(0, 1), "softmax([1000, -1000]) entry 1", hint);
    }

    /** -(1/m) sum over rows of ln p of the true class, computed here. */
    static double crossEntropy(double[][] s, int[] truth) {
        double sum = 0;
        for (int r = 0; r < s.length; r++) sum -= logP(s[r])[truth[r]];
        return sum / s.length;
    }

    static Mnist.Matrix oneHot(int[] truth, int classes) {
        Mnist.Matrix t = new Mnist.Matrix(truth.length, classes);
        for (int r = 0; r < truth.length; r++) t.data()[r * classes + truth[r]] = 1;
        return t;
    }

    static double[][] random(int rows, int cols, long seed) {
        Random rng = new Random(seed);
        double[][] s = new double[rows][cols];
        for (double[] r : s) for (int j = 0; j < cols; j++) r[j] = 3 * rng.nextGaussian();
        return s;
    }

    static void loss() {
        Mnist.SoftmaxCrossEntropy ce = new Mnist.SoftmaxCrossEntropy();
        double[][] s = random(3, 4, 1);
        int[] truth = {2, 0, 3};
        near(crossEntropy(s, truth), ce.loss(m(s), oneHot(truth, 4)), "the loss of 3 rows of random scores",
                "minus ln p of each row's true class, then the mean over the 3 rows");
        String hint = "take ln p_c from logSoftmax (log-sum-exp): p_c itself is below the smallest double, and ln 0 = -Infinity";
        exactly(800, ce.loss(m(new double[] {0, 800}), oneHot(new int[] {0}, 2)), "the loss of the scores [0, 800], true class 0", hint);
        exactly(2e4, ce.loss(m(new double[] {1e4, -1e4}), oneHot(new int[] {1}, 2)), "the loss of the scores [10000, -10000], true class 1", hint);
        exactly(0, ce.loss(m(new double[] {1000, -1000}), oneHot(new int[] {0}, 2)), "the loss of the scores [1000, -1000], true class 0", hint);
        exactly(400, ce.loss(m(new double[] {0, 800}, new double[] {800, 0}), oneHot(new int[] {0, 0}, 2)),
                "the loss of the batch [0, 800] and [800, 0], true class 0 in both", "the mean over the rows: (800 + 0) / 2, not over every entry");
    }

    static void gradient() {
        Mnist.SoftmaxCrossEntropy ce = new Mnist.SoftmaxCrossEntropy();
        double[][] s = random(2, 3, 2);
        int[] truth = {1, 2};
        Mnist.Matrix g = ce.gradient(m(s), oneHot(truth, 3));
        that(g.rows() == 2 && g.cols() == 3, "the gradient for 2x3 scores should be 2x3, got " + g.shape());
        for (int r = 0; r < 2; r++) {
            for (int j = 0; j < 3; j++) {
                int row = r, col = j;
                double numeric = slope(v -> { double[][] c = {s[0].clone(), s[1].clone()}; c[row][col] = v; return crossEntropy(c, truth); }, s[r][j]);
                near(numeric, g.get(r, j), 1e-6, "dE/ds(" + r + ", " + j + ") by central differences", "(p - t) / m, with m = 2 rows");
            }
        }
        Mnist.Matrix far = ce.gradient(m(new double[] {0, 800}), oneHot(new int[] {0}, 2));
        exactly(-1, far.get(0, 0), "dE/ds_0 for the scores [0, 800], true class 0", "p - t = 0 - 1; softmax must not overflow");
        exactly(1, far.get(0, 1), "dE/ds_1 for the scores [0, 800], true class 0", "p - t = 1 - 0; softmax must not overflow");
    }

    // ---------------------------------------------------------------- the start, and exercise 2

    static void glorotUniform() {
        double a = Math.sqrt(6.0 / (784 + 100));
        Mnist.Dense layer = Mnist.glorotUniform(784, 100, new Random(1));
        that(layer.weights.rows() == 784 && layer.weights.cols() == 100 && layer.bias.rows() == 1 && layer.bias.cols() == 100,
                "glorotUniform(784, 100) should have 784x100 weights and a 1x100 bias, has " + layer.weights.shape() + " and " + layer.bias.shape());
        that(Arrays.stream(layer.bias.data()).allMatch(b -> b == 0), "Glorot uniform starts every bias at 0");
        double largest = 0, sum = 0, squares = 0;
        for (double w : layer.weights.data()) {
            largest = Math.max(largest, Math.abs(w));
            sum += w;
            squares += w * w;
        }
        int n = layer.weights.size();
        String limit = "a = sqrt(6 / (inputs + outputs)) = " + show(a);
        that(largest <= a, "the largest |weight| of glorotUniform(784, 100) is " + show(largest) + ", beyond " + limit);
        that(largest > 0.99 * a, "the largest |weight| of glorotUniform(784, 100) is only " + show(largest) + ": uniform in [-a, a) reaches nearly " + limit);
        that(Math.abs(sum / n) < 0.02 * a, "the weights of glorotUniform(784, 100) average " + show(sum / n) + ": uniform in [-a, a) averages about 0");
        near(a * a / 3, squares / n, 0.03, "the mean square of the weights of glorotUniform(784, 100)",
                "uniform in [-a, a) has variance a^2 / 3 = 2 / (inputs + outputs)");
        Mnist.Dense again = Mnist.glorotUniform(784, 100, new Random(1)), other = Mnist.glorotUniform(784, 100, new Random(2));
        that(Arrays.equals(layer.weights.data(), again.weights.data()) && !Arrays.equals(layer.weights.data(), other.weights.data()),
                "draw the weights from the rng given: the same seed should give the same weights, another seed others");
        Mnist.Dense small = Mnist.glorotUniform(3, 5, new Random(3));
        double b = Math.sqrt(6.0 / 8);
        that(small.weights.rows() == 3 && small.weights.cols() == 5 && Arrays.stream(small.weights.data()).allMatch(w -> Math.abs(w) <= b),
                "glorotUniform(3, 5) should have 3x5 weights within +/-" + show(b) + " = sqrt(6 / 8)");
    }

    static void multiplyEveryEntry() {
        Random rng = new Random(4);
        Mnist.Matrix a = new Mnist.Matrix(5, 7), b = new Mnist.Matrix(7, 4);
        for (int i = 0; i < a.size(); i++) a.data()[i] = i % 3 == 0 ? 0 : rng.nextGaussian();
        for (int i = 0; i < b.size(); i++) b.data()[i] = rng.nextGaussian();
        Mnist.Matrix c = Mnist.multiplyEveryEntry(a, b);
        that(c.rows() == 5 && c.cols() == 4, "multiplyEveryEntry of 5x7 by 7x4 should be 5x4, got " + c.shape());
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 4; j++) {
                double sum = 0;
                for (int k = 0; k < 7; k++) sum += a.get(i, k) * b.get(k, j);
                near(sum, c.get(i, j), "entry (" + i + ", " + j + ") of a 5x7 by 7x4 product", "C(i,j) = the sum over k of A(i,k) B(k,j)");
            }
        }
        double product = Mnist.multiplyEveryEntry(m(new double[] {0, 1}), m(new double[] {Double.POSITIVE_INFINITY}, new double[] {2})).get(0, 0);
        that(Double.isNaN(product), "[0 1] times [Infinity; 2] gave " + product + ": the zero was skipped -- multiply every entry,"
                + " zeros too, so that 0 times Infinity makes NaN (that is what the exercise measures)");
    }
}
