import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import javax.imageio.ImageIO;

/**
 * Lesson 11: a network built from layers.
 *
 * Each layer knows two things only: how to turn its input X into its output Y (forward), and how
 * to turn dE/dY, the error's gradient at its output, into dE/dX at its input (backward), updating
 * its own parameters on the way. The network just passes X forward and dE/dY back down the list.
 * Every matrix holds one sample per row: the batch dimension comes first.
 *
 * Run: java lessons/11/Layers.java [--seed N] [--exercise 1|2|3] [--every N] [--readme-figures]
 */
public class Layers {

    /** Forward: X -> Y. Backward: dE/dY -> dE/dX, updating the layer's own parameters, if any. */
    interface Layer {
        Matrix forward(Matrix input);

        Matrix backward(Matrix outputGradient, double learningRate);
    }

    /** Fully connected: Y = X*W + B, with W of size inputs x outputs and B one row of biases. */
    static class Dense implements Layer {
        final Matrix weights, bias;
        Matrix input;                        // kept by forward for backward
        Matrix weightGradient, biasGradient; // dE/dW and dE/dB of the last backward

        Dense(Matrix weights, Matrix bias) {
            if (bias.rows() != 1 || bias.cols() != weights.cols()) {
                throw new IllegalArgumentException("a layer with " + weights.cols() + " outputs needs a 1x"
                        + weights.cols() + " bias, got " + bias.rows() + "x" + bias.cols());
            }
            this.weights = weights;
            this.bias = bias;
        }

        /** Weights and biases drawn uniformly from [-0.5, 0.5), as the tutorial does. */
        Dense(int inputs, int outputs, Random rng) {
            this(Matrix.random(inputs, outputs, rng), Matrix.random(1, outputs, rng));
        }

        public Matrix forward(Matrix input) {
            if (input.cols() != weights.rows()) {
                throw new IllegalArgumentException("Dense layer expects " + weights.rows()
                        + " inputs per sample, got " + input.cols());
            }
            this.input = input;
            return input.times(weights).plusRow(bias);
        }

        public Matrix backward(Matrix outputGradient, double learningRate) {
            Matrix inputGradient = outputGradient.times(weights.transpose()); // dE/dX = dE/dY * W^T, with W before the step
            weightGradient = input.transpose().times(outputGradient);        // dE/dW = X^T * dE/dY
            biasGradient = outputGradient.columnSums();                      // dE/dB = dE/dY summed over the batch
            weights.step(weightGradient, learningRate);
            bias.step(biasGradient, learningRate);
            return inputGradient;
        }
    }

    /** Applies f to every number: Y = f(X). It has no parameters, so backward only passes the gradient on. */
    static class Activation implements Layer {
        final Function f;
        Matrix input;

        Activation(Function f) {
            this.f = f;
        }

        public Matrix forward(Matrix input) {
            this.input = input;
            return input.map(f::apply);
        }

        public Matrix backward(Matrix outputGradient, double learningRate) {
            return outputGradient.hadamard(input.map(f::prime)); // dE/dX = dE/dY * f'(X), element by element
        }
    }

    /** Activation functions and their derivatives. */
    enum Function {
        TANH("tanh") {
            double apply(double x) { return Math.tanh(x); }
            double prime(double x) { double t = Math.tanh(x); return 1 - t * t; }
        },
        SIGMOID("sigmoid") {
            double apply(double x) { return 1 / (1 + Math.exp(-x)); }
            double prime(double x) { double s = apply(x); return s * (1 - s); }
        },
        RELU("ReLU") {
            double apply(double x) { return Math.max(0, x); }
            double prime(double x) { return x > 0 ? 1 : 0; }
        };

        final String label;

        Function(String label) {
            this.label = label;
        }

        abstract double apply(double x);

        abstract double prime(double x);
    }

    /** A loss turns the network's output and the target into one number E, and gives dE/dY to start backward. */
    interface Loss {
        double loss(Matrix predicted, Matrix target);

        Matrix gradient(Matrix predicted, Matrix target);
    }

    /** E = (1/n) sum (y_hat - y)^2 and dE/dy_hat = 2(y_hat - y)/n, where n counts every number in the batch (samples x outputs). */
    static class MeanSquaredError implements Loss {
        public double loss(Matrix predicted, Matrix target) {
            Matrix difference = predicted.minus(target);
            return difference.hadamard(difference).sum() / difference.size();
        }

        public Matrix gradient(Matrix predicted, Matrix target) {
            return predicted.minus(target).scale(2.0 / predicted.size());
        }
    }

    /** A list of layers and a loss. It knows nothing about what the layers compute. */
    static class Network {
        final List<Layer> layers = new ArrayList<>();
        Loss loss;

        void add(Layer layer) {
            layers.add(layer);
        }

        void use(Loss loss) {
            this.loss = loss;
        }

        Matrix predict(Matrix x) {
            for (Layer layer : layers) x = layer.forward(x);
            return x;
        }

        /** Passes dE/dY from the loss back through every layer (each one takes its step); returns dE/dX of the input. */
        Matrix backward(Matrix output, Matrix target, double learningRate) {
            Matrix gradient = loss.gradient(output, target);
            for (int i = layers.size() - 1; i >= 0; i--) gradient = layers.get(i).backward(gradient, learningRate);
            return gradient;
        }

        /** The tutorial's training: one sample at a time, in order. Returns the mean error of each epoch. */
        double[] fit(Matrix x, Matrix y, int epochs, double learningRate) {
            return fit(x, y, epochs, learningRate, 1);
        }

        /** Gradient descent on batches of batchSize samples (the last may be smaller). */
        double[] fit(Matrix x, Matrix y, int epochs, double learningRate, int batchSize) {
            if (x.rows() != y.rows()) {
                throw new IllegalArgumentException(x.rows() + " inputs but " + y.rows() + " targets");
            }
            double[] errors = new double[epochs];
            for (int epoch = 0; epoch < epochs; epoch++) {
                double sum = 0;
                for (int start = 0; start < x.rows(); start += batchSize) {
                    int end = Math.min(start + batchSize, x.rows());
                    Matrix target = y.rows(start, end);
                    Matrix output = predict(x.rows(start, end));
                    sum += loss.loss(output, target) * (end - start); // the loss is a mean over the batch's samples
                    backward(output, target, learningRate);
                }
                errors[epoch] = sum / x.rows();
            }
            return errors;
        }
    }

    /**
     * Checks every dE/dW, dE/dB and dE/dX that backward computes against the central difference
     * (E(p + h) - E(p - h)) / 2h, and returns the largest relative error. Leaves the network as it was.
     */
    static double gradientCheck(Network net, Matrix x, Matrix y) {
        Matrix inputGradient = net.backward(net.predict(x), y, 0); // learning rate 0: gradients, no step
        double worst = compare(inputGradient, x, net, x, y);
        for (Layer layer : net.layers) {
            if (layer instanceof Dense dense) {
                worst = Math.max(worst, compare(dense.weightGradient, dense.weights, net, x, y));
                worst = Math.max(worst, compare(dense.biasGradient, dense.bias, net, x, y));
            }
        }
        return worst;
    }

    /** Nudges each number of p up and down by h, and compares the slope of E with the analytic gradient. */
    static double compare(Matrix analytic, Matrix p, Network net, Matrix x, Matrix y) {
        double h = 1e-5, worst = 0;
        for (int i = 0; i < p.size(); i++) {
            double saved = p.data()[i];
            p.data()[i] = saved + h;
            double up = net.loss.loss(net.predict(x), y);
            p.data()[i] = saved - h;
            double down = net.loss.loss(net.predict(x), y);
            p.data()[i] = saved;
            double numeric = (up - down) / (2 * h);
            // |a - n| / (|a| + |n|); the floor keeps gradients that are both ~0 from dividing noise by noise
            worst = Math.max(worst, Math.abs(analytic.data()[i] - numeric)
                    / Math.max(Math.abs(analytic.data()[i]) + Math.abs(numeric), 1e-7));
        }
        return worst;
    }

    /** A rows x cols matrix stored row after row in one flat array. Row r is sample r of a batch. */
    record Matrix(int rows, int cols, double[] data) {
        Matrix {
            if (data.length != rows * cols) {
                throw new IllegalArgumentException("a " + rows + "x" + cols + " matrix holds "
                        + rows * cols + " numbers, got " + data.length);
            }
        }

        Matrix(int rows, int cols) {
            this(rows, cols, new double[rows * cols]);
        }

        static Matrix of(double[]... rows) {
            Matrix m = new Matrix(rows.length, rows[0].length);
            for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, m.data, r * m.cols, m.cols);
            return m;
        }

        /** Numbers drawn uniformly from [-0.5, 0.5), the tutorial's np.random.rand(...) - 0.5. */
        static Matrix random(int rows, int cols, Random rng) {
            Matrix m = new Matrix(rows, cols);
            for (int i = 0; i < m.size(); i++) m.data[i] = rng.nextDouble() - 0.5;
            return m;
        }

        int size() {
            return data.length;
        }

        double get(int r, int c) {
            return data[r * cols + c];
        }

        /** Rows from (inclusive) to to (exclusive): a batch cut out of a data set. */
        Matrix rows(int from, int to) {
            return new Matrix(to - from, cols, Arrays.copyOfRange(data, from * cols, to * cols));
        }

        /** The matrix product, looping i-k-j so that the innermost loop walks both arrays in order. */
        Matrix times(Matrix b) {
            if (cols != b.rows) {
                throw new IllegalArgumentException("cannot multiply " + rows + "x" + cols + " by "
                        + b.rows + "x" + b.cols + ": expected " + cols + " rows, got " + b.rows);
            }
            Matrix c = new Matrix(rows, b.cols);
            for (int i = 0; i < rows; i++) {
                for (int k = 0; k < cols; k++) {
                    double a = data[i * cols + k];
                    for (int j = 0; j < b.cols; j++) c.data[i * b.cols + j] += a * b.data[k * b.cols + j];
                }
            }
            return c;
        }

        Matrix transpose() {
            Matrix t = new Matrix(cols, rows);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) t.data[c * rows + r] = data[r * cols + c];
            }
            return t;
        }

        /** Adds the one-row matrix row to every row (the bias, broadcast over the batch). */
        Matrix plusRow(Matrix row) {
            Matrix m = new Matrix(rows, cols);
            for (int i = 0; i < size(); i++) m.data[i] = data[i] + row.data[i % cols];
            return m;
        }

        Matrix columnSums() {
            Matrix sums = new Matrix(1, cols);
            for (int i = 0; i < size(); i++) sums.data[i % cols] += data[i];
            return sums;
        }

        double sum() {
            double s = 0;
            for (double v : data) s += v;
            return s;
        }

        Matrix map(DoubleUnaryOperator f) {
            Matrix m = new Matrix(rows, cols);
            for (int i = 0; i < size(); i++) m.data[i] = f.applyAsDouble(data[i]);
            return m;
        }

        Matrix scale(double s) {
            return map(v -> v * s);
        }

        Matrix minus(Matrix other) {
            requireSameShape(other);
            Matrix m = new Matrix(rows, cols);
            for (int i = 0; i < size(); i++) m.data[i] = data[i] - other.data[i];
            return m;
        }

        /** Element-wise product: entry i of this times entry i of other. */
        Matrix hadamard(Matrix other) {
            requireSameShape(other);
            Matrix m = new Matrix(rows, cols);
            for (int i = 0; i < size(); i++) m.data[i] = data[i] * other.data[i];
            return m;
        }

        /** One gradient-descent step in place: this -= learningRate * gradient. */
        void step(Matrix gradient, double learningRate) {
            requireSameShape(gradient);
            for (int i = 0; i < size(); i++) data[i] -= learningRate * gradient.data[i];
        }

        void requireSameShape(Matrix other) {
            if (rows != other.rows || cols != other.cols) {
                throw new IllegalArgumentException("expected a " + rows + "x" + cols + " matrix, got "
                        + other.rows + "x" + other.cols);
            }
        }
    }

    // ---------------------------------------------------------------- the lesson

    static final Matrix XOR_INPUTS = Matrix.of(new double[] {0, 0}, new double[] {0, 1}, new double[] {1, 0}, new double[] {1, 1});
    static final Matrix XOR_TARGETS = Matrix.of(new double[] {0}, new double[] {1}, new double[] {1}, new double[] {0});

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
        try {
            Options options = Options.parse(args);
            switch (options.exercise) {
                case 0 -> lesson(options);
                case 1 -> exerciseSoftmax(options.seed);
                case 2 -> exerciseActivations(options.seed);
                case 3 -> exerciseBatches(options.seed);
                default -> throw new UserError("there is no exercise " + options.exercise
                        + "; try --exercise 1, 2 or 3");
            }
        } catch (UserError e) {
            System.err.println("Layers: " + e.getMessage());
            System.exit(2);
        }
    }

    /** The tutorial's XOR network: Dense(2->3), f, Dense(3->1), f, trained with MSE. */
    static Network xorNetwork(Function f, Random rng) {
        Network net = new Network();
        net.add(new Dense(2, 3, rng));
        net.add(new Activation(f));
        net.add(new Dense(3, 1, rng));
        net.add(new Activation(f));
        net.use(new MeanSquaredError());
        return net;
    }

    static void lesson(Options options) {
        System.out.println("Lesson 11: a network as a list of layers, each with forward and backward");

        System.out.println("\n1. The network: Dense(2->3), tanh, Dense(3->1), tanh, and the loss MSE");
        Network net = xorNetwork(Function.TANH, new Random(options.seed));
        System.out.printf("   max relative error of backward against finite differences: %.1e%n",
                gradientCheck(net, XOR_INPUTS, XOR_TARGETS));
        System.out.println("   (every dE/dW, dE/dB and dE/dX of the four XOR samples, taken as one batch)");

        System.out.println("\n2. Training on XOR: 1000 epochs, learning rate 0.1, one sample at a time");
        int epochs = 1000;
        double[] errors = net.fit(XOR_INPUTS, XOR_TARGETS, epochs, 0.1);
        printErrors(errors, options.every);

        System.out.println("\n3. Predictions after training");
        Matrix predicted = net.predict(XOR_INPUTS);
        for (int i = 0; i < XOR_INPUTS.rows(); i++) {
            System.out.printf("   [%.0f, %.0f] -> %9.6f   (target %.0f)%n", XOR_INPUTS.get(i, 0), XOR_INPUTS.get(i, 1),
                    predicted.get(i, 0), XOR_TARGETS.get(i, 0));
        }

        Chart chart = new Chart("XOR: mean error per epoch", "epoch", "mean squared error");
        chart.add("Dense(2->3), tanh, Dense(3->1), tanh", epochNumbers(epochs), errors, false);
        Path png = outDir().resolve("11-xor-error.png");
        save(chart, png);
        System.out.println("\nplot: " + png);
        if (options.readmeFigures) {
            Path figure = lessonDir().resolve("xor-error.png");
            save(chart, figure);
            System.out.println("README figure: " + figure);
        }
    }

    /** The tutorial's line "epoch 1/1000   error=0.322980", for the epochs worth showing. */
    static void printErrors(double[] errors, int every) {
        int n = errors.length;
        for (int epoch = 1; epoch <= n; epoch++) {
            boolean show = every > 0 ? epoch == 1 || epoch % every == 0
                    : epoch <= 3 || epoch > n - 3 || epoch % 100 == 0; // the tutorial's beginning and end, and each 100th
            if (show) System.out.printf("epoch %d/%d   error=%f%n", epoch, n, errors[epoch - 1]);
            else if (every == 0 && epoch == 4) System.out.println("...   (--every 1 prints every epoch)");
        }
    }

    static double[] epochNumbers(int epochs) {
        double[] x = new double[epochs];
        for (int i = 0; i < epochs; i++) x[i] = i + 1;
        return x;
    }

    // ---------------------------------------------------------------- exercises

    /**
     * Exercise 1: a new kind of layer, added without touching anything above. Softmax turns a row
     * of scores into probabilities, y_j = e^x_j / sum_k e^x_k. Each output depends on every input,
     * so backward is not element-wise: dE/dx_j = y_j (dE/dy_j - sum_k dE/dy_k y_k).
     */
    static class Softmax implements Layer {
        Matrix output;

        public Matrix forward(Matrix input) {
            output = new Matrix(input.rows(), input.cols());
            for (int r = 0; r < input.rows(); r++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int c = 0; c < input.cols(); c++) max = Math.max(max, input.get(r, c));
                for (int c = 0; c < input.cols(); c++) {
                    double e = Math.exp(input.get(r, c) - max); // minus the max: same result, no overflow
                    output.data()[r * input.cols() + c] = e;
                    sum += e;
                }
                for (int c = 0; c < input.cols(); c++) output.data()[r * input.cols() + c] /= sum;
            }
            return output;
        }

        public Matrix backward(Matrix outputGradient, double learningRate) {
            Matrix inputGradient = new Matrix(output.rows(), output.cols());
            for (int r = 0; r < output.rows(); r++) {
                double dot = 0;
                for (int c = 0; c < output.cols(); c++) dot += outputGradient.get(r, c) * output.get(r, c);
                for (int c = 0; c < output.cols(); c++) {
                    inputGradient.data()[r * output.cols() + c] = output.get(r, c) * (outputGradient.get(r, c) - dot);
                }
            }
            return inputGradient;
        }
    }

    static void exerciseSoftmax(long seed) {
        System.out.println("Exercise 1: a Softmax layer, plugged in with add() and nothing else changed");
        Random rng = new Random(seed);
        Network net = new Network();
        net.add(new Dense(2, 3, rng));
        net.add(new Activation(Function.TANH));
        net.add(new Dense(3, 2, rng));
        net.add(new Softmax());
        net.use(new MeanSquaredError());
        // two outputs: the probability of "0" and of "1"
        Matrix targets = Matrix.of(new double[] {1, 0}, new double[] {0, 1}, new double[] {0, 1}, new double[] {1, 0});
        System.out.printf("   gradient check through Softmax: max relative error %.1e%n",
                gradientCheck(net, XOR_INPUTS, targets));
        int epochs = 3000; // the softmax outputs move slowly under MSE: three times the lesson's epochs
        double[] errors = net.fit(XOR_INPUTS, targets, epochs, 0.1);
        System.out.printf("   %d epochs at learning rate 0.1: error %f -> %f%n", epochs, errors[0], errors[epochs - 1]);
        Matrix p = net.predict(XOR_INPUTS);
        for (int i = 0; i < 4; i++) {
            System.out.printf("   [%.0f, %.0f] -> P(0) = %.4f, P(1) = %.4f   (answer %.0f)%n",
                    XOR_INPUTS.get(i, 0), XOR_INPUTS.get(i, 1), p.get(i, 0), p.get(i, 1), XOR_TARGETS.get(i, 0));
        }
        System.out.println("   Network, Dense, Activation and the loss did not change: Softmax only had to");
        System.out.println("   keep the promise of the Layer interface, dE/dY in, dE/dX out.");
    }

    /** Exercise 2: swap the activation layers. With activations as layers it is a one-word change. */
    static void exerciseActivations(long seed) {
        System.out.println("Exercise 2: the XOR network with tanh, sigmoid and ReLU, same seed, 1000 epochs, rate 0.1");
        int epochs = 1000;
        Chart chart = new Chart("XOR with three activation functions", "epoch", "mean squared error");
        for (Function f : Function.values()) {
            Network net = xorNetwork(f, new Random(seed));
            double[] errors = net.fit(XOR_INPUTS, XOR_TARGETS, epochs, 0.1);
            Matrix p = net.predict(XOR_INPUTS);
            System.out.printf("   %-8s final error %.6f   predictions %.3f %.3f %.3f %.3f%n", f.label,
                    errors[epochs - 1], p.get(0, 0), p.get(1, 0), p.get(2, 0), p.get(3, 0));
            chart.add(f.label, epochNumbers(epochs), errors, false);
        }
        Path png = outDir().resolve("11-activations-xor.png");
        save(chart, png);
        System.out.println("   plot: " + png);
        System.out.print("   seeds 0-99 that learn XOR (final error < 0.01):");
        for (Function f : Function.values()) System.out.printf("  %s %d", f.label, learnedSeeds(f, 100));
        System.out.println();
        System.out.println("   sigmoid's slope is at most 1/4 (tanh's is 1), so its steps are smaller: it needs");
        System.out.println("   about 20 times the epochs. ReLU is exact when it works, but a unit whose input is");
        System.out.println("   negative for all four samples has slope 0 and never recovers.");
    }

    /** How many of the seeds 0 to seeds-1 give a network that learns XOR in 1000 epochs. */
    static int learnedSeeds(Function f, int seeds) {
        int learned = 0;
        for (int seed = 0; seed < seeds; seed++) {
            double[] errors = xorNetwork(f, new Random(seed)).fit(XOR_INPUTS, XOR_TARGETS, 1000, 0.1);
            if (errors[errors.length - 1] < 0.01) learned++;
        }
        return learned;
    }

    /** Exercise 3: the same data as one batch of four. One matrix product per layer, one step per epoch. */
    static void exerciseBatches(long seed) {
        System.out.println("Exercise 3: one sample at a time against the whole batch of four");
        for (int[] run : new int[][] {{1, 1000}, {4, 1000}, {4, 4000}}) {
            Network net = xorNetwork(Function.TANH, new Random(seed));
            double[] errors = net.fit(XOR_INPUTS, XOR_TARGETS, run[1], 0.1, run[0]);
            System.out.printf("   batch size %d, %4d epochs = %4d steps: final error %.6f%n",
                    run[0], run[1], run[1] * XOR_INPUTS.rows() / run[0], errors[run[1] - 1]);
        }
        System.out.println("   With MSE averaged over the batch, a batch's step is the mean of its samples' steps,");
        System.out.println("   so a batch of four takes a quarter of the steps per epoch, and needs about four");
        System.out.println("   times the epochs to get as far. What it gains is speed: one product per layer.");
    }

    // ---------------------------------------------------------------- flags and errors

    static final String USAGE = "usage: java lessons/11/Layers.java [--seed N] [--exercise 1|2|3] [--every N] [--readme-figures]";

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    /** --every N prints every Nth epoch's error (0, the default: the first and last three and each 100th). */
    record Options(long seed, int exercise, int every, boolean readmeFigures) {
        static Options parse(String[] args) {
            long seed = 42;
            int exercise = 0, every = 0;
            boolean readmeFigures = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = number(args, ++i, "--seed");
                    case "--exercise" -> exercise = (int) number(args, ++i, "--exercise");
                    case "--every" -> every = (int) number(args, ++i, "--every");
                    case "--readme-figures" -> readmeFigures = true;
                    default -> throw new UserError("unknown flag '" + args[i] + "'; " + USAGE);
                }
            }
            if (every < 0) throw new UserError("--every needs a number of epochs >= 1, not " + every);
            return new Options(seed, exercise, every, readmeFigures);
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
        return courseRoot().resolve("lessons").resolve("11");
    }

    /** Writes the chart, or says in one line why it could not. */
    static void save(Chart chart, Path png) {
        try {
            chart.save(png);
        } catch (IOException e) {
            throw new UserError("could not write " + png + ": " + e.getMessage());
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

        Chart(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        void add(String name, double[] x, double[] y, boolean dashed) {
            series.add(new Series(name, x, y, dashed));
        }

        BufferedImage draw() {
            double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
            for (Series s : series) {
                for (double v : s.x) { x0 = Math.min(x0, v); x1 = Math.max(x1, v); }
                for (double v : s.y) { y0 = Math.min(y0, v); y1 = Math.max(y1, v); }
            }
            Axis xAxis = new Axis(x0, x1, LEFT, WIDTH - RIGHT);
            Axis yAxis = new Axis(Math.min(0, y0), y1, HEIGHT - BOTTOM, TOP); // errors: start the axis at 0

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
            for (double t : yAxis.ticks()) {
                int py = yAxis.pixel(t);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(LEFT, py, WIDTH - RIGHT, py);
                g.setColor(Color.DARK_GRAY);
                String label = yAxis.format(t);
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
            drawLegend(g);
            g.dispose();
            return image;
        }

        /** The legend, in the top right corner: these curves fall, so that corner stays empty. */
        void drawLegend(Graphics2D g) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            int width = 0;
            for (Series s : series) width = Math.max(width, fm.stringWidth(s.name));
            int rowHeight = 20, x = WIDTH - RIGHT - 12 - (width + 46), y = TOP + 12;
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.WHITE);
            g.fillRect(x, y, width + 46, rowHeight * series.size() + 8);
            g.setColor(Color.GRAY);
            g.drawRect(x, y, width + 46, rowHeight * series.size() + 8);
            for (int s = 0; s < series.size(); s++) {
                int rowY = y + 14 + s * rowHeight;
                g.setColor(PALETTE[s % PALETTE.length]);
                g.setStroke(stroke(series.get(s).dashed));
                g.drawLine(x + 8, rowY, x + 30, rowY);
                g.setColor(Color.BLACK);
                g.drawString(series.get(s).name, x + 38, rowY + fm.getAscent() / 2 - 1);
            }
        }

        static BasicStroke stroke(boolean dashed) {
            return dashed
                    ? new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {7, 5}, 0)
                    : new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
        }

        /** Draws into a temporary file first, so a failure never leaves half a PNG behind. */
        void save(Path png) throws IOException {
            Path dir = png.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".chart", ".png");
            try {
                ImageIO.write(draw(), "png", tmp.toFile());
                Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
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
