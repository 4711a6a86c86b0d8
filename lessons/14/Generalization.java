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
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.DoubleUnaryOperator;
import java.util.function.ToDoubleFunction;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Lesson 14: generalization, learning what holds beyond the training set.
 *
 * A network can learn its training images by heart and still read new ones badly. This lesson
 * splits the data three ways (train, validate, test), draws learning curves that show the gap,
 * and measures four ways to close it against one baseline over three seeds: L2 weight decay,
 * dropout, early stopping and data augmentation. Then it saves the model to a file, loads it back
 * bit for bit, and reads a digit you drew yourself.
 *
 * Follows: the UPM hands-on, section 5b "stability and convergence" (its notes on overfitting and
 * on plotting the loss to see it); see README.md.
 * New here: Dropout (a layer with a training and an evaluation mode); weightPenalty and
 * addWeightDecay (L2); parameters, restore and EarlyStopping; ModelFile (save and load, with every
 * check); mnistDigit and its steps (grey, ink, inkBox, fit, resample, centred); train with a
 * validation set and a Regime; refit (the chosen regime again, on training and validation images
 * together); the learning-curve picture; --predict.
 * Carried: Dense, ActivationLayer, Activation, Loss, gradientCheck, compare, Matrix,
 * SoftmaxCrossEntropy, glorotUniform, shuffle, shifted, Dataset, the IDX reader (load, find, Idx),
 * Optimizer, Adam, Schedule, step and Progress from lesson 13, unchanged. The other five
 * optimizers and the 2-D surfaces are left out, as nothing here uses them.
 * Changed: Layer gains training(on), a default that does nothing, so that Dropout can switch
 * between training and evaluation; Network gains training(on), which passes it to every layer.
 *
 * Run: java lessons/14/Generalization.java [--epochs N] [--seed N] [--hidden N] [--data-dir DIR] [--save FILE] [--load FILE] [--predict IMAGE] [--compare] [--exercise 1|2]
 */
public class Generalization {

    /** Forward: X -> Y. Backward: dE/dY -> dE/dX, updating the layer's own parameters, if any. */
    interface Layer {
        Matrix forward(Matrix input);

        Matrix backward(Matrix outputGradient, double learningRate);

        /** Training (true) or evaluation (false) mode: only a layer that acts differently while it learns, as Dropout does, listens. */
        default void training(boolean on) {}
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

        /** Puts every layer in training mode (true) or evaluation mode (false). */
        void training(boolean on) {
            for (Layer layer : layers) layer.training(on);
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

    // ---------------------------------------------------------------- regularisation

    /**
     * Inverted dropout. In training mode each number of the input is kept with probability 1 - rate
     * and then divided by 1 - rate, or set to 0: its expected value is the input itself, so nothing
     * needs rescaling at evaluation time, when the layer passes its input through untouched.
     * Evaluation mode is the default: a network only drops while it learns.
     */
    static class Dropout implements Layer {
        final double rate; // p, the fraction dropped
        final Random rng;
        boolean training;
        Matrix mask; // 0 or 1 / (1 - p) for each number of the last forward in training mode; null otherwise

        Dropout(double rate, Random rng) {
            if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("a dropout rate lies in [0, 1), got " + rate);
            this.rate = rate;
            this.rng = rng;
        }

        public void training(boolean on) {
            training = on;
        }

        public Matrix forward(Matrix input) {
            if (!training) {
                mask = null;
                return input;
            }
            mask = new Matrix(input.rows(), input.cols());
            double kept = 1 / (1 - rate);
            for (int i = 0; i < mask.size(); i++) mask.data()[i] = rng.nextDouble() < rate ? 0 : kept;
            return input.hadamard(mask);
        }

        public Matrix backward(Matrix outputGradient, double learningRate) {
            return mask == null ? outputGradient : outputGradient.hadamard(mask); // Y = X * mask, so dE/dX = dE/dY * mask
        }
    }

    /** L2's extra loss, (lambda / 2) times the sum of every weight squared (the biases are left alone). */
    static double weightPenalty(Network net, double lambda) {
        double sum = 0;
        for (Layer layer : net.layers) {
            if (layer instanceof Dense d) for (double w : d.weights.data()) sum += w * w;
        }
        return lambda / 2 * sum;
    }

    /** The gradient of that extra loss, d/dw (lambda / 2) w^2 = lambda w, added to each weight's gradient after backward. */
    static void addWeightDecay(Network net, double lambda) {
        for (Layer layer : net.layers) {
            if (layer instanceof Dense d) {
                double[] w = d.weights.data(), g = d.weightGradient.data();
                for (int i = 0; i < w.length; i++) g[i] += lambda * w[i];
            }
        }
    }

    /** A copy of every weight and bias of the network, in layer order. */
    static List<double[]> parameters(Network net) {
        List<double[]> copy = new ArrayList<>();
        for (Layer layer : net.layers) {
            if (layer instanceof Dense d) {
                copy.add(d.weights.data().clone());
                copy.add(d.bias.data().clone());
            }
        }
        return copy;
    }

    /** Puts a copy made by parameters back into the same network. */
    static void restore(Network net, List<double[]> saved) {
        int i = 0;
        for (Layer layer : net.layers) {
            if (layer instanceof Dense d) {
                System.arraycopy(saved.get(i++), 0, d.weights.data(), 0, d.weights.size());
                System.arraycopy(saved.get(i++), 0, d.bias.data(), 0, d.bias.size());
            }
        }
    }

    /**
     * Early stopping: after each epoch, update with the validation accuracy. It keeps a copy of the
     * weights of the best epoch so far, and says stop once patience epochs have passed without a
     * better one; restoreBest then puts the best weights back.
     */
    static class EarlyStopping {
        final int patience;
        double best = Double.NEGATIVE_INFINITY;
        int bestEpoch;
        List<double[]> bestWeights;

        EarlyStopping(int patience) {
            this.patience = patience;
        }

        /** Records epoch's result; true when it is time to stop. A tie is not an improvement: the earlier epoch stays. */
        boolean update(Network net, double validationAccuracy, int epoch) {
            if (validationAccuracy > best) {
                best = validationAccuracy;
                bestEpoch = epoch;
                bestWeights = parameters(net);
            }
            return epoch - bestEpoch >= patience;
        }

        void restoreBest(Network net) {
            restore(net, bestWeights);
        }
    }

    // ---------------------------------------------------------------- saving and loading a model

    /**
     * A trained network as a file (see README, "The model file"). Big-endian binary, as
     * DataOutputStream writes it: the magic word "JNNM", the format version (an int), the number of
     * layers (an int), then each layer as its kind (a string: a 2-byte length, then ASCII) and what
     * that kind needs. "dense": inputs and outputs (ints), then the weights row by row and the biases
     * (doubles, 8 bytes each, so they come back bit for bit). "activation": its name (a string,
     * "SIGMOID", "TANH", "RELU" or "LEAKY_RELU"). "dropout": its rate (a double). Nothing follows the
     * last layer. A new kind of layer is a new kind string, read and written by one more case.
     */
    static class ModelFile {
        static final int MAGIC = 0x4A4E4E4D, VERSION = 1, MAX_LAYERS = 1000; // "JNNM"
        static final long MAX_BYTES = 1L << 30; // 1 GiB: far beyond any model here, and a limit on what a damaged file can ask for

        /** Writes net to file through a temporary file in the same folder, moved into place when complete. */
        static void save(Network net, Path file) {
            Path dir = file.toAbsolutePath().getParent();
            try {
                Files.createDirectories(dir);
                Path partial = Files.createTempFile(dir, ".partial-", ".jnn");
                try {
                    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(partial)))) {
                        write(net, out);
                    }
                    Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(partial);
                }
            } catch (IOException e) {
                throw new UserError("could not write " + file + " (" + e.getMessage() + "); check the folder, or free some disk space");
            }
        }

        static void write(Network net, DataOutputStream out) throws IOException {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(net.layers.size());
            for (Layer layer : net.layers) {
                if (layer instanceof Dense d) {
                    out.writeUTF("dense");
                    out.writeInt(d.weights.rows());
                    out.writeInt(d.weights.cols());
                    for (double w : d.weights.data()) out.writeDouble(w);
                    for (double b : d.bias.data()) out.writeDouble(b);
                } else if (layer instanceof ActivationLayer a) {
                    out.writeUTF("activation");
                    out.writeUTF(a.activation.name());
                } else if (layer instanceof Dropout d) {
                    out.writeUTF("dropout");
                    out.writeDouble(d.rate);
                } else {
                    throw new IllegalArgumentException("no kind in the model file for a " + layer.getClass().getSimpleName());
                }
            }
        }

        /**
         * Reads a network written by save, checking everything on the way: a wrong magic word or
         * version, an unknown kind, a size that does not fit the bytes left, layers whose sizes do
         * not join up, a number that is NaN or infinite, bytes cut off or left over: each is a
         * UserError naming the file. Its dropout layers draw from rng (and start in evaluation mode).
         */
        static Network load(Path file, Random rng) {
            if (!Files.isRegularFile(file)) {
                throw new UserError(file + " is not a file" + (Files.exists(file) ? " but a folder or a device" : "")
                        + "; --load needs a model written by --save");
            }
            try {
                if (Files.size(file) > MAX_BYTES) throw new UserError(file + " is larger than 1 GiB: it is not a model this lesson wrote");
                byte[] bytes = Files.readAllBytes(file);
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
                Network net = read(file, in, rng);
                if (in.available() > 0) throw damaged(file, in.available() + " bytes follow its last layer");
                return net;
            } catch (EOFException e) {
                throw new UserError(file + " is truncated: it ends in the middle of the model; save it again");
            } catch (IOException e) {
                throw new UserError("could not read " + file + " (" + e.getMessage() + ")");
            }
        }

        static Network read(Path file, DataInputStream in, Random rng) throws IOException {
            int magic = in.readInt();
            if (magic != MAGIC) throw new UserError(String.format("%s starts with 0x%08X, not the magic word 0x%08X (JNNM): it is not a model file", file, magic, MAGIC));
            int version = in.readInt();
            if (version != VERSION) {
                throw new UserError(file + " is a model file of version " + version + "; this lesson reads version " + VERSION);
            }
            int count = in.readInt();
            if (count < 1 || count > MAX_LAYERS) throw damaged(file, "it announces " + count + " layers (1 to " + MAX_LAYERS + " expected)");
            Network net = new Network();
            int width = -1; // the numbers per sample flowing out of the layers so far; -1 until the first Dense layer
            for (int i = 0; i < count; i++) {
                String kind = in.readUTF();
                switch (kind) {
                    case "dense" -> {
                        int inputs = in.readInt(), outputs = in.readInt();
                        long numbers = (long) inputs * outputs + outputs; // below 2^63: no overflow
                        if (inputs < 1 || outputs < 1 || numbers > in.available() / Double.BYTES) {
                            throw inputs < 1 || outputs < 1 ? damaged(file, "layer " + (i + 1) + " is " + inputs + "x" + outputs)
                                    : new UserError(file + " is truncated: layer " + (i + 1) + " is " + inputs + "x" + outputs
                                    + ", " + numbers + " numbers, but only " + in.available() + " bytes are left");
                        }
                        if (width >= 0 && inputs != width) {
                            throw damaged(file, "layer " + (i + 1) + " takes " + inputs + " numbers, but the layers before it give " + width);
                        }
                        Matrix weights = new Matrix(inputs, outputs), bias = new Matrix(1, outputs);
                        for (Matrix m : List.of(weights, bias)) {
                            for (int k = 0; k < m.size(); k++) {
                                m.data()[k] = in.readDouble();
                                if (!Double.isFinite(m.data()[k])) throw damaged(file, "layer " + (i + 1) + " holds " + m.data()[k]);
                            }
                        }
                        net.add(new Dense(weights, bias));
                        width = outputs;
                    }
                    case "activation" -> net.add(new ActivationLayer(activation(file, in.readUTF())));
                    case "dropout" -> {
                        double rate = in.readDouble();
                        if (!(rate >= 0 && rate < 1)) throw damaged(file, "a dropout rate of " + rate + " (0 to 1 expected)");
                        net.add(new Dropout(rate, rng));
                    }
                    default -> throw new UserError(file + ": layer " + (i + 1) + " is of kind '" + printable(kind)
                            + "', which this lesson does not know (it reads dense, activation and dropout)");
                }
            }
            if (width < 0) throw damaged(file, "it has no dense layer");
            net.use(new SoftmaxCrossEntropy());
            return net;
        }

        static Activation activation(Path file, String name) {
            for (Activation a : Activation.values()) if (a.name().equals(name)) return a;
            throw damaged(file, "an activation named '" + printable(name) + "'");
        }

        /** The numbers in and out of a network: its first Dense layer's inputs, its last one's outputs. */
        static int[] shape(Network net) {
            List<Dense> dense = net.layers.stream().filter(l -> l instanceof Dense).map(l -> (Dense) l).toList();
            return new int[] {dense.get(0).weights.rows(), dense.get(dense.size() - 1).weights.cols()};
        }

        static UserError damaged(Path file, String what) {
            return new UserError(file + " is damaged: " + what + "; save the model again");
        }

        /** A string from a damaged file, safe to print on one line. */
        static String printable(String s) {
            String shown = s.length() > 30 ? s.substring(0, 30) + "..." : s;
            return shown.replaceAll("[^\\x20-\\x7E]", "?");
        }
    }

    // ---------------------------------------------------------------- a digit from a picture

    /**
     * Any picture of a digit, turned into what the network was trained on, the way MNIST's digits
     * were made: grey levels; light ink on black (a dark-on-light drawing is inverted); cropped to
     * the ink; scaled so that its longer side is 20 pixels, keeping its shape; placed in 28x28 with
     * its centre of mass at the centre. Returns 28x28 numbers in [0, 1], row by row; null if the
     * picture holds no ink.
     */
    static double[] mnistDigit(BufferedImage image) {
        double[][] ink = ink(grey(image));
        int[] box = inkBox(ink);
        if (box == null) return null;
        return centred(fit(ink, box, BOX));
    }

    static final int BOX = 20; // MNIST's digits fit a 20x20 box inside the 28x28 picture

    /** Lightness in [0, 1] (0 black, 1 white) of each pixel; a transparent pixel is white paper. */
    static double[][] grey(BufferedImage image) {
        double[][] g = new double[image.getHeight()][image.getWidth()];
        for (int y = 0; y < g.length; y++) {
            for (int x = 0; x < g[0].length; x++) {
                int argb = image.getRGB(x, y);
                double alpha = (argb >>> 24) / 255.0;
                double light = (0.299 * (argb >> 16 & 0xFF) + 0.587 * (argb >> 8 & 0xFF) + 0.114 * (argb & 0xFF)) / 255;
                g[y][x] = alpha * light + (1 - alpha);
            }
        }
        return g;
    }

    /**
     * How much ink each pixel holds, 0 (background) to 1 (the darkest stroke). The border tells the
     * background: if it is mostly light, the ink is dark and the picture is inverted. Then the
     * background level becomes 0 and the strongest ink 1. All 0 when nothing stands out.
     */
    static double[][] ink(double[][] grey) {
        int h = grey.length, w = grey[0].length;
        double border = 0;
        int n = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (y == 0 || x == 0 || y == h - 1 || x == w - 1) { border += grey[y][x]; n++; }
            }
        }
        boolean darkInk = border / n > 0.5;
        double background = darkInk ? 1 - border / n : border / n, peak = 0;
        double[][] ink = new double[h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                ink[y][x] = darkInk ? 1 - grey[y][x] : grey[y][x];
                peak = Math.max(peak, ink[y][x]);
            }
        }
        double range = peak - background;
        for (double[] row : ink) {
            for (int x = 0; x < w; x++) row[x] = range < 0.2 ? 0 : Math.max(0, Math.min(1, (row[x] - background) / range));
        }
        return ink;
    }

    /** The smallest box {left, top, right, bottom} (right and bottom exclusive) holding every pixel with ink above 0.1; null if none. */
    static int[] inkBox(double[][] ink) {
        int left = Integer.MAX_VALUE, top = Integer.MAX_VALUE, right = -1, bottom = -1;
        for (int y = 0; y < ink.length; y++) {
            for (int x = 0; x < ink[0].length; x++) {
                if (ink[y][x] > 0.1) {
                    left = Math.min(left, x);
                    right = Math.max(right, x + 1);
                    top = Math.min(top, y);
                    bottom = Math.max(bottom, y + 1);
                }
            }
        }
        return right < 0 ? null : new int[] {left, top, right, bottom};
    }

    /** The box cut out of ink and scaled so that its longer side is size pixels, its shape kept. */
    static double[][] fit(double[][] ink, int[] box, int size) {
        int w = box[2] - box[0], h = box[3] - box[1], longer = Math.max(w, h);
        int newW = Math.max(1, (int) Math.round((double) w * size / longer)), newH = Math.max(1, (int) Math.round((double) h * size / longer));
        double[][] rows = new double[h][];
        for (int y = 0; y < h; y++) rows[y] = resample(Arrays.copyOfRange(ink[box[1] + y], box[0], box[2]), newW);
        double[][] out = new double[newH][newW];
        for (int x = 0; x < newW; x++) {
            double[] column = new double[h];
            for (int y = 0; y < h; y++) column[y] = rows[y][x];
            double[] scaled = resample(column, newH);
            for (int y = 0; y < newH; y++) out[y][x] = scaled[y];
        }
        return out;
    }

    /**
     * A row of pixels stretched or squeezed to n pixels: each new pixel is the mean of the old ones
     * under it, each counted by how much of it lies under (area averaging: no ink is lost or invented).
     */
    static double[] resample(double[] row, int n) {
        double[] out = new double[n];
        double width = (double) row.length / n; // old pixels per new pixel
        for (int j = 0; j < n; j++) {
            double from = j * width, to = from + width, sum = 0;
            for (int i = (int) from; i < Math.min(row.length, Math.ceil(to)); i++) {
                sum += row[i] * (Math.min(to, i + 1) - Math.max(from, i)); // the part of old pixel i under new pixel j
            }
            out[j] = sum / width;
        }
        return out;
    }

    /** The digit placed in a 28x28 picture so that its centre of mass (its ink's mean position) lands on the centre, (14, 14). */
    static double[] centred(double[][] digit) {
        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < digit.length; y++) {
            for (int x = 0; x < digit[0].length; x++) {
                mass += digit[y][x];
                mx += digit[y][x] * (x + 0.5); // pixel x covers [x, x + 1): its centre is x + 0.5
                my += digit[y][x] * (y + 0.5);
            }
        }
        int dx = (int) Math.round(SIDE / 2.0 - mx / mass), dy = (int) Math.round(SIDE / 2.0 - my / mass);
        double[] picture = new double[SIDE * SIDE];
        for (int y = 0; y < digit.length; y++) {
            for (int x = 0; x < digit[0].length; x++) {
                int px = x + dx, py = y + dy;
                if (px >= 0 && px < SIDE && py >= 0 && py < SIDE) picture[py * SIDE + px] = digit[y][x];
            }
        }
        return picture;
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/14/Generalization.java [--epochs N] [--seed N] [--hidden N] [--data-dir DIR] [--save FILE] [--load FILE] [--predict IMAGE] [--compare] [--exercise 1|2]
              --epochs N       epochs of each run on the whole training set (default 20); the learning curves run 2N
              --seed N         seed of the first of three runs each (N, N+1, N+2; default 42)
              --hidden N       the first hidden layer's width, the second's half of it (default 100: 784->100->50->10)
              --data-dir DIR   a folder of MNIST-style IDX files (default: datasets/mnist)
              --save FILE      save the regularised model of the first seed to FILE, a name ending in .jnn
              --load FILE      use a model saved with --save instead of training one: its accuracy, or with --predict
              --predict IMAGE  what the loaded model reads in a picture of a digit (PNG, JPEG or GIF, any size)
              --compare        also each of the four techniques alone, three seeds each (about twice as long)
              --exercise N     run exercise N of the README instead of the lesson""";

    static final int EPOCHS = 20, SEEDS = 3, BATCH = 16, TRAIN = 8000, VALIDATION_SHARE = 8, PROBE = 1000, SMALL = 500;
    static final double RATE = 0.002, LESSON_12 = 96.90; // Adam's rate (cosine decay); lesson 12's held-out accuracy

    /** How one run learns: with the shifts (augmentation) or not, a dropout rate, an L2 lambda, early stopping's patience (0: none). */
    record Regime(String name, boolean shifts, double dropout, double lambda, int patience, boolean decoupled) {
        Regime(String name, boolean shifts, double dropout, double lambda, int patience) {
            this(name, shifts, dropout, lambda, patience, false);
        }
    }

    static final double DROPOUT = 0.1, LAMBDA = 1e-4;
    static final int PATIENCE = 5;
    static final Regime BASELINE = new Regime("baseline", false, 0, 0, 0), L2 = new Regime("L2", false, 0, LAMBDA, 0),
            DROPPED = new Regime("dropout", false, DROPOUT, 0, 0), EARLY = new Regime("early stopping", false, 0, 0, PATIENCE),
            SHIFTS = new Regime("shifts", true, 0, 0, 0), ALL = new Regime("all four", true, DROPOUT, LAMBDA, PATIENCE);

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            int epochs = (int) flags.number("--epochs", EPOCHS, 1, 1000);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE - SEEDS);
            int exercise = (int) flags.number("--exercise", 0, 0, 2);
            hidden = (int) flags.number("--hidden", 100, 2, 1000);
            Path save = flags.has("--save") ? modelPath(flags.given.get("--save")) : null;
            if (flags.has("--predict") && !flags.has("--load")) {
                throw new UserError("--predict needs a trained model: give --load FILE (train and save one first: --save FILE)");
            }
            if (flags.has("--load") && (save != null || flags.has("--compare") || exercise != 0)) {
                throw new UserError("--load uses a saved model as it is: leave out --save, --compare and --exercise");
            }
            Network loaded = null;
            if (flags.has("--load")) {
                loaded = ModelFile.load(Path.of(flags.given.get("--load")), new Random(seed));
                requireMnistShape(loaded, Path.of(flags.given.get("--load")));
                if (flags.has("--predict")) {
                    predict(loaded, Path.of(flags.given.get("--predict")));
                    return;
                }
            }
            Path dir = dataFolder(flags.given.get("--data-dir"));
            Dataset all = load(dir, "train", TRAIN, 2 * VALIDATION_SHARE, "to train and validate on");
            Dataset test = load(dir, "t10k", Integer.MAX_VALUE, 3, "to test on (an accuracy of fewer says little)");
            int cut = all.size() - all.size() / VALIDATION_SHARE;
            Dataset train = all.rows(range(0, cut)), validation = all.rows(range(cut, all.size()));
            if (loaded != null) {
                System.out.printf("%s: validation accuracy %.2f%%, held-out accuracy %.2f%% (%s)%n", flags.given.get("--load"),
                        score(loaded, validation).accuracy(), score(loaded, test).accuracy(), shown(dir));
                return;
            }
            switch (exercise) {
                case 1 -> exerciseDropoutRates(train, validation, 2 * epochs, seed);
                case 2 -> exerciseDecoupled(train, validation, 2 * epochs, seed);
                default -> lesson(all, cut, test, shown(dir), epochs, seed, flags.has("--compare"), save);
            }
        } catch (UserError e) {
            System.err.println("Generalization: " + e.getMessage());
            System.exit(2);
        }
    }

    /** The file --save names: it must end in .jnn and must not be a folder (checked before any training). */
    static Path modelPath(String given) {
        Path file = Path.of(given);
        if (!given.endsWith(".jnn") || Files.isDirectory(file)) {
            throw new UserError("--save takes the name of a file ending in .jnn (for example out/digits.jnn), not '" + given + "'");
        }
        return file;
    }

    /** Refuses a model that does not read 28x28 pictures into ten classes. */
    static void requireMnistShape(Network net, Path file) {
        int[] shape = ModelFile.shape(net);
        if (shape[0] != SIDE * SIDE || shape[1] != 10) {
            throw new UserError(file + " takes " + shape[0] + " numbers and gives " + shape[1] + "; MNIST needs "
                    + SIDE * SIDE + " (28x28 pixels) in and 10 (the digits) out: it was trained on other data");
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

    /** A folder inside the course as a relative path (datasets/mnist), anything else as given. */
    static Path shown(Path dir) {
        Path full = dir.toAbsolutePath().normalize();
        return full.startsWith(courseDir()) ? Path.of("").toAbsolutePath().relativize(full) : dir;
    }

    /** Whether dir is the course's datasets/mnist, the data lesson 12's mark was measured on. */
    static boolean isCourseMnist(Path dir) {
        return dir.toAbsolutePath().normalize().equals(courseDir().resolve("datasets").resolve("mnist").toAbsolutePath().normalize());
    }

    static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    /** The lesson's six steps; all is the training file's images, the first cut of them to train on, the rest to validate on. */
    static void lesson(Dataset all, int cut, Dataset test, Path data, int epochs, long seed, boolean compare, Path save) {
        Dataset train = all.rows(range(0, cut)), validation = all.rows(range(cut, all.size()));
        System.out.println("Lesson 14: generalization, learning what holds beyond the training set");
        System.out.printf("%n1. Three sets from %s: %d images to train on, the next %d to validate on (to choose by),%n"
                + "   and %d held out to test on, once, at the very end%n", data, train.size(), validation.size(), test.size());
        regularisersChecked(new Random(seed));
        learningCurves(train, validation, 2 * epochs, seed);
        List<Regime> regimes = compare ? List.of(BASELINE, L2, DROPPED, EARLY, SHIFTS, ALL) : List.of(BASELINE, ALL);
        System.out.printf("%n4. On all %d training images: 784->" + hidden + "->" + hidden / 2 + "->10, tanh, Adam from %s with cosine decay, batches of %d,%n"
                + "   up to %d epochs; seeds %d, %d, %d (a seed gives every regime the same start)%n",
                train.size(), Chart.label(RATE), BATCH, epochs, seed, seed + 1, seed + 2);
        System.out.printf("   L2 lambda %s, dropout p %s after each hidden layer, early stopping after %d epochs without a better%n"
                + "   validation accuracy, shifts of up to a pixel%s%n", Chart.label(LAMBDA), Chart.label(DROPOUT), PATIENCE,
                compare ? "" : "; each technique alone: --compare");
        List<Trial> trials = new ArrayList<>();
        for (Regime r : regimes) for (int s = 0; s < SEEDS; s++) trials.add(new Trial(r, seed + s, epochs, train, validation));
        List<Trained> runs = runAll(trials);
        double[][] tests = new double[regimes.size()][SEEDS]; // the test set, touched once: each finished model, nothing chosen by it
        for (int i = 0; i < runs.size(); i++) tests[i / SEEDS][i % SEEDS] = score(runs.get(i).net(), test).accuracy();
        printTable(regimes, runs, tests);
        for (String line : conclusions(regimes, runs)) System.out.println("   " + line);

        int pick = 0; // the regime with the best mean validation accuracy
        for (int r = 1; r < regimes.size(); r++) if (mean(validation(runs, r)) > mean(validation(runs, pick))) pick = r;
        String name = regimes.get(pick).name();
        List<Trained> refits = refit(runs.subList(pick * SEEDS, (pick + 1) * SEEDS), all, validation, epochs);
        double[] refitted = new double[SEEDS]; // the test set, touched once more: the final models
        for (int s = 0; s < SEEDS; s++) refitted[s] = score(refits.get(s).net(), test).accuracy();
        int versus = pick > 0 ? pick : regimes.size() - 1; // like for like: the chosen regime, or all four if the baseline was chosen
        double held = refitted[0], ours = mean(refitted), base = mean(tests[0]), ours7000 = mean(tests[pick]), regularised = mean(tests[versus]);
        System.out.printf("%n6. The test set (%d images), looked at once, after every choice was made on validation:%n", test.size());
        System.out.printf("   %s, refit on %d images, seed %d: %.2f%%%s%n", name, all.size(), seed, held, !isCourseMnist(data) ? ""
                : String.format("; lesson 12's batched run (also %d images): %.2f%%: %s", TRAIN, LESSON_12, held > LESSON_12 ? "higher" : "not higher"));
        System.out.printf("   %d seeds: refit %s%%, on %d images %s%%: the refit %s%n", SEEDS, spread(refitted), train.size(), spread(tests[pick]),
                ours > ours7000 ? String.format("%.2f points better", ours - ours7000) : String.format("no better (%.2f points)", ours - ours7000));
        System.out.printf("   like for like, both on %d images (step 4): %s %.2f%%, baseline %.2f%%: %s%n", train.size(), regimes.get(versus).name(),
                regularised, base, regularised > base ? String.format("%.2f points better", regularised - base) : String.format("no better (%.2f points)", regularised - base));
        if (save != null) saveAndCheck(refits.get(0).net(), save, test);
    }

    /**
     * 5. The last step of model selection: each chosen run again, from the same start, on the training
     * and validation images together, for the whole schedule (nothing is left to stop on).
     */
    static List<Trained> refit(List<Trained> chosen, Dataset all, Dataset validation, int epochs) {
        Regime r = chosen.get(0).regime();
        Regime fixed = new Regime(r.name() + ", refit", r.shifts(), r.dropout(), r.lambda(), 0, r.decoupled());
        List<Trial> trials = new ArrayList<>();
        for (Trained run : chosen) trials.add(new Trial(fixed, run.seed(), epochs, all, validation));
        System.out.printf("%n5. Validation chose %s; now each seed again on all %d images (training and validation together),%n"
                + "   from the same start, for all %d epochs of the schedule (why not the epochs early stopping kept: see the README)%n",
                r.name(), all.size(), epochs);
        return runAll(trials);
    }

    /** Saves the model, loads it back and checks that it gives the same scores on the test set, bit for bit. */
    static void saveAndCheck(Network net, Path file, Dataset test) {
        ModelFile.save(net, file);
        Matrix before = net.predict(test.x()), after = ModelFile.load(file, new Random(0)).predict(test.x());
        boolean same = Arrays.equals(before.data(), after.data());
        System.out.printf("   saved: %s (%d bytes); loaded back, its %d scores are %s%n", file, file.toFile().length(), before.size(),
                same ? "the same, bit for bit" : "DIFFERENT");
    }

    /** 2. Dropout's expectation and evaluation mode, measured; L2's gradient against central differences. */
    static void regularisersChecked(Random rng) {
        System.out.println("\n2. The two new pieces of arithmetic, checked");
        Dropout dropout = new Dropout(0.5, rng);
        Matrix ones = new Matrix(1000, 100).map(v -> 1);
        dropout.training(true);
        Matrix dropped = dropout.forward(ones);
        long zeros = Arrays.stream(dropped.data()).filter(v -> v == 0).count();
        dropout.training(false);
        boolean untouched = Arrays.equals(dropout.forward(ones).data(), ones.data());
        System.out.printf("   dropout p = 0.5 on 100,000 ones: training mode sets %.2f%% to 0 and doubles the rest, mean %.4f"
                + " (the input's: 1);%n   evaluation mode returns the input %s%n", 100.0 * zeros / ones.size(), dropped.sum() / ones.size(),
                untouched ? "untouched" : "CHANGED");
        double worst = l2GradientCheck(rng);
        System.out.printf("   L2: dL/dw + lambda w against central differences of L + (lambda/2) sum w^2: largest relative%n"
                + "   difference %.1e: %s%n", worst, worst < 1e-6 ? "the derivation holds" : "the derivation and the numbers DISAGREE");
    }

    /** The largest relative error between dL/dw + lambda w and the slope of the loss plus the penalty, on a small network. */
    static double l2GradientCheck(Random rng) {
        double lambda = 0.1, h = 1e-5, worst = 0;
        Network net = new Network();
        net.add(new Dense(3, 6, rng));
        net.add(new ActivationLayer(Activation.TANH));
        net.add(new Dense(6, 5, rng));
        net.use(new SoftmaxCrossEntropy());
        Matrix x = Matrix.random(4, 3, rng), y = new Matrix(4, 5);
        for (int r = 0; r < 4; r++) y.data()[r * 5 + rng.nextInt(5)] = 1;
        net.backward(net.predict(x), y, 0);
        addWeightDecay(net, lambda);
        for (Layer layer : net.layers) {
            if (!(layer instanceof Dense d)) continue;
            double[] w = d.weights.data(), g = d.weightGradient.data();
            for (int i = 0; i < w.length; i++) {
                double saved = w[i];
                w[i] = saved + h;
                double up = net.loss.loss(net.predict(x), y) + weightPenalty(net, lambda);
                w[i] = saved - h;
                double down = net.loss.loss(net.predict(x), y) + weightPenalty(net, lambda);
                w[i] = saved;
                double numeric = (up - down) / (2 * h);
                worst = Math.max(worst, Math.abs(g[i] - numeric) / Math.max(Math.abs(g[i]) + Math.abs(numeric), 1e-7));
            }
        }
        return worst;
    }

    /** 3. Learning curves on a small training set: the baseline overfits, the regularised run less. */
    static void learningCurves(Dataset train, Dataset validation, int epochs, long seed) {
        Dataset small = train.rows(range(0, Math.min(SMALL, train.size())));
        Regime regularised = new Regime("shifts + dropout + L2", true, DROPOUT, LAMBDA, 0);
        System.out.printf("%n3. Learning curves on only %d training images, %d epochs, seed %d (no early stopping: the curves show%n"
                + "   where it would stop)%n", small.size(), epochs, seed);
        List<Trained> runs = runAll(List.of(new Trial(BASELINE, seed, epochs, small, validation),
                new Trial(regularised, seed, epochs, small, validation)));
        System.out.println("   regime                   training, %   validation, %   gap     best validation     lowest validation loss");
        for (Trained run : runs) {
            Curves c = run.curves();
            int last = c.epochs() - 1, best = argMax(c.validationAccuracy()), lowest = argMin(c.validationLoss());
            System.out.printf("   %-24s %11.2f %15.2f %6.2f     %.2f%% (epoch %d)   %.3f (epoch %d; %.3f at the end)%n", run.regime().name(),
                    c.trainAccuracy()[last], c.validationAccuracy()[last], c.trainAccuracy()[last] - c.validationAccuracy()[last],
                    c.validationAccuracy()[best], best + 1, c.validationLoss()[lowest], lowest + 1, c.validationLoss()[last]);
        }
        Curves a = runs.get(0).curves(), b = runs.get(1).curves();
        double gapA = a.gap(), gapB = b.gap();
        System.out.printf("   The baseline ends %.2f points better on the images it learned than on new ones; regularised, the gap is%n"
                + "   %.2f points and validation accuracy %s by %.2f points.%n", gapA, gapB,
                b.last(b.validationAccuracy()) >= a.last(a.validationAccuracy()) ? "higher" : "lower",
                Math.abs(b.last(b.validationAccuracy()) - a.last(a.validationAccuracy())));
        System.out.println("   plot: " + curvesPicture(runs).save("14-learning-curves.png"));
    }

    static int argMax(double[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
        return best;
    }

    static int argMin(double[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) if (a[i] < a[best]) best = i;
        return best;
    }

    /** Loss and accuracy per epoch, training solid and validation dashed, one colour per regime: two charts, one picture. */
    static Picture curvesPicture(List<Trained> runs) {
        Chart loss = new Chart("Loss per epoch (solid: training, dashed: validation)", "epoch", "cross-entropy");
        Chart accuracy = new Chart("Accuracy per epoch (solid: training, dashed: validation)", "epoch", "accuracy, %");
        for (Trained run : runs) {
            Curves c = run.curves();
            double[] x = new double[c.epochs()];
            for (int e = 0; e < x.length; e++) x[e] = e + 1;
            loss.add(run.regime().name(), x, c.trainLoss(), Chart.Style.LINE);
            loss.add(run.regime().name(), x, c.validationLoss(), Chart.Style.DASHED);
            accuracy.add(run.regime().name(), x, c.trainAccuracy(), Chart.Style.LINE);
            accuracy.add(run.regime().name(), x, c.validationAccuracy(), Chart.Style.DASHED);
        }
        return new Picture(loss, accuracy);
    }

    /** Two charts, one above the other, in one PNG of 800 x 1000. */
    record Picture(Chart top, Chart bottom) {
        Path save(String name) {
            BufferedImage image = new BufferedImage(800, 1000, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.drawImage(top.draw(), 0, 0, null);
            g.drawImage(bottom.draw(), 0, 500, null);
            g.dispose();
            return savePng(image, name);
        }
    }

    // ---------------------------------------------------------------- training with validation

    /** Per epoch: loss and accuracy (%) on (up to PROBE of) the training images and on the validation set; the epoch whose weights the network kept. */
    record Curves(double[] trainLoss, double[] trainAccuracy, double[] validationLoss, double[] validationAccuracy, int kept, double seconds) {
        int epochs() {
            return trainLoss.length;
        }

        double last(double[] a) {
            return a[a.length - 1];
        }

        /** Training minus validation accuracy at the kept epoch, in points. */
        double gap() {
            return trainAccuracy[kept - 1] - validationAccuracy[kept - 1];
        }
    }

    record Score(double loss, double accuracy) {}

    /** The loss and the accuracy (%) of the network on a data set, in one pass, in evaluation mode. */
    static Score score(Network net, Dataset data) {
        net.training(false);
        Matrix scores = net.predict(data.x());
        int right = 0;
        for (int r = 0; r < scores.rows(); r++) {
            int best = 0;
            for (int c = 1; c < scores.cols(); c++) if (scores.get(r, c) > scores.get(r, best)) best = c;
            if (best == data.labels()[r]) right++;
        }
        return new Score(net.loss.loss(scores, data.oneHot()), 100.0 * right / data.size());
    }

    static int hidden = 100; // the first hidden layer's width (--hidden); the second has half as many

    /** 784->100->50->10 (or --hidden's widths), tanh after the hidden layers, each followed by dropout if p > 0; Glorot uniform start. */
    static Network network(Random rng, double p) {
        Network net = new Network();
        net.add(glorotUniform(SIDE * SIDE, hidden, rng));
        net.add(new ActivationLayer(Activation.TANH));
        if (p > 0) net.add(new Dropout(p, rng));
        net.add(glorotUniform(hidden, hidden / 2, rng));
        net.add(new ActivationLayer(Activation.TANH));
        if (p > 0) net.add(new Dropout(p, rng));
        net.add(glorotUniform(hidden / 2, 10, rng));
        net.use(new SoftmaxCrossEntropy());
        return net;
    }

    /** Decoupled weight decay (AdamW's): every weight shrinks by the factor 1 - rate * lambda, outside the gradient. */
    static void decayWeights(Network net, double factor) {
        for (Layer layer : net.layers) {
            if (layer instanceof Dense d) for (int i = 0; i < d.weights.size(); i++) d.weights.data()[i] *= 1 - factor;
        }
    }

    /**
     * Mini-batch training as in lesson 13 (Adam, cosine decay, a new order each epoch), with what
     * regime asks for: shifted images, dropout (in the network), L2 added to the gradients (or,
     * decoupled, the weights shrunk after each step), early stopping with the best weights restored.
     * After each epoch, in evaluation mode: loss and accuracy on the first PROBE training images and
     * on the validation set; then done.run() (the progress bar).
     */
    static Curves train(Network net, Dataset data, Dataset validation, int epochs, Regime regime, Random rng, Runnable done) {
        long start = System.nanoTime();
        List<Optimizer> optimizers = new ArrayList<>();
        for (Layer layer : net.layers) if (layer instanceof Dense) optimizers.addAll(List.of(new Adam(RATE), new Adam(RATE)));
        Dataset probe = data.rows(range(0, Math.min(PROBE, data.size())));
        EarlyStopping stopping = regime.patience() > 0 ? new EarlyStopping(regime.patience()) : null;
        int[] order = range(0, data.size());
        double[][] c = new double[4][epochs];
        int epoch = 0;
        boolean stop = false;
        while (epoch < epochs && !stop) {
            double rate = Schedule.COSINE.rate(RATE, epoch + 1, epochs);
            for (Optimizer o : optimizers) o.rate = rate;
            shuffle(order, rng);
            net.training(true);
            for (int from = 0; from < order.length; from += BATCH) {
                Dataset batch = data.rows(Arrays.copyOfRange(order, from, Math.min(from + BATCH, order.length)));
                Matrix target = batch.oneHot(), output = net.predict(regime.shifts() ? shifted(batch.x(), rng) : batch.x());
                net.backward(output, target, 0); // gradients only: the optimizers step
                if (!regime.decoupled()) addWeightDecay(net, regime.lambda());
                step(net, optimizers);
                if (regime.decoupled()) decayWeights(net, rate * regime.lambda());
            }
            Score t = score(net, probe), v = score(net, validation); // score switches to evaluation mode
            stopIfDiverged(t.loss(), epoch + 1, RATE);
            c[0][epoch] = t.loss();
            c[1][epoch] = t.accuracy();
            c[2][epoch] = v.loss();
            c[3][epoch] = v.accuracy();
            epoch++;
            stop = stopping != null && stopping.update(net, v.accuracy(), epoch);
            done.run();
        }
        for (int skipped = epoch; skipped < epochs; skipped++) done.run(); // the progress bar counts the epochs planned
        if (stopping != null) stopping.restoreBest(net);
        for (int i = 0; i < 4; i++) c[i] = Arrays.copyOf(c[i], epoch);
        return new Curves(c[0], c[1], c[2], c[3], stopping != null ? stopping.bestEpoch : epoch, (System.nanoTime() - start) / 1e9);
    }

    /** One training run to do: a regime, its seed, how many epochs, on which data. */
    record Trial(Regime regime, long seed, int epochs, Dataset train, Dataset validation) {}

    /** What a trial gave: its curves and the trained network. */
    record Trained(Regime regime, long seed, Curves curves, Network net) {}

    /**
     * Every trial, on as many threads as there are cores. Each has its own Random, seeded with its
     * seed, so the results do not depend on which thread ran what, or when.
     */
    static List<Trained> runAll(List<Trial> trials) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
        Progress progress = new Progress(trials.stream().mapToInt(Trial::epochs).sum());
        try {
            List<Future<Trained>> futures = new ArrayList<>();
            for (Trial t : trials) {
                futures.add(pool.submit(() -> {
                    Random rng = new Random(t.seed());
                    Network net = network(rng, t.regime().dropout());
                    Curves c = train(net, t.train(), t.validation(), t.epochs(), t.regime(), rng, progress::tick);
                    return new Trained(t.regime(), t.seed(), c, net);
                }));
            }
            List<Trained> runs = new ArrayList<>();
            for (Future<Trained> f : futures) runs.add(f.get());
            return runs;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UserError u) throw u;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
            progress.end();
        }
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

    /** What a regime's SEEDS runs measured at their kept epoch: f of each run's curves. */
    static double[] each(List<Trained> runs, int regime, ToDoubleFunction<Curves> f) {
        return runs.subList(regime * SEEDS, (regime + 1) * SEEDS).stream().mapToDouble(r -> f.applyAsDouble(r.curves())).toArray();
    }

    static double[] validation(List<Trained> runs, int regime) {
        return each(runs, regime, c -> c.validationAccuracy()[c.kept() - 1]);
    }

    static String spread(double[] a) {
        return String.format("%.2f (%.2f-%.2f)", mean(a), min(a), max(a));
    }

    /** Per regime, means over the seeds (and ranges): validation accuracy, training accuracy, their gap, epochs, test accuracy. */
    static void printTable(List<Regime> regimes, List<Trained> runs, double[][] tests) {
        System.out.println("   regime           validation, %        training, %   gap, points   epoch kept    test, %              s a run");
        for (int r = 0; r < regimes.size(); r++) {
            double[] kept = each(runs, r, Curves::kept), seconds = each(runs, r, Curves::seconds);
            System.out.printf("   %-16s %-20s %11.2f %13.2f   %-13s %-20s %.1f%n", regimes.get(r).name(), spread(validation(runs, r)),
                    mean(each(runs, r, c -> c.trainAccuracy()[c.kept() - 1])), mean(each(runs, r, Curves::gap)),
                    min(kept) == max(kept) ? String.valueOf((int) kept[0]) : (int) min(kept) + "-" + (int) max(kept),
                    spread(tests[r]), mean(seconds));
        }
    }

    /** One line per regime against the baseline (the first): what it did to validation accuracy and to the gap. */
    static List<String> conclusions(List<Regime> regimes, List<Trained> runs) {
        List<String> lines = new ArrayList<>();
        double[] base = validation(runs, 0);
        double baseGap = mean(each(runs, 0, Curves::gap));
        for (int r = 1; r < regimes.size(); r++) {
            double[] v = validation(runs, r);
            double d = mean(v) - mean(base), gap = mean(each(runs, r, Curves::gap));
            String verdict = d <= 0 ? String.format("does not help here: %.2f points of validation accuracy", d)
                    : min(v) > max(base) ? String.format("helps: +%.2f points, every seed above every baseline seed", d)
                    : String.format("+%.2f points, but within the seeds' spread: not a clear win", d);
            String change = String.format("%.2f", gap).equals(String.format("%.2f", baseGap)) ? String.format("stays at %.2f points", gap)
                    : String.format("%s from %.2f to %.2f points", gap < baseGap ? "shrinks" : "grows", baseGap, gap);
            lines.add(String.format("%s %s; the gap %s.", regimes.get(r).name(), verdict, change));
        }
        return lines;
    }

    // ---------------------------------------------------------------- your own digit

    static final long MAX_IMAGE_BYTES = 50L << 20, MAX_PIXELS = 50_000_000L;

    /** Reads the picture, turns it into MNIST's form, and prints the network's ten probabilities as bars. */
    static void predict(Network net, Path file) {
        double[] digit = mnistDigit(readImage(file));
        if (digit == null) {
            throw new UserError(file + " holds no digit: it is all one shade; draw a digit, dark on light or light on dark");
        }
        Matrix p = SoftmaxCrossEntropy.softmax(net.predict(new Matrix(1, SIDE * SIDE, digit)));
        int best = argMax(p.data());
        System.out.println(file + ", as the network sees it (cropped, scaled into 20x20, centred by mass in 28x28):");
        for (int d = 0; d < 10; d++) {
            System.out.printf("   %d %6.2f%% %s%n", d, 100 * p.data()[d], "#".repeat((int) Math.round(50 * p.data()[d])));
        }
        System.out.printf("   it reads a %d (%.1f%% sure)%n", best, 100 * p.data()[best]);
        System.out.println("   what it saw: " + savePng(seen(digit), "14-seen.png"));
    }

    /** The 28x28 numbers as a picture, white ink on black as MNIST's, each pixel drawn 10 x 10. */
    static BufferedImage seen(double[] digit) {
        BufferedImage image = new BufferedImage(SIDE * 10, SIDE * 10, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIDE * 10; y++) {
            for (int x = 0; x < SIDE * 10; x++) {
                int v = (int) Math.round(255 * digit[(y / 10) * SIDE + x / 10]);
                image.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        return image;
    }

    /** A PNG, JPEG or GIF as a picture; its size is checked before it is decoded. Anything else is a UserError. */
    static BufferedImage readImage(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserError(file + (Files.exists(file) ? " is a folder or a device" : " does not exist")
                    + "; --predict needs a picture of a digit (PNG, JPEG or GIF)");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (Files.size(file) > MAX_IMAGE_BYTES) throw new UserError(file + " is larger than 50 MB; a picture of a digit needs far less");
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new UserError(file + " is not a picture Java can read; save it as PNG, JPEG or GIF");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) throw new UserError(file + " has " + pixels + " pixels; make it smaller (a digit needs a few thousand)");
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof UserError u) throw u;
            throw new UserError("could not read " + file + " as a picture (" + e.getClass().getSimpleName() + "); save it again as PNG, JPEG or GIF");
        }
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: dropout rates from 0 to 0.5 on the small training set: validation accuracy and the gap. */
    static void exerciseDropoutRates(Dataset train, Dataset validation, int epochs, long seed) {
        Dataset small = train.rows(range(0, Math.min(SMALL, train.size())));
        double[] rates = {0, 0.1, 0.2, 0.3, 0.5};
        System.out.printf("Exercise 1: dropout rates on %d training images, %d epochs, seed %d, no other regularisation%n",
                small.size(), epochs, seed);
        List<Trial> trials = new ArrayList<>();
        for (double p : rates) trials.add(new Trial(new Regime("p = " + Chart.label(p), false, p, 0, 0), seed, epochs, small, validation));
        List<Trained> runs = runAll(trials);
        System.out.println("   dropout        training, %   validation, %   gap, points");
        int best = 0;
        for (int i = 0; i < runs.size(); i++) {
            Curves c = runs.get(i).curves();
            System.out.printf("   %-14s %11.2f %15.2f %13.2f%n", runs.get(i).regime().name(), c.last(c.trainAccuracy()),
                    c.last(c.validationAccuracy()), c.gap());
            if (c.last(c.validationAccuracy()) > runs.get(best).curves().last(runs.get(best).curves().validationAccuracy())) best = i;
        }
        System.out.printf("   Best validation accuracy at %s; the gap %s as p grows from 0 to 0.5.%n", runs.get(best).regime().name(),
                runs.get(runs.size() - 1).curves().gap() < runs.get(0).curves().gap() ? "narrows" : "does not narrow");
    }

    /** Exercise 2: L2 through Adam's gradient against decoupled weight decay (AdamW), on the small training set. */
    static void exerciseDecoupled(Dataset train, Dataset validation, int epochs, long seed) {
        Dataset small = train.rows(range(0, Math.min(SMALL, train.size())));
        System.out.printf("Exercise 2: L2 under Adam against decoupled weight decay, %d training images, %d epochs, seed %d%n",
                small.size(), epochs, seed);
        List<Trial> trials = new ArrayList<>();
        trials.add(new Trial(BASELINE, seed, epochs, small, validation));
        for (double lambda : new double[] {1e-4, 1e-3}) trials.add(new Trial(new Regime("L2 " + Chart.label(lambda), false, 0, lambda, 0), seed, epochs, small, validation));
        for (double lambda : new double[] {1e-2, 1e-1}) trials.add(new Trial(new Regime("decoupled " + Chart.label(lambda), false, 0, lambda, 0, true), seed, epochs, small, validation));
        List<Trained> runs = runAll(trials);
        System.out.println("   regime             validation, %   gap, points   root mean square weight");
        for (Trained run : runs) {
            Curves c = run.curves();
            System.out.printf("   %-18s %13.2f %13.2f %25.4f%n", run.regime().name(), c.last(c.validationAccuracy()), c.gap(), rms(run.net()));
        }
        Trained best = runs.stream().max(Comparator.comparingDouble(r -> r.curves().last(r.curves().validationAccuracy()))).orElseThrow();
        System.out.printf("   Best validation accuracy: %s; the smallest weights: %s.%n", best.regime().name(),
                runs.stream().min(Comparator.comparingDouble(r -> rms(r.net()))).orElseThrow().regime().name());
    }

    /** The root mean square of every weight (not bias) of the network. */
    static double rms(Network net) {
        double sum = 0;
        int n = 0;
        for (Layer layer : net.layers) {
            if (layer instanceof Dense d) {
                for (double w : d.weights.data()) sum += w * w;
                n += d.weights.size();
            }
        }
        return Math.sqrt(sum / n);
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
