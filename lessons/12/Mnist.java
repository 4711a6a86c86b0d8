import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
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
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Lesson 12: reading handwritten digits with the layers of lesson 11.
 *
 * The network is lesson 11's list of layers, unchanged. What is new is the data, 28x28 images of
 * the digits 0-9 read from MNIST's own file format, IDX, and how the network is trained on them:
 * first the tutorial's own experiment, one image at a time, then a bigger run in shuffled
 * mini-batches with a softmax cross-entropy loss that reads about 96% of new digits right.
 *
 * Follows: Omar Aflak's article, section "Solve MNIST"; see README.md for the authors and link.
 * New here: the IDX reader (load, find, Idx); SoftmaxCrossEntropy, a second Loss, and its logSoftmax;
 * train, shuffled mini-batches; glorotUniform, a second start for Dense.
 * Carried: Layer, Dense, ActivationLayer, Activation, Loss, MeanSquaredError, Network,
 * gradientCheck and Matrix from lesson 11, and Dataset from lesson 10, unchanged.
 * Changed: DigitGrid: lesson 10's picture of 8x8 digits, redrawn for 28x28 images in two
 * sections, the first test images and the first mistakes.
 *
 * Run: java lessons/12/Mnist.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3] [--data-dir DIR] [--train N]
 */
public class Mnist {

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

    /**
     * Softmax and cross-entropy in one loss, for the bigger run. The last Dense layer's ten outputs
     * are scores s; softmax turns each row into probabilities p_j = e^(s_j) / sum_k e^(s_k), and
     * E = -(1/m) sum ln p_(true class) over the batch's m samples. Together: dE/ds = (p - t)/m.
     */
    static class SoftmaxCrossEntropy implements Loss {
        public double loss(Matrix scores, Matrix target) {
            scores.requireSameShape(target);
            Matrix logP = logSoftmax(scores);
            double sum = 0;
            for (int i = 0; i < logP.size(); i++) if (target.data()[i] == 1) sum -= logP.data()[i];
            return sum / scores.rows();
        }

        public Matrix gradient(Matrix scores, Matrix target) {
            return softmax(scores).minus(target).scale(1.0 / scores.rows());
        }

        /** p_j = e^(ln p_j), from the exact logs below: no e^800 to overflow, no 0/0 for infinite scores. */
        static Matrix softmax(Matrix scores) {
            return logSoftmax(scores).map(Math::exp);
        }

        /**
         * ln p_j = s_j - ln sum_k e^(s_k), computed as (s_j - max) - ln sum_k e^(s_k - max), which is
         * the same number (log-sum-exp). Taking the log of p itself would fail: for the scores
         * [0, 800], p_0 = e^-800 is below the smallest double and becomes 0, and -ln 0 = Infinity,
         * where ln p_0 = -800 - ln(1 + e^-800) = -800 exactly. Every sum holds the max's own e^0 = 1,
         * so its log never meets 0. A score equal to the max counts as 0 even when it is infinite
         * (Infinity - Infinity would be NaN): the infinite scores share the probability, the others get 0.
         */
        static Matrix logSoftmax(Matrix scores) {
            Matrix logP = new Matrix(scores.rows(), scores.cols());
            for (int r = 0; r < scores.rows(); r++) {
                int from = r * scores.cols(), to = from + scores.cols();
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = from; i < to; i++) max = Math.max(max, scores.data()[i]);
                for (int i = from; i < to; i++) {
                    double s = scores.data()[i];
                    logP.data()[i] = s == max ? 0 : s - max;
                    sum += Math.exp(logP.data()[i]);
                }
                double logSum = Math.log(sum);
                for (int i = from; i < to; i++) logP.data()[i] -= logSum;
            }
            return logP;
        }
    }

    /**
     * Glorot (also called Xavier) uniform start: weights uniform in +/-sqrt(6 / (inputs + outputs)),
     * biases 0. It keeps the spread of the sums about the same from layer to layer, so that no tanh
     * starts out flat. (Dense's own constructor is the tutorial's start: everything in [-0.5, 0.5).)
     */
    static Dense glorotUniform(int inputs, int outputs, Random rng) {
        double limit = Math.sqrt(6.0 / (inputs + outputs));
        return new Dense(Matrix.random(inputs, outputs, rng).scale(2 * limit), new Matrix(1, outputs));
    }

    /**
     * Mini-batch gradient descent, as lesson 09 trains: every epoch visits the samples in a new
     * order drawn from rng, batchSize at a time (the last batch may be smaller), and change may
     * alter each batch of images before it goes in. Prints and returns the mean error of each epoch;
     * an error that is no longer a number ends the run with one line, as in lesson 11's fit.
     */
    static double[] train(Network net, Dataset data, int epochs, int batchSize, double learningRate, Random rng,
            UnaryOperator<Matrix> change) {
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        double[] errors = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++) {
            shuffle(order, rng);
            double sum = 0;
            for (int start = 0; start < order.length; start += batchSize) {
                int end = Math.min(start + batchSize, order.length);
                Dataset batch = data.rows(Arrays.copyOfRange(order, start, end));
                Matrix target = batch.oneHot();
                Matrix output = net.predict(change.apply(batch.x()));
                sum += net.loss.loss(output, target) * (end - start); // the loss is a mean over the batch's samples
                net.backward(output, target, learningRate);
            }
            errors[epoch] = sum / order.length;
            stopIfDiverged(errors[epoch], epoch + 1, learningRate); // as lesson 11's fit does
            System.out.printf("epoch %d/%d   error=%f%n", epoch + 1, epochs, errors[epoch]);
        }
        return errors;
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

    // The IDX files: each image a row of 784 numbers in [0, 1] (pixel / 255), with its label 0-9.

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

    static final int IMAGES_MAGIC = 0x00000803, LABELS_MAGIC = 0x00000801, SIDE = 28;
    static final long MAX_BYTES = Integer.MAX_VALUE; // 2 GiB, the most one Java array holds; MNIST's 60,000 images are 47 MB
    static final String FILES = "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte"
            + " and t10k-labels-idx1-ubyte (each may end in .gz)";

    /**
     * Loads the first (at most) limit images of a split, "train" or "t10k", with their labels. A
     * split of fewer than minimum images is refused, saying what the lesson needs them for (purpose).
     * Both headers are read and checked before any memory is set aside for the images.
     */
    static Dataset load(Path dir, String split, int limit, int minimum, String purpose) {
        Path imageFile = find(dir, split + "-images-idx3-ubyte");
        Path labelFile = find(dir, split + "-labels-idx1-ubyte");
        try (Idx images = Idx.open(imageFile, IMAGES_MAGIC, SIDE, SIDE); Idx labels = Idx.open(labelFile, LABELS_MAGIC)) {
            if (images.count() != labels.count()) {
                throw new UserError(imageFile + " holds " + images.count() + " images but " + labelFile + " holds "
                        + labels.count() + " labels; the two files must come from the same set");
            }
            if (images.count() < minimum) {
                throw new UserError(imageFile + " holds " + images.count() + " images; the lesson needs at least "
                        + minimum + " " + purpose);
            }
            int n = Math.min(limit, images.count()), pixels = SIDE * SIDE;
            long bytes = (long) n * pixels * (1 + Double.BYTES), memory = Runtime.getRuntime().maxMemory();
            if (bytes > memory / 2) { // the pixels as read, then as numbers; leave room for the rest
                throw new UserError(String.format("%d images of %s need %d MB, more than half the %d MB this Java may"
                        + " use; %s give Java more memory (java -Xmx...)", n, imageFile, bytes >> 20, memory >> 20,
                        split.equals("train") ? "take fewer with --train N, or" : "use a smaller test set, or"));
            }
            byte[] y = labels.read(labels.count()), x = images.read(n); // every label is checked, n images kept
            Dataset data = new Dataset(new Matrix(n, pixels), new int[n], 10);
            for (int i = 0; i < y.length; i++) {
                int label = y[i] & 0xFF;
                if (label > 9) throw new UserError(labelFile + ": label " + label + " of image " + i + " is outside 0-9");
                if (i < n) data.labels()[i] = label;
            }
            for (int i = 0; i < x.length; i++) data.x().data()[i] = (x[i] & 0xFF) / 255.0;
            return data;
        }
    }

    /** dir/name, or dir/name.gz; otherwise says which file is missing and what to pass. */
    static Path find(Path dir, String name) {
        for (String candidate : new String[] {name + ".gz", name}) {
            Path file = dir.resolve(candidate);
            if (Files.isRegularFile(file)) return file;
            if (Files.exists(file)) {
                throw new UserError(file + " is not a file but a folder or a device; --data-dir needs a folder holding " + FILES);
            }
        }
        throw new UserError(dir + " has no " + name + " (nor " + name + ".gz); --data-dir needs a folder holding "
                + FILES);
    }

    /**
     * An IDX file of unsigned bytes, opened, with its header read and checked. IDX: a magic number
     * (0x0800 plus the number of dimensions), each dimension as a 32-bit big-endian int, then the
     * bytes, item after item: count items of itemBytes bytes each (an image is 28x28 = 784 bytes, a
     * label 1). A file that starts with gzip's two magic bytes 1f 8b is unzipped on the way.
     */
    record Idx(Path file, InputStream in, int count, int itemBytes) implements AutoCloseable {
        /** Opens file and checks its header: the magic number, and itemShape, the size of each item. */
        static Idx open(Path file, int magic, int... itemShape) {
            InputStream in = null;
            try {
                in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
                in.mark(2);
                boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
                in.reset();
                if (gzip) in = new GZIPInputStream(in, 1 << 16);
                int headerBytes = 8 + 4 * itemShape.length;
                ByteBuffer header = ByteBuffer.wrap(in.readNBytes(headerBytes)); // big-endian, as IDX is
                if (header.limit() < headerBytes) {
                    throw new UserError(file + " is truncated: " + header.limit() + " bytes, shorter than its "
                            + headerBytes + "-byte header");
                }
                if (header.getInt(0) != magic) {
                    throw new UserError(String.format("%s has magic number 0x%08X, expected 0x%08X: it is not an IDX file of %s",
                            file, header.getInt(0), magic, magic == IMAGES_MAGIC ? "images" : "labels"));
                }
                int count = header.getInt(4);
                if (count < 0) throw new UserError(file + " has a negative size, " + count + ", in its header");
                int[] shape = new int[itemShape.length];
                for (int d = 0; d < shape.length; d++) shape[d] = header.getInt(8 + 4 * d);
                if (!Arrays.equals(shape, itemShape)) {
                    throw new UserError(file + " holds " + shape[0] + "x" + shape[1] + " images; this network reads 28x28");
                }
                int itemBytes = Arrays.stream(itemShape).reduce(1, (a, b) -> a * b);
                if ((long) count * itemBytes > MAX_BYTES) {
                    throw new UserError(file + "'s header announces " + count + " items of " + itemBytes + " bytes, "
                            + (long) count * itemBytes + " bytes in all, more than the 2 GiB this reader takes: the header"
                            + " is damaged, or the set is too big for this lesson");
                }
                return new Idx(file, in, count, itemBytes);
            } catch (IOException e) {
                closeQuietly(in);
                throw unreadable(file, e);
            } catch (RuntimeException e) {
                closeQuietly(in);
                throw e;
            }
        }

        /**
         * The bytes of the first keep items. Reads on to the end all the same, to check that the file
         * holds exactly the count * itemBytes bytes its header announced.
         */
        byte[] read(int keep) {
            long announced = (long) count * itemBytes;
            try {
                byte[] kept = in.readNBytes(Math.min(keep, count) * itemBytes);
                long found = kept.length;
                byte[] rest = new byte[1 << 16];
                while (found < announced) { // the items not kept: read and counted, not stored
                    int got = in.read(rest, 0, (int) Math.min(rest.length, announced - found));
                    if (got < 0) break;
                    found += got;
                }
                if (found < announced) {
                    throw new UserError(file + " is truncated: its header promises " + announced
                            + " bytes of data, it holds " + found);
                }
                if (in.read() >= 0) {
                    throw new UserError(file + " holds more data than the " + announced + " bytes its header"
                            + " announces; the file is damaged, or not an IDX file");
                }
                return kept;
            } catch (IOException e) {
                throw unreadable(file, e);
            }
        }

        public void close() {
            closeQuietly(in);
        }

        static void closeQuietly(InputStream in) {
            try {
                if (in != null) in.close();
            } catch (IOException e) {
                // nothing was written: nothing to lose
            }
        }

        static UserError unreadable(Path file, IOException e) {
            return e instanceof EOFException
                    ? new UserError(file + " is truncated: its gzip data ends early; fetch the file again")
                    : new UserError("could not read " + file + " (" + e.getMessage() + "); fetch the file again");
        }
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/12/Mnist.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3] [--data-dir DIR] [--train N]
              --seed N         seed of the starting weights, the shuffles and the shifts (default 42)
              --rate X         learning rate of the bigger run, step 2 (default 0.1); the tutorial's
                               experiment, step 1, keeps the tutorial's 0.1 and 35 epochs
              --epochs N       epochs of the bigger run, step 2 (default 25)
              --data-dir DIR   a folder of MNIST-style IDX files (default: datasets/mnist)
              --train N        use at most the first N training images (default 8000)
              --exercise N     run exercise N of the README instead of the lesson""";

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            double rate = flags.decimal("--rate", 0.1, 1e-6, 100);
            int epochs = (int) flags.number("--epochs", 25, 1, 10_000);
            int train = (int) flags.number("--train", 8000, 1, Integer.MAX_VALUE);
            int exercise = (int) flags.number("--exercise", 0, 0, 3);
            Path data = dataFolder(flags.given.get("--data-dir"));
            switch (exercise) {
                case 1 -> exerciseIngredients(data, train, seed);
                case 2 -> exerciseBlankPixels(data, seed);
                case 3 -> exerciseStart(data, train, seed);
                default -> lesson(data, train, seed, rate, epochs);
            }
        } catch (UserError e) {
            System.err.println("Mnist: " + e.getMessage());
            System.exit(2);
        }
    }

    /** The folder given with --data-dir, or datasets/mnist at the course's top. */
    static Path dataFolder(String given) {
        if (given == null) {
            Path dir = courseDir().resolve("datasets").resolve("mnist");
            if (!Files.isDirectory(dir)) {
                throw new UserError("cannot find datasets/mnist in " + courseDir() + " or above it;"
                        + " run from inside the course, or pass --data-dir DIR");
            }
            return dir;
        }
        Path dir = Path.of(given);
        if (!Files.isDirectory(dir)) throw new UserError("--data-dir " + dir + " is not a folder; it needs a folder holding " + FILES);
        return dir;
    }

    /** Makes a Dense layer with its starting weights: Dense::new (the tutorial's) or Mnist::glorotUniform. */
    interface Start {
        Dense layer(int inputs, int outputs, Random rng);
    }

    /**
     * The tutorial's layers, 784->100->50->10 with tanh after each Dense layer. With softmax
     * cross-entropy the last tanh goes: that loss takes the last layer's raw scores.
     */
    static Network network(Start start, Loss loss, Random rng) {
        int[] sizes = {SIDE * SIDE, 100, 50, 10};
        Network net = new Network();
        for (int i = 0; i + 1 < sizes.length; i++) {
            net.add(start.layer(sizes[i], sizes[i + 1], rng));
            if (i + 2 < sizes.length || loss instanceof MeanSquaredError) net.add(new ActivationLayer(Activation.TANH));
        }
        net.use(loss);
        return net;
    }

    static final int TUTORIAL_IMAGES = 1000, TUTORIAL_EPOCHS = 35, EPOCHS = 25, BATCH = 16, SHOWN = 3;
    static final double TUTORIAL_RATE = 0.1, RATE = 0.1;
    static final String TO_TRAIN = "to train on", TO_TEST = "to test on (it prints the outputs for the first " + SHOWN + ")";

    static void lesson(Path dir, int trainLimit, long seed, double rate, int epochs) {
        System.out.println("Lesson 12: reading handwritten digits with the layers of lesson 11");
        Random rng = new Random(seed);
        Dataset train = load(dir, "train", trainLimit, 1, TO_TRAIN);
        Dataset test = load(dir, "t10k", Integer.MAX_VALUE, SHOWN, TO_TEST);
        System.out.printf("data: %s: %d training images, %d test images%n", shown(dir), train.size(), test.size());

        System.out.println("\n1. The tutorial's experiment: 784->100->50->10 with tanh after each Dense layer, MSE,");
        Dataset first = train.rows(firstIndices(Math.min(TUTORIAL_IMAGES, train.size())));
        System.out.printf("   the first %d training images one at a time, learning rate %s, %d epochs%n",
                first.size(), TUTORIAL_RATE, TUTORIAL_EPOCHS);
        Network tutorial = network(Dense::new, new MeanSquaredError(), rng);
        fitTheTutorialsWay(tutorial, first, TUTORIAL_EPOCHS);
        printFirstPredictions(tutorial, test, SHOWN);
        int[] tutorialAnswers = classify(tutorial, test.x());
        printAccuracy("held-out", tutorialAnswers, test.labels());

        System.out.printf("%n2. A bigger run: %d training images, each moved by up to one pixel, in shuffled%n",
                train.size());
        System.out.printf("   batches of %d; Glorot uniform start; softmax cross-entropy instead of the last tanh%n", BATCH);
        System.out.printf("   and MSE; learning rate %s, %d epochs%n", rate, epochs);
        Network big = network(Mnist::glorotUniform, new SoftmaxCrossEntropy(), rng);
        train(big, train, epochs, BATCH, rate, rng, batch -> shifted(batch, rng));
        printAccuracy("training", classify(big, train.x()), train.labels());
        int[] answers = classify(big, test.x());
        printAccuracy("held-out", answers, test.labels());
        int gained = correct(answers, test.labels()) - correct(tutorialAnswers, test.labels());
        System.out.printf("   %d %s held-out images right than the tutorial's experiment%n", Math.abs(gained),
                gained >= 0 ? "more" : "fewer");
        int[][] confusion = confusion(answers, test.labels());
        printMostConfused(confusion);

        Path digits = savePng(digitGrid(test, answers).draw(), "12-digits.png");
        Path matrix = savePng(new ConfusionChart(confusion, correct(answers, test.labels()), test.size()).draw(),
                "12-confusion.png");
        System.out.println("\nplot: " + digits + "\nplot: " + matrix);
    }

    /** A folder inside the course as a relative path (datasets/mnist), anything else as given. */
    static Path shown(Path dir) {
        Path full = dir.toAbsolutePath().normalize();
        return full.startsWith(courseDir()) ? Path.of("").toAbsolutePath().relativize(full) : dir;
    }

    static int[] firstIndices(int n) {
        int[] indices = new int[n];
        for (int i = 0; i < n; i++) indices[i] = i;
        return indices;
    }

    /** Lesson 11's fit, one epoch at a time, so that each epoch's line appears as soon as it is done. */
    static void fitTheTutorialsWay(Network net, Dataset data, int epochs) {
        Matrix targets = data.oneHot();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            double error = net.fit(data.x(), targets, 1, TUTORIAL_RATE)[0];
            System.out.printf("epoch %d/%d   error=%f%n", epoch, epochs, error);
        }
    }

    /** What the tutorial shows: the ten outputs for the first test images, next to the true labels. */
    static void printFirstPredictions(Network net, Dataset test, int count) {
        Matrix out = net.predict(test.rows(firstIndices(count)).x());
        System.out.println("   the ten outputs for the first " + count + " test images (the answer is the largest):");
        for (int r = 0; r < count; r++) {
            StringBuilder row = new StringBuilder("   [");
            for (int c = 0; c < 10; c++) row.append(String.format("%7.3f", out.get(r, c)));
            System.out.println(row + " ]  answer " + argmax(out, r) + ", true " + test.labels()[r]);
        }
    }

    static int argmax(Matrix m, int row) {
        int best = 0;
        for (int c = 1; c < m.cols(); c++) if (m.get(row, c) > m.get(row, best)) best = c;
        return best;
    }

    /** The network's answer for every row: the output with the highest value. */
    static int[] classify(Network net, Matrix images) {
        Matrix out = net.predict(images);
        int[] answers = new int[out.rows()];
        for (int r = 0; r < out.rows(); r++) answers[r] = argmax(out, r);
        return answers;
    }

    static int correct(int[] answers, int[] labels) {
        int right = 0;
        for (int i = 0; i < labels.length; i++) if (answers[i] == labels[i]) right++;
        return right;
    }

    static void printAccuracy(String name, int[] answers, int[] labels) {
        int right = correct(answers, labels);
        System.out.printf("   %s accuracy: %d/%d = %.2f%%%n", name, right, labels.length, 100.0 * right / labels.length);
    }

    /** counts[true label][answer]: the diagonal holds the right answers, the rest the mistakes. */
    static int[][] confusion(int[] answers, int[] labels) {
        int[][] counts = new int[10][10];
        for (int i = 0; i < labels.length; i++) counts[labels[i]][answers[i]]++;
        return counts;
    }

    static void printMostConfused(int[][] counts) {
        List<int[]> mistakes = new ArrayList<>();
        for (int t = 0; t < 10; t++) for (int a = 0; a < 10; a++) if (t != a && counts[t][a] > 0) mistakes.add(new int[] {t, a});
        mistakes.sort((x, y) -> counts[y[0]][y[1]] - counts[x[0]][x[1]]);
        StringBuilder line = new StringBuilder("   most frequent mistakes:");
        for (int[] m : mistakes.subList(0, Math.min(3, mistakes.size()))) {
            line.append(String.format("  %d read as %d (%d times)", m[0], m[1], counts[m[0]][m[1]]));
        }
        System.out.println(mistakes.isEmpty() ? "   no mistakes" : line);
    }

    /**
     * A copy of a batch with each image moved by -1, 0 or +1 pixels across and down, drawn from
     * rng (blank where it moved away from). The network sees every digit in a slightly new place each
     * epoch, so it cannot just remember the training images: it has to learn what a 3 looks like.
     */
    static Matrix shifted(Matrix batch, Random rng) {
        Matrix moved = new Matrix(batch.rows(), batch.cols());
        for (int r = 0; r < batch.rows(); r++) {
            int dx = rng.nextInt(3) - 1, dy = rng.nextInt(3) - 1, base = r * SIDE * SIDE;
            for (int y = Math.max(0, dy); y < SIDE + Math.min(0, dy); y++) {
                System.arraycopy(batch.data(), base + (y - dy) * SIDE + Math.max(0, -dx),
                        moved.data(), base + y * SIDE + Math.max(0, dx), SIDE - Math.abs(dx));
            }
        }
        return moved;
    }

    /** The first 30 test images, then the first 10 the network got wrong. */
    static DigitGrid digitGrid(Dataset test, int[] answers) {
        int[] firstImages = firstIndices(Math.min(30, test.size()));
        int[] mistakes = new int[10];
        int found = 0;
        for (int i = 0; i < test.size() && found < mistakes.length; i++) if (answers[i] != test.labels()[i]) mistakes[found++] = i;
        DigitGrid grid = new DigitGrid("Test images and the network's answers", test, answers);
        grid.section("The first " + firstImages.length + " test images", firstImages);
        grid.section(found == 0 ? "No mistakes" : "The first " + found + " mistakes", Arrays.copyOf(mistakes, found));
        return grid;
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: the bigger run, then the same without the shifts, then with the tutorial's tanh + MSE output. */
    static void exerciseIngredients(Path dir, int trainLimit, long seed) {
        System.out.println("Exercise 1: the bigger run, without the shifts, and with the tutorial's tanh + MSE output");
        Dataset train = load(dir, "train", trainLimit, 1, TO_TRAIN);
        Dataset test = load(dir, "t10k", Integer.MAX_VALUE, 1, "to test on");
        String[] names = {"a. the lesson's bigger run", "b. the images as they are, no shifts",
            "c. tanh on the ten outputs and MSE, as in the tutorial (learning rate 1.5, see README)"};
        double[][] accuracy = new double[3][];
        for (int run = 0; run < 3; run++) {
            System.out.println("\n   " + names[run]);
            Random rng = new Random(seed);
            Network net = network(Mnist::glorotUniform, run == 2 ? new MeanSquaredError() : new SoftmaxCrossEntropy(), rng);
            train(net, train, EPOCHS, BATCH, run == 2 ? 1.5 : RATE, rng, run == 1 ? batch -> batch : batch -> shifted(batch, rng));
            int[] trainAnswers = classify(net, train.x()), testAnswers = classify(net, test.x());
            printAccuracy("training", trainAnswers, train.labels());
            printAccuracy("held-out", testAnswers, test.labels());
            accuracy[run] = new double[] {100.0 * correct(trainAnswers, train.labels()) / train.size(),
                100.0 * correct(testAnswers, test.labels()) / test.size()};
        }
        System.out.println("\n   run                  training minus held-out   held-out against a.");
        String[] shortNames = {"a. the bigger run", "b. no shifts", "c. tanh + MSE output"};
        for (int run = 0; run < 3; run++) {
            String against = String.format("%15s points", String.format("%+.2f", accuracy[run][1] - accuracy[0][1]));
            System.out.printf("   %-20s %13.2f points%s%n", shortNames[run], accuracy[run][0] - accuracy[run][1],
                    run == 0 ? "" : " " + against);
        }
        boolean wider = accuracy[1][0] - accuracy[1][1] > accuracy[0][0] - accuracy[0][1];
        System.out.println("   Without the shifts the gap between training and held-out accuracy is " + (wider
                ? "wider:\n   the network learned more of the training images themselves, less of what a digit looks like."
                : "not wider."));
        System.out.printf("   With tanh + MSE on the output it reads %s held-out digits than with softmax cross-entropy.%n",
                accuracy[2][1] < accuracy[0][1] ? "fewer" : "no fewer");
    }

    /**
     * Exercise 2: Matrix.multiply skips a zero entry of its left matrix, and most of a digit's
     * pixels are 0, each of which would add 0 * w to every sum of the first layer. This is the same
     * product without the skip.
     */
    static Matrix multiplyEveryEntry(Matrix a, Matrix b) {
        Matrix c = new Matrix(a.rows(), b.cols());
        for (int i = 0; i < a.rows(); i++) {
            for (int k = 0; k < a.cols(); k++) {
                double aik = a.data()[i * a.cols() + k];
                for (int j = 0; j < b.cols(); j++) c.data()[i * b.cols() + j] += aik * b.data()[k * b.cols() + j];
            }
        }
        return c;
    }

    static void exerciseBlankPixels(Path dir, long seed) {
        System.out.println("Exercise 2: the first layer's X*W for 64 test digits, 784 pixels each, times 784x100 weights");
        Matrix w = glorotUniform(SIDE * SIDE, 100, new Random(seed)).weights;
        Matrix digits = load(dir, "t10k", 64, 1, "to multiply").x();
        int blank = 0;
        for (double v : digits.data()) if (v == 0) blank++;
        double every = fastest(() -> multiplyEveryEntry(digits, w)), skipping = fastest(() -> digits.multiply(w));
        System.out.printf("   %.0f%% of these pixels are blank%n", 100.0 * blank / digits.size());
        System.out.printf("   multiplyEveryEntry, every pixel          %6.2f ms%n", every);
        System.out.printf("   Matrix.multiply, blank pixels skipped    %6.2f ms   (%.1f times as fast)%n", skipping, every / skipping);
        System.out.println("   the same numbers, to the last bit: "
                + (Arrays.equals(digits.multiply(w).data(), multiplyEveryEntry(digits, w).data()) ? "yes" : "no"));
        System.out.println("   (wall-clock times, the fastest of 30 runs; they vary from run to run. Why the loops");
        System.out.println("   run in i-k-j order, and how fast a product can get, is lesson 09's subject.)");
    }

    /** The fastest of 30 runs, in milliseconds: the first runs happen before the JIT has compiled the loops. */
    static double fastest(Supplier<Matrix> product) {
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 30; round++) {
            long start = System.nanoTime();
            product.get();
            best = Math.min(best, System.nanoTime() - start);
        }
        return best / 1e6;
    }

    /** Exercise 3: the tutorial's experiment again, started with Glorot uniform weights instead of the tutorial's. */
    static void exerciseStart(Path dir, int trainLimit, long seed) {
        System.out.println("Exercise 3: the tutorial's experiment with its own start, weights in [-0.5, 0.5), and Glorot uniform");
        Dataset first = load(dir, "train", Math.min(trainLimit, TUTORIAL_IMAGES), 1, TO_TRAIN);
        Dataset test = load(dir, "t10k", Integer.MAX_VALUE, 1, "to test on");
        double[] saturated = new double[2];
        int[] right = new int[2];
        for (int run = 0; run < 2; run++) {
            Random rng = new Random(seed);
            Network net = network(run == 0 ? Dense::new : Mnist::glorotUniform, new MeanSquaredError(), rng);
            Matrix hidden = net.layers.get(1).forward(net.layers.get(0).forward(test.x()));
            int flat = 0;
            for (double y : hidden.data()) if (Math.abs(y) > 0.99) flat++;
            saturated[run] = 100.0 * flat / hidden.size();
            System.out.printf("%n   %s start: %.1f%% of the first layer's tanh outputs beyond +/-0.99 before training%n",
                    run == 0 ? "the tutorial's uniform" : "Glorot uniform", saturated[run]);
            net.fit(first.x(), first.oneHot(), TUTORIAL_EPOCHS, TUTORIAL_RATE);
            int[] answers = classify(net, test.x());
            right[run] = correct(answers, test.labels());
            printAccuracy("held-out", answers, test.labels());
        }
        System.out.printf("%n   The start with %s saturated outputs read %s held-out digits right.%n",
                saturated[1] < saturated[0] ? "fewer" : "more", right[1] > right[0] ? "more" : "no more");
        System.out.println("   Where tanh is flat its slope 1 - y^2 is almost 0, so the gradient that flows back");
        System.out.println("   through those units, and the steps of the weights before them, almost vanish.");
    }

    // ---------------------------------------------------------------- pictures

    /** A white canvas with smooth lines and text, and its title centred at the top. */
    static Graphics2D canvas(BufferedImage image, String title) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, (image.getWidth() - g.getFontMetrics().stringWidth(title)) / 2, 26);
        return g;
    }

    static void centred(Graphics2D g, String text, int centreX, int baseline) {
        g.drawString(text, centreX - g.getFontMetrics().stringWidth(text) / 2, baseline);
    }

    /** Test digits in rows of ten, each with the network's answer below it; wrong answers framed in red. */
    static class DigitGrid {
        static final int WIDTH = 800, CELL_WIDTH = 80, CELL_HEIGHT = 84, SCALE = 2;
        static final Color WRONG = new Color(214, 39, 40);

        record Section(String heading, int[] images) {}

        final String title;
        final Dataset test;
        final int[] answers;
        final List<Section> sections = new ArrayList<>();

        DigitGrid(String title, Dataset test, int[] answers) {
            this.title = title;
            this.test = test;
            this.answers = answers;
        }

        void section(String heading, int[] images) {
            sections.add(new Section(heading, images));
        }

        /** As tall as its sections need: a heading and rows of ten digits each, and a line of explanation. */
        int height() {
            int h = 40 + 40;
            for (Section section : sections) h += 20 + (section.images.length + 9) / 10 * CELL_HEIGHT + 6;
            return h;
        }

        BufferedImage draw() {
            BufferedImage image = new BufferedImage(WIDTH, height(), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = canvas(image, title);
            int y = 40;
            for (Section section : sections) {
                g.setColor(Color.DARK_GRAY);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
                g.drawString(section.heading, 12, y + 14);
                y += 20;
                for (int i = 0; i < section.images.length; i++) {
                    drawDigit(g, section.images[i], (i % 10) * CELL_WIDTH, y + (i / 10) * CELL_HEIGHT);
                }
                y += (section.images.length + 9) / 10 * CELL_HEIGHT + 6;
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.setColor(Color.DARK_GRAY);
            centred(g, "Under each image: the network's answer. In red: a wrong answer, then the true label.", WIDTH / 2, y + 20);
            g.dispose();
            return image;
        }

        /** One image, ink dark on white, scaled up, with its caption. */
        void drawDigit(Graphics2D g, int index, int cellX, int cellY) {
            int side = SIDE * SCALE, left = cellX + (CELL_WIDTH - side) / 2;
            for (int r = 0; r < SIDE; r++) {
                for (int c = 0; c < SIDE; c++) {
                    int grey = 255 - (int) Math.round(255 * test.x().get(index, r * SIDE + c));
                    g.setColor(new Color(grey, grey, grey));
                    g.fillRect(left + c * SCALE, cellY + r * SCALE, SCALE, SCALE);
                }
            }
            boolean wrong = answers[index] != test.labels()[index];
            g.setColor(wrong ? WRONG : new Color(200, 200, 200));
            g.setStroke(new BasicStroke(wrong ? 2.5f : 1));
            g.drawRect(left - 1, cellY - 1, side + 1, side + 1);
            g.setFont(new Font(Font.SANS_SERIF, wrong ? Font.BOLD : Font.PLAIN, 14));
            g.setColor(wrong ? WRONG : Color.BLACK);
            String caption = wrong ? answers[index] + ", true " + test.labels()[index] : String.valueOf(answers[index]);
            centred(g, caption, cellX + CELL_WIDTH / 2, cellY + side + 17);
        }
    }

    /** The confusion matrix as a heat map: rows the true label, columns the answer, colour the count. */
    static class ConfusionChart {
        static final int WIDTH = 800, HEIGHT = 500, CELL = 38, LEFT = 160, TOP = 50;
        static final Color[] BLUES = {
            new Color(247, 251, 255), new Color(198, 219, 239), new Color(107, 174, 214),
            new Color(33, 113, 181), new Color(8, 48, 107)};

        final int[][] counts;
        final int right, total;
        final int max;

        ConfusionChart(int[][] counts, int right, int total) {
            this.counts = counts;
            this.right = right;
            this.total = total;
            int m = 1;
            for (int[] row : counts) for (int v : row) m = Math.max(m, v);
            this.max = m;
        }

        /** Where a count falls on the colour scale, 0 to 1: logarithmic, so that a single mistake still shows. */
        double level(double count) {
            return Math.log1p(count) / Math.log1p(max);
        }

        /** White through blue to navy, interpolated between the five colours of BLUES. */
        static Color colour(double level) {
            double x = Math.max(0, Math.min(1, level)) * (BLUES.length - 1);
            int i = Math.min((int) x, BLUES.length - 2);
            double f = x - i;
            Color a = BLUES[i], b = BLUES[i + 1];
            return new Color((int) Math.round(a.getRed() + f * (b.getRed() - a.getRed())),
                    (int) Math.round(a.getGreen() + f * (b.getGreen() - a.getGreen())),
                    (int) Math.round(a.getBlue() + f * (b.getBlue() - a.getBlue())));
        }

        BufferedImage draw() {
            BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = canvas(image, String.format("Confusion matrix: %d of %d held-out images right (%.2f%%)",
                    right, total, 100.0 * right / total));
            int size = 10 * CELL;
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            for (int t = 0; t < 10; t++) {
                for (int a = 0; a < 10; a++) {
                    double level = level(counts[t][a]);
                    g.setColor(colour(level));
                    g.fillRect(LEFT + a * CELL, TOP + t * CELL, CELL, CELL);
                    if (counts[t][a] == 0) continue;
                    g.setColor(level > 0.5 ? Color.WHITE : Color.BLACK);
                    centred(g, String.valueOf(counts[t][a]), LEFT + a * CELL + CELL / 2, TOP + t * CELL + CELL / 2 + 5);
                }
                g.setColor(Color.BLACK);
                centred(g, String.valueOf(t), LEFT + t * CELL + CELL / 2, TOP + size + 18);     // answer labels
                centred(g, String.valueOf(t), LEFT - 14, TOP + t * CELL + CELL / 2 + 5);       // true labels
            }
            g.setColor(Color.GRAY);
            g.drawRect(LEFT, TOP, size, size);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            centred(g, "the network's answer", LEFT + size / 2, TOP + size + 38);
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.rotate(-Math.PI / 2);
            centred(rotated, "true label", -(TOP + size / 2), LEFT - 36);
            rotated.dispose();
            drawColourBar(g, LEFT + size + 50, size);
            g.dispose();
            return image;
        }

        /** The scale: counts 0, 1, 2, 5, 10, 20, ... up to the largest, placed as level() places them. */
        void drawColourBar(Graphics2D g, int x, int height) {
            int width = 22;
            for (int py = 0; py < height; py++) {
                g.setColor(colour(1 - (double) py / height));
                g.fillRect(x, TOP + py, width, 1);
            }
            g.setColor(Color.GRAY);
            g.drawRect(x, TOP, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            int lastY = Integer.MAX_VALUE;
            for (double power = 1; power <= max; power *= 10) {
                for (double m : new double[] {1, 2, 5}) {
                    int v = (int) (m * power);
                    if (v > max) break;
                    int py = TOP + (int) Math.round(height * (1 - level(v)));
                    if (lastY - py < 16) continue; // too close to the label below it
                    tick(g, x + width, py, String.valueOf(v));
                    lastY = py;
                }
            }
            tick(g, x + width, TOP + height, "0");
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.rotate(-Math.PI / 2);
            centred(rotated, "number of images (logarithmic scale)", -(TOP + height / 2), x + width + 58);
            rotated.dispose();
        }

        static void tick(Graphics2D g, int x, int y, String label) {
            g.setColor(Color.BLACK);
            g.drawLine(x, y, x + 5, y);
            g.drawString(label, x + 9, y + 5);
        }
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
}
