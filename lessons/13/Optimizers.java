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
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.MathContext;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.DoubleFunction;
import java.util.function.DoubleUnaryOperator;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Lesson 13: optimizers, six ways to turn a gradient into a step.
 *
 * Lesson 12 moved every weight by -eta times its gradient. This lesson keeps the gradients and
 * changes the step: SGD, momentum, Nesterov, AdaGrad, RMSprop and Adam, each a small class with
 * one step method. They race on a narrow 2-D bowl, where their characters show, then train the
 * same network on MNIST from the same start. First, softmax with cross-entropy, derived.
 *
 * Follows: the UPM hands-on, section 5b "stability and convergence" (it names momentum, AdaGrad,
 * RMSprop and Adam); see README.md.
 * New here: Optimizer and its six kinds (Sgd, Momentum, Nesterov, AdaGrad, RmsProp, Adam); Kind,
 * each with its learning rates; Bowl and Saddle, two functions of two numbers; descend; train with
 * an optimizer and a schedule (Schedule); the contour picture (ContourChart).
 * Carried: Layer, Dense, ActivationLayer, Activation, Loss, Network, gradientCheck, compare,
 * Matrix, SoftmaxCrossEntropy, glorotUniform, shuffle, shifted, Dataset and the IDX reader (load,
 * find, Idx) from lesson 12, unchanged. Dense still steps its own weights in backward; the
 * network here calls backward with a learning rate of 0 (as gradientCheck does) and lets an
 * optimizer take the step.
 * Changed: nothing carried. Lesson 12's train is replaced by a new one (lesson 12's took a learning
 * rate, this one an optimizer and a schedule); MeanSquaredError is left out, as nothing here uses it.
 *
 * Run: java lessons/13/Optimizers.java [--optimizer NAME] [--rate X] [--epochs N] [--seed N] [--data-dir DIR] [--exercise 1|2]
 */
public class Optimizers {

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


    // ---------------------------------------------------------------- optimizers

    /**
     * Turns a gradient into a step. One optimizer looks after one array of parameters w (a weight
     * matrix, a bias row, the two numbers of a point) and keeps whatever it remembers about that
     * array's past gradients in arrays of the same size. rate is eta, the learning rate; a schedule
     * may change it between epochs.
     */
    abstract static class Optimizer {
        double rate;

        Optimizer(double rate) {
            this.rate = rate;
        }

        /** Moves w one step, given g = dL/dw at w. */
        abstract void step(double[] w, double[] g);

        /** A memory of w's size, zero at first; refuses a w of another size. */
        static double[] memory(double[] kept, double[] w, double[] g) {
            if (g.length != w.length) throw new IllegalArgumentException(w.length + " parameters but " + g.length + " gradients");
            if (kept != null && kept.length != w.length) {
                throw new IllegalArgumentException("this optimizer looks after " + kept.length + " parameters, got " + w.length);
            }
            return kept != null ? kept : new double[w.length];
        }
    }

    /** Plain gradient descent: w <- w - eta g. */
    static class Sgd extends Optimizer {
        Sgd(double rate) {
            super(rate);
        }

        void step(double[] w, double[] g) {
            memory(null, w, g);
            for (int i = 0; i < w.length; i++) w[i] -= rate * g[i];
        }
    }

    /** A velocity that adds up the gradients, the old ones fading by beta a step: v <- beta v + g, w <- w - eta v. */
    static class Momentum extends Optimizer {
        final double beta = 0.9;
        double[] v;

        Momentum(double rate) {
            super(rate);
        }

        void step(double[] w, double[] g) {
            v = memory(v, w, g);
            for (int i = 0; i < w.length; i++) {
                v[i] = beta * v[i] + g[i];
                w[i] -= rate * v[i];
            }
        }
    }

    /** Momentum that looks ahead: the same v, but the step is g + beta v, where the velocity is about to carry w. */
    static class Nesterov extends Optimizer {
        final double beta = 0.9;
        double[] v;

        Nesterov(double rate) {
            super(rate);
        }

        void step(double[] w, double[] g) {
            v = memory(v, w, g);
            for (int i = 0; i < w.length; i++) {
                v[i] = beta * v[i] + g[i];
                w[i] -= rate * (g[i] + beta * v[i]);
            }
        }
    }

    /** Each parameter its own rate: s adds up g^2 for ever, and the step is eta g / (sqrt(s) + eps). */
    static class AdaGrad extends Optimizer {
        final double eps = 1e-8; // keeps 0 / 0 away while s is still 0
        double[] s;

        AdaGrad(double rate) {
            super(rate);
        }

        void step(double[] w, double[] g) {
            s = memory(s, w, g);
            for (int i = 0; i < w.length; i++) {
                s[i] += g[i] * g[i];
                w[i] -= rate * g[i] / (Math.sqrt(s[i]) + eps);
            }
        }
    }

    /** AdaGrad whose s forgets: s <- rho s + (1 - rho) g^2, a running mean of g^2, so the steps do not die out. */
    static class RmsProp extends Optimizer {
        final double rho = 0.9, eps = 1e-8;
        double[] s;

        RmsProp(double rate) {
            super(rate);
        }

        void step(double[] w, double[] g) {
            s = memory(s, w, g);
            for (int i = 0; i < w.length; i++) {
                s[i] = rho * s[i] + (1 - rho) * g[i] * g[i];
                w[i] -= rate * g[i] / (Math.sqrt(s[i]) + eps);
            }
        }
    }

    /**
     * Momentum and RMSprop together: m, a running mean of g, and v, a running mean of g^2, both
     * starting at 0. Divided by 1 - beta^t they are means again rather than sums biased towards
     * that 0 (bias correction); corrected false leaves that out, to show what it is for.
     */
    static class Adam extends Optimizer {
        final double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        final boolean corrected;
        double[] m, v;
        int t; // steps taken

        Adam(double rate) {
            this(rate, true);
        }

        Adam(double rate, boolean corrected) {
            super(rate);
            this.corrected = corrected;
        }

        void step(double[] w, double[] g) {
            m = memory(m, w, g);
            v = memory(v, w, g);
            t++;
            double c1 = corrected ? 1 - Math.pow(beta1, t) : 1, c2 = corrected ? 1 - Math.pow(beta2, t) : 1;
            for (int i = 0; i < w.length; i++) {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                w[i] -= rate * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
            }
        }
    }

    /** An optimizer by name, with the learning rates this lesson found to work on MNIST and on the 2-D bowl. */
    record Kind(String name, double mnistRate, double bowlRate, DoubleFunction<Optimizer> make) {}

    static final List<Kind> KINDS = List.of(
            new Kind("SGD", 0.1, 0.45, Sgd::new),
            new Kind("momentum", 0.01, 0.05, Momentum::new),
            new Kind("Nesterov", 0.01, 0.05, Nesterov::new),
            new Kind("AdaGrad", 0.01, 1.0, AdaGrad::new),
            new Kind("RMSprop", 0.001, 0.1, RmsProp::new),
            new Kind("Adam", 0.002, 0.3, Adam::new));

    /** The learning rate of each epoch: the same throughout, or decayed from the start rate. */
    enum Schedule {
        CONSTANT("constant"), STEP("step decay"), COSINE("cosine decay");

        final String label;

        Schedule(String label) {
            this.label = label;
        }

        /** The rate for epoch (1 to epochs). */
        double rate(double start, int epoch, int epochs) {
            return switch (this) {
                case CONSTANT -> start;
                case STEP -> start * Math.pow(0.5, (3 * (epoch - 1)) / epochs);
                case COSINE -> start * 0.5 * (1 + Math.cos(Math.PI * (epoch - 1) / epochs)); // from start, towards 0
            };
        }
    }

    /** One optimizer per parameter array of the network: each Dense layer's weights, then its bias. */
    static List<Optimizer> optimizers(Network net, Kind kind, double rate) {
        List<Optimizer> list = new ArrayList<>();
        for (Layer layer : net.layers) {
            if (layer instanceof Dense) {
                list.add(kind.make().apply(rate));
                list.add(kind.make().apply(rate));
            }
        }
        return list;
    }

    /** After backward (at learning rate 0) each Dense layer holds its gradients; each optimizer takes its step. */
    static void step(Network net, List<Optimizer> optimizers) {
        int i = 0;
        for (Layer layer : net.layers) {
            if (layer instanceof Dense d) {
                optimizers.get(i++).step(d.weights.data(), d.weightGradient.data());
                optimizers.get(i++).step(d.bias.data(), d.biasGradient.data());
            }
        }
    }

    /** What one training run measured: the mean training loss and the held-out accuracy (%) after each epoch. */
    record History(double[] loss, double[] accuracy, double seconds) {}

    /**
     * Lesson 12's mini-batch training, with an optimizer in place of "w -= eta g": every epoch a new
     * order drawn from rng, batches of BATCH images, each moved by up to a pixel (shifted). After
     * each epoch, the held-out accuracy; then done.run() (the progress bar).
     */
    static History train(Network net, Dataset data, Dataset test, int epochs, Kind kind, double rate, Schedule schedule,
            Random rng, Runnable done) {
        long start = System.nanoTime();
        List<Optimizer> optimizers = optimizers(net, kind, rate);
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        double[] loss = new double[epochs], accuracy = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (Optimizer o : optimizers) o.rate = schedule.rate(rate, epoch + 1, epochs);
            shuffle(order, rng);
            double sum = 0;
            for (int from = 0; from < order.length; from += BATCH) {
                Dataset batch = data.rows(Arrays.copyOfRange(order, from, Math.min(from + BATCH, order.length)));
                Matrix target = batch.oneHot(), output = net.predict(shifted(batch.x(), rng));
                sum += net.loss.loss(output, target) * batch.size(); // the loss is a mean over the batch
                net.backward(output, target, 0); // gradients only: the optimizers step
                step(net, optimizers);
            }
            loss[epoch] = sum / order.length;
            stopIfDiverged(loss[epoch], epoch + 1, rate);
            accuracy[epoch] = accuracy(net, test);
            done.run();
        }
        return new History(loss, accuracy, (System.nanoTime() - start) / 1e9);
    }

    /** The percentage of images whose largest score is at the true label. */
    static double accuracy(Network net, Dataset data) {
        Matrix scores = net.predict(data.x());
        int right = 0;
        for (int r = 0; r < scores.rows(); r++) {
            int best = 0;
            for (int c = 1; c < scores.cols(); c++) if (scores.get(r, c) > scores.get(r, best)) best = c;
            if (best == data.labels()[r]) right++;
        }
        return 100.0 * right / data.size();
    }

    /** 784->100->50->10, tanh after the hidden layers, raw scores for softmax cross-entropy; Glorot uniform start. */
    static Network network(Random rng) {
        Network net = new Network();
        net.add(glorotUniform(SIDE * SIDE, 100, rng));
        net.add(new ActivationLayer(Activation.TANH));
        net.add(glorotUniform(100, 50, rng));
        net.add(new ActivationLayer(Activation.TANH));
        net.add(glorotUniform(50, 10, rng));
        net.use(new SoftmaxCrossEntropy());
        return net;
    }

    // ---------------------------------------------------------------- two functions of two numbers

    /** A function f(x, y) with its gradient, to watch optimizers on. */
    interface Surface {
        double f(double x, double y);

        double[] gradient(double x, double y);
    }

    /** A long, narrow bowl: f = x^2 / 20 + y^2, twenty times steeper across (y) than along (x). Minimum 0 at (0, 0). */
    static class Bowl implements Surface {
        public double f(double x, double y) {
            return x * x / 20 + y * y;
        }

        public double[] gradient(double x, double y) {
            return new double[] {x / 10, 2 * y};
        }
    }

    /** A saddle at (0, 0): f = x^2 - y^2 + y^4 / 4, up along x, down along y to the two minima (0, +-sqrt 2), f = -1. */
    static class Saddle implements Surface {
        public double f(double x, double y) {
            return x * x - y * y + y * y * y * y / 4;
        }

        public double[] gradient(double x, double y) {
            return new double[] {2 * x, -2 * y + y * y * y};
        }
    }

    /** steps steps of optimizer from (x, y); returns the path, point 0 the start, as {xs, ys}. */
    static double[][] descend(Surface surface, Optimizer optimizer, double x, double y, int steps) {
        double[][] path = new double[2][steps + 1];
        double[] w = {x, y};
        for (int t = 0; t <= steps; t++) {
            path[0][t] = w[0];
            path[1][t] = w[1];
            if (t < steps) optimizer.step(w, surface.gradient(w[0], w[1]));
        }
        return path;
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/13/Optimizers.java [--optimizer NAME] [--rate X] [--epochs N] [--seed N] [--data-dir DIR] [--exercise 1|2]
              --optimizer NAME  train only this one on MNIST: sgd, momentum, nesterov, adagrad, rmsprop or adam
              --rate X          its learning rate (default: its own, see README); needs --optimizer
              --epochs N        epochs of the MNIST race (default 5); the schedules run 4 times as long
              --seed N          seed of the first of three runs each (N, N+1, N+2; default 42)
              --data-dir DIR    a folder of MNIST-style IDX files (default: datasets/mnist)
              --exercise N      run exercise N of the README instead of the lesson""";

    static final int EPOCHS = 5, LONGER = 4, SEEDS = 3, BATCH = 16, TRAIN = 8000, LESSON_12_EPOCHS = 25;
    static final double LESSON_12 = 96.90; // lesson 12's held-out accuracy after its batched run
    static final Kind ADAM = KINDS.get(5);

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            List<Kind> kinds = flags.has("--optimizer") ? List.of(kind(flags.given.get("--optimizer"))) : KINDS;
            if (flags.has("--rate") && !flags.has("--optimizer")) {
                throw new UserError("--rate sets one optimizer's learning rate: give --optimizer NAME too (each has its own default)");
            }
            double rate = flags.decimal("--rate", kinds.get(0).mnistRate(), 1e-6, 10);
            int epochs = (int) flags.number("--epochs", EPOCHS, 1, 1000);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE - SEEDS);
            int exercise = (int) flags.number("--exercise", 0, 0, 2);
            switch (exercise) {
                case 1 -> exerciseBiasCorrection();
                case 2 -> exerciseSaddle();
                default -> {
                    Path dir = dataFolder(flags.given.get("--data-dir"));
                    Dataset train = load(dir, "train", TRAIN, 1, "to train on");
                    Dataset test = load(dir, "t10k", Integer.MAX_VALUE, 3, "to test on (an accuracy of fewer says little)");
                    lesson(train, test, shown(dir), kinds, flags.has("--rate") ? rate : -1, epochs, seed);
                }
            }
        } catch (UserError e) {
            System.err.println("Optimizers: " + e.getMessage());
            System.exit(2);
        }
    }

    static Kind kind(String name) {
        for (Kind k : KINDS) if (k.name().equalsIgnoreCase(name.strip())) return k;
        throw new UserError("--optimizer takes sgd, momentum, nesterov, adagrad, rmsprop or adam, not '" + name + "'");
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

    /** A folder inside the course as a relative path (datasets/mnist), anything else as given. */
    static Path shown(Path dir) {
        Path full = dir.toAbsolutePath().normalize();
        return full.startsWith(courseDir()) ? Path.of("").toAbsolutePath().relativize(full) : dir;
    }

    /**
     * The lesson's four steps. rate -1: each optimizer's own learning rate. The six race for epochs
     * epochs, three seeds each; the schedules run four times as long, one seed each (see README: time).
     */
    static void lesson(Dataset train, Dataset test, Path data, List<Kind> kinds, double rate, int epochs, long seed) {
        System.out.println("Lesson 13: optimizers, six ways to turn a gradient into a step");
        crossEntropyAtTheExtremes(seed);
        bowlRace();
        int longer = LONGER * epochs;
        Kind scheduled = kinds.contains(ADAM) ? ADAM : kinds.get(0);
        List<Job> race = new ArrayList<>(), schedules = new ArrayList<>();
        for (Kind k : kinds) race.add(new Job(k, rate < 0 ? k.mnistRate() : rate, Schedule.CONSTANT, epochs, SEEDS));
        for (Schedule s : Schedule.values()) {
            schedules.add(new Job(scheduled, rate < 0 ? scheduled.mnistRate() : rate, s, longer, 1));
        }
        System.out.printf("%n3. On MNIST (%s: %d training images, %d held out): 784->100->50->10, tanh, softmax%n",
                data, train.size(), test.size());
        System.out.printf("   cross-entropy, batches of %d, images moved by up to a pixel; %d epochs; seeds %d, %d, %d%n",
                BATCH, epochs, seed, seed + 1, seed + 2);
        System.out.println("   (one seed gives every optimizer the same starting weights and the same order of images)");
        List<Job> all = new ArrayList<>(schedules); // the long runs first, so that no thread waits for one at the end
        all.addAll(race);
        History[][] runs = runAll(all, train, test, seed);
        History[][] raced = Arrays.copyOfRange(runs, schedules.size(), runs.length), scheduledRuns = Arrays.copyOf(runs, schedules.size());
        printTable(race, raced);
        System.out.println("   " + conclusion(race, raced));
        System.out.println("   plot: " + lossChart(race, raced).save("13-mnist-loss.png"));

        System.out.printf("%n4. Learning-rate schedules: %s from %s, %d epochs, seed %d only%n", scheduled.name(),
                Chart.label(schedules.get(0).rate()), longer, seed);
        printTable(schedules, scheduledRuns);
        System.out.println("   " + conclusion(schedules, scheduledRuns));
        double best = 0;
        for (History[] r : scheduledRuns) best = Math.max(best, r[0].accuracy()[longer - 1]);
        if (!isCourseMnist(data)) { // lesson 12's mark is on the course's MNIST: another data set is not comparable
            System.out.printf("   best: %.2f%% after %d epochs%n", best, longer);
            return;
        }
        System.out.printf("   best: %.2f%% after %d epochs; lesson 12's batched run: %.2f%% after %d epochs (SGD): %s%n",
                best, longer, LESSON_12, LESSON_12_EPOCHS, best < LESSON_12 ? "not reached here"
                : longer <= LESSON_12_EPOCHS ? "as good or better, in no more epochs" : "as good or better, but in more epochs");
    }

    /** Whether dir is the course's datasets/mnist, the data lesson 12's mark was measured on. */
    static boolean isCourseMnist(Path dir) {
        return dir.toAbsolutePath().normalize().equals(courseDir().resolve("datasets").resolve("mnist").toAbsolutePath().normalize());
    }

    /** 1. The loss from log-softmax at huge scores, against ln of softmax; and the gradient check. */
    static void crossEntropyAtTheExtremes(long seed) {
        System.out.println("\n1. Softmax cross-entropy at extreme scores (true class 0)");
        System.out.println("   scores             loss from log-softmax   -ln(softmax), the naive way");
        for (double[] s : new double[][] {{0, 800}, {800, 0}, {-800, 800}, {1e4, -1e4}, {0, 1e4}}) {
            Matrix scores = Matrix.of(s), target = Matrix.of(new double[] {1, 0});
            System.out.printf("   %-18s %21s   %s%n", "[" + Chart.label(s[0]) + ", " + Chart.label(s[1]) + "]",
                    Chart.label(new SoftmaxCrossEntropy().loss(scores, target)), naiveLoss(s[0], s[1]));
        }
        double worst = softmaxGradientCheck(new Random(seed));
        System.out.printf("   gradient check of dL/dz = p - y (a 2-layer network, 4 samples, 5 classes):%n"
                + "   largest relative difference from central differences %.1e: %s%n", worst,
                worst < 1e-6 ? "the derivation holds" : "the derivation and the numbers DISAGREE");
    }

    /** -ln(e^a / (e^a + e^b)), computed as written: it overflows or underflows. */
    static double naiveLoss(double a, double b) {
        return -Math.log(Math.exp(a) / (Math.exp(a) + Math.exp(b)));
    }

    /** Lesson 11's gradientCheck on a small network ending in softmax cross-entropy: the largest relative error. */
    static double softmaxGradientCheck(Random rng) {
        Network net = new Network();
        net.add(new Dense(3, 6, rng));
        net.add(new ActivationLayer(Activation.TANH));
        net.add(new Dense(6, 5, rng));
        net.use(new SoftmaxCrossEntropy());
        Matrix x = Matrix.random(4, 3, rng), y = new Matrix(4, 5);
        for (int r = 0; r < 4; r++) y.data()[r * 5 + rng.nextInt(5)] = 1;
        return gradientCheck(net, x, y);
    }

    static final double[] START = {-9, 1.5};
    static final int BOWL_STEPS = 60, SADDLE_STEPS = 30;

    /** 2. The six optimizers on the bowl from the same start: a table and the picture. */
    static void bowlRace() {
        Bowl bowl = new Bowl();
        System.out.printf("%n2. The six on the narrow bowl f = x^2/20 + y^2, from (%s, %s), %d steps%n",
                Chart.label(START[0]), Chart.label(START[1]), BOWL_STEPS);
        System.out.println("   optimizer    rate    f after 10    f after 30    f after 60");
        List<double[][]> paths = new ArrayList<>();
        for (Kind k : KINDS) {
            double[][] path = descend(bowl, k.make().apply(k.bowlRate()), START[0], START[1], BOWL_STEPS);
            paths.add(path);
            System.out.printf("   %-10s %6s %13.4g %13.4g %13.4g%n", k.name(), Chart.label(k.bowlRate()),
                    bowl.f(path[0][10], path[1][10]), bowl.f(path[0][30], path[1][30]), bowl.f(path[0][60], path[1][60]));
        }
        System.out.println("   the same six from (1, 0.001), next to the saddle point of f = x^2 - y^2 + y^4/4: see exercise 2");
        System.out.println("   plot: " + savePng(bowlPicture(bowl, paths), "13-trajectories.png"));
    }

    /** Three panels: the paths over the bowl's contours, the loss along them, the paths from the saddle. */
    static BufferedImage bowlPicture(Bowl bowl, List<double[][]> paths) {
        ContourChart contours = new ContourChart("Six optimizers on f = x^2/20 + y^2, from the same start", bowl, 0,
                new double[] {-10, 10}, new double[] {-3, 3});
        Saddle saddle = new Saddle();
        ContourChart saddled = new ContourChart("From (1, 0.001), beside the saddle point of f = x^2 - y^2 + y^4/4", saddle, -1,
                new double[] {-2.5, 2.5}, new double[] {-2.2, 2.2});
        Chart losses = new Chart("The loss f along each path", "step", "f (logarithmic scale)");
        losses.logY = true;
        for (int i = 0; i < KINDS.size(); i++) {
            double[][] p = paths.get(i);
            double[] steps = new double[p[0].length], f = new double[p[0].length];
            for (int t = 0; t < f.length; t++) {
                steps[t] = t;
                f[t] = Math.max(bowl.f(p[0][t], p[1][t]), 1e-6); // a log axis has no 0
            }
            contours.add(KINDS.get(i).name(), p);
            losses.add(KINDS.get(i).name(), steps, f, Chart.Style.LINE);
            Kind k = KINDS.get(i);
            saddled.add(k.name(), descend(saddle, k.make().apply(k.bowlRate()), 1, 0.001, SADDLE_STEPS));
        }
        BufferedImage image = new BufferedImage(800, 1500, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.drawImage(contours.draw(), 0, 0, null);
        g.drawImage(losses.draw(), 0, 500, null);
        g.drawImage(saddled.draw(), 0, 1000, null);
        g.dispose();
        return image;
    }

    /** One MNIST experiment: an optimizer, its starting rate, a schedule, how long and with how many seeds. */
    record Job(Kind kind, double rate, Schedule schedule, int epochs, int seeds) {
        String label() {
            return schedule == Schedule.CONSTANT ? kind.name() : kind.name() + ", " + schedule.label;
        }
    }

    /**
     * Every job with each of its seeds (seed, seed + 1, ...), on as many threads as there are cores.
     * Each run has its own Random, so the results do not depend on which thread ran what, or when.
     */
    static History[][] runAll(List<Job> jobs, Dataset train, Dataset test, long seed) {
        History[][] runs = new History[jobs.size()][];
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
        Progress progress = new Progress(jobs.stream().mapToInt(j -> j.epochs() * j.seeds()).sum());
        try {
            List<List<Future<History>>> futures = new ArrayList<>();
            for (Job job : jobs) {
                List<Future<History>> each = new ArrayList<>();
                for (int s = 0; s < job.seeds(); s++) {
                    long runSeed = seed + s;
                    each.add(pool.submit(() -> {
                        Random rng = new Random(runSeed);
                        return train(network(rng), train, test, job.epochs(), job.kind(), job.rate(), job.schedule(), rng, progress::tick);
                    }));
                }
                futures.add(each);
            }
            for (int j = 0; j < jobs.size(); j++) {
                runs[j] = new History[jobs.get(j).seeds()];
                for (int s = 0; s < runs[j].length; s++) runs[j][s] = futures.get(j).get(s).get();
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UserError u) throw u;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
            progress.end();
        }
        return runs;
    }

    /** A bar on stderr that fills as the epochs of all runs finish. */
    static class Progress {
        final int total;
        int done;

        Progress(int total) {
            this.total = total;
        }

        synchronized void tick() {
            done++;
            int filled = 40 * done / total;
            System.err.print("\r   training [" + "#".repeat(filled) + " ".repeat(40 - filled) + "] " + done + "/" + total + " epochs");
        }

        synchronized void end() {
            System.err.print("\r" + " ".repeat(70) + "\r");
        }
    }

    /** The epochs the table shows: 1, 2, 5 and the last, those that exist. */
    static int[] shownEpochs(int epochs) {
        return Arrays.stream(new int[] {1, 2, 5, epochs}).filter(e -> e <= epochs).distinct().toArray();
    }

    /** Held-out accuracy, mean over the seeds and (lowest to highest), after the shown epochs; wall time per run. */
    static void printTable(List<Job> jobs, History[][] runs) {
        int[] shown = shownEpochs(jobs.get(0).epochs());
        StringBuilder head = new StringBuilder(String.format("   %-36s", runs[0].length > 1 ? "held-out accuracy, % (range)" : "held-out accuracy, %"));
        for (int e : shown) head.append(String.format("%-20s", "epoch " + e));
        System.out.println(head + "s a run");
        for (int j = 0; j < jobs.size(); j++) {
            StringBuilder row = new StringBuilder(String.format("   %-36s", jobs.get(j).label() + " (" + Chart.label(jobs.get(j).rate()) + ")"));
            for (int e : shown) {
                double[] a = atEpoch(runs[j], e);
                row.append(String.format("%-20s", a.length == 1 ? String.format("%.2f", a[0])
                        : String.format("%.2f (%.2f-%.2f)", mean(a), min(a), max(a))));
            }
            double seconds = 0;
            for (History r : runs[j]) seconds += r.seconds() / runs[j].length;
            System.out.println(row + String.format("%.1f", seconds));
        }
    }

    static double[] atEpoch(History[] runs, int epoch) {
        return Arrays.stream(runs).mapToDouble(r -> r.accuracy()[epoch - 1]).toArray();
    }

    static double mean(double[] a) {
        return Arrays.stream(a).average().orElse(Double.NaN);
    }

    static double min(double[] a) {
        return Arrays.stream(a).min().orElse(Double.NaN);
    }

    static double max(double[] a) {
        return Arrays.stream(a).max().orElse(Double.NaN);
    }

    /** Who is ahead after the first epoch and at the end, and whether the end's lead is beyond the seeds' spread. */
    static String conclusion(List<Job> jobs, History[][] runs) {
        if (jobs.size() == 1) {
            double[] a = atEpoch(runs[0], runs[0][0].accuracy().length);
            return String.format("%s ends at %.2f%% held out (mean of %d seeds).", jobs.get(0).label(), mean(a), a.length);
        }
        int epochs = runs[0][0].accuracy().length, first = best(runs, 1), last = best(runs, epochs), second = -1;
        for (int j = 0; j < jobs.size(); j++) {
            if (j != last && (second < 0 || mean(atEpoch(runs[j], epochs)) > mean(atEpoch(runs[second], epochs)))) second = j;
        }
        double lead = mean(atEpoch(runs[last], epochs)) - mean(atEpoch(runs[second], epochs));
        boolean clear = min(atEpoch(runs[last], epochs)) > max(atEpoch(runs[second], epochs));
        double top = mean(atEpoch(runs[first], 1));
        boolean level = Arrays.stream(runs).filter(r -> r != runs[first]).anyMatch(r -> Math.abs(mean(atEpoch(r, 1)) - top) < 1e-9);
        String start = "After epoch 1 " + (level ? "the best are level" : jobs.get(first).label() + " leads");
        if (lead < 1e-9) { // a tie at the end: nobody is ahead
            return String.format("%s; after epoch %d %s and %s are level, at %.2f%%.", start, epochs, jobs.get(last).label(),
                    jobs.get(second).label(), mean(atEpoch(runs[last], epochs)));
        }
        return String.format("%s; after epoch %d %s, %.2f points ahead of %s, %s.", start, epochs, jobs.get(last).label(), lead,
                jobs.get(second).label(), runs[last].length == 1 ? "on one seed: a hint, not a verdict"
                : clear ? "every one of its seeds above every seed of the runner-up" : "but the seeds' ranges overlap: not a clear win");
    }

    static int best(History[][] runs, int epoch) {
        int best = 0;
        for (int j = 1; j < runs.length; j++) if (mean(atEpoch(runs[j], epoch)) > mean(atEpoch(runs[best], epoch))) best = j;
        return best;
    }

    /** The training loss per epoch, mean of the seeds, one line per optimizer. */
    static Chart lossChart(List<Job> jobs, History[][] runs) {
        Chart chart = new Chart("Training loss on MNIST, mean of " + SEEDS + " seeds", "epoch", "cross-entropy");
        for (int j = 0; j < jobs.size(); j++) {
            int epochs = runs[j][0].loss().length;
            double[] x = new double[epochs], y = new double[epochs];
            for (int e = 0; e < epochs; e++) {
                x[e] = e + 1;
                for (History r : runs[j]) y[e] += r.loss()[e] / runs[j].length;
            }
            chart.add(jobs.get(j).label(), x, y, Chart.Style.LINE);
        }
        return chart;
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: Adam's first steps under a steady gradient, with and without bias correction. */
    static void exerciseBiasCorrection() {
        System.out.println("Exercise 1: Adam under a steady gradient g = 1, rate 0.1: the step taken, with and without bias correction");
        Adam with = new Adam(0.1), without = new Adam(0.1, false);
        double[] a = {0}, b = {0}, g = {1};
        System.out.println("   step    with correction    without");
        for (int t = 1; t <= 1000; t++) {
            double beforeA = a[0], beforeB = b[0];
            with.step(a, g);
            without.step(b, g);
            if (t <= 3 || t == 10 || t == 100 || t == 1000) {
                System.out.printf("   %4d %18.4f %12.4f%n", t, beforeA - a[0], beforeB - b[0]);
            }
        }
        Bowl bowl = new Bowl();
        double[][] p = descend(bowl, new Adam(0.3), START[0], START[1], BOWL_STEPS);
        double[][] q = descend(bowl, new Adam(0.3, false), START[0], START[1], BOWL_STEPS);
        double withF = bowl.f(p[0][BOWL_STEPS], p[1][BOWL_STEPS]), withoutF = bowl.f(q[0][BOWL_STEPS], q[1][BOWL_STEPS]);
        System.out.printf("   on the bowl, %d steps at rate 0.3: f = %.4g with correction, %.4g without%n", BOWL_STEPS, withF, withoutF);
        System.out.println("   Without the correction the first steps are " + (firstStep(false) > firstStep(true) ? "larger" : "not larger")
                + " than the rate: m and v both start at 0, and sqrt(v) lags further behind than m.");
    }

    /** Adam's first step size at rate 1 under g = 1. */
    static double firstStep(boolean corrected) {
        double[] w = {0};
        new Adam(1, corrected).step(w, new double[] {1});
        return -w[0];
    }

    /** Exercise 2: the saddle. Starting almost on the ridge, who gets off it, and how fast. */
    static void exerciseSaddle() {
        Saddle saddle = new Saddle();
        System.out.println("Exercise 2: the saddle f = x^2 - y^2 + y^4/4 from (1, 0.001), 100 steps, each optimizer at its bowl rate");
        System.out.println("   optimizer    steps until f < -0.5   f after 100");
        int fastest = 0;
        int[] escaped = new int[KINDS.size()];
        for (int i = 0; i < KINDS.size(); i++) {
            Kind k = KINDS.get(i);
            double[][] p = descend(saddle, k.make().apply(k.bowlRate()), 1, 0.001, 100);
            escaped[i] = -1;
            for (int t = 0; t <= 100 && escaped[i] < 0; t++) if (saddle.f(p[0][t], p[1][t]) < -0.5) escaped[i] = t;
            System.out.printf("   %-10s %16s %15.4f%n", k.name(), escaped[i] < 0 ? "never" : String.valueOf(escaped[i]),
                    saddle.f(p[0][100], p[1][100]));
            if (escaped[i] >= 0 && (escaped[fastest] < 0 || escaped[i] < escaped[fastest])) fastest = i;
        }
        System.out.println("   First off the saddle: " + (escaped[fastest] < 0 ? "none" : KINDS.get(fastest).name()) + ".");
    }

    // ---------------------------------------------------------------- pictures

    /** Paths over the contour lines of a surface, 800 x 500, with axes, ticks and a legend. */
    static class ContourChart {
        final String title;
        final Surface surface;
        final double lowest; // the surface's minimum: the contour bands are measured up from it
        final double[] xRange, yRange;
        final List<String> names = new ArrayList<>();
        final List<double[][]> paths = new ArrayList<>();

        ContourChart(String title, Surface surface, double lowest, double[] xRange, double[] yRange) {
            this.title = title;
            this.surface = surface;
            this.lowest = lowest;
            this.xRange = xRange;
            this.yRange = yRange;
        }

        void add(String name, double[][] path) {
            names.add(name);
            paths.add(path);
        }

        double px(double x) {
            return Chart.LEFT + (x - xRange[0]) / (xRange[1] - xRange[0]) * (Chart.RIGHT - Chart.LEFT);
        }

        double py(double y) {
            return Chart.BOTTOM - (y - yRange[0]) / (yRange[1] - yRange[0]) * (Chart.BOTTOM - Chart.TOP);
        }

        /** Which band of f a value is in: f - lowest doubles from band to band, so both the rim and the floor show. */
        int band(double f) {
            return (int) Math.floor(Math.log(Math.max(f - lowest, 1e-9)) / Math.log(2));
        }

        BufferedImage draw() {
            BufferedImage image = new BufferedImage(800, 500, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, 800, 500);
            for (int x = Chart.LEFT; x < Chart.RIGHT; x++) { // shade each pixel by its band, a line where the band changes
                for (int y = Chart.TOP; y < Chart.BOTTOM; y++) {
                    int b = band(f(x, y));
                    boolean edge = b != band(f(x + 1, y)) || b != band(f(x, y + 1));
                    int grey = edge ? 150 : 255 - 6 * Math.max(0, Math.min(12, 8 - b));
                    image.setRGB(x, y, new Color(grey, grey, Math.min(255, grey + 10)).getRGB());
                }
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.setColor(Color.BLACK);
            for (double t : Chart.ticks(xRange, false)) g.drawString(Chart.label(t), (int) px(t) - 6, Chart.BOTTOM + 18);
            for (double t : Chart.ticks(yRange, false)) g.drawString(Chart.label(t), Chart.LEFT - 30, (int) py(t) + 4);
            g.drawRect(Chart.LEFT, Chart.TOP, Chart.RIGHT - Chart.LEFT, Chart.BOTTOM - Chart.TOP);
            g.drawString("x", (Chart.LEFT + Chart.RIGHT) / 2, 484);
            g.drawString("y", 18, (Chart.TOP + Chart.BOTTOM) / 2);
            g.setClip(Chart.LEFT, Chart.TOP, Chart.RIGHT - Chart.LEFT, Chart.BOTTOM - Chart.TOP);
            for (int i = 0; i < paths.size(); i++) {
                double[][] p = paths.get(i);
                Path2D.Double line = new Path2D.Double();
                line.moveTo(px(p[0][0]), py(p[1][0]));
                for (int t = 1; t < p[0].length; t++) line.lineTo(px(p[0][t]), py(p[1][t]));
                g.setColor(Chart.COLOURS[i % Chart.COLOURS.length]);
                g.setStroke(new BasicStroke(2));
                g.draw(line);
                for (int t = 0; t < p[0].length; t++) g.fill(new Ellipse2D.Double(px(p[0][t]) - 2, py(p[1][t]) - 2, 4, 4));
            }
            g.setClip(null);
            int left = Chart.RIGHT - 130, top = Chart.TOP + 10;
            g.setColor(Color.WHITE);
            g.fillRect(left, top, 120, 20 * names.size() + 8);
            for (int i = 0; i < names.size(); i++) {
                g.setColor(Chart.COLOURS[i % Chart.COLOURS.length]);
                g.fillRect(left + 8, top + 12 + 20 * i, 22, 4);
                g.setColor(Color.BLACK);
                g.drawString(names.get(i), left + 38, top + 19 + 20 * i);
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, (800 - g.getFontMetrics().stringWidth(title)) / 2, Chart.TOP - 14);
            g.dispose();
            return image;
        }

        /** f at the centre of pixel (x, y). */
        double f(int x, int y) {
            double fx = xRange[0] + (x + 0.5 - Chart.LEFT) / (Chart.RIGHT - Chart.LEFT) * (xRange[1] - xRange[0]);
            double fy = yRange[0] + (Chart.BOTTOM - y - 0.5) / (Chart.BOTTOM - Chart.TOP) * (yRange[1] - yRange[0]);
            return surface.f(fx, fy);
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
