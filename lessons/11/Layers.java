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
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
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
import java.util.function.DoubleUnaryOperator;
import javax.imageio.ImageIO;

/**
 * Lesson 11: a network built from layers.
 *
 * Each layer knows two things only: how to turn its input X into its output Y (forward), and how
 * to turn dE/dY, the error's gradient at its output, into dE/dX at its input (backward), updating
 * its own parameters on the way. The network passes X forward and dE/dY back down its list of
 * layers. Every matrix holds one sample per row: the batch dimension comes first.
 *
 * Follows: Omar Aflak's article, from "Layer by Layer" to the XOR "Result"; see README.md for the
 * authors and link.
 * New here: the Layer interface (forward, backward); Dense, Y = XW + B; ActivationLayer, Y = f(Z);
 * Loss and MeanSquaredError; Network (add, use, predict, backward, fit, which stops a run whose
 * error is no longer a number); gradientCheck.
 * Carried: Activation from lesson 03, unchanged.
 * Changed: Layer: in lessons 09 and 10 a layer was a weight matrix with its activation built in;
 * here Layer is the interface that Dense and ActivationLayer implement, so that an activation is
 * a layer of its own. Matrix: lesson 09's mutable matrix, filled in place for speed, is rewritten
 * as a record whose operations (multiply, transpose, plusRow, hadamard, ...) return new matrices,
 * as numpy's do in the article: each layer reads like its formula.
 *
 * Run: java lessons/11/Layers.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3] [--every N]
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
                        + weights.cols() + " bias, got " + bias.shape());
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
            return input.multiply(weights).plusRow(bias);
        }

        public Matrix backward(Matrix outputGradient, double learningRate) {
            Matrix inputGradient = outputGradient.multiply(weights.transpose()); // dE/dX = dE/dY * W^T, with W before the step
            weightGradient = input.transpose().multiply(outputGradient);         // dE/dW = X^T * dE/dY
            biasGradient = outputGradient.columnSums();                          // dE/dB = dE/dY summed over the batch
            weights.step(weightGradient, learningRate);
            bias.step(biasGradient, learningRate);
            return inputGradient;
        }
    }

    /**
     * Applies an activation to every number: its input is the sums Z of the Dense layer before it,
     * its output Y = f(Z). It has no parameters, so backward only passes the gradient on, times f'(Z),
     * which lesson 03's Activation.derivative writes from the output Y: the layer keeps Y, not Z.
     */
    static class ActivationLayer implements Layer {
        final Activation activation;
        Matrix output; // kept by forward for backward

        ActivationLayer(Activation activation) {
            this.activation = activation;
        }

        public Matrix forward(Matrix input) {
            output = input.map(activation::apply);
            return output;
        }

        public Matrix backward(Matrix outputGradient, double learningRate) {
            return outputGradient.hadamard(output.map(activation::derivative)); // dE/dZ = dE/dY * f'(Z), element by element
        }
    }

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

    /** A loss turns the network's output and the target into one number E, and gives dE/dY to start backward. */
    interface Loss {
        double loss(Matrix predicted, Matrix target);

        Matrix gradient(Matrix predicted, Matrix target);
    }

    /** E = (1/n) sum (y_hat - t)^2 and dE/dy_hat = 2(y_hat - t)/n, where n counts every number in the batch (samples x outputs). */
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
        int epochsTrained; // by every call of fit so far

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

        /**
         * Gradient descent on batches of batchSize samples (the last may be smaller), in order. A run
         * whose error stops being a number (steps so large that the weights blow up) ends with one
         * line naming the epoch, counted over every call of fit, and the learning rate.
         */
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
                errors[epoch] = sum / x.rows(); // errors[0] is epoch 1 of this call
                stopIfDiverged(errors[epoch], ++epochsTrained, learningRate);
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

    /**
     * A rows x cols matrix stored row after row in one flat array: element (r, c) is data[r * cols + c].
     * Row r is sample r of a batch. Every operation returns a new matrix, except step, which moves
     * this one.
     */
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

        String shape() {
            return rows + "x" + cols;
        }

        /** Rows from (inclusive) to to (exclusive): a batch cut out of a data set. */
        Matrix rows(int from, int to) {
            return new Matrix(to - from, cols, Arrays.copyOfRange(data, from * cols, to * cols));
        }

        /**
         * this * b, in i-k-j order: for each row i and each k, add this(i,k) times row k of b to row i
         * of the result. A zero adds nothing and is skipped: most pixels of a digit (lesson 12) are 0.
         */
        Matrix multiply(Matrix b) {
            if (cols != b.rows) {
                throw new IllegalArgumentException("cannot multiply " + shape() + " by " + b.shape()
                        + ": the first has " + cols + " columns, the second " + b.rows + " rows");
            }
            Matrix c = new Matrix(rows, b.cols);
            for (int i = 0; i < rows; i++) {
                for (int k = 0; k < cols; k++) {
                    double a = data[i * cols + k];
                    if (a == 0) continue;
                    for (int j = 0; j < b.cols; j++) c.data[i * b.cols + j] += a * b.data[k * b.cols + j];
                }
            }
            return c;
        }

        /** Row r of this becomes column r of the result. */
        Matrix transpose() {
            Matrix t = new Matrix(cols, rows);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) t.data[c * rows + r] = data[r * cols + c];
            }
            return t;
        }

        /** Adds the one-row matrix row to every row (the bias, broadcast over the batch). */
        Matrix plusRow(Matrix row) {
            if (row.rows != 1 || row.cols != cols) {
                throw new IllegalArgumentException("expected a 1x" + cols + " row, got " + row.shape());
            }
            Matrix m = new Matrix(rows, cols);
            for (int i = 0; i < size(); i++) m.data[i] = data[i] + row.data[i % cols];
            return m;
        }

        /** One row: the sum of each column, that is, over the samples of a batch. */
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

        /** f applied to every number. */
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
                throw new IllegalArgumentException("expected a " + shape() + " matrix, got " + other.shape());
            }
        }
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/11/Layers.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3] [--every N]
              --seed N       seed of the starting weights (default 42)
              --rate X       the learning rate of the lesson's XOR run (default 0.1, the tutorial's)
              --epochs N     epochs of the lesson's XOR run (default 1000, the tutorial's)
              --every N      print the error of epoch 1 and of every Nth epoch (default: the first
                             and last three epochs and every 100th)
              --exercise N   run exercise N of the README instead of the lesson""";

    static final Matrix XOR_INPUTS = Matrix.of(new double[] {0, 0}, new double[] {0, 1}, new double[] {1, 0}, new double[] {1, 1});
    static final Matrix XOR_TARGETS = Matrix.of(new double[] {0}, new double[] {1}, new double[] {1}, new double[] {0});

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            double rate = flags.decimal("--rate", 0.1, 1e-6, 100);
            int epochs = (int) flags.number("--epochs", 1000, 1, 1_000_000);
            int every = (int) flags.number("--every", 0, 0, 1000);
            switch ((int) flags.number("--exercise", 0, 0, 3)) {
                case 1 -> exerciseSoftmax(seed);
                case 2 -> exerciseActivations(seed);
                case 3 -> exerciseBatches(seed);
                default -> lesson(seed, rate, epochs, every);
            }
        } catch (UserError e) {
            System.err.println("Layers: " + e.getMessage());
            System.exit(2);
        }
    }

    /** The tutorial's XOR network: Dense(2->3), f, Dense(3->1), f, trained with MSE. */
    static Network xorNetwork(Activation f, Random rng) {
        Network net = new Network();
        net.add(new Dense(2, 3, rng));
        net.add(new ActivationLayer(f));
        net.add(new Dense(3, 1, rng));
        net.add(new ActivationLayer(f));
        net.use(new MeanSquaredError());
        return net;
    }

    static void lesson(long seed, double rate, int epochs, int every) {
        System.out.println("Lesson 11: a network as a list of layers, each with forward and backward");

        System.out.println("\n1. The network: Dense(2->3), tanh, Dense(3->1), tanh, and the loss MSE");
        Network net = xorNetwork(Activation.TANH, new Random(seed));
        System.out.printf("   max relative error of backward against finite differences: %.1e%n",
                gradientCheck(net, XOR_INPUTS, XOR_TARGETS));
        System.out.println("   (every dE/dW, dE/dB and dE/dX of the four XOR samples, taken as one batch)");

        System.out.println("\n2. Training on XOR: " + epochs + " epochs, learning rate " + rate + ", one sample at a time");
        double[] errors = net.fit(XOR_INPUTS, XOR_TARGETS, epochs, rate);
        printErrors(errors, every);

        System.out.println("\n3. Predictions after training");
        Matrix predicted = net.predict(XOR_INPUTS);
        double worst = 0;
        for (int i = 0; i < XOR_INPUTS.rows(); i++) {
            System.out.printf("   [%.0f, %.0f] -> %9.6f   (target %.0f)%n", XOR_INPUTS.get(i, 0), XOR_INPUTS.get(i, 1),
                    predicted.get(i, 0), XOR_TARGETS.get(i, 0));
            worst = Math.max(worst, Math.abs(predicted.get(i, 0) - XOR_TARGETS.get(i, 0)));
        }
        System.out.printf("   the answer farthest from its target is off by %.4f: %s%n", worst, worst < 0.1
                ? "XOR is learned"
                : "XOR is not learned (see \"When it does not learn\" in the README)");

        Chart chart = new Chart("XOR: mean error per epoch", "epoch", "mean squared error");
        chart.add("Dense(2->3), tanh, Dense(3->1), tanh", epochNumbers(epochs), errors, Chart.Style.LINE);
        chart.yRange = new double[] {0, Arrays.stream(errors).max().orElse(1)}; // an error: from 0 up
        System.out.println("\nplot: " + chart.save("11-xor-error.png"));
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
                    // minus the max: same result, no overflow; a score equal to the max gives e^0 = 1 even when
                    // it is infinite, where Infinity - Infinity would be NaN
                    double score = input.get(r, c), e = score == max ? 1 : Math.exp(score - max);
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
        net.add(new ActivationLayer(Activation.TANH));
        net.add(new Dense(3, 2, rng));
        net.add(new Softmax());
        net.use(new MeanSquaredError());
        // two outputs: the probability of "0" and of "1"
        Matrix targets = Matrix.of(new double[] {1, 0}, new double[] {0, 1}, new double[] {0, 1}, new double[] {1, 0});
        System.out.printf("   gradient check through Softmax: max relative error %.1e%n",
                gradientCheck(net, XOR_INPUTS, targets));
        int epochs = 3000; // the softmax outputs move slowly under MSE: three times the lesson's epochs
        double[] errors = net.fit(XOR_INPUTS, targets, epochs, 0.1);
        System.out.printf("   %d epochs at learning rate 0.1: error %f (epoch 1) -> %f (epoch %d)%n",
                epochs, errors[0], errors[epochs - 1], epochs);
        Matrix p = net.predict(XOR_INPUTS);
        double lowest = 1;
        for (int i = 0; i < 4; i++) {
            int answer = (int) XOR_TARGETS.get(i, 0);
            System.out.printf("   [%.0f, %.0f] -> P(0) = %.4f, P(1) = %.4f   (answer %d)%n",
                    XOR_INPUTS.get(i, 0), XOR_INPUTS.get(i, 1), p.get(i, 0), p.get(i, 1), answer);
            lowest = Math.min(lowest, p.get(i, answer));
        }
        System.out.printf("   the lowest probability given to a right answer: %.4f%n", lowest);
        System.out.println("   Network, Dense, ActivationLayer and the loss did not change: Softmax only had to");
        System.out.println("   keep the promise of the Layer interface, dE/dY in, dE/dX out.");
    }

    /** Exercise 2: swap the activation layers. With activations as layers it is a one-word change. */
    static void exerciseActivations(long seed) {
        System.out.println("Exercise 2: the XOR network with each activation, seed " + seed + ", 1000 epochs, rate 0.1");
        int epochs = 1000;
        Chart chart = new Chart("XOR with four activation functions", "epoch", "mean squared error");
        double top = 0;
        for (Activation f : Activation.values()) {
            Network net = xorNetwork(f, new Random(seed));
            double[] errors = net.fit(XOR_INPUTS, XOR_TARGETS, epochs, 0.1);
            Matrix p = net.predict(XOR_INPUTS);
            System.out.printf("   %-11s error in epoch %d: %.6f   predictions %.3f %.3f %.3f %.3f%n", f.label, epochs,
                    errors[epochs - 1], p.get(0, 0), p.get(1, 0), p.get(2, 0), p.get(3, 0));
            chart.add(f.label, epochNumbers(epochs), errors, f == Activation.LEAKY_RELU ? Chart.Style.DASHED : Chart.Style.LINE);
            top = Math.max(top, Arrays.stream(errors).max().orElse(1));
        }
        chart.yRange = new double[] {0, Math.min(top, 1)}; // a ReLU run can start far above 1
        System.out.println("   plot: " + chart.save("11-activations-xor.png"));
        System.out.println("   seeds 0-99 that learn XOR (error below 0.01 in epoch 1000):");
        int most = -1;
        String best = "";
        for (Activation f : Activation.values()) {
            int learned = learnedSeeds(f, 100);
            System.out.printf("   %-11s %3d of 100%n", f.label, learned);
            if (learned == most) best += " and " + f.label;
            if (learned > most) { most = learned; best = f.label; }
        }
        System.out.println("   most often learned with " + best + ". sigmoid's slope is at most 1/4 (tanh's is 1),");
        System.out.println("   so its steps are smaller; a ReLU unit whose input is negative for all four samples");
        System.out.println("   has slope 0 and never recovers, where a leaky ReLU keeps a slope of 0.01.");
    }

    /** How many of the seeds 0 to seeds-1 give a network that learns XOR in 1000 epochs. */
    static int learnedSeeds(Activation f, int seeds) {
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
        double[] last = new double[3];
        int[][] runs = {{1, 1000}, {4, 1000}, {4, 4000}};
        for (int i = 0; i < runs.length; i++) {
            int batch = runs[i][0], epochs = runs[i][1];
            double[] errors = xorNetwork(Activation.TANH, new Random(seed)).fit(XOR_INPUTS, XOR_TARGETS, epochs, 0.1, batch);
            last[i] = errors[epochs - 1];
            System.out.printf("   batch size %d, %4d epochs = %4d steps: error in the last epoch %.6f%n",
                    batch, epochs, epochs * XOR_INPUTS.rows() / batch, last[i]);
        }
        System.out.println("   With MSE averaged over the batch, a batch's step is the mean of its samples' steps, and a");
        System.out.println("   batch of four takes a quarter of the steps per epoch. Against one sample at a time, the");
        System.out.printf("   batch ends %s after the same 1000 epochs, and %s after the same 4000 steps.%n",
                last[1] > last[0] ? "higher" : "lower", last[2] > last[0] ? "higher" : "lower");
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
