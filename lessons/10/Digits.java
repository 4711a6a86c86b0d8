import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import javax.imageio.ImageIO;

/**
 * Lesson 10: reading handwritten digits.
 *
 * The tutorial's final task: 1,797 images of 8x8 pixels, each a handwritten digit 0-9. Lesson
 * 09's speedy network, 64 inputs (one per pixel), 32 hidden sigmoid neurons and 10 sigmoid
 * outputs (one per digit), learns to read them from 80% of the images and is judged on the
 * other 20%, which it never saw. The digit it reads is its largest output (arg-max).
 *
 * Follows: the UPM hands-on, section 6 "Final classification task"; see README.md for the authors and link.
 * New here: predict (arg-max of each output row), accuracy, confusion, mistakes; reading the
 * digits file with at least the images the lesson needs (readDigits); the digits as text and as
 * a picture (DigitGrid); how long the plain loops would take (plainLoopSeconds).
 * Carried: Matrix, multiply, transpose, Layer, SpeedyNetwork, shuffle, Dataset, LabelledCsv,
 * Split from lesson 09, unchanged; Activation from lesson 03, unchanged. FastMatmul, FastSigmoid
 * and Workers from lesson 09's "making it fast" part, unchanged and switched on (fast = true):
 * the tutorial's 3,000 epochs take about a quarter of the time the plain loops take, and the
 * lesson prints both.
 * Changed: nothing.
 *
 * Run: java lessons/10/Digits.java [--seed N] [--rate X] [--epochs N] [--data FILE] [--exercise 1|2|3]
 */
public class Digits {

    /** A matrix stored row after row in one flat array: element (r, c) is data[r * cols + c]. */
    static final class Matrix {
        int rows, cols; // may change (see reuse) as long as rows * cols fit in data
        final double[] data;

        Matrix(int rows, int cols) {
            this.rows = rows;
            this.cols = cols;
            this.data = new double[rows * cols];
        }

        double get(int r, int c) {
            return data[r * cols + c];
        }

        String shape() {
            return rows + "x" + cols;
        }

        /**
         * m reshaped to rows x cols if its array is big enough, else a new matrix: a batch that is
         * smaller than the one before (the last of an epoch) allocates nothing.
         */
        static Matrix reuse(Matrix m, int rows, int cols) {
            if (m == null || m.data.length < rows * cols) return new Matrix(rows, cols);
            m.rows = rows;
            m.cols = cols;
            return m;
        }
    }

    /** False: the layers multiply with the plain loop below. True (--fast): with FastMatmul, at the end of the file. */
    static boolean fast;

    /**
     * C = A.B, written as the loops it is, in i-k-j order: for each row i of A and each k, add
     * A(i,k) times row k of B to row i of C. The inner loop, c[i*n + j] += a * b[k*n + j], walks
     * along a row of B and a row of C, through memory in the order they lie (exercise 2 times
     * the textbook order against it).
     */
    static void multiply(Matrix a, Matrix b, Matrix c) {
        if (fast) {
            FastMatmul.multiply(a, b, c); // the same sums, rounded once per step instead of twice
            return;
        }
        checkShapes(a, b, c);
        int n = b.cols;
        Arrays.fill(c.data, 0, a.rows * n, 0);
        for (int i = 0; i < a.rows; i++) {
            for (int k = 0; k < a.cols; k++) {
                double aik = a.data[i * a.cols + k];
                for (int j = 0; j < n; j++) c.data[i * n + j] += aik * b.data[k * n + j];
            }
        }
    }

    static void checkShapes(Matrix a, Matrix b, Matrix c) {
        if (a.cols != b.rows) {
            throw new IllegalArgumentException("cannot multiply " + a.shape() + " by " + b.shape()
                    + ": the first has " + a.cols + " columns, the second " + b.rows + " rows");
        }
        if (c.rows != a.rows || c.cols != b.cols) {
            throw new IllegalArgumentException("the product of " + a.shape() + " and " + b.shape() + " is "
                    + a.rows + "x" + b.cols + ", not " + c.shape());
        }
    }

    /** t = the transpose of m: row r of m becomes column r of t. */
    static void transpose(Matrix m, Matrix t) {
        for (int c = 0; c < m.cols; c++) {
            for (int r = 0; r < m.rows; r++) t.data[c * m.rows + r] = m.data[r * m.cols + c];
        }
    }

    /**
     * A dense layer: outputs = f(inputs.W + b) for a batch of inputs, one per row. W is an
     * inputs x outputs matrix, b a row of biases added to every row. Every array a batch needs
     * lives in the layer and is reused, so training allocates nothing after the first batch.
     */
    static final class Layer {
        final int inputs, outputs;
        final Matrix weights; // inputs x outputs: column j holds the weights of neuron j
        final double[] biases;
        final Activation activation;
        final Matrix weightGradients; // dE/dW, inputs x outputs
        final double[] biasGradients; // dE/db
        boolean needsInputGradient = true; // the first layer has nobody to pass dE/dX to
        Matrix input, output, delta, inputGradients, inputTransposed, weightsTransposed;

        Layer(int inputs, int outputs, Activation activation) {
            this.inputs = inputs;
            this.outputs = outputs;
            this.weights = new Matrix(inputs, outputs);
            this.biases = new double[outputs];
            this.activation = activation;
            this.weightGradients = new Matrix(inputs, outputs);
            this.biasGradients = new double[outputs];
            this.weightsTransposed = new Matrix(outputs, inputs);
        }

        /**
         * LeCun normal weights, N(0, 1/inputs), and biases N(0, 0.1^2): the tutorial's start for
         * this network, which it calls "xavier" (Glorot's Xavier start has variance 2/(n_in + n_out)).
         */
        static Layer lecun(int inputs, int outputs, Activation activation, Random rng) {
            Layer layer = new Layer(inputs, outputs, activation);
            for (int i = 0; i < layer.weights.data.length; i++) layer.weights.data[i] = rng.nextGaussian() * Math.sqrt(1.0 / inputs);
            for (int j = 0; j < outputs; j++) layer.biases[j] = rng.nextGaussian() * 0.1;
            return layer;
        }

        /** A = f(X.W + b), one row per example. Keeps X and A for backward. */
        Matrix forward(Matrix x) {
            if (x.cols != inputs) {
                throw new IllegalArgumentException("this layer takes " + inputs + " inputs per row, got a batch of shape " + x.shape());
            }
            input = x;
            output = Matrix.reuse(output, x.rows, outputs);
            multiply(x, weights, output); // Z = X.W
            if (fast && activation == Activation.SIGMOID) return FastSigmoid.apply(output, biases); // the same, to 2e-14
            double[] a = output.data;
            for (int r = 0; r < x.rows; r++) {
                for (int j = 0; j < outputs; j++) a[r * outputs + j] = activation.apply(a[r * outputs + j] + biases[j]);
            }
            return output;
        }

        /**
         * Given dE/dA for the batch of the last forward pass, stores dE/dW and dE/db and returns
         * dE/dX, computed with the weights of the forward pass (call update only afterwards):
         * dZ = dA * f'(A) element by element, dW = X^T.dZ, db = column sums of dZ, dX = dZ.W^T.
         * Each of dW and db sums over the rows: one contribution per example of the batch.
         */
        Matrix backward(Matrix outputGradients) {
            if (outputGradients.rows != output.rows || outputGradients.cols != outputs) {
                throw new IllegalArgumentException("expected dE/dA of shape " + output.shape() + ", got " + outputGradients.shape());
            }
            int rows = output.rows;
            delta = Matrix.reuse(delta, rows, outputs);
            Arrays.fill(biasGradients, 0);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < outputs; j++) {
                    int at = r * outputs + j;
                    delta.data[at] = outputGradients.data[at] * activation.derivative(output.data[at]); // dZ
                    biasGradients[j] += delta.data[at]; // db
                }
            }
            if (!fast || !FastMatmul.multiplyNarrow(input, true, delta, weightGradients)) { // which reads X^T in place
                inputTransposed = Matrix.reuse(inputTransposed, inputs, rows);
                transpose(input, inputTransposed);
                multiply(inputTransposed, delta, weightGradients); // dW = X^T.dZ
            }
            if (!needsInputGradient) return null;
            inputGradients = Matrix.reuse(inputGradients, rows, inputs);
            transpose(weights, weightsTransposed);
            multiply(delta, weightsTransposed, inputGradients); // dX = dZ.W^T
            return inputGradients;
        }

        /** One step of gradient descent: W <- W - eta dW, b <- b - eta db. */
        void update(double learningRate) {
            for (int i = 0; i < weights.data.length; i++) weights.data[i] -= learningRate * weightGradients.data[i];
            for (int j = 0; j < outputs; j++) biases[j] -= learningRate * biasGradients[j];
        }
    }

    /** Layers in a row, trained a mini-batch at a time: the tutorial's SpeedyNeuralNetwork. */
    static final class SpeedyNetwork {
        final Layer[] layers;
        Matrix outputGradients;

        SpeedyNetwork(Layer... layers) {
            this.layers = layers;
            layers[0].needsInputGradient = false;
        }

        /** sizes = {inputs, hidden..., outputs}: sigmoid layers, each started by Layer.lecun. */
        static SpeedyNetwork lecun(int[] sizes, Random rng) {
            Layer[] layers = new Layer[sizes.length - 1];
            for (int l = 0; l < layers.length; l++) layers[l] = Layer.lecun(sizes[l], sizes[l + 1], Activation.SIGMOID, rng);
            return new SpeedyNetwork(layers);
        }

        Matrix forward(Matrix x) {
            for (Layer layer : layers) x = layer.forward(x);
            return x;
        }

        /**
         * dE/dO = O - T for E = 1/2 sum (t - o)^2 over the batch of the last forward pass, passed
         * back through every layer; each layer keeps its dW and db. Returns the batch's total
         * error, sum (t - o)^2.
         */
        double backward(Matrix targets) {
            Matrix output = layers[layers.length - 1].output;
            if (targets.rows != output.rows || targets.cols != output.cols) {
                throw new IllegalArgumentException("expected targets of shape " + output.shape() + ", got " + targets.shape());
            }
            outputGradients = Matrix.reuse(outputGradients, output.rows, output.cols);
            double squares = 0;
            for (int i = 0; i < output.rows * output.cols; i++) {
                double diff = output.data[i] - targets.data[i];
                outputGradients.data[i] = diff;
                squares += diff * diff;
            }
            Matrix gradients = outputGradients;
            for (int l = layers.length - 1; l >= 0; l--) gradients = layers[l].backward(gradients);
            return squares;
        }

        /** One step of gradient descent on one mini-batch. Returns the batch's total error before the step. */
        double backpropagate(Matrix x, Matrix targets, double learningRate) {
            forward(x);
            double squares = backward(targets);
            for (Layer layer : layers) layer.update(learningRate);
            return squares;
        }

        /**
         * Trains for `epochs` passes over the data, each in a fresh random order cut into batches
         * of batchSize rows (the last one smaller). Returns the MSE of each epoch, from the
         * outputs each batch had just before its step, as the tutorial counts it.
         */
        double[] train(Matrix inputs, Matrix targets, int epochs, int batchSize, double learningRate, Random rng) {
            return train(inputs, targets, epochs, batchSize, learningRate, rng, new double[epochs]);
        }

        /** The same, and seconds[e] = the time from the start to the end of epoch e + 1. */
        double[] train(Matrix inputs, Matrix targets, int epochs, int batchSize, double learningRate, Random rng,
                double[] seconds) {
            long begin = System.nanoTime();
            int n = inputs.rows;
            int[] order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            Matrix x = new Matrix(batchSize, inputs.cols), t = new Matrix(batchSize, targets.cols);
            double[] history = new double[epochs];
            for (int epoch = 0; epoch < epochs; epoch++) {
                shuffle(order, rng);
                double squares = 0;
                for (int start = 0; start < n; start += batchSize) {
                    int rows = Math.min(batchSize, n - start);
                    x.rows = rows;
                    t.rows = rows;
                    for (int r = 0; r < rows; r++) {
                        System.arraycopy(inputs.data, order[start + r] * inputs.cols, x.data, r * inputs.cols, inputs.cols);
                        System.arraycopy(targets.data, order[start + r] * targets.cols, t.data, r * targets.cols, targets.cols);
                    }
                    squares += backpropagate(x, t, learningRate);
                }
                history[epoch] = squares / ((double) n * targets.cols);
                stopIfDiverged(history[epoch], epoch + 1, learningRate);
                seconds[epoch] = (System.nanoTime() - begin) / 1e9;
            }
            return history;
        }
    }

    /** Fisher-Yates: every order of the array is equally likely. */
    static void shuffle(int[] a, Random rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    // Carried from lesson 03: the activation functions.

    /** Activations, each with its derivative f'(z) written in terms of its output y = f(z). */
    enum Activation {
        SIGMOID("sigmoid", "y(1 - y)") {
            double apply(double z) { return 1 / (1 + Math.exp(-z)); }
            double derivative(double y) { return y * (1 - y); }
        },
        TANH("tanh", "1 - y^2") {
            double apply(double z) { return Math.tanh(z); }
            double derivative(double y) { return 1 - y * y; }
        },
        RELU("ReLU", "1 if y > 0, else 0") {
            double apply(double z) { return Math.max(0, z); }
            double derivative(double y) { return y > 0 ? 1 : 0; }
        },
        LEAKY_RELU("leaky ReLU", "1 if y > 0, else 0.01") {
            double apply(double z) { return z > 0 ? z : 0.01 * z; }
            double derivative(double y) { return y > 0 ? 1 : 0.01; }
        };

        final String label, formula;

        Activation(String label, String formula) {
            this.label = label;
            this.formula = formula;
        }

        abstract double apply(double z);

        abstract double derivative(double y);
    }

    /** The index of the largest output of each row: the digit the network reads (arg-max). */
    static int[] predict(SpeedyNetwork net, Matrix x) {
        Matrix o = net.forward(x);
        int[] digits = new int[o.rows];
        for (int r = 0; r < o.rows; r++) {
            for (int c = 1; c < o.cols; c++) if (o.get(r, c) > o.get(r, digits[r])) digits[r] = c;
        }
        return digits;
    }

    static int correct(int[] predicted, int[] labels) {
        int n = 0;
        for (int i = 0; i < labels.length; i++) if (predicted[i] == labels[i]) n++;
        return n;
    }

    /** The share of the images read right. */
    static double accuracy(int[] predicted, int[] labels) {
        return correct(predicted, labels) / (double) labels.length;
    }

    /** counts[true digit][digit read]: the diagonal holds the images read right. */
    static int[][] confusion(int[] predicted, int[] labels) {
        int[][] counts = new int[10][10];
        for (int i = 0; i < labels.length; i++) counts[labels[i]][predicted[i]]++;
        return counts;
    }

    /** The indices of the images read wrong. */
    static int[] mistakes(int[] predicted, int[] labels) {
        int[] wrong = new int[labels.length - correct(predicted, labels)];
        for (int i = 0, w = 0; i < labels.length; i++) if (predicted[i] != labels[i]) wrong[w++] = i;
        return wrong;
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/10/Digits.java [--seed N] [--rate X] [--epochs N] [--data FILE] [--exercise 1|2|3]
              --seed N       seed of the split, the weights and the shuffles (default 42)
              --rate X       the learning rate (default 0.01, the tutorial's)
              --epochs N     passes over the training images (default 3000, the tutorial's)
              --data FILE    another file in the format of datasets/digits.csv.gz (default: that file)
              --exercise N   run exercise N of the README instead of the lesson""";

    static final int HIDDEN = 32, BATCH = 16;
    static final double LEARNING_RATE = 0.01;

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            double rate = flags.decimal("--rate", LEARNING_RATE, 1e-6, 100);
            int epochs = (int) flags.number("--epochs", 3000, 1, 1_000_000);
            int exercise = (int) flags.number("--exercise", 0, 0, 3);
            if ((flags.has("--rate") || flags.has("--epochs")) && exercise != 0) {
                throw new UserError("--rate and --epochs set the lesson's run; the exercises keep their own");
            }
            String file = flags.given.get("--data");
            Path path = file != null ? Path.of(file) : courseDir().resolve("datasets").resolve("digits.csv.gz");
            Dataset data = readDigits(path);
            fast = true; // FastMatmul and FastSigmoid, from "making it fast" at the end: the same numbers to 1e-9, in a quarter of the time
            switch (exercise) {
                case 1 -> exerciseScaledPixels(data, seed);
                case 2 -> exerciseHiddenSizes(data, seed);
                case 3 -> exerciseMistakes(data, seed);
                default -> lesson(data, path, seed, epochs, rate);
            }
        } catch (UserError e) {
            System.err.println("Digits: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(Dataset data, Path file, long seed, int epochs, double rate) {
        System.out.println("Lesson 10: reading handwritten digits, 8x8 pixels, with the speedy network");

        System.out.println("\n1. The data: " + data.size() + " images from " + file.getFileName()
                + ", 64 pixels each, values 0 (paper) to 16 (ink)");
        int[] perDigit = new int[10];
        for (int label : data.labels()) perDigit[label]++;
        System.out.println("   images per digit: " + Arrays.toString(perDigit));
        System.out.println("   the first image, a " + data.labels()[0] + ", as its numbers and as ink:");
        printPixels(data.x(), 0);

        Random rng = new Random(seed);
        Split split = split(data, rng);
        System.out.println("\n2. Split 80/20 with the seeded generator: " + split.train().size() + " to train on, "
                + split.test().size() + " to test on. Targets are one-hot: a 3 is [0 0 0 1 0 0 0 0 0 0].");

        boolean tutorial = epochs == 3000 && rate == LEARNING_RATE;
        System.out.println("\n3. Train 64-" + HIDDEN + "-10 sigmoid, learning rate " + rate + ", batches of " + BATCH
                + ", " + epochs + " epochs" + (tutorial ? " (the tutorial's configuration)" : " (the tutorial's: rate 0.01, 3000 epochs)"));
        SpeedyNetwork net = SpeedyNetwork.lecun(new int[] {64, HIDDEN, 10}, rng);
        double[] seconds = new double[epochs];
        double[] mse = net.train(split.train().x(), split.train().oneHot(), epochs, BATCH, rate, rng, seconds);
        int every = Math.max(1, epochs / 12);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            if (epoch == 1 || epoch % every == 0 || epoch == epochs) System.out.printf("   epoch %5d  MSE %.6f%n", epoch, mse[epoch - 1]);
        }
        double plain = plainLoopSeconds(split.train(), seed, epochs, rate);
        System.out.printf("   trained in %.2f s with lesson 09's fast path; the plain loops would take about %.2f s (%.1f times as long)%n",
                seconds[epochs - 1], plain, plain / seconds[epochs - 1]);
        if (mse[epochs - 1] >= 0.0999) { // outputs of all 0 score 1/10 against one-hot targets
            System.out.println("   The MSE did not get below 0.1, which outputs of all 0 would score: the network has learnt nothing;");
            System.out.println(rate > LEARNING_RATE ? "   steps this large push its sigmoids flat, where their slopes vanish. Try a smaller --rate."
                    : "   steps this small have hardly moved it. Try a larger --rate or more --epochs.");
        }

        int[] predicted = predict(net, split.test().x()), labels = split.test().labels();
        int[][] counts = confusion(predicted, labels);
        System.out.printf("%n4. Test accuracy: %.2f%% (%d of %d test images; the tutorial's NumPy run reached 95.3%%)%n",
                100 * accuracy(predicted, labels), correct(predicted, labels), predicted.length);
        System.out.printf("   training accuracy: %.2f%%%n", 100 * accuracy(predict(net, split.train().x()), split.train().labels()));
        System.out.println("   Confusion matrix: row = the true digit, column = what the network read");
        printConfusion(counts);
        describeMistakes(counts);

        System.out.println("\n5. The first test images, as the network read them");
        printDigits(split.test().x(), predicted, labels, new int[] {0, 1, 2, 3, 4, 5});
        int[] wrong = mistakes(predicted, labels);
        if (wrong.length > 0) {
            System.out.println("   and its first mistakes:");
            printDigits(split.test().x(), predicted, labels, Arrays.copyOf(wrong, Math.min(6, wrong.length)));
        }

        System.out.println();
        System.out.println("   plot: " + savePng(new DigitGrid(split.test().x(), predicted, labels).draw(), "10-test-digits.png"));
        System.out.println("   plot: " + lossChart(mse).save("10-loss.png"));
    }

    /**
     * How long `epochs` epochs take with the plain loops (fast = false), on a copy of the network
     * with a generator of its own: up to 150 epochs are timed, from a cold start like the lesson's
     * own run; beyond that, the rest is worked out from the speed of epochs 51 to 150, when the
     * JIT has compiled the loops.
     */
    static double plainLoopSeconds(Dataset train, long seed, int epochs, double rate) {
        int timed = Math.min(epochs, 150);
        double[] seconds = new double[timed];
        fast = false;
        SpeedyNetwork.lecun(new int[] {64, HIDDEN, 10}, new Random(seed)).train(train.x(), train.oneHot(), timed, BATCH, rate,
                new Random(seed), seconds);
        fast = true;
        if (epochs == timed) return seconds[timed - 1];
        return seconds[149] + (epochs - 150) * (seconds[149] - seconds[49]) / 100;
    }

    /** Where the mistakes are, read from the confusion matrix: how many, over how many true digits, and the most frequent confusion. */
    static void describeMistakes(int[][] counts) {
        int total = 0, digitsWithMistakes = 0, worstTrue = 0, worstRead = 1;
        for (int t = 0; t < 10; t++) {
            int rowMistakes = 0;
            for (int r = 0; r < 10; r++) {
                if (r == t) continue;
                rowMistakes += counts[t][r];
                if (counts[t][r] > counts[worstTrue][worstRead]) {
                    worstTrue = t;
                    worstRead = r;
                }
            }
            total += rowMistakes;
            if (rowMistakes > 0) digitsWithMistakes++;
        }
        if (total == 0) {
            System.out.println("   No mistakes: every count sits on the diagonal.");
            return;
        }
        int most = counts[worstTrue][worstRead], tied = 0;
        for (int t = 0; t < 10; t++) for (int r = 0; r < 10; r++) if (r != t && counts[t][r] == most) tied++;
        System.out.printf("   %d mistakes, off the diagonal, spread over %d of the 10 true digits; %s%n", total, digitsWithMistakes,
                most == 1 ? "no confusion happened twice."
                        : (tied == 1 ? "the most frequent: " : "one of the " + tied + " most frequent: ")
                                + article(worstTrue) + " read as " + article(worstRead) + ", " + most + " times.");
    }

    static String article(int digit) {
        return (digit == 8 ? "an " : "a ") + digit;
    }

    static void printConfusion(int[][] counts) {
        System.out.print("   true\\read");
        for (int c = 0; c < 10; c++) System.out.printf("%4d", c);
        System.out.println();
        for (int r = 0; r < 10; r++) {
            System.out.printf("   %9d", r);
            for (int c = 0; c < 10; c++) System.out.printf("%4s", counts[r][c] == 0 ? "." : Integer.toString(counts[r][c]));
            System.out.println();
        }
    }

    /** Ink from light to dark: pixel value v (0..16) is drawn as INK.charAt(v * 5 / 17), twice for a squarer look. */
    static final String INK = " .:+#";

    static String ink(double v) {
        char c = INK.charAt((int) Math.round(v) * INK.length() / 17);
        return "" + c + c;
    }

    /** One image as its numbers, next to the same image drawn with characters. */
    static void printPixels(Matrix x, int row) {
        for (int y = 0; y < 8; y++) {
            StringBuilder numbers = new StringBuilder("   "), picture = new StringBuilder("   |");
            for (int col = 0; col < 8; col++) {
                double v = x.get(row, y * 8 + col);
                numbers.append(String.format("%3.0f", v));
                picture.append(ink(v));
            }
            System.out.println(numbers.append(picture).append('|'));
        }
    }

    /** Images side by side, each under "read P, is T" (and "WRONG" where they differ). */
    static void printDigits(Matrix x, int[] predicted, int[] labels, int[] rows) {
        StringBuilder title = new StringBuilder("   ");
        for (int r : rows) {
            title.append(String.format("%-21s", "read " + predicted[r] + ", is " + labels[r] + (predicted[r] == labels[r] ? "" : " WRONG")));
        }
        System.out.println(title.toString().stripTrailing());
        for (int y = 0; y < 8; y++) {
            StringBuilder line = new StringBuilder("   ");
            for (int r : rows) {
                line.append('|');
                for (int col = 0; col < 8; col++) line.append(ink(x.get(r, y * 8 + col)));
                line.append("|   ");
            }
            System.out.println(line.toString().stripTrailing());
        }
    }

    /** The MSE of every epoch, on a log axis: it falls by a factor of about 200. */
    static Chart lossChart(double[] mse) {
        double[] epochs = new double[mse.length];
        for (int e = 0; e < mse.length; e++) epochs[e] = e + 1;
        Chart chart = new Chart("Training MSE, 64-" + HIDDEN + "-10 on the 8x8 digits (log scale)", "epoch", "MSE of the epoch");
        chart.add("training MSE", epochs, mse, Chart.Style.LINE);
        chart.logY = true;
        return chart;
    }

    // ---------------------------------------------------------------- exercises

    /** Trains a fresh 64-hidden-10 network on a new split of data and returns its test accuracy. */
    static double trainAndTest(Dataset data, int hidden, int epochs, long seed) {
        Random rng = new Random(seed);
        Split split = split(data, rng);
        SpeedyNetwork net = SpeedyNetwork.lecun(new int[] {64, hidden, 10}, rng);
        net.train(split.train().x(), split.train().oneHot(), epochs, BATCH, LEARNING_RATE, rng);
        return accuracy(predict(net, split.test().x()), split.test().labels());
    }

    /** Exercise 1: pixels scaled to 0..1 instead of the raw 0..16. */
    static void exerciseScaledPixels(Dataset data, long seed) {
        System.out.println("Exercise 1: raw pixels 0..16 against pixels divided by 16, same seed, test accuracy");
        Matrix scaled = new Matrix(data.x().rows, 64);
        for (int i = 0; i < scaled.data.length; i++) scaled.data[i] = data.x().data[i] / 16;
        Dataset small = new Dataset(scaled, data.labels(), data.classes());
        System.out.println("   epochs   raw 0..16   scaled 0..1");
        int[] epochs = {10, 100, 1000};
        double[] raw = new double[epochs.length], divided = new double[epochs.length];
        for (int e = 0; e < epochs.length; e++) {
            raw[e] = trainAndTest(data, HIDDEN, epochs[e], seed);
            divided[e] = trainAndTest(small, HIDDEN, epochs[e], seed);
            System.out.printf("   %6d   %8.2f%%   %10.2f%%%n", epochs[e], 100 * raw[e], 100 * divided[e]);
        }
        for (int e = 0; e < epochs.length; e++) {
            System.out.printf("   After %4d epochs %s%n", epochs[e], raw[e] == divided[e] ? "both are level."
                    : (raw[e] > divided[e] ? "the raw pixels" : "the scaled pixels") + String.format(" lead by %.2f points.", 100 * Math.abs(raw[e] - divided[e])));
        }
        System.out.println("   The first layer's gradient dW = X^T.dZ has the pixels in it: with pixels 16 times smaller,");
        System.out.println("   the first layer's steps are 16 times smaller at the same learning rate.");
    }

    /** Exercise 2: how many hidden neurons does it take? */
    static void exerciseHiddenSizes(Dataset data, long seed) {
        System.out.println("Exercise 2: hidden layer sizes, 500 epochs, test accuracy (mean of 3 seeds)");
        System.out.println("   hidden   parameters   test accuracy   gain over half as many");
        int[] sizes = {4, 8, 16, 32, 64};
        double previous = 0;
        for (int h = 0; h < sizes.length; h++) {
            double sum = 0;
            for (long s = seed; s < seed + 3; s++) sum += trainAndTest(data, sizes[h], 500, s);
            double mean = 100 * sum / 3;
            String line = String.format("   %6d   %10d   %12.2f%%   %s", sizes[h], 64 * sizes[h] + sizes[h] + sizes[h] * 10 + 10, mean,
                    h == 0 ? "" : String.format("%+8.2f points", mean - previous));
            System.out.println(line.stripTrailing());
            previous = mean;
        }
        System.out.println("   The last column is what each doubling of the hidden layer bought.");
    }

    /** Exercise 3: every mistake of the default run, with the network's outputs for the digit read and the true one. */
    static void exerciseMistakes(Dataset data, long seed) {
        System.out.println("Exercise 3: the test images the network gets wrong (default run, 3000 epochs)");
        Random rng = new Random(seed);
        Split split = split(data, rng);
        SpeedyNetwork net = SpeedyNetwork.lecun(new int[] {64, HIDDEN, 10}, rng);
        net.train(split.train().x(), split.train().oneHot(), 3000, BATCH, LEARNING_RATE, rng);
        Matrix o = net.forward(split.test().x());
        int[] labels = split.test().labels(), predicted = predict(net, split.test().x()), wrong = mistakes(predicted, labels);
        int sure = 0;
        for (int from = 0; from < wrong.length; from += 6) {
            int[] rows = Arrays.copyOfRange(wrong, from, Math.min(wrong.length, from + 6));
            printDigits(split.test().x(), predicted, labels, rows);
            StringBuilder scores = new StringBuilder("   ");
            for (int r : rows) {
                scores.append(String.format("%-21s", String.format("%d: %.2f %d: %.2f", predicted[r], o.get(r, predicted[r]), labels[r], o.get(r, labels[r]))));
                if (o.get(r, predicted[r]) >= 0.5) sure++;
            }
            System.out.println(scores.toString().stripTrailing());
        }
        System.out.println("   " + wrong.length + " mistakes. Under each image: the output for the digit read, and for the true one.");
        System.out.println("   In " + sure + " of them the network was sure of its wrong answer (output 0.5 or more); in the other "
                + (wrong.length - sure) + " no output");
        System.out.println("   reached 0.5, and a threshold could have flagged the image for a person to read.");
    }

    // ---------------------------------------------------------------- making it fast

    /**
     * The tuned matrix product. Every element of C is the same sum as in multiply, over k = 0, 1,
     * 2, ... in order, computed with Math.fma (multiply and add, rounded once), so the results
     * equal a loop of Math.fma exactly and differ from the plain loop's only in the last bits.
     * What makes it faster:
     *
     * 1. Vector instructions. The JIT turns a loop like acc[j] = fma(a, b0[j], acc[j]) into
     *    instructions that handle 4 or 8 doubles at once, but only when each array in it is
     *    indexed by plain j (exercise 2 shows that the plain i-k-j loop, c[i*n + j] and
     *    b[k*n + j], is not vectorised). So the rows of B a pass needs are copied ("packed")
     *    into arrays of their own, and 4 rows of C are summed in one array, NB apart.
     * 2. Fewer loads and stores per multiply-add. The plain loop loads c[j] and b[j] and stores
     *    c[j] for one multiply-add. Here each pass of the inner loop handles 4 rows of C and 3
     *    rows of B: 7 loads and 4 stores for 12 multiply-adds.
     * 3. Cache blocking: B is taken KB rows at a time, so the packed rows stay in the L2 cache
     *    while every row of A passes over them.
     * 4. Narrow products, like the digits network's of 32 and 10 columns: multiplyNarrow, with
     *    loops to a constant width, vectorised; other narrow widths: multiplySmall keeps a 4 x 4
     *    block of C in CPU registers.
     * 5. Threads for large products: the rows of C are shared out between the calling thread and
     *    Workers. Each element is still computed by one thread with the same sequence of
     *    operations, so the result is identical, bit for bit, for any number of threads.
     */
    static final class FastMatmul {
        static final int NB = 256; // columns of C per pass: 4 rows of 256 accumulators, 8 KB, sit in L1
        static final int KB = 132; // rows of B per packed panel: 132 x 256 doubles, 264 KB, sit in L2
        static final int SMALL = 64; // narrower products: too short for loops of variable length, registers win
        static final long PARALLEL_WORK = 1 << 20; // multiply-adds below which threads cost more than they save

        static int threads = Runtime.getRuntime().availableProcessors();

        /** C = A.B: the plain loop's sums, each rounded once per step (fma), identical for any number of threads. */
        static void multiply(Matrix a, Matrix b, Matrix c) {
            checkShapes(a, b, c);
            int m = a.rows;
            long work = (long) m * a.cols * b.cols;
            if (multiplyNarrow(a, false, b, c)) return;
            if (b.cols < SMALL) {
                multiplySmall(a.data, b.data, c.data, m, a.cols, b.cols);
            } else if (threads == 1 || work < PARALLEL_WORK || m < 8) {
                multiplyRows(a, b, c, 0, m);
            } else {
                Workers.of(threads).run((part, parts) -> multiplyRows(a, b, c, share(m, part, parts), share(m, part + 1, parts)));
            }
        }

        /** Where part p of `parts` starts when n rows are shared out in whole blocks of 4: p = parts gives n. */
        static int share(int n, int part, int parts) {
            int per = ((n + parts - 1) / parts + 3) / 4 * 4;
            return Math.min(n, part * per);
        }

        /**
         * Runs the vector kernel a few thousand times on a small product before anything is timed.
         * The JIT compiles the kernel well when its first calls are short ones; on JDK 17, a long
         * first call can get it compiled from a half-finished profile, several times slower.
         */
        static void warmUp() {
            Random rng = new Random(1);
            Matrix a = random(8, 70, rng), b = random(70, 256, rng), c = new Matrix(8, 256);
            for (int i = 0; i < 3000; i++) multiplyRows(a, b, c, 0, 8);
        }

        /**
         * Rows [from, to) of C = A.B. One long method on purpose: the JIT of JDK 17 vectorises the
         * inner loops reliably only when it can see that panel and acc belong to this call alone,
         * that is, when they are allocated right here (at most 272 KB, next to 2 MFLOP or more of work).
         */
        static void multiplyRows(Matrix am, Matrix bm, Matrix cm, int from, int to) {
            double[] a = am.data, b = bm.data, c = cm.data;
            // Rows of 8m + 6 doubles take 64(m + 1) bytes with the array's header: allocated one
            // after the other, every row (and acc after them) starts at the same place in a 64-byte
            // cache line, so a vector load from b0, b1 or b2 never straddles two lines when acc's does not.
            double[][] panel = new double[Math.min(KB, am.cols)][(Math.min(NB, bm.cols) + 7) / 8 * 8 + 6];
            double[] acc = new double[4 * NB];
            int k = am.cols, n = bm.cols;
            Arrays.fill(c, from * n, to * n, 0);
            for (int j0 = 0; j0 < n; j0 += NB) {
                int nb = Math.min(NB, n - j0);
                for (int p0 = 0; p0 < k; p0 += KB) {
                    int kb = Math.min(KB, k - p0);
                    for (int p = 0; p < kb; p++) System.arraycopy(b, (p0 + p) * n + j0, panel[p], 0, nb);
                    int i = from;
                    for (; i + 4 <= to; i += 4) {
                        System.arraycopy(c, i * n + j0, acc, 0, nb); // the sums so far of these 4 rows
                        System.arraycopy(c, (i + 1) * n + j0, acc, NB, nb);
                        System.arraycopy(c, (i + 2) * n + j0, acc, 2 * NB, nb);
                        System.arraycopy(c, (i + 3) * n + j0, acc, 3 * NB, nb);
                        int p = 0;
                        for (; p + 3 <= kb; p += 3) {
                            int a0 = i * k + p0 + p, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
                            double x00 = a[a0], x01 = a[a0 + 1], x02 = a[a0 + 2];
                            double x10 = a[a1], x11 = a[a1 + 1], x12 = a[a1 + 2];
                            double x20 = a[a2], x21 = a[a2 + 1], x22 = a[a2 + 2];
                            double x30 = a[a3], x31 = a[a3 + 1], x32 = a[a3 + 2];
                            double[] b0 = panel[p], b1 = panel[p + 1], b2 = panel[p + 2];
                            for (int j = 0; j < nb; j++) {
                                double y0 = b0[j], y1 = b1[j], y2 = b2[j];
                                acc[j] = Math.fma(x02, y2, Math.fma(x01, y1, Math.fma(x00, y0, acc[j])));
                                acc[j + NB] = Math.fma(x12, y2, Math.fma(x11, y1, Math.fma(x10, y0, acc[j + NB])));
                                acc[j + 2 * NB] = Math.fma(x22, y2, Math.fma(x21, y1, Math.fma(x20, y0, acc[j + 2 * NB])));
                                acc[j + 3 * NB] = Math.fma(x32, y2, Math.fma(x31, y1, Math.fma(x30, y0, acc[j + 3 * NB])));
                            }
                        }
                        for (; p < kb; p++) { // the last one or two k of the panel
                            int a0 = i * k + p0 + p;
                            double x0 = a[a0], x1 = a[a0 + k], x2 = a[a0 + 2 * k], x3 = a[a0 + 3 * k];
                            double[] b0 = panel[p];
                            for (int j = 0; j < nb; j++) {
                                double y0 = b0[j];
                                acc[j] = Math.fma(x0, y0, acc[j]);
                                acc[j + NB] = Math.fma(x1, y0, acc[j + NB]);
                                acc[j + 2 * NB] = Math.fma(x2, y0, acc[j + 2 * NB]);
                                acc[j + 3 * NB] = Math.fma(x3, y0, acc[j + 3 * NB]);
                            }
                        }
                        System.arraycopy(acc, 0, c, i * n + j0, nb);
                        System.arraycopy(acc, NB, c, (i + 1) * n + j0, nb);
                        System.arraycopy(acc, 2 * NB, c, (i + 2) * n + j0, nb);
                        System.arraycopy(acc, 3 * NB, c, (i + 3) * n + j0, nb);
                    }
                    for (; i < to; i++) oneRow(a, k, i, p0, kb, panel, acc, c, n, j0, nb);
                }
            }
        }

        /** The same for one row: the rows left over when the row count is not a multiple of 4. */
        static void oneRow(double[] a, int k, int i, int p0, int kb, double[][] panel, double[] acc,
                double[] c, int n, int j0, int nb) {
            System.arraycopy(c, i * n + j0, acc, 0, nb);
            int a0 = i * k + p0;
            int p = 0;
            for (; p + 3 <= kb; p += 3) {
                double x0 = a[a0 + p], x1 = a[a0 + p + 1], x2 = a[a0 + p + 2];
                double[] b0 = panel[p], b1 = panel[p + 1], b2 = panel[p + 2];
                for (int j = 0; j < nb; j++) acc[j] = Math.fma(x2, b2[j], Math.fma(x1, b1[j], Math.fma(x0, b0[j], acc[j])));
            }
            for (; p < kb; p++) {
                double x0 = a[a0 + p];
                double[] b0 = panel[p];
                for (int j = 0; j < nb; j++) acc[j] = Math.fma(x0, b0[j], acc[j]);
            }
            System.arraycopy(acc, 0, c, i * n + j0, nb);
        }

        // multiplyNarrow's four rows of sums and all of B, packed: static final, so the JIT knows they are five different arrays
        static final int DEPTH = 256; // the most rows of B multiplyNarrow takes: ROWS holds them all, 68 KB
        static final double[] SUMS0 = new double[32], SUMS1 = new double[32], SUMS2 = new double[32], SUMS3 = new double[32];
        static final double[][] ROWS = new double[DEPTH][32];

        /**
         * C = A.B, or C = A^T.B read from A in place (transposeA), for B of exactly 32 or 10
         * columns, the widths of the digits network, and at most DEPTH rows. Returns false, having
         * done nothing, for other shapes. Why only those widths: the JIT vectorises a loop
         * `for (j = 0; j < n; j++)` as a main part that does several vectors of 8 per round, with
         * plain loops before and after it for the rest; with n = 32 the main part never runs. A
         * loop to the constant 32 or 10 it turns into exactly 4 vector instructions per line, or
         * 1 and two plain ones. It also needs to know that the arrays the loop writes are not
         * ones it reads: the sums live in static final arrays, which the JIT sees as constants
         * and tells apart (arrays passed in, or made in the call, could be the same array).
         * Those arrays serve one call at a time, hence synchronized.
         */
        static synchronized boolean multiplyNarrow(Matrix am, boolean transposeA, Matrix bm, Matrix cm) {
            int m = transposeA ? am.cols : am.rows, k = transposeA ? am.rows : am.cols, n = bm.cols;
            if (k != bm.rows || cm.rows != m || cm.cols != n) {
                throw new IllegalArgumentException("cannot multiply " + (transposeA ? "the transpose of " : "") + am.shape()
                        + " by " + bm.shape() + " into " + cm.shape());
            }
            if ((n != 32 && n != 10) || k > DEPTH) return false;
            double[] a = am.data, b = bm.data, c = cm.data;
            int rowStep = transposeA ? 1 : k, colStep = transposeA ? m : 1; // A(i, p) is a[i * rowStep + p * colStep]
            for (int p = 0; p < k; p++) System.arraycopy(b, p * n, ROWS[p], 0, n);
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                if (n == 32) fourRows32(a, rowStep, colStep, c, i, k);
                else fourRows10(a, rowStep, colStep, c, i, k);
            }
            for (; i < m; i++) { // the rows left over, one at a time
                Arrays.fill(SUMS0, 0);
                for (int p = 0; p < k; p++) {
                    double x = a[i * rowStep + p * colStep];
                    double[] y = ROWS[p];
                    for (int j = 0; j < n; j++) SUMS0[j] = Math.fma(x, y[j], SUMS0[j]);
                }
                System.arraycopy(SUMS0, 0, c, i * n, n);
            }
            return true;
        }

        /** Rows i to i + 3 of C, 32 wide: each round, 7 vector loads and 4 stores for 12 multiply-adds. */
        static void fourRows32(double[] a, int rowStep, int colStep, double[] c, int i, int k) {
            Arrays.fill(SUMS0, 0);
            Arrays.fill(SUMS1, 0);
            Arrays.fill(SUMS2, 0);
            Arrays.fill(SUMS3, 0);
            int p = 0;
            for (; p + 3 <= k; p += 3) {
                int a0 = i * rowStep + p * colStep, a1 = a0 + rowStep, a2 = a1 + rowStep, a3 = a2 + rowStep, s = colStep;
                double x00 = a[a0], x01 = a[a0 + s], x02 = a[a0 + 2 * s];
                double x10 = a[a1], x11 = a[a1 + s], x12 = a[a1 + 2 * s];
                double x20 = a[a2], x21 = a[a2 + s], x22 = a[a2 + 2 * s];
                double x30 = a[a3], x31 = a[a3 + s], x32 = a[a3 + 2 * s];
                double[] b0 = ROWS[p], b1 = ROWS[p + 1], b2 = ROWS[p + 2];
                for (int j = 0; j < 32; j++) {
                    double y0 = b0[j], y1 = b1[j], y2 = b2[j];
                    SUMS0[j] = Math.fma(x02, y2, Math.fma(x01, y1, Math.fma(x00, y0, SUMS0[j])));
                    SUMS1[j] = Math.fma(x12, y2, Math.fma(x11, y1, Math.fma(x10, y0, SUMS1[j])));
                    SUMS2[j] = Math.fma(x22, y2, Math.fma(x21, y1, Math.fma(x20, y0, SUMS2[j])));
                    SUMS3[j] = Math.fma(x32, y2, Math.fma(x31, y1, Math.fma(x30, y0, SUMS3[j])));
                }
            }
            for (; p < k; p++) { // the last one or two k
                int a0 = i * rowStep + p * colStep;
                double x0 = a[a0], x1 = a[a0 + rowStep], x2 = a[a0 + 2 * rowStep], x3 = a[a0 + 3 * rowStep];
                double[] b0 = ROWS[p];
                for (int j = 0; j < 32; j++) {
                    double y0 = b0[j];
                    SUMS0[j] = Math.fma(x0, y0, SUMS0[j]);
                    SUMS1[j] = Math.fma(x1, y0, SUMS1[j]);
                    SUMS2[j] = Math.fma(x2, y0, SUMS2[j]);
                    SUMS3[j] = Math.fma(x3, y0, SUMS3[j]);
                }
            }
            System.arraycopy(SUMS0, 0, c, i * 32, 32);
            System.arraycopy(SUMS1, 0, c, (i + 1) * 32, 32);
            System.arraycopy(SUMS2, 0, c, (i + 2) * 32, 32);
            System.arraycopy(SUMS3, 0, c, (i + 3) * 32, 32);
        }

        /** The same, 10 wide: the loop is the same but for its end, and Java has no way to write it once with the end a constant. */
        static void fourRows10(double[] a, int rowStep, int colStep, double[] c, int i, int k) {
            Arrays.fill(SUMS0, 0);
            Arrays.fill(SUMS1, 0);
            Arrays.fill(SUMS2, 0);
            Arrays.fill(SUMS3, 0);
            int p = 0;
            for (; p + 3 <= k; p += 3) {
                int a0 = i * rowStep + p * colStep, a1 = a0 + rowStep, a2 = a1 + rowStep, a3 = a2 + rowStep, s = colStep;
                double x00 = a[a0], x01 = a[a0 + s], x02 = a[a0 + 2 * s];
                double x10 = a[a1], x11 = a[a1 + s], x12 = a[a1 + 2 * s];
                double x20 = a[a2], x21 = a[a2 + s], x22 = a[a2 + 2 * s];
                double x30 = a[a3], x31 = a[a3 + s], x32 = a[a3 + 2 * s];
                double[] b0 = ROWS[p], b1 = ROWS[p + 1], b2 = ROWS[p + 2];
                for (int j = 0; j < 10; j++) {
                    double y0 = b0[j], y1 = b1[j], y2 = b2[j];
                    SUMS0[j] = Math.fma(x02, y2, Math.fma(x01, y1, Math.fma(x00, y0, SUMS0[j])));
                    SUMS1[j] = Math.fma(x12, y2, Math.fma(x11, y1, Math.fma(x10, y0, SUMS1[j])));
                    SUMS2[j] = Math.fma(x22, y2, Math.fma(x21, y1, Math.fma(x20, y0, SUMS2[j])));
                    SUMS3[j] = Math.fma(x32, y2, Math.fma(x31, y1, Math.fma(x30, y0, SUMS3[j])));
                }
            }
            for (; p < k; p++) { // the last one or two k
                int a0 = i * rowStep + p * colStep;
                double x0 = a[a0], x1 = a[a0 + rowStep], x2 = a[a0 + 2 * rowStep], x3 = a[a0 + 3 * rowStep];
                double[] b0 = ROWS[p];
                for (int j = 0; j < 10; j++) {
                    double y0 = b0[j];
                    SUMS0[j] = Math.fma(x0, y0, SUMS0[j]);
                    SUMS1[j] = Math.fma(x1, y0, SUMS1[j]);
                    SUMS2[j] = Math.fma(x2, y0, SUMS2[j]);
                    SUMS3[j] = Math.fma(x3, y0, SUMS3[j]);
                }
            }
            System.arraycopy(SUMS0, 0, c, i * 10, 10);
            System.arraycopy(SUMS1, 0, c, (i + 1) * 10, 10);
            System.arraycopy(SUMS2, 0, c, (i + 2) * 10, 10);
            System.arraycopy(SUMS3, 0, c, (i + 3) * 10, 10);
        }

        /**
         * C = A.B for narrow B (fewer than SMALL columns) of a width multiplyNarrow does not
         * take. A 4 x 4 block of C lives in 16 local variables (CPU registers) while k runs: per
         * k, 8 loads feed 16 multiply-adds. Every element is still fma(a, b, c) over k = 0, 1, ...
         */
        static void multiplySmall(double[] a, double[] b, double[] c, int m, int k, int n) {
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                int j = 0;
                for (; j + 4 <= n; j += 4) {
                    double c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
                    double c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
                    int a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
                    for (int p = 0, bp = j; p < k; p++, bp += n) {
                        double b0 = b[bp], b1 = b[bp + 1], b2 = b[bp + 2], b3 = b[bp + 3];
                        double x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
                        c00 = Math.fma(x0, b0, c00); c01 = Math.fma(x0, b1, c01); c02 = Math.fma(x0, b2, c02); c03 = Math.fma(x0, b3, c03);
                        c10 = Math.fma(x1, b0, c10); c11 = Math.fma(x1, b1, c11); c12 = Math.fma(x1, b2, c12); c13 = Math.fma(x1, b3, c13);
                        c20 = Math.fma(x2, b0, c20); c21 = Math.fma(x2, b1, c21); c22 = Math.fma(x2, b2, c22); c23 = Math.fma(x2, b3, c23);
                        c30 = Math.fma(x3, b0, c30); c31 = Math.fma(x3, b1, c31); c32 = Math.fma(x3, b2, c32); c33 = Math.fma(x3, b3, c33);
                    }
                    int o = i * n + j;
                    c[o] = c00; c[o + 1] = c01; c[o + 2] = c02; c[o + 3] = c03; o += n;
                    c[o] = c10; c[o + 1] = c11; c[o + 2] = c12; c[o + 3] = c13; o += n;
                    c[o] = c20; c[o + 1] = c21; c[o + 2] = c22; c[o + 3] = c23; o += n;
                    c[o] = c30; c[o + 1] = c31; c[o + 2] = c32; c[o + 3] = c33;
                }
                for (; j < n; j++) { // leftover columns, 4 rows at a time
                    double c0 = 0, c1 = 0, c2 = 0, c3 = 0;
                    for (int p = 0; p < k; p++) {
                        double y = b[p * n + j];
                        c0 = Math.fma(a[i * k + p], y, c0);
                        c1 = Math.fma(a[(i + 1) * k + p], y, c1);
                        c2 = Math.fma(a[(i + 2) * k + p], y, c2);
                        c3 = Math.fma(a[(i + 3) * k + p], y, c3);
                    }
                    c[i * n + j] = c0; c[(i + 1) * n + j] = c1; c[(i + 2) * n + j] = c2; c[(i + 3) * n + j] = c3;
                }
            }
            for (; i < m; i++) { // leftover rows, one element at a time
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int p = 0; p < k; p++) sum = Math.fma(a[i * k + p], b[p * n + j], sum);
                    c[i * n + j] = sum;
                }
            }
        }
    }

    /**
     * The sigmoid, 1 / (1 + e^-z), in a form the JIT can vectorise. Math.exp is a call the JIT
     * cannot turn into vector instructions, and it costs 3 to 4 ns, as much as 100 multiply-adds
     * of a vectorised product. Here e^-z = (e^(-z/64))^64: e^(-z/64) is a polynomial (the Taylor
     * series of e^x to x^16, whose next term is below 2e-17 for |x| <= 45/64), squared six
     * times. Only multiplications, additions, min and max: the loop over a whole batch runs 8
     * values at a time. Within 2e-14 of the exact sigmoid for |z| <= 45 (a test checks it); below
     * -45 it gives sigmoid(-45) = 2.9e-20, above 45 exactly 1, like 1 / (1 + Math.exp(-z)).
     */
    static final class FastSigmoid {
        // 1/n!, the Taylor coefficients of e^x: constants, which the JIT writes into the code
        static final double F2 = 1.0 / 2, F3 = F2 / 3, F4 = F3 / 4, F5 = F4 / 5, F6 = F5 / 6, F7 = F6 / 7, F8 = F7 / 8,
                F9 = F8 / 9, F10 = F9 / 10, F11 = F10 / 11, F12 = F11 / 12, F13 = F12 / 13, F14 = F13 / 14, F15 = F14 / 15,
                F16 = F15 / 16;

        /** A = sigmoid(Z + b) in place, b added to every row. Returns z. */
        static Matrix apply(Matrix z, double[] biases) {
            double[] a = z.data;
            for (int r = 0; r < z.rows; r++) {
                for (int j = 0; j < z.cols; j++) a[r * z.cols + j] += biases[j];
            }
            for (int i = 0; i < z.rows * z.cols; i++) a[i] = sigmoid(a[i]);
            return z;
        }

        static double sigmoid(double z) {
            double x = Math.max(-45.0, Math.min(45.0, z)) * (-1.0 / 64);
            // Horner: 1 + x (1 + x (1/2! + x (1/3! + ... + x/16!)))
            double e = Math.fma(x, F16, F15);
            e = Math.fma(x, e, F14);
            e = Math.fma(x, e, F13);
            e = Math.fma(x, e, F12);
            e = Math.fma(x, e, F11);
            e = Math.fma(x, e, F10);
            e = Math.fma(x, e, F9);
            e = Math.fma(x, e, F8);
            e = Math.fma(x, e, F7);
            e = Math.fma(x, e, F6);
            e = Math.fma(x, e, F5);
            e = Math.fma(x, e, F4);
            e = Math.fma(x, e, F3);
            e = Math.fma(x, e, F2);
            e = Math.fma(x, e, 1);
            e = Math.fma(x, e, 1); // e^(-z/64)
            e *= e; // e^(-z/32)
            e *= e;
            e *= e;
            e *= e;
            e *= e;
            e *= e; // e^-z
            return 1 / (1 + e);
        }
    }

    /**
     * Helper threads for FastMatmul, made once and kept. A thread pool (java.util.concurrent)
     * puts waiting threads to sleep, and waking one through the operating system takes tens of
     * microseconds, about as long as a 64x784 by 784x128 product takes on one core. These helpers
     * wait by spinning on a counter instead, so a task reaches them in under a microsecond. After
     * a millisecond with nothing to do they nap, so an idle helper costs almost nothing; and a
     * thread that has spun for a long while lets other threads run (Thread.yield), in case the
     * thread it waits for needs its core.
     */
    static final class Workers {
        /** One part of a task: the code decides from part and parts which share of the work is its own. */
        interface Task {
            void run(int part, int parts);
        }

        static Workers current;

        final int parts;
        final AtomicInteger unfinished = new AtomicInteger();
        volatile Task task;
        volatile int started; // counts tasks; a helper starts the task when it sees this change
        volatile boolean stopped;
        volatile Throwable failure;

        /** Helpers for `parts` parts (the calling thread does part 0), made once and kept. */
        static synchronized Workers of(int parts) {
            if (current == null || current.parts != parts) {
                if (current != null) current.stopped = true;
                current = new Workers(parts);
            }
            return current;
        }

        Workers(int parts) {
            this.parts = parts;
            for (int part = 1; part < parts; part++) {
                int mine = part;
                Thread helper = new Thread(() -> help(mine), "worker-" + part);
                helper.setDaemon(true); // never keeps the program alive
                helper.start();
            }
        }

        /** Runs task.run(part, parts) for every part at once, part 0 on this thread, and waits for all. */
        synchronized void run(Task task) { // one task at a time
            if (parts == 1) {
                task.run(0, 1);
                return;
            }
            this.task = task;
            unfinished.set(parts - 1);
            started++; // a volatile write: the helpers see the task and the count with it
            try {
                task.run(0, parts);
            } finally {
                for (int spins = 0; unfinished.get() > 0; spins++) pause(spins);
            }
            Throwable e = failure;
            if (e != null) {
                failure = null;
                throw new IllegalStateException("a worker thread failed: " + e, e);
            }
        }

        void help(int part) {
            int seen = 0; // the value of started when this helper was made
            long idleSince = System.nanoTime();
            for (int spins = 0; !stopped; spins++) {
                if (started == seen) { // nothing new: spin, and after a millisecond nap
                    if (System.nanoTime() - idleSince < 1_000_000) pause(spins);
                    else LockSupport.parkNanos(50_000);
                    continue;
                }
                seen = started;
                try {
                    task.run(part, parts);
                } catch (Throwable e) {
                    failure = e;
                }
                unfinished.decrementAndGet();
                idleSince = System.nanoTime();
                spins = 0;
            }
        }

        /** Spinning: a CPU hint for the first thousands of rounds, then letting other threads run. */
        static void pause(int spins) {
            if (spins < 20_000) Thread.onSpinWait();
            else Thread.yield();
        }
    }

    /** A rows x cols matrix of numbers drawn uniformly from [-1, 1) (FastMatmul.warmUp multiplies two). */
    static Matrix random(int rows, int cols, Random rng) {
        Matrix m = new Matrix(rows, cols);
        for (int i = 0; i < m.data.length; i++) m.data[i] = 2 * rng.nextDouble() - 1;
        return m;
    }

    // ---------------------------------------------------------------- pictures

    /**
     * Test images in a grid, each titled "read / true": the first 30 of the test set, then up
     * to 10 of the network's mistakes, framed and titled in red. A grey scale bar shows the pixel values.
     */
    static class DigitGrid {
        static final int WIDTH = 800, HEIGHT = 500, CELL = 78, PIXEL = 7, COLUMNS = 10, LEFT = 12;
        static final Color WRONG = new Color(214, 39, 40);

        final Matrix x;
        final int[] predicted, labels;

        DigitGrid(Matrix x, int[] predicted, int[] labels) {
            this.x = x;
            this.predicted = predicted;
            this.labels = labels;
        }

        BufferedImage draw() {
            BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            String title = "Test digits as the network reads them: read / true, mistakes in red";
            g.drawString(title, (WIDTH - g.getFontMetrics().stringWidth(title)) / 2, 22);

            int first = Math.min(30, labels.length);
            int[] shown = new int[first];
            for (int i = 0; i < first; i++) shown[i] = i;
            int y = heading(g, "The first " + first + " test images", 46);
            y = cells(g, shown, y);
            int[] wrong = mistakes(predicted, labels);
            y = heading(g, wrong.length == 0 ? "No mistakes" : "Mistakes (" + Math.min(10, wrong.length) + " of " + wrong.length + ")", y + 6);
            cells(g, Arrays.copyOf(wrong, Math.min(10, wrong.length)), y);
            scaleBar(g);
            g.dispose();
            return image;
        }

        int heading(Graphics2D g, String text, int y) {
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.drawString(text, LEFT, y + 12);
            return y + 18;
        }

        /** Draws the given test images, 10 to a row, from height y; returns the height below them. */
        int cells(Graphics2D g, int[] rows, int y) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            for (int i = 0; i < rows.length; i++) {
                int r = rows[i], cx = LEFT + (i % COLUMNS) * CELL, cy = y + (i / COLUMNS) * (CELL + 4);
                boolean right = predicted[r] == labels[r];
                String label = predicted[r] + " / " + labels[r];
                g.setColor(right ? Color.BLACK : WRONG);
                g.drawString(label, cx + (8 * PIXEL - fm.stringWidth(label)) / 2, cy + 13);
                for (int p = 0; p < 64; p++) {
                    g.setColor(grey(x.get(r, p)));
                    g.fillRect(cx + (p % 8) * PIXEL, cy + 18 + (p / 8) * PIXEL, PIXEL, PIXEL);
                }
                g.setColor(right ? Color.LIGHT_GRAY : WRONG);
                g.setStroke(new BasicStroke(right ? 1 : 3));
                g.drawRect(cx - 1, cy + 17, 8 * PIXEL + 1, 8 * PIXEL + 1);
            }
            return y + (rows.length + COLUMNS - 1) / COLUMNS * (CELL + 4);
        }

        /** Pixel value 0 (paper) is white, 16 (full ink) is black. */
        static Color grey(double v) {
            int level = (int) Math.round(255 * (1 - v / 16));
            return new Color(level, level, level);
        }

        void scaleBar(Graphics2D g) {
            int x0 = WIDTH - 250, y0 = HEIGHT - 34, width = 17 * 12;
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.setColor(Color.DARK_GRAY);
            g.drawString("pixel value", x0 - 70, y0 + 11);
            for (int v = 0; v <= 16; v++) {
                g.setColor(grey(v));
                g.fillRect(x0 + v * 12, y0, 12, 14);
                if (v % 4 == 0) {
                    g.setColor(Color.DARK_GRAY);
                    g.drawString(Integer.toString(v), x0 + v * 12 + 2, y0 + 28);
                }
            }
            g.setColor(Color.GRAY);
            g.setStroke(new BasicStroke(1));
            g.drawRect(x0, y0, width, 14);
        }
    }

    // ---------------------------------------------------------------- data

    /** Rows of features, one per example, and a class label for each. */
    record Dataset(Matrix x, int[] labels, int classes) {
        int size() {
            return labels.length;
        }

        /** Class 3 of 10 becomes the target row [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]. */
        Matrix oneHot() {
            Matrix t = new Matrix(size(), classes);
            for (int r = 0; r < size(); r++) t.data[r * classes + labels[r]] = 1;
            return t;
        }

        Dataset rows(int[] indices) {
            Matrix picked = new Matrix(indices.length, x.cols);
            int[] y = new int[indices.length];
            for (int i = 0; i < indices.length; i++) {
                System.arraycopy(x.data, indices[i] * x.cols, picked.data, i * x.cols, x.cols);
                y[i] = labels[indices[i]];
            }
            return new Dataset(picked, y, classes);
        }
    }

    /**
     * A kind of CSV file of labelled examples, and its reader: every line holds `features`
     * numbers from min to max (whole numbers only, if whole) and then the class label, a whole
     * number from 0 to classes - 1, after a header line to skip if header is true; `like` names
     * the course's file of this kind. The file may be gzipped (a name ending in .gz). The reader
     * trusts nothing it reads: a folder, a device (/dev/zero never ends), more than MAX_BYTES of
     * text, a cut-short .gz, bytes that are not text, a row of the wrong length and a cell that is
     * not a number in range are each a UserError naming the file, and the line and column where
     * there is one. A byte-order mark, which some editors put first, is skipped.
     */
    record LabelledCsv(String like, int features, double min, double max, boolean whole, int classes, boolean header) {
        static final int MAX_BYTES = 16 << 20; // 16 MB of text: 60 times the digits, and the end of /dev/zero
        static final Pattern NUMBER = Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");

        Dataset read(Path file) {
            String text = text(file);
            if (text.startsWith("\uFEFF")) text = text.substring(1); // a byte-order mark
            List<double[]> rows = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            List<String> lines = text.lines().toList();
            for (int number = 1; number <= lines.size(); number++) {
                String line = lines.get(number - 1);
                if ((header && number == 1) || line.isBlank()) continue;
                String[] cells = line.split(",", -1);
                if (cells.length != features + 1) {
                    throw new UserError(file + " line " + number + " has " + cells.length + " fields, expected " + (features + 1)
                            + " (" + features + " numbers and the label) as in " + like + "; see datasets/README.md");
                }
                double[] row = new double[features];
                for (int c = 0; c < features; c++) row[c] = cell(cells[c], min, max, whole, file, number, c + 1);
                rows.add(row);
                labels.add((int) cell(cells[features], 0, classes - 1, true, file, number, features + 1));
            }
            if (rows.isEmpty()) {
                throw new UserError(file + " holds no examples: give it lines of " + features + " numbers and a label, as in " + like);
            }
            Matrix x = new Matrix(rows.size(), features);
            for (int r = 0; r < rows.size(); r++) System.arraycopy(rows.get(r), 0, x.data, r * features, features);
            return new Dataset(x, labels.stream().mapToInt(Integer::intValue).toArray(), classes);
        }

        /** The file as text, unzipped if its name ends in .gz; at most MAX_BYTES are ever read. */
        String text(Path file) {
            String what = "; give a CSV file like " + like;
            if (!Files.exists(file)) throw new UserError("cannot read " + file + ": no such file" + what);
            if (Files.isDirectory(file)) throw new UserError(file + " is a folder, not a file" + what);
            if (!Files.isRegularFile(file)) throw new UserError(file + " is not a regular file (a device or a pipe)" + what);
            byte[] bytes;
            try (InputStream raw = Files.newInputStream(file);
                    InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
                bytes = in.readNBytes(MAX_BYTES + 1);
            } catch (EOFException e) {
                throw new UserError(file + " ends in the middle of its compressed data: the .gz is cut short; copy it again");
            } catch (ZipException e) {
                throw new UserError(file + " is not a working gzip file (" + e.getMessage() + "); unzip it by hand or drop the .gz from its name");
            } catch (IOException e) {
                throw new UserError("cannot read " + file + ": " + (e instanceof AccessDeniedException ? "permission denied" : e.getMessage()));
            }
            if (bytes.length > MAX_BYTES) {
                throw new UserError(file + " holds more than " + (MAX_BYTES >> 20) + " MB of text, far more than a file like " + like
                        + " needs; give a smaller file");
            }
            ByteBuffer in = ByteBuffer.wrap(bytes);
            CharBuffer out = CharBuffer.allocate(bytes.length);
            CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder(); // reports bytes that are not UTF-8
            if (utf8.decode(in, out, true).isError() || utf8.flush(out).isError()) {
                int line = 1;
                for (int i = 0; i < in.position(); i++) if (bytes[i] == '\n') line++;
                throw new UserError(file + " line " + line + " holds bytes that are not text (UTF-8)" + what);
            }
            return out.flip().toString();
        }

        /** One cell: a number from lo to hi, whole if asked; anything else is a UserError naming line and column. */
        static double cell(String text, double lo, double hi, boolean whole, Path file, int line, int column) {
            String cell = text.strip(), where = file + " line " + line + ", column " + column + ": ";
            String wanted = (whole ? "a whole number" : "a number") + " from " + plain(lo) + " to " + plain(hi);
            if (cell.isEmpty()) throw new UserError(where + "the cell is empty; it should hold " + wanted);
            if (!NUMBER.matcher(cell).matches()) {
                throw new UserError(where + (cell.matches("[-+]?(NaN|Infinity)") ? "the value is not a finite number"
                        : "'" + shown(cell) + "' is not a number") + "; it should be " + wanted);
            }
            double v = Double.parseDouble(cell);
            if (v < lo || v > hi || (whole && v != Math.rint(v))) throw new UserError(where + "'" + shown(cell) + "' should be " + wanted);
            return v;
        }

        static String plain(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
        }

        /** A cell as a message may quote it: at most 20 characters, nothing invisible. */
        static String shown(String cell) {
            String cut = cell.length() > 20 ? cell.substring(0, 17) + "..." : cell;
            return cut.replaceAll("[\\p{Cntrl}\\p{Cf}]", "?");
        }
    }

    /** The file this lesson reads: 64 pixels, each a whole number from 0 to 16, and the digit. */
    static final LabelledCsv DIGITS = new LabelledCsv("datasets/digits.csv.gz", 64, 0, 16, true, 10, false);

    /**
     * The fewest images the lesson can work with: 20% of 26, rounded up, is the 6 test images
     * that step 5 prints, and the other 20 fill a batch of 16 to train on.
     */
    static final int MIN_IMAGES = 26;

    /** Reads a file in the format of datasets/digits.csv.gz (see LabelledCsv) with at least MIN_IMAGES images. */
    static Dataset readDigits(Path file) {
        Dataset data = DIGITS.read(file);
        if (data.size() < MIN_IMAGES) {
            throw new UserError(file + " holds " + data.size() + (data.size() == 1 ? " image" : " images") + "; the lesson needs at least " + MIN_IMAGES
                    + ", so that 20% of them make the 6 test images step 5 prints; give a larger file");
        }
        return data;
    }

    record Split(Dataset train, Dataset test) {}

    /** A seeded shuffle, then 20% (rounded up) to test on and the rest to train on, as train_test_split does. */
    static Split split(Dataset data, Random rng) {
        int n = data.size(), testSize = (int) Math.ceil(n * 0.2);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        shuffle(order, rng);
        return new Split(data.rows(Arrays.copyOfRange(order, testSize, n)), data.rows(Arrays.copyOfRange(order, 0, testSize)));
    }

    // ==================================================================================== plumbing
    // Flags, user errors, folders, PNG files and charts: the same code, byte for byte, in every
    // lesson (the chart only in those that draw one). None of it is about neural networks; you
    // can stop reading here.

    static {
        System.setProperty("java.awt.headless", "true"); // draw pictures without a screen
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
    }

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    /** The command line: "--name value" pairs and "--switch"es, each checked against USAGE. */
    record Flags(Map<String, String> given) {
        static Flags parse(String[] args) {
            Flags flags = new Flags(new HashMap<>());
            String usage = "; usage: " + USAGE.lines().findFirst().orElseThrow();
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                boolean isSwitch = USAGE.contains("[" + name + "]"), known = isSwitch || USAGE.contains("[" + name + " ");
                if (name.equals("--help")) System.out.println("usage: " + USAGE + "\n  --out DIR      where pictures go (default: out/ at the course's top)");
                if (name.equals("--help")) System.exit(0);
                if (!known && !name.equals("--out")) throw new UserError("unknown flag '" + name + "'" + usage);
                if (flags.given.containsKey(name)) throw new UserError(name + " is given twice" + usage);
                if (!isSwitch && i + 1 == args.length) throw new UserError(name + " needs a value" + usage);
                flags.given.put(name, isSwitch ? "" : args[++i]);
            }
            if (flags.given.containsKey("--out")) out = Path.of(flags.given.get("--out"));
            return flags;
        }

        boolean has(String name) {
            return given.containsKey(name);
        }

        /** The whole number given with a flag (or the fallback), which must lie in [min, max]. */
        long number(String name, long fallback, long min, long max) {
            String text = given.getOrDefault(name, "" + fallback);
            try {
                long value = Long.parseLong(text.strip());
                if (value >= min && value <= max) return value;
            } catch (NumberFormatException e) {
                // said below, with the range
            }
            String range = min == Long.MIN_VALUE ? "" : " from " + min + " to " + max;
            throw new UserError(name + " takes a whole number" + range + ", not '" + text + "'");
        }

        /** The number given with a flag (or the fallback), which must lie in [min, max]. */
        double decimal(String name, double fallback, double min, double max) {
            String text = given.getOrDefault(name, "" + fallback);
            try {
                double value = Double.parseDouble(text.strip());
                if (value >= min && value <= max) return value; // never NaN or infinite
            } catch (NumberFormatException e) {
                // said below, with the range
            }
            throw new UserError(name + " takes a number from " + min + " to " + max + ", not '" + text + "'");
        }
    }

    /** Stops a run whose loss is no longer a number: the steps overshoot and the weights blow up. */
    static void stopIfDiverged(double loss, int epoch, double rate) {
        if (!Double.isFinite(loss)) {
            throw new UserError("the loss became " + (loss > 0 ? "Infinity" : "undefined") + " at epoch " + epoch
                    + ": the learning rate " + rate + " is too large; try " + rate / 10);
        }
    }

    /** Where pictures go: the folder given with --out, else out/ at the course's top. */
    static Path out;

    static Path outDir() {
        return out != null ? out : courseDir().resolve("out");
    }

    /** The course's top folder: the nearest one, from the working folder up, that holds datasets/. */
    static Path courseDir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) if (Files.isDirectory(p.resolve("datasets"))) return p;
        return here;
    }

    /** Writes a PNG through a temporary file, so that a failure never leaves half a picture. */
    static Path savePng(BufferedImage image, String name) {
        Path dir = outDir().toAbsolutePath(), png = dir.resolve(name);
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UserError("cannot write " + name + ": " + dir + " is a file, not a folder; move it or give --out DIR");
        }
        try {
            Files.createDirectories(dir);
            Path partial = Files.createTempFile(dir, ".partial-", ".png");
            try {
                ImageIO.write(image, "png", partial.toFile());
                Files.move(partial, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            throw new UserError("could not write " + png + " (" + e.getMessage() + "); free some disk space or give --out DIR");
        }
        Path here = Path.of("").toAbsolutePath();
        return png.startsWith(courseDir()) ? here.relativize(png) : png; // out/x.png, not /home/.../out/x.png
    }

    // ---------------------------------------------------------------- charts, in the lessons that draw one

    /** A chart of lines or points, 800 x 500, with round ticks, axis labels and a legend. */
    static class Chart {
        enum Style { LINE, DASHED, DOTS, RINGS }

        record Series(String name, double[] x, double[] y, Style style) {}

        static final Color[] COLOURS = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), Color.DARK_GRAY};
        static final int LEFT = 80, RIGHT = 780, TOP = 40, BOTTOM = 445; // the plot area, in pixels
        final String title, xLabel, yLabel;
        final List<Series> series = new ArrayList<>();
        final List<String> names = new ArrayList<>(); // series with one name share a colour and a legend row
        double[] xRange, yRange; // fitted to the data unless a lesson fixes yRange
        boolean logY; // a logarithmic y axis: every factor of ten gets the same height

        Chart(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        Chart add(String name, double[] x, double[] y, Style style) {
            if (x.length != y.length) throw new IllegalArgumentException(x.length + " x values but " + y.length + " y values");
            series.add(new Series(name, x, y, style));
            if (!names.contains(name)) names.add(name);
            return this;
        }

        Path save(String name) {
            return savePng(draw(), name);
        }

        BufferedImage draw() {
            xRange = range(true);
            yRange = yRange != null ? yRange : range(false);
            BufferedImage image = new BufferedImage(800, 500, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.fillRect(0, 0, 800, 500);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            for (double t : ticks(xRange, false)) {
                g.setColor(new Color(232, 232, 232));
                g.drawLine((int) x(t), TOP, (int) x(t), BOTTOM);
                g.setColor(Color.BLACK);
                g.drawString(label(t), (int) x(t) - fm.stringWidth(label(t)) / 2, BOTTOM + 18);
            }
            for (double t : ticks(yRange, logY)) {
                g.setColor(new Color(232, 232, 232));
                g.drawLine(LEFT, (int) y(t), RIGHT, (int) y(t));
                g.setColor(Color.BLACK);
                g.drawString(label(t), LEFT - 8 - fm.stringWidth(label(t)), (int) y(t) + 4);
            }
            g.setClip(LEFT, TOP, RIGHT - LEFT, BOTTOM - TOP);
            for (Series s : series) {
                Path2D.Double line = new Path2D.Double();
                for (int i = 0; i < s.x.length; i++) {
                    if (i == 0) line.moveTo(x(s.x[i]), y(s.y[i])); else line.lineTo(x(s.x[i]), y(s.y[i]));
                    if (s.style == Style.DOTS || s.style == Style.RINGS) mark(g, s, x(s.x[i]), y(s.y[i]), null);
                }
                if (s.style == Style.LINE || s.style == Style.DASHED) mark(g, s, 0, 0, line);
            }
            g.setClip(null);
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, RIGHT - LEFT, BOTTOM - TOP);
            g.drawString(xLabel, (LEFT + RIGHT - fm.stringWidth(xLabel)) / 2, 484);
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, -(TOP + BOTTOM + fm.stringWidth(yLabel)) / 2, 18);
            g.rotate(Math.PI / 2);
            int width = 0, top = TOP + 10, height = 20 * names.size() + 8;
            for (String name : names) width = Math.max(width, fm.stringWidth(name) + 46);
            int left = hidden(LEFT + 10, top, width, height) < hidden(RIGHT - 10 - width, top, width, height)
                    ? LEFT + 10 : RIGHT - 10 - width; // the top corner where the legend hides fewer points
            g.setColor(Color.WHITE);
            g.fillRect(left, top, width, height);
            for (Series s : series) {
                int rowY = top + 14 + 20 * names.indexOf(s.name);
                mark(g, s, left + 19, rowY, s.style == Style.LINE || s.style == Style.DASHED ? new Line2D.Double(left + 8, rowY, left + 30, rowY) : null);
                g.setColor(Color.BLACK);
                g.drawString(s.name, left + 38, rowY + 5);
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, (800 - g.getFontMetrics().stringWidth(title)) / 2, TOP - 14);
            g.dispose();
            return image;
        }

        /** Draws the line, or else a dot or a ring at (px, py), in the colour of the series' name. */
        void mark(Graphics2D g, Series s, double px, double py, Shape line) {
            g.setColor(COLOURS[names.indexOf(s.name) % COLOURS.length]);
            g.setStroke(s.style == Style.DASHED
                    ? new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {7, 5}, 0)
                    : new BasicStroke(s.style == Style.LINE ? 2.5f : 1.5f));
            if (line != null) g.draw(line);
            else if (s.style == Style.DOTS) g.fill(new Ellipse2D.Double(px - 3, py - 3, 6, 6));
            else g.draw(new Ellipse2D.Double(px - 6, py - 6, 12, 12));
        }

        /** How many data points a box at (left, top) would cover. */
        int hidden(int left, int top, int width, int height) {
            int count = 0;
            for (Series s : series) {
                for (int i = 0; i < s.x.length; i++) {
                    double px = x(s.x[i]), py = y(s.y[i]);
                    if (px >= left && px <= left + width && py >= top && py <= top + height) count++;
                }
            }
            return count;
        }

        double x(double v) {
            return LEFT + (v - xRange[0]) / (xRange[1] - xRange[0]) * (RIGHT - LEFT);
        }

        double y(double v) {
            double[] r = yRange;
            double t = logY ? Math.log(v / r[0]) / Math.log(r[1] / r[0]) : (v - r[0]) / (r[1] - r[0]);
            return BOTTOM - t * (BOTTOM - TOP);
        }

        /** The smallest and largest finite x (or y) values; a log axis skips those at or below zero. */
        double[] range(boolean ofX) {
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (Series s : series) {
                for (double v : ofX ? s.x : s.y) {
                    if (Double.isFinite(v) && (ofX || !logY || v > 0)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
                }
            }
            if (lo > hi) { lo = 1; hi = 10; }
            if (hi - lo <= 1e-12 * Math.abs(hi)) return new double[] {lo - 1, hi + 1};
            boolean points = series.stream().anyMatch(s -> s.style == Style.DOTS || s.style == Style.RINGS);
            double margin = points && (ofX || !logY) ? 0.03 * (hi - lo) : 0; // whole dots, not halves, at the edges
            return new double[] {lo - margin, hi + margin};
        }

        /** Round values to mark on an axis: 1, 2 or 5 times a power of ten apart, or the powers of ten on a log axis. */
        static List<Double> ticks(double[] r, boolean log) {
            List<Double> ticks = new ArrayList<>();
            double step = Math.pow(10, Math.floor(Math.log10((r[1] - r[0]) / 5)));
            step *= (r[1] - r[0]) / step > 25 ? 5 : (r[1] - r[0]) / step > 10 ? 2 : 1;
            for (long k = (long) Math.ceil(r[0] / step); !log && k * step <= r[1] + step / 1e6; k++) ticks.add(k * step);
            for (double t = Math.pow(10, Math.ceil(Math.log10(r[0]))); log && t <= r[1] * 1.000001; t *= 10) ticks.add(t);
            return ticks;
        }

        static String label(double t) {
            return new BigDecimal(t).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        }
    }
}
