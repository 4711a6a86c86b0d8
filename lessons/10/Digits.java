import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Lesson 10: reading handwritten digits.
 *
 * The tutorial's final task: 1,797 images of 8x8 pixels, each a handwritten digit 0-9. The
 * speedy network of lesson 09, 64 inputs (one per pixel), 32 hidden sigmoid neurons and 10
 * sigmoid outputs (one per digit), learns to read them from 80% of the images and is judged
 * on the other 20%, which it never saw.
 *
 * Run: java lessons/10/Digits.java [--seed N] [--epochs N] [--data FILE.csv.gz] [--exercise 1|2|3] [--readme-figures]
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
        for (int r = 0; r < m.rows; r++) {
            for (int c = 0; c < m.cols; c++) t.data[c * m.rows + r] = m.data[r * m.cols + c];
        }
    }

    /** Sigmoid, with its derivative written from its output y, as in lesson 03 (which has the others too). */
    enum Activation {
        SIGMOID;

        double apply(double z) {
            return 1 / (1 + Math.exp(-z));
        }

        double derivative(double y) {
            return y * (1 - y);
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

        /** The tutorial's "xavier" start: weights ~ N(0, 1/inputs), biases ~ N(0, 0.1^2). */
        static Layer xavier(int inputs, int outputs, Activation activation, Random rng) {
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
            FastMatmul.multiply(x, weights, output); // Z = X.W
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
            inputTransposed = Matrix.reuse(inputTransposed, inputs, rows);
            transpose(input, inputTransposed);
            FastMatmul.multiply(inputTransposed, delta, weightGradients); // dW = X^T.dZ
            if (!needsInputGradient) return null;
            inputGradients = Matrix.reuse(inputGradients, rows, inputs);
            transpose(weights, weightsTransposed);
            FastMatmul.multiply(delta, weightsTransposed, inputGradients); // dX = dZ.W^T
            return inputGradients;
        }

        /** One step of gradient descent: W <- W - eta dW, b <- b - eta db. */
        void update(double learningRate) {
            for (int i = 0; i < weights.data.length; i++) weights.data[i] -= learningRate * weightGradients.data[i];
            for (int j = 0; j < outputs; j++) biases[j] -= learningRate * biasGradients[j];
        }
    }

    /** Layers in a row, trained a mini-batch at a time. */
    static final class SpeedyNetwork {
        final Layer[] layers;
        Matrix outputGradients;

        SpeedyNetwork(Layer... layers) {
            this.layers = layers;
            layers[0].needsInputGradient = false;
        }

        /** sizes = {inputs, hidden..., outputs}: sigmoid layers with the tutorial's "xavier" start. */
        static SpeedyNetwork xavier(int[] sizes, Random rng) {
            Layer[] layers = new Layer[sizes.length - 1];
            for (int l = 0; l < layers.length; l++) layers[l] = Layer.xavier(sizes[l], sizes[l + 1], Activation.SIGMOID, rng);
            return new SpeedyNetwork(layers);
        }

        Matrix forward(Matrix x) {
            for (Layer layer : layers) x = layer.forward(x);
            return x;
        }

        /**
         * dE/dO = O - T for E = 1/2 sum (t - o)^2 over the batch of the last forward pass, passed
         * back through every layer; each layer keeps its dW and db. Returns sum (t - o)^2.
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

        /** One step of gradient descent on one mini-batch. Returns the batch's sum (t - o)^2 before the step. */
        double backpropagate(Matrix x, Matrix targets, double learningRate) {
            forward(x);
            double squares = backward(targets);
            for (Layer layer : layers) layer.update(learningRate);
            return squares;
        }

        /**
         * Trains for `epochs` passes over the data, each in a fresh random order cut into batches
         * of batchSize rows, and prints the loss every printEvery epochs (0: never). Returns each
         * epoch's mean of sum (t - o)^2 per example.
         */
        double[] train(Matrix inputs, Matrix targets, int epochs, int batchSize, double learningRate, Random rng,
                int printEvery) {
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
                history[epoch] = squares / n;
                if (printEvery > 0 && (epoch % printEvery == 0 || epoch == epochs - 1)) {
                    System.out.printf("   epoch %5d  loss %.4f%n", epoch, history[epoch]);
                }
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

    /**
     * Lesson 09's fast product, the part this network uses: a 4 x 4 block of C lives in 16 local
     * variables (CPU registers) while k runs, so per k 8 loads feed 16 multiply-adds. Lesson 09
     * also has a vector kernel for wide products; this network's are at most HIDDEN = 32 wide,
     * too narrow for it to pay off.
     */
    static final class FastMatmul {
        /** C = A.B */
        static void multiply(Matrix a, Matrix b, Matrix c) {
            checkShapes(a, b, c);
            multiplySmall(a.data, b.data, c.data, a.rows, a.cols, b.cols);
        }

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

    // ---------------------------------------------------------------- the lesson

    static final int HIDDEN = 32, BATCH = 16;
    static final double LEARNING_RATE = 0.01;

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
        try {
            Options options = Options.parse(args);
            Dataset data = readDigits(options.data);
            switch (options.exercise) {
                case 0 -> lesson(data, options);
                case 1 -> exerciseScaledPixels(data, options.seed);
                case 2 -> exerciseHiddenSizes(data, options.seed);
                case 3 -> exerciseMistakes(data, options.seed);
                default -> throw new UserError("there is no exercise " + options.exercise + "; try --exercise 1, 2 or 3");
            }
        } catch (UserError e) {
            System.err.println("Digits: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(Dataset data, Options options) {
        System.out.println("Lesson 10: reading handwritten digits, 8x8 pixels, with the speedy network");

        System.out.println("\n1. The data: " + data.size() + " images from " + options.data.getFileName()
                + ", 64 pixels each, values 0 (paper) to 16 (ink)");
        int[] perDigit = new int[10];
        for (int label : data.labels()) perDigit[label]++;
        System.out.println("   images per digit: " + Arrays.toString(perDigit));
        System.out.println("   the first image, a " + data.labels()[0] + ", as its numbers and as ink:");
        printPixels(data.x(), 0);

        Random rng = new Random(options.seed);
        Split split = split(data, rng);
        System.out.println("\n2. Split 80/20 with the seeded generator: " + split.train().size() + " to train on, "
                + split.test().size() + " to test on. Targets are one-hot: a 3 is [0 0 0 1 0 0 0 0 0 0].");

        System.out.println("\n3. Train 64-" + HIDDEN + "-10 sigmoid, learning rate " + LEARNING_RATE + ", batches of " + BATCH
                + ", " + options.epochs + " epochs (the tutorial's configuration)");
        SpeedyNetwork net = SpeedyNetwork.xavier(new int[] {64, HIDDEN, 10}, rng);
        double[] loss = net.train(split.train().x(), split.train().oneHot(), options.epochs, BATCH, LEARNING_RATE, rng,
                Math.max(1, options.epochs / 12));

        int[] predicted = predict(net, split.test().x());
        int[][] confusion = confusion(predicted, split.test().labels());
        System.out.printf("%n4. Test accuracy: %.2f%% (%d of %d test images; the tutorial's numpy run reached 95.3%%)%n",
                100 * accuracy(predicted, split.test().labels()), correct(predicted, split.test().labels()), predicted.length);
        System.out.printf("   training accuracy: %.2f%%%n", 100 * accuracy(predict(net, split.train().x()), split.train().labels()));
        System.out.println("   Confusion matrix: row = the true digit, column = what the network read");
        printConfusion(confusion);

        System.out.println("\n5. The first test images, as the network read them");
        printDigits(split.test().x(), predicted, split.test().labels(), 0, 6);
        int[] mistakes = mistakes(predicted, split.test().labels());
        if (mistakes.length > 0) {
            System.out.println("   and its first mistakes:");
            printDigits(split.test().x(), predicted, split.test().labels(), mistakes, Math.min(6, mistakes.length));
        }

        Path grid = outDir().resolve("10-test-digits.png"), curve = outDir().resolve("10-loss.png");
        DigitGrid digits = new DigitGrid(split.test().x(), predicted, split.test().labels());
        Chart lossChart = lossChart(loss);
        save(digits.draw(), grid);
        save(lossChart.draw(), curve);
        System.out.println("\n   plot: " + grid);
        System.out.println("   plot: " + curve);
        if (options.readmeFigures) {
            save(digits.draw(), lessonDir().resolve("test-digits.png"));
            save(lossChart.draw(), lessonDir().resolve("loss.png"));
        }
    }

    /** The index of the largest output of each row: the digit the network reads. */
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

    static double accuracy(int[] predicted, int[] labels) {
        return correct(predicted, labels) / (double) labels.length;
    }

    /** counts[true digit][predicted digit] */
    static int[][] confusion(int[] predicted, int[] labels) {
        int[][] counts = new int[10][10];
        for (int i = 0; i < labels.length; i++) counts[labels[i]][predicted[i]]++;
        return counts;
    }

    static int[] mistakes(int[] predicted, int[] labels) {
        int[] wrong = new int[labels.length - correct(predicted, labels)];
        for (int i = 0, w = 0; i < labels.length; i++) if (predicted[i] != labels[i]) wrong[w++] = i;
        return wrong;
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

    /** Ink from light to dark: pixel value v (0..16) is drawn as INK.charAt(v * 4 / 17), twice for a squarer look. */
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

    static void printDigits(Matrix x, int[] predicted, int[] labels, int from, int count) {
        int[] rows = new int[count];
        for (int i = 0; i < count; i++) rows[i] = from + i;
        printDigits(x, predicted, labels, rows, count);
    }

    /** Images side by side, each under "read P, is T" (and "WRONG" where they differ). */
    static void printDigits(Matrix x, int[] predicted, int[] labels, int[] rows, int count) {
        StringBuilder title = new StringBuilder("   ");
        for (int i = 0; i < count; i++) {
            int r = rows[i];
            title.append(String.format("%-21s", "read " + predicted[r] + ", is " + labels[r] + (predicted[r] == labels[r] ? "" : " WRONG")));
        }
        System.out.println(title.toString().stripTrailing());
        for (int y = 0; y < 8; y++) {
            StringBuilder line = new StringBuilder("   ");
            for (int i = 0; i < count; i++) {
                line.append('|');
                for (int col = 0; col < 8; col++) line.append(ink(x.get(rows[i], y * 8 + col)));
                line.append("|   ");
            }
            System.out.println(line.toString().stripTrailing());
        }
    }

    static Chart lossChart(double[] loss) {
        double[] epochs = new double[loss.length];
        for (int e = 0; e < loss.length; e++) epochs[e] = e + 1;
        double[] logLoss = new double[loss.length];
        double low = 0, high = 0;
        for (int e = 0; e < loss.length; e++) {
            logLoss[e] = Math.log10(loss[e]);
            low = Math.min(low, Math.floor(logLoss[e]));
            high = Math.max(high, Math.ceil(logLoss[e]));
        }
        Chart chart = new Chart("Training loss, 64-" + HIDDEN + "-10 on the 8x8 digits (log scale)", "epoch",
                "mean sum (t - o)^2 per training image");
        chart.add("training loss", epochs, logLoss, false);
        chart.logY = true; // the loss falls from about 1 to 0.0004: only a log scale shows the whole way
        chart.yRange(low, high);
        return chart;
    }

    // ---------------------------------------------------------------- exercises

    /** Trains a fresh 64-hidden-10 network on a new split of data and returns its test accuracy. */
    static double trainAndTest(Dataset data, int hidden, int epochs, long seed) {
        Random rng = new Random(seed);
        Split split = split(data, rng);
        SpeedyNetwork net = SpeedyNetwork.xavier(new int[] {64, hidden, 10}, rng);
        net.train(split.train().x(), split.train().oneHot(), epochs, BATCH, LEARNING_RATE, rng, 0);
        return accuracy(predict(net, split.test().x()), split.test().labels());
    }

    /** Exercise 1: pixels scaled to 0..1 instead of the raw 0..16. */
    static void exerciseScaledPixels(Dataset data, long seed) {
        System.out.println("Exercise 1: raw pixels 0..16 against pixels divided by 16, same seed, test accuracy");
        Matrix scaled = new Matrix(data.x().rows, 64);
        for (int i = 0; i < scaled.data.length; i++) scaled.data[i] = data.x().data[i] / 16;
        Dataset small = new Dataset(scaled, data.labels());
        System.out.println("   epochs   raw 0..16   scaled 0..1");
        for (int epochs : new int[] {10, 100, 1000}) {
            System.out.printf("   %6d   %8.2f%%   %10.2f%%%n", epochs, 100 * trainAndTest(data, HIDDEN, epochs, seed),
                    100 * trainAndTest(small, HIDDEN, epochs, seed));
        }
        System.out.println("   The first layer's gradient dW = X^T.dZ has the pixels in it: with pixels 16 times");
        System.out.println("   smaller, its steps are 16 times smaller, and at this learning rate the scaled network");
        System.out.println("   starts slowly and catches up only after hundreds of epochs. Raw pixels make large");
        System.out.println("   sums w.x that push hidden sigmoids towards 0 or 1 (slope near 0); here that costs less.");
    }

    /** Exercise 2: how many hidden neurons does it take? */
    static void exerciseHiddenSizes(Dataset data, long seed) {
        System.out.println("Exercise 2: hidden layer sizes, 500 epochs, test accuracy (mean of 3 seeds)");
        System.out.println("   hidden   parameters   test accuracy");
        for (int hidden : new int[] {4, 8, 16, 32, 64}) {
            double sum = 0;
            for (long s = seed; s < seed + 3; s++) sum += trainAndTest(data, hidden, 500, s);
            System.out.printf("   %6d   %10d   %12.2f%%%n", hidden, 64 * hidden + hidden + hidden * 10 + 10, 100 * sum / 3);
        }
        System.out.println("   4 hidden neurons must squeeze 64 pixels into 4 numbers and lose digits on the way;");
        System.out.println("   from 16 on every doubling buys less: on 1,437 training images, 32 is a fair choice.");
    }

    /** Exercise 3: every mistake of the default run, with the network's two strongest outputs. */
    static void exerciseMistakes(Dataset data, long seed) {
        System.out.println("Exercise 3: the test images the network gets wrong (default run, 3000 epochs)");
        Random rng = new Random(seed);
        Split split = split(data, rng);
        SpeedyNetwork net = SpeedyNetwork.xavier(new int[] {64, HIDDEN, 10}, rng);
        net.train(split.train().x(), split.train().oneHot(), 3000, BATCH, LEARNING_RATE, rng, 0);
        Matrix o = net.forward(split.test().x());
        int[] predicted = predict(net, split.test().x()), wrong = mistakes(predicted, split.test().labels());
        for (int from = 0; from < wrong.length; from += 6) {
            int count = Math.min(6, wrong.length - from);
            printDigits(split.test().x(), predicted, split.test().labels(), Arrays.copyOfRange(wrong, from, from + count), count);
            StringBuilder scores = new StringBuilder("   ");
            for (int i = from; i < from + count; i++) {
                int r = wrong[i], truth = split.test().labels()[r];
                scores.append(String.format("%-21s", String.format("%d: %.2f %d: %.2f", predicted[r], o.get(r, predicted[r]), truth, o.get(r, truth))));
            }
            System.out.println(scores.toString().stripTrailing());
        }
        System.out.println("   " + wrong.length + " mistakes. Under each image: the output of the digit it read and of the true one.");
        System.out.println("   Many are hard for people too (a 9 with an open loop, a 1 with a long base); where");
        System.out.println("   both outputs are low, the network is unsure and a threshold could flag the image.");
    }

    // ---------------------------------------------------------------- data

    /** Images, one per row of x, and the digit each shows. */
    record Dataset(Matrix x, int[] labels) {
        int size() {
            return labels.length;
        }

        /** Digit 3 becomes the target row [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]. */
        Matrix oneHot() {
            Matrix t = new Matrix(size(), 10);
            for (int r = 0; r < size(); r++) t.data[r * 10 + labels[r]] = 1;
            return t;
        }

        Dataset rows(int[] indices) {
            Matrix picked = new Matrix(indices.length, x.cols);
            int[] y = new int[indices.length];
            for (int i = 0; i < indices.length; i++) {
                System.arraycopy(x.data, indices[i] * x.cols, picked.data, i * x.cols, x.cols);
                y[i] = labels[indices[i]];
            }
            return new Dataset(picked, y);
        }
    }

    /**
     * Reads datasets/digits.csv.gz: gzipped lines of 64 pixel values (whole numbers 0..16, row
     * by row) and the digit 0..9. Anything else is a UserError naming the file and the line.
     */
    static Dataset readDigits(Path file) {
        List<double[]> rows = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            int number = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                number++;
                if (line.isBlank()) continue;
                String[] cells = line.split(",", -1);
                if (cells.length != 65) {
                    throw new UserError(file + " line " + number + " has " + cells.length
                            + " fields, expected 65 (64 pixels and the digit); see datasets/README.md");
                }
                double[] pixels = new double[64];
                for (int c = 0; c < 64; c++) pixels[c] = whole(cells[c], 16, file, number, c + 1);
                rows.add(pixels);
                labels.add((int) whole(cells[64], 9, file, number, 65));
            }
        } catch (IOException e) {
            throw new UserError("cannot read " + file + (Files.exists(file) ? ": " + e.getMessage() : ": no such file")
                    + "; pass --data FILE.csv.gz in the format of datasets/digits.csv.gz");
        }
        if (rows.size() < 10) throw new UserError(file + " has " + rows.size() + " images; it needs at least 10 to train and test on");
        Matrix x = new Matrix(rows.size(), 64);
        for (int r = 0; r < rows.size(); r++) System.arraycopy(rows.get(r), 0, x.data, r * 64, 64);
        return new Dataset(x, labels.stream().mapToInt(Integer::intValue).toArray());
    }

    static double whole(String cell, int max, Path file, int line, int column) {
        try {
            int v = Integer.parseInt(cell.strip());
            if (v >= 0 && v <= max) return v;
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new UserError(file + " line " + line + ", column " + column + ": '" + cell.strip()
                + "' should be a whole number from 0 to " + max + "; see datasets/README.md");
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

    // ---------------------------------------------------------------- flags and errors

    static final String USAGE = "usage: java lessons/10/Digits.java [--seed N] [--epochs N] [--data FILE.csv.gz] [--exercise 1|2|3] [--readme-figures]";

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    record Options(long seed, int epochs, Path data, int exercise, boolean readmeFigures) {
        static Options parse(String[] args) {
            long seed = 42;
            int epochs = 3000, exercise = 0;
            Path data = courseRoot().resolve("datasets").resolve("digits.csv.gz");
            boolean readmeFigures = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = number(args, ++i, "--seed");
                    case "--epochs" -> epochs = (int) number(args, ++i, "--epochs");
                    case "--data" -> {
                        if (++i >= args.length) throw new UserError("--data needs a file name; " + USAGE);
                        data = Path.of(args[i]);
                    }
                    case "--exercise" -> exercise = (int) number(args, ++i, "--exercise");
                    case "--readme-figures" -> readmeFigures = true;
                    default -> throw new UserError("unknown flag '" + args[i] + "'; " + USAGE);
                }
            }
            if (epochs < 1 || epochs > 1_000_000) throw new UserError("--epochs needs a number from 1 to 1000000, not " + epochs);
            return new Options(seed, epochs, data, exercise, readmeFigures);
        }

        static long number(String[] args, int i, String flag) {
            if (i >= args.length) throw new UserError(flag + " needs a number; " + USAGE);
            try {
                return Long.parseLong(args[i]);
            } catch (NumberFormatException e) {
                throw new UserError(flag + " needs a whole number, not '" + args[i] + "'; " + USAGE);
            }
        }
    }

    // ---------------------------------------------------------------- output files

    /** The course's top folder: the first folder, walking up, that holds datasets/. */
    static Path courseRoot() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("datasets"))) return p;
        }
        return here;
    }

    /** out/ in the course's top folder. */
    static Path outDir() {
        return courseRoot().resolve("out");
    }

    /** This lesson's folder, where --readme-figures puts the pictures its README shows. */
    static Path lessonDir() {
        return courseRoot().resolve("lessons").resolve("10");
    }

    /** Writes into a temporary file first, so a failure never leaves half a PNG behind. */
    static void save(BufferedImage image, Path png) {
        try {
            Path dir = png.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".chart", ".png");
            try {
                ImageIO.write(image, "png", tmp.toFile());
                Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UserError("could not write " + png + ": " + e.getMessage());
        }
    }

    /**
     * Test images in a grid, each titled "read / true": the first 30 of the test set, then up
     * to 10 of the network's mistakes, framed and titled in red. A grey scale bar shows the pixel values.
     */
    static class DigitGrid {
        static final int WIDTH = 800, HEIGHT = 500, CELL = 78, PIXEL = 7, COLUMNS = 10, LEFT = 12;
        static final Color WRONG = new Color(214, 39, 40);

        static {
            System.setProperty("java.awt.headless", "true"); // draw without a screen
        }

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

    /** A line chart drawn with java.awt: axes, ticks, labels and a legend, saved as a PNG. */
    static class Chart {
        static final Color[] PALETTE = {
            new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75)};
        static final int WIDTH = 800, HEIGHT = 500, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 55;

        static {
            System.setProperty("java.awt.headless", "true"); // draw without a screen
        }

        record Series(String name, double[] x, double[] y, boolean dashed) {}

        final String title, xLabel, yLabel;
        final List<Series> series = new ArrayList<>();
        Double yMin, yMax;
        boolean logY; // the y values are log10 of what is shown: ticks at powers of ten, labelled 0.01, 0.1, 1

        Chart(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        void add(String name, double[] x, double[] y, boolean dashed) {
            series.add(new Series(name, x, y, dashed));
        }

        /** Fixes the y axis instead of fitting it to the data; points outside are clipped. */
        void yRange(double min, double max) {
            yMin = min;
            yMax = max;
        }

        BufferedImage draw() {
            double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
            for (Series s : series) {
                for (double v : s.x) { x0 = Math.min(x0, v); x1 = Math.max(x1, v); }
                for (double v : s.y) { y0 = Math.min(y0, v); y1 = Math.max(y1, v); }
            }
            if (yMin != null) { y0 = yMin; y1 = yMax; }
            Axis xAxis = new Axis(x0, x1, LEFT, WIDTH - RIGHT);
            Axis yAxis = new Axis(y0, y1, HEIGHT - BOTTOM, TOP);

            BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();

            // grid lines and tick labels
            for (double t : xAxis.ticks()) {
                int px = xAxis.pixel(t);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(px, TOP, px, HEIGHT - BOTTOM);
                g.setColor(Color.DARK_GRAY);
                String label = xAxis.format(t);
                g.drawString(label, px - fm.stringWidth(label) / 2, HEIGHT - BOTTOM + 18);
            }
            for (double t : logY ? decades(y0, y1) : yAxis.ticks()) {
                int py = yAxis.pixel(t);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(LEFT, py, WIDTH - RIGHT, py);
                g.setColor(Color.DARK_GRAY);
                String label = logY ? String.format("%." + Math.max(0, (int) -t) + "f", Math.pow(10, t)) : yAxis.format(t);
                g.drawString(label, LEFT - 8 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
            }
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);

            // the data, clipped to the plot area
            g.setClip(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
            for (int s = 0; s < series.size(); s++) {
                Series line = series.get(s);
                Path2D.Double path = new Path2D.Double();
                path.moveTo(xAxis.position(line.x[0]), yAxis.position(line.y[0]));
                for (int i = 1; i < line.x.length; i++) {
                    path.lineTo(xAxis.position(line.x[i]), yAxis.position(line.y[i]));
                }
                g.setColor(PALETTE[s % PALETTE.length]);
                g.setStroke(stroke(line.dashed));
                g.draw(path);
            }
            g.setClip(null);

            // title, axis labels, legend
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(title, (WIDTH - g.getFontMetrics().stringWidth(title)) / 2, TOP - 14);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            fm = g.getFontMetrics();
            g.drawString(xLabel, LEFT + (WIDTH - LEFT - RIGHT - fm.stringWidth(xLabel)) / 2, HEIGHT - 14);
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.rotate(-Math.PI / 2);
            rotated.drawString(yLabel, -(TOP + (HEIGHT - TOP - BOTTOM + fm.stringWidth(yLabel)) / 2), 20);
            rotated.dispose();
            drawLegend(g, xAxis, yAxis);
            g.dispose();
            return image;
        }

        /** The legend, in the top corner where it hides fewer data points. */
        /** The whole numbers from min to max: log10 of the powers of ten on a log axis. */
        static List<Double> decades(double min, double max) {
            List<Double> ticks = new ArrayList<>();
            for (double t = Math.ceil(min); t <= max; t++) ticks.add(t);
            return ticks;
        }

        void drawLegend(Graphics2D g, Axis xAxis, Axis yAxis) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            int width = 0;
            for (Series s : series) width = Math.max(width, fm.stringWidth(s.name));
            int rowHeight = 20, boxWidth = width + 46, boxHeight = rowHeight * series.size() + 8, y = TOP + 12;
            int left = LEFT + 12, right = WIDTH - RIGHT - 12 - boxWidth;
            int x = hidden(left, y, boxWidth, boxHeight, xAxis, yAxis) <= hidden(right, y, boxWidth, boxHeight, xAxis, yAxis)
                    ? left : right;
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.WHITE);
            g.fillRect(x, y, boxWidth, boxHeight);
            g.setColor(Color.GRAY);
            g.drawRect(x, y, boxWidth, boxHeight);
            for (int s = 0; s < series.size(); s++) {
                int rowY = y + 14 + s * rowHeight;
                g.setColor(PALETTE[s % PALETTE.length]);
                g.setStroke(stroke(series.get(s).dashed));
                g.drawLine(x + 8, rowY, x + 30, rowY);
                g.setColor(Color.BLACK);
                g.drawString(series.get(s).name, x + 38, rowY + fm.getAscent() / 2 - 1);
            }
        }

        /** How many data points would fall inside a box at (x, y). */
        int hidden(int x, int y, int width, int height, Axis xAxis, Axis yAxis) {
            int count = 0;
            for (Series s : series) {
                for (int i = 0; i < s.x.length; i++) {
                    double px = xAxis.position(s.x[i]), py = yAxis.position(s.y[i]);
                    if (px >= x && px <= x + width && py >= y && py <= y + height) count++;
                }
            }
            return count;
        }

        static BasicStroke stroke(boolean dashed) {
            return dashed
                    ? new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {7, 5}, 0)
                    : new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
        }
    }

    /** Maps data values to pixels, and picks round tick values (1, 2 or 5 times a power of ten). */
    record Axis(double min, double max, int fromPixel, int toPixel) {
        Axis {
            if (max - min < 1e-12) { min -= 1; max += 1; }
        }

        double position(double v) {
            return fromPixel + (v - min) / (max - min) * (toPixel - fromPixel);
        }

        int pixel(double v) {
            return (int) Math.round(position(v));
        }

        double step() {
            double rough = (max - min) / 6;
            double power = Math.pow(10, Math.floor(Math.log10(rough)));
            for (double m : new double[] {1, 2, 5}) if (m * power >= rough) return m * power;
            return 10 * power;
        }

        List<Double> ticks() {
            double step = step();
            List<Double> ticks = new ArrayList<>();
            for (double t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
                ticks.add(Math.abs(t) < step * 1e-9 ? 0 : t);
            }
            return ticks;
        }

        String format(double v) {
            int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step()) - 1e-9));
            return String.format("%." + decimals + "f", v);
        }
    }
}
