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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Lesson 15: convolution, a CNN that reads MNIST.
 *
 * A Dense layer gives every pixel its own weight; a convolution slides one small filter over the
 * whole image, so a stroke is found wherever it is. This lesson builds Conv2D (several input and
 * output channels, stride 1, no padding), MaxPool (2x2) and Flatten, each gradient-checked, writes
 * the convolution twice, as plain loops and as im2col plus one matrix product, times both, and
 * trains conv 5x5x8 -> pool -> conv 5x5x32 -> pool -> dense 10 on MNIST with lesson 13's Adam.
 *
 * Follows: Omar Aflak's "Neural Network from scratch in Python" (its promised convolutional and
 * flatten layers, after The Independent Code's article it links), with im2col as "Deep Learning
 * from Scratch" teaches it; see README.md.
 * New here: Volume; Conv2D (forwardDirect and backwardDirect, the loops; im2col, col2im,
 * forwardIm2col and backwardIm2col, the products, with eachPart, product, productTransposed and
 * channelsFirst); MaxPool; Flatten; requireShape; optimizers and step for Conv2D and Dense; the
 * CNN (cnn), its training (train, classify) and the pictures of filters and feature maps.
 * Carried: Layer and Network (with training(on)), Dense, ActivationLayer, Activation, Loss,
 * compare, Matrix, SoftmaxCrossEntropy, glorotUniform, shuffle, Dataset, the IDX reader (load,
 * find, Idx), shifted, Optimizer, Adam, Schedule, Progress and modelPath from lesson 14; History
 * from lesson 13; ConfusionChart, DigitGrid, canvas, centred, argmax, confusion and
 * printMostConfused from lesson 12.
 * Changed: ModelFile (lesson 14's model file) gains three kinds of layer, conv2d, maxpool and
 * flatten, each written with the volume it reads, and loses dropout (there is no Dropout here) and
 * shape; load takes no Random. gradientCheck also checks each Conv2D's kernels and biases.
 * Lesson 14's step, which knew only Dense layers, is replaced by one that steps Conv2D layers too
 * (with optimizers, always Adam); saveAndCheck predicts in chunks. Lesson 14's Dropout, its
 * regularisers, EarlyStopping and its digit reader are left out.
 *
 * Run: java lessons/15/Convolution.java [--epochs N] [--rate X] [--seed N] [--data-dir DIR] [--save FILE] [--load FILE] [--bench] [--exercise 1|2]
 */
public class Convolution {

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
            } else if (layer instanceof Conv2D conv) {
                worst = Math.max(worst, compare(conv.kernelGradient, conv.kernels, net, x, y));
                worst = Math.max(worst, compare(conv.biasGradient, conv.bias, net, x, y));
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

    /** What one training run measured: the mean training loss and the held-out accuracy (%) after each epoch. */
    record History(double[] loss, double[] accuracy, double seconds) {}

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

    // ---------------------------------------------------------------- convolution

    /**
     * One sample seen as an image: channels x height x width numbers. A batch is still a Matrix with
     * one sample a row; the row holds channel after channel, each one row of pixels after another.
     */
    record Volume(int channels, int height, int width) {
        Volume {
            if (channels < 1 || height < 1 || width < 1) {
                throw new IllegalArgumentException("a shape needs sizes of at least 1, got " + channels + "x" + height + "x" + width);
            }
        }

        int size() {
            return channels * height * width;
        }

        /** Where pixel (y, x) of channel c is in a sample's row. */
        int index(int c, int y, int x) {
            return (c * height + y) * width + x;
        }

        public String toString() {
            return channels + "x" + height + "x" + width;
        }
    }

    /** Refuses a batch whose rows are not samples of the shape a layer reads, naming both shapes. */
    static void requireShape(Matrix batch, Volume shape, String what) {
        if (batch.cols() != shape.size()) {
            throw new IllegalArgumentException(what + " expects samples of " + shape + " = " + shape.size()
                    + " numbers, got a " + batch.shape() + " batch (" + batch.cols() + " numbers a sample)");
        }
    }

    static final int PART = 8; // samples per im2col product: a batch's parts are fixed, whichever core runs them

    /** Samples 0 .. count-1 in parts of PART samples, part after part or (parallel) on every core at once. */
    static void eachPart(int count, boolean parallel, IntConsumer part) {
        IntStream parts = IntStream.range(0, (count + PART - 1) / PART);
        (parallel ? parts.parallel() : parts).forEach(part);
    }

    static final int BLOCK = 512; // columns of the product per pass: a row of sums and the rows of b it meets stay in the L1 cache

    /**
     * a times b, as Matrix.multiply computes it (i-k-j order, zeros of a skipped), with two of
     * lesson 09's tricks: the rows of b are copied, BLOCK columns at a time, into arrays of their
     * own, and row i of the product is summed in another, so that the inner loop reads and writes
     * plain arrays by j alone, which the JIT turns into vector instructions (several columns at
     * once); and a block of columns is finished before the next, so that its numbers stay in the
     * fastest cache. Every sum is added in the same order as in multiply: the same numbers.
     */
    static Matrix product(Matrix a, Matrix b) {
        if (a.cols() != b.rows()) {
            throw new IllegalArgumentException("cannot multiply " + a.shape() + " by " + b.shape() + ": the first has "
                    + a.cols() + " columns, the second " + b.rows() + " rows");
        }
        int n = b.cols();
        Matrix c = new Matrix(a.rows(), n);
        double[][] rowsOfB = new double[b.rows()][BLOCK];
        double[] sum = new double[BLOCK];
        for (int from = 0; from < n; from += BLOCK) {
            int width = Math.min(BLOCK, n - from);
            for (int k = 0; k < b.rows(); k++) System.arraycopy(b.data(), k * n + from, rowsOfB[k], 0, width);
            for (int i = 0; i < a.rows(); i++) {
                Arrays.fill(sum, 0);
                for (int k = 0; k < a.cols(); k++) {
                    double x = a.data()[i * a.cols() + k];
                    if (x == 0) continue;
                    double[] row = rowsOfB[k];
                    for (int j = 0; j < width; j++) sum[j] += x * row[j];
                }
                System.arraycopy(sum, 0, c.data(), i * n + from, width);
            }
        }
        return c;
    }

    /**
     * a times b^T, without writing b^T out: entry (i, j) is the dot product of row i of a with row
     * j of b, both read in order. Four rows of a at a time, so that each number of b, once loaded,
     * serves four sums (lesson 09's second trick: fewer loads per multiply-add). A dot product is one
     * running sum, added in order, so this loop gets no vector instructions; the four sums side by
     * side keep the multiply-adders busy.
     */
    static Matrix productTransposed(Matrix a, Matrix b) {
        if (a.cols() != b.cols()) {
            throw new IllegalArgumentException("cannot multiply " + a.shape() + " by the transpose of " + b.shape()
                    + ": their rows must be as long, " + a.cols() + " and " + b.cols());
        }
        int m = a.rows(), n = b.rows(), len = a.cols();
        double[] x = a.data(), y = b.data();
        Matrix c = new Matrix(m, n);
        for (int i = 0; i < m; i += 4) {
            int rows = Math.min(4, m - i), r0 = i * len, r1 = (i + Math.min(1, rows - 1)) * len, r2 = (i + Math.min(2, rows - 1)) * len,
                    r3 = (i + rows - 1) * len; // past the last row, repeat it: the same sums, kept only once
            for (int j = 0; j < n; j++) {
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int p = 0, q = j * len; p < len; p++, q++) {
                    s0 += x[r0 + p] * y[q];
                    s1 += x[r1 + p] * y[q];
                    s2 += x[r2 + p] * y[q];
                    s3 += x[r3 + p] * y[q];
                }
                double[] sums = {s0, s1, s2, s3};
                for (int r = 0; r < rows; r++) c.data()[(i + r) * n + j] = sums[r];
            }
        }
        return c;
    }

    /**
     * A convolution layer: out.channels kernels of k x k x in.channels numbers, each slid over the
     * whole input (stride 1, no padding), so the output is (height - k + 1) x (width - k + 1) per kernel:
     * Y[o][i][j] = B[o] + sum over c, a, b of X[c][i + a][j + b] K[o][c][a][b].
     * Two implementations of one formula: the loops (direct, read these first) and im2col, which
     * turns the sliding into one matrix product per sample.
     */
    static class Conv2D implements Layer {
        final Volume in, out;
        final int k;
        final Matrix kernels, bias; // kernels: row o holds K[o][c][a][b] at column (c k + a) k + b; bias: 1 x out.channels
        Matrix input;               // kept by forward for backward
        Matrix[] patches;           // im2col of each part of the input, kept by forwardIm2col for backwardIm2col
        Matrix kernelGradient, biasGradient;
        boolean direct;             // true: the loops; false: im2col and the matrix product
        boolean parallel = true;    // im2col: a part of the batch per core at a time

        Conv2D(Volume in, int k, Matrix kernels, Matrix bias) {
            if (k > in.height() || k > in.width() || kernels.cols() != in.channels() * k * k) {
                throw new IllegalArgumentException("a " + k + "x" + k + " kernel over " + in + " inputs needs "
                        + in.channels() * k * k + " numbers a kernel (and k at most " + Math.min(in.height(), in.width())
                        + "), got kernels of " + kernels.shape());
            }
            if (bias.rows() != 1 || bias.cols() != kernels.rows()) {
                throw new IllegalArgumentException(kernels.rows() + " kernels need a 1x" + kernels.rows() + " bias, got " + bias.shape());
            }
            this.in = in;
            this.k = k;
            this.kernels = kernels;
            this.bias = bias;
            this.out = new Volume(kernels.rows(), in.height() - k + 1, in.width() - k + 1);
        }

        /** He uniform start, for ReLU: kernels uniform in +/-sqrt(6 / fan-in), fan-in = in.channels k k; biases 0. */
        static Conv2D he(Volume in, int channels, int k, Random rng) {
            double limit = Math.sqrt(6.0 / (in.channels() * k * k));
            return new Conv2D(in, k, Matrix.random(channels, in.channels() * k * k, rng).scale(2 * limit), new Matrix(1, channels));
        }

        /** K[o][c][a][b]. */
        double kernel(int o, int c, int a, int b) {
            return kernels.get(o, (c * k + a) * k + b);
        }

        public Matrix forward(Matrix input) {
            requireShape(input, in, "Conv2D");
            this.input = input;
            return direct ? forwardDirect(input) : forwardIm2col(input);
        }

        public Matrix backward(Matrix outputGradient, double learningRate) {
            requireShape(outputGradient, out, "Conv2D's backward");
            if (outputGradient.rows() != input.rows()) {
                throw new IllegalArgumentException("a gradient of " + outputGradient.rows() + " samples for a forward of " + input.rows());
            }
            Matrix inputGradient = direct ? backwardDirect(outputGradient) : backwardIm2col(outputGradient);
            kernels.step(kernelGradient, learningRate);
            bias.step(biasGradient, learningRate);
            return inputGradient;
        }

        // ---- the loops: the formulas as written

        Matrix forwardDirect(Matrix x) {
            Matrix y = new Matrix(x.rows(), out.size());
            for (int n = 0; n < x.rows(); n++) {
                for (int o = 0; o < out.channels(); o++) {
                    for (int i = 0; i < out.height(); i++) {
                        for (int j = 0; j < out.width(); j++) {
                            double sum = bias.data()[o];
                            for (int c = 0; c < in.channels(); c++) {
                                for (int a = 0; a < k; a++) {
                                    for (int b = 0; b < k; b++) sum += x.get(n, in.index(c, i + a, j + b)) * kernel(o, c, a, b);
                                }
                            }
                            y.data()[n * out.size() + out.index(o, i, j)] = sum;
                        }
                    }
                }
            }
            return y;
        }

        /**
         * dE/dK[o][c][a][b] = sum over n, i, j of X[c][i + a][j + b] dY[o][i][j]: the input correlated
         * with the output gradient. dE/dB[o] = the sum of dY[o]. dE/dX[c][y][x] = sum over o, a, b of
         * dY[o][y - a][x - b] K[o][c][a][b], where y - a and x - b fall inside dY: a full convolution
         * of dY with the kernel turned by 180 degrees.
         */
        Matrix backwardDirect(Matrix dY) {
            kernelGradient = new Matrix(kernels.rows(), kernels.cols());
            biasGradient = new Matrix(1, out.channels());
            for (int o = 0; o < out.channels(); o++) {
                for (int n = 0; n < dY.rows(); n++) {
                    for (int i = 0; i < out.height(); i++) {
                        for (int j = 0; j < out.width(); j++) biasGradient.data()[o] += dY.get(n, out.index(o, i, j));
                    }
                }
                for (int c = 0; c < in.channels(); c++) {
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            double sum = 0;
                            for (int n = 0; n < dY.rows(); n++) {
                                for (int i = 0; i < out.height(); i++) {
                                    for (int j = 0; j < out.width(); j++) {
                                        sum += input.get(n, in.index(c, i + a, j + b)) * dY.get(n, out.index(o, i, j));
                                    }
                                }
                            }
                            kernelGradient.data()[o * kernels.cols() + (c * k + a) * k + b] = sum;
                        }
                    }
                }
            }
            Matrix dX = new Matrix(dY.rows(), in.size());
            for (int n = 0; n < dY.rows(); n++) {
                for (int c = 0; c < in.channels(); c++) {
                    for (int y = 0; y < in.height(); y++) {
                        for (int x = 0; x < in.width(); x++) {
                            double sum = 0;
                            for (int o = 0; o < out.channels(); o++) {
                                for (int a = Math.max(0, y - out.height() + 1); a <= Math.min(k - 1, y); a++) {
                                    for (int b = Math.max(0, x - out.width() + 1); b <= Math.min(k - 1, x); b++) {
                                        sum += dY.get(n, out.index(o, y - a, x - b)) * kernel(o, c, a, b);
                                    }
                                }
                            }
                            dX.data()[n * in.size() + in.index(c, y, x)] = sum;
                        }
                    }
                }
            }
            return dX;
        }

        // ---- im2col: the same numbers, from matrix products

        /**
         * The patches of samples from .. to-1 as the columns of one matrix: row (c, a, b) = (c k + a) k + b,
         * column (n - from) P + i out.width + j (P = out.height out.width positions a sample) holds
         * X_n[c][i + a][j + b]. K (out.channels x in.channels k k) times this matrix is the whole
         * convolution of those samples, every output of every channel, in one product.
         */
        Matrix im2col(Matrix x, int from, int to) {
            int positions = out.height() * out.width(), width = (to - from) * positions;
            Matrix cols = new Matrix(in.channels() * k * k, width);
            for (int n = from; n < to; n++) {
                for (int c = 0; c < in.channels(); c++) {
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            int row = (c * k + a) * k + b;
                            for (int i = 0; i < out.height(); i++) { // a row of outputs reads a run of out.width inputs
                                System.arraycopy(x.data(), n * in.size() + in.index(c, i + a, b),
                                        cols.data(), row * width + (n - from) * positions + i * out.width(), out.width());
                            }
                        }
                    }
                }
            }
            return cols;
        }

        /** The reverse of im2col: each entry of cols added back to the input pixel it was copied from, into samples from .. to-1 of dX. */
        void col2im(Matrix cols, Matrix dX, int from, int to) {
            int positions = out.height() * out.width(), width = cols.cols();
            for (int n = from; n < to; n++) {
                for (int c = 0; c < in.channels(); c++) {
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            int row = (c * k + a) * k + b;
                            for (int i = 0; i < out.height(); i++) {
                                int source = row * width + (n - from) * positions + i * out.width(), target = n * in.size() + in.index(c, i + a, b);
                                for (int j = 0; j < out.width(); j++) dX.data()[target + j] += cols.data()[source + j];
                            }
                        }
                    }
                }
            }
        }

        /** Samples from .. to-1 of a batch of outputs (or their gradients), channel by channel: row o holds channel o of each sample in turn. */
        Matrix channelsFirst(Matrix batch, int from, int to) {
            int positions = out.height() * out.width();
            Matrix m = new Matrix(out.channels(), (to - from) * positions);
            for (int n = from; n < to; n++) {
                for (int o = 0; o < out.channels(); o++) {
                    System.arraycopy(batch.data(), n * out.size() + o * positions, m.data(), o * m.cols() + (n - from) * positions, positions);
                }
            }
            return m;
        }

        /** Y = K im2col(X) + B, PART samples a product; the product's rows are channels, put back sample by sample. */
        Matrix forwardIm2col(Matrix x) {
            Matrix y = new Matrix(x.rows(), out.size());
            int positions = out.height() * out.width();
            patches = new Matrix[(x.rows() + PART - 1) / PART];
            eachPart(x.rows(), parallel, part -> {
                int from = part * PART, to = Math.min(x.rows(), from + PART);
                patches[part] = im2col(x, from, to);
                Matrix product = product(kernels, patches[part]);
                for (int n = from; n < to; n++) {
                    for (int o = 0; o < out.channels(); o++) {
                        int source = o * product.cols() + (n - from) * positions, target = n * out.size() + o * positions;
                        for (int p = 0; p < positions; p++) y.data()[target + p] = product.data()[source + p] + bias.data()[o];
                    }
                }
            });
            return y;
        }

        /**
         * With G = dE/dY channel by channel and C = im2col(X): dE/dK = G C^T, summed over the parts in
         * order (whichever part finished first), and dE/dX = col2im(K^T G).
         */
        Matrix backwardIm2col(Matrix dY) {
            Matrix[] partial = new Matrix[(dY.rows() + PART - 1) / PART];
            Matrix dX = new Matrix(dY.rows(), in.size()), turned = kernels.transpose();
            eachPart(dY.rows(), parallel, part -> {
                int from = part * PART, to = Math.min(dY.rows(), from + PART);
                Matrix g = channelsFirst(dY, from, to);
                partial[part] = productTransposed(g, patches[part]);
                col2im(product(turned, g), dX, from, to);
            });
            kernelGradient = new Matrix(kernels.rows(), kernels.cols());
            for (Matrix m : partial) for (int i = 0; i < m.size(); i++) kernelGradient.data()[i] += m.data()[i];
            biasGradient = channelSums(dY);
            return dX;
        }

        /**
         * dE/dB[o] = the sum of dY[o] over samples and positions, added in the loops' order; the
         * channels' sums grow side by side, so that no addition waits for the one before.
         */
        Matrix channelSums(Matrix dY) {
            int positions = out.height() * out.width();
            double[] sums = new double[out.channels()];
            for (int n = 0; n < dY.rows(); n++) {
                for (int p = 0; p < positions; p++) {
                    for (int o = 0; o < out.channels(); o++) sums[o] += dY.data()[n * out.size() + o * positions + p];
                }
            }
            return new Matrix(1, out.channels(), sums);
        }
    }

    /**
     * Max pooling, 2 x 2, stride 2: each output is the largest of four neighbouring inputs of its
     * channel (an odd last row or column is left out). Backward routes each gradient to the input
     * that won, the arg-max; the other three get 0.
     */
    static class MaxPool implements Layer {
        final Volume in, out;
        int[] winners; // for each number of the output batch, the place of its maximum in the input batch

        MaxPool(Volume in) {
            if (in.height() < 2 || in.width() < 2) throw new IllegalArgumentException("2x2 pooling needs at least 2x2 pixels, got " + in);
            this.in = in;
            this.out = new Volume(in.channels(), in.height() / 2, in.width() / 2);
        }

        public Matrix forward(Matrix input) {
            requireShape(input, in, "MaxPool");
            Matrix y = new Matrix(input.rows(), out.size());
            winners = new int[y.size()];
            for (int n = 0; n < input.rows(); n++) {
                for (int c = 0; c < in.channels(); c++) {
                    for (int i = 0; i < out.height(); i++) {
                        for (int j = 0; j < out.width(); j++) {
                            int best = n * in.size() + in.index(c, 2 * i, 2 * j);
                            for (int a = 0; a < 2; a++) {
                                for (int b = 0; b < 2; b++) {
                                    int at = n * in.size() + in.index(c, 2 * i + a, 2 * j + b);
                                    if (input.data()[at] > input.data()[best]) best = at;
                                }
                            }
                            int o = n * out.size() + out.index(c, i, j);
                            y.data()[o] = input.data()[best];
                            winners[o] = best;
                        }
                    }
                }
            }
            return y;
        }

        public Matrix backward(Matrix outputGradient, double learningRate) {
            requireShape(outputGradient, out, "MaxPool's backward");
            if (outputGradient.size() != winners.length) {
                throw new IllegalArgumentException("a gradient of " + outputGradient.rows() + " samples for a forward of "
                        + winners.length / out.size());
            }
            Matrix dX = new Matrix(outputGradient.rows(), in.size());
            for (int o = 0; o < winners.length; o++) dX.data()[winners[o]] += outputGradient.data()[o];
            return dX;
        }
    }

    /**
     * channels x height x width to one row of numbers, for a Dense layer. Here a sample already is
     * one row (see Volume), so nothing moves: Flatten checks the shape and passes the numbers, and
     * their gradients, through. (Frameworks that keep images as 4-D arrays copy them here.)
     */
    static class Flatten implements Layer {
        final Volume in;

        Flatten(Volume in) {
            this.in = in;
        }

        public Matrix forward(Matrix input) {
            requireShape(input, in, "Flatten");
            return input;
        }

        public Matrix backward(Matrix outputGradient, double learningRate) {
            requireShape(outputGradient, in, "Flatten's backward");
            return outputGradient;
        }
    }

    /** One Adam per parameter array of the network: each Conv2D's kernels and bias, each Dense layer's weights and bias. */
    static List<Optimizer> optimizers(Network net, double rate) {
        List<Optimizer> list = new ArrayList<>();
        for (Layer layer : net.layers) {
            if (layer instanceof Dense || layer instanceof Conv2D) {
                list.add(new Adam(rate));
                list.add(new Adam(rate));
            }
        }
        return list;
    }

    /** After backward (at learning rate 0) each layer holds its gradients; each optimizer takes its step. */
    static void step(Network net, List<Optimizer> optimizers) {
        int i = 0;
        for (Layer layer : net.layers) {
            if (layer instanceof Dense d) {
                optimizers.get(i++).step(d.weights.data(), d.weightGradient.data());
                optimizers.get(i++).step(d.bias.data(), d.biasGradient.data());
            } else if (layer instanceof Conv2D c) {
                optimizers.get(i++).step(c.kernels.data(), c.kernelGradient.data());
                optimizers.get(i++).step(c.bias.data(), c.biasGradient.data());
            }
        }
    }

    // ---------------------------------------------------------------- saving and loading a model

    /**
     * A trained network as a file (see README, "The model file"). Big-endian binary, as
     * DataOutputStream writes it: the magic word "JNNM", the format version (an int), the number of
     * layers (an int), then each layer as its kind (a string: a 2-byte length, then ASCII) and what
     * that kind needs. "dense": inputs and outputs (ints), then the weights row by row and the biases
     * (doubles, 8 bytes each, so they come back bit for bit). "activation": its name (a string,
     * "SIGMOID", "TANH", "RELU" or "LEAKY_RELU"). (Lesson 14's "dropout" is left out: this lesson has
     * no Dropout layer.) Lesson 15 adds
     * three kinds, each starting with the volume it reads (channels, height, width: ints):
     * "conv2d", then k and the number of kernels (ints), the kernels row by row (kernel o's
     * C k k numbers, as Conv2D keeps them) and the biases (doubles); "maxpool" and "flatten",
     * nothing more. Nothing follows the last layer. A new kind of layer is a new kind string, read
     * and written by one more case.
     */
    static class ModelFile {
        static final int MAGIC = 0x4A4E4E4D, VERSION = 1, MAX_LAYERS = 1000, MAX_SIDE = 1000; // "JNNM"
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
                } else if (layer instanceof Conv2D c) {
                    out.writeUTF("conv2d");
                    writeVolume(c.in, out);
                    out.writeInt(c.k);
                    out.writeInt(c.out.channels());
                    for (double w : c.kernels.data()) out.writeDouble(w);
                    for (double b : c.bias.data()) out.writeDouble(b);
                } else if (layer instanceof MaxPool p) {
                    out.writeUTF("maxpool");
                    writeVolume(p.in, out);
                } else if (layer instanceof Flatten f) {
                    out.writeUTF("flatten");
                    writeVolume(f.in, out);
                } else {
                    throw new IllegalArgumentException("no kind in the model file for a " + layer.getClass().getSimpleName());
                }
            }
        }

        /**
         * Reads a network written by save, checking everything on the way: a wrong magic word or
         * version, an unknown kind, a size that does not fit the bytes left, layers whose sizes do
         * not join up, a number that is NaN or infinite, bytes cut off or left over: each is a
         * UserError naming the file.
         */
        static Network load(Path file) {
            if (!Files.isRegularFile(file)) {
                throw new UserError(file + " is not a file" + (Files.exists(file) ? " but a folder or a device" : "")
                        + "; --load needs a model written by --save");
            }
            try {
                if (Files.size(file) > MAX_BYTES) throw new UserError(file + " is larger than 1 GiB: it is not a model this lesson wrote");
                byte[] bytes = Files.readAllBytes(file);
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
                Network net = read(file, in);
                if (in.available() > 0) throw damaged(file, in.available() + " bytes follow its last layer");
                return net;
            } catch (EOFException e) {
                throw new UserError(file + " is truncated: it ends in the middle of the model; save it again");
            } catch (IOException e) {
                throw new UserError("could not read " + file + " (" + e.getMessage() + ")");
            }
        }

        static Network read(Path file, DataInputStream in) throws IOException {
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
                    case "conv2d" -> {
                        Volume shape = readVolume(file, in, i, width);
                        int k = in.readInt(), kernels = in.readInt();
                        if (k < 1 || k > Math.min(shape.height(), shape.width()) || kernels < 1 || kernels > MAX_SIDE) {
                            throw damaged(file, "layer " + (i + 1) + " has " + kernels + " kernels of " + k + "x" + k + " over " + shape);
                        }
                        long numbers = (long) kernels * shape.channels() * k * k + kernels;
                        if (numbers > in.available() / Double.BYTES) {
                            throw new UserError(file + " is truncated: layer " + (i + 1) + " needs " + numbers + " numbers, but only "
                                    + in.available() + " bytes are left");
                        }
                        Matrix weights = new Matrix(kernels, shape.channels() * k * k), bias = new Matrix(1, kernels);
                        for (Matrix m : List.of(weights, bias)) {
                            for (int j = 0; j < m.size(); j++) {
                                m.data()[j] = in.readDouble();
                                if (!Double.isFinite(m.data()[j])) throw damaged(file, "layer " + (i + 1) + " holds " + m.data()[j]);
                            }
                        }
                        Conv2D conv = new Conv2D(shape, k, weights, bias);
                        net.add(conv);
                        width = conv.out.size();
                    }
                    case "maxpool" -> {
                        Volume shape = readVolume(file, in, i, width);
                        if (shape.height() < 2 || shape.width() < 2) throw damaged(file, "layer " + (i + 1) + " pools " + shape);
                        MaxPool pool = new MaxPool(shape);
                        net.add(pool);
                        width = pool.out.size();
                    }
                    case "flatten" -> {
                        Volume shape = readVolume(file, in, i, width);
                        net.add(new Flatten(shape));
                        width = shape.size();
                    }
                    default -> throw new UserError(file + ": layer " + (i + 1) + " is of kind '" + printable(kind)
                            + "', which this lesson does not know (it reads dense, activation, conv2d, maxpool, flatten and dropout)");
                }
            }
            if (width < 0) throw damaged(file, "it has no dense layer");
            net.use(new SoftmaxCrossEntropy());
            return net;
        }

        static void writeVolume(Volume v, DataOutputStream out) throws IOException {
            out.writeInt(v.channels());
            out.writeInt(v.height());
            out.writeInt(v.width());
        }

        /** The volume a layer reads; it must be what the layers before it give (width numbers a sample), if any came before. */
        static Volume readVolume(Path file, DataInputStream in, int layer, int width) throws IOException {
            int c = in.readInt(), h = in.readInt(), w = in.readInt();
            if (c < 1 || h < 1 || w < 1 || c > MAX_SIDE || h > MAX_SIDE || w > MAX_SIDE) {
                throw damaged(file, "layer " + (layer + 1) + " reads " + c + "x" + h + "x" + w + " (sizes from 1 to " + MAX_SIDE + " expected)");
            }
            Volume v = new Volume(c, h, w);
            if (width >= 0 && v.size() != width) {
                throw damaged(file, "layer " + (layer + 1) + " reads " + v + " = " + v.size() + " numbers, but the layers before it give " + width);
            }
            return v;
        }

        static Activation activation(Path file, String name) {
            for (Activation a : Activation.values()) if (a.name().equals(name)) return a;
            throw damaged(file, "an activation named '" + printable(name) + "'");
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

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/15/Convolution.java [--epochs N] [--rate X] [--seed N] [--data-dir DIR] [--save FILE] [--load FILE] [--bench] [--exercise 1|2]
              --epochs N      epochs of training on MNIST (default 12)
              --rate X        Adam's learning rate at the start; cosine decay takes it towards 0 (default 0.002)
              --seed N        the seed of the starting weights and the order of the images (default 42)
              --data-dir DIR  a folder of MNIST-style IDX files (default: datasets/mnist)
              --save FILE     save the trained CNN to FILE, a name ending in .jnn (lesson 14's model file)
              --load FILE     use a CNN saved with --save instead of training one: its accuracy and pictures
              --bench         only time the two implementations of the first convolution layer
              --exercise N    run exercise N of the README instead of the lesson""";

    static final int EPOCHS = 12, BATCH = 32, TRAIN = 8000, CHUNK = 250, TIMED = 64;
    static final double RATE = 0.002, LESSON_12 = 96.90, LESSON_13 = 97.00;
    static final Volume DIGIT = new Volume(1, SIDE, SIDE);

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            int epochs = (int) flags.number("--epochs", EPOCHS, 1, 1000);
            double rate = flags.decimal("--rate", RATE, 1e-6, 1);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            int exercise = (int) flags.number("--exercise", 0, 0, 2);
            Path save = flags.has("--save") ? modelPath(flags.given.get("--save")) : null;
            if (flags.has("--load") && (save != null || flags.has("--bench") || exercise != 0)) {
                throw new UserError("--load uses a saved model as it is: leave out --save, --bench and --exercise");
            }
            Network loaded = flags.has("--load") ? digitModel(Path.of(flags.given.get("--load"))) : null;
            switch (exercise) {
                case 1 -> exercisePadding();
                case 2 -> exerciseCounting();
                default -> {
                    Path dir = dataFolder(flags.given.get("--data-dir"));
                    Dataset train = load(dir, "train", TRAIN, 1, "to train on");
                    if (flags.has("--bench")) {
                        bench(train, seed, 20);
                        return;
                    }
                    Dataset test = load(dir, "t10k", Integer.MAX_VALUE, 3, "to test on (an accuracy of fewer says little)");
                    if (loaded != null) {
                        System.out.println("Lesson 15: the CNN saved in " + flags.given.get("--load"));
                        System.out.println("   " + describe(loaded));
                        report(loaded, test, shown(dir));
                    } else {
                        lesson(train, test, shown(dir), epochs, rate, seed, save);
                    }
                }
            }
        } catch (UserError e) {
            System.err.println("Convolution: " + e.getMessage());
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

    /** A folder inside the course as a relative path (datasets/mnist), anything else as given. */
    static Path shown(Path dir) {
        Path full = dir.toAbsolutePath().normalize();
        return full.startsWith(courseDir()) ? Path.of("").toAbsolutePath().relativize(full) : dir;
    }

    /** Whether dir is the course's datasets/mnist, the data lessons 12 and 13 were measured on. */
    static boolean isCourseMnist(Path dir) {
        return dir.toAbsolutePath().normalize().equals(courseDir().resolve("datasets").resolve("mnist").toAbsolutePath().normalize());
    }

    static void lesson(Dataset train, Dataset test, Path data, int epochs, double rate, long seed, Path save) {
        System.out.println("Lesson 15: convolution, a CNN that reads MNIST");
        handExample();
        bench(train, seed, 5);
        System.out.println("\n3. Gradient checks against central differences (small random shapes, several channels)");
        Random rng = new Random(seed);
        for (String[] check : List.of(new String[] {"Conv2D", "2x7x6 -> 3 kernels 3x3 -> 3x5x4"},
                new String[] {"MaxPool", "3x6x5 -> 3x3x2"}, new String[] {"a small CNN", "2x9x9 -> conv 3x3 -> ReLU -> pool -> conv 2x2 -> flatten -> dense 5"})) {
            double worst = gradientCheck(check[0], rng);
            System.out.printf("   %-12s %-72s largest relative difference %.1e: %s%n", check[0], check[1], worst,
                    worst < 1e-6 ? "backward holds" : "backward and the numbers DISAGREE");
        }

        Network net = cnn(new Random(seed));
        System.out.printf("%n4. The CNN on MNIST (%s: %d training images, %d held out), seed %d%n", data, train.size(), test.size(), seed);
        System.out.println("   " + describe(net));
        System.out.printf("   softmax cross-entropy, Adam from %s with cosine decay, batches of %d, images moved by up to a pixel, %d epochs%n",
                Chart.label(rate), BATCH, epochs);
        Progress progress = new Progress(epochs);
        History history = train(net, train, test, epochs, rate, new Random(seed + 1), progress::tick);
        progress.end();
        System.out.println("   epoch   training loss   held-out accuracy, %");
        for (int e = 0; e < epochs; e++) System.out.printf("   %5d %15.4f %21.2f%n", e + 1, history.loss()[e], history.accuracy()[e]);
        System.out.printf("   training took %.1f s%n", history.seconds());
        if (save != null) saveAndCheck(net, save, test);
        report(net, test, data);
    }

    /** The held-out accuracy, the most frequent mistakes, and what the network learned, in words and pictures. */
    static void report(Network net, Dataset test, Path data) {
        int[] answers = classify(net, test.x());
        double accuracy = 100.0 * correct(answers, test.labels()) / test.size();
        System.out.printf("   held-out accuracy: %d/%d = %.2f%%", correct(answers, test.labels()), test.size(), accuracy);
        if (isCourseMnist(data)) { // the earlier marks are on the course's MNIST: another data set is not comparable
            System.out.printf("; lesson 12's MLP: %.2f%%, lesson 13's best: %.2f%%: %s", LESSON_12, LESSON_13,
                    accuracy > LESSON_13 ? String.format("%.0f%% fewer mistakes than lesson 13's", 100 * (1 - (100 - accuracy) / (100 - LESSON_13)))
                    : "no better here");
        }
        System.out.println();
        int[][] counts = confusion(answers, test.labels());
        printMostConfused(counts);

        System.out.println("\n5. What the network learned");
        printFilters((Conv2D) net.layers.get(0));
        System.out.println("   filters: " + savePng(filterPicture((Conv2D) net.layers.get(0)), "15-filters.png"));
        System.out.println("   feature maps: " + savePng(featureMaps(net, test, 0), "15-feature-maps.png"));
        System.out.println("   confusion matrix: " + savePng(new ConfusionChart(counts, correct(answers, test.labels()), test.size()).draw(),
                "15-confusion.png"));
        System.out.println("   held-out mistakes: " + savePng(mistakes(test, answers).draw(), "15-mistakes.png"));
    }

    /** conv 5x5x8 -> ReLU -> pool -> conv 5x5x32 -> ReLU -> pool -> flatten -> dense 10, for softmax cross-entropy. */
    static Network cnn(Random rng) {
        Network net = new Network();
        Conv2D first = Conv2D.he(DIGIT, 8, 5, rng);             // 1x28x28 -> 8x24x24
        MaxPool firstPool = new MaxPool(first.out);              // -> 8x12x12
        Conv2D second = Conv2D.he(firstPool.out, 32, 5, rng);   // -> 32x8x8
        MaxPool secondPool = new MaxPool(second.out);            // -> 32x4x4
        for (Layer layer : List.of(first, new ActivationLayer(Activation.RELU), firstPool,
                second, new ActivationLayer(Activation.RELU), secondPool, new Flatten(secondPool.out))) {
            net.add(layer);
        }
        net.add(glorotUniform(secondPool.out.size(), 10, rng));
        net.use(new SoftmaxCrossEntropy());
        return net;
    }

    /** The layers in a line, with the shape after each. */
    static String describe(Network net) {
        StringBuilder line = new StringBuilder(DIGIT.toString());
        for (Layer layer : net.layers) {
            if (layer instanceof Conv2D c) line.append(" -> conv ").append(c.k).append("x").append(c.k).append(" = ").append(c.out);
            else if (layer instanceof ActivationLayer a) line.append(" -> ").append(a.activation.label);
            else if (layer instanceof MaxPool p) line.append(" -> pool = ").append(p.out);
            else if (layer instanceof Flatten f) line.append(" -> flatten = ").append(f.in.size());
            else if (layer instanceof Dense d) line.append(" -> dense = ").append(d.weights.cols());
        }
        return line.toString();
    }

    /**
     * Mini-batch training with Adam, as lesson 13 trains (every epoch a new order drawn from rng,
     * batches of BATCH images, each moved by up to a pixel), the rate set by cosine decay each
     * epoch. After each epoch, the held-out accuracy; then done.run() (the progress bar).
     */
    static History train(Network net, Dataset data, Dataset test, int epochs, double rate, Random rng, Runnable done) {
        long start = System.nanoTime();
        List<Optimizer> optimizers = optimizers(net, rate);
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        double[] loss = new double[epochs], accuracy = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (Optimizer o : optimizers) o.rate = Schedule.COSINE.rate(rate, epoch + 1, epochs);
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
            accuracy[epoch] = 100.0 * correct(classify(net, test.x()), test.labels()) / test.size();
            done.run();
        }
        return new History(loss, accuracy, (System.nanoTime() - start) / 1e9);
    }

    /** The network's answer for every image, CHUNK images at a time (all 2,000 at once would keep every layer's output of all of them). */
    static int[] classify(Network net, Matrix images) {
        Matrix scores = scores(net, images);
        int[] answers = new int[images.rows()];
        for (int r = 0; r < scores.rows(); r++) answers[r] = argmax(scores, r);
        return answers;
    }

    /** The network's ten scores for every image, predicted CHUNK images at a time. */
    static Matrix scores(Network net, Matrix images) {
        Matrix scores = new Matrix(images.rows(), 10);
        for (int from = 0; from < images.rows(); from += CHUNK) {
            Matrix part = net.predict(images.rows(from, Math.min(from + CHUNK, images.rows())));
            System.arraycopy(part.data(), 0, scores.data(), from * 10, part.size());
        }
        return scores;
    }

    /** The file --save names: it must end in .jnn and must not be a folder (checked before any training). */
    static Path modelPath(String given) {
        Path file = Path.of(given);
        if (!given.endsWith(".jnn") || Files.isDirectory(file)) {
            throw new UserError("--save takes the name of a file ending in .jnn (for example out/digits.jnn), not '" + given + "'");
        }
        return file;
    }

    /** Lesson 14's check, CHUNK images at a time: saves the model, loads it back, and compares their scores on the test set. */
    static void saveAndCheck(Network net, Path file, Dataset test) {
        ModelFile.save(net, file);
        Matrix before = scores(net, test.x()), after = scores(ModelFile.load(file), test.x());
        boolean same = Arrays.equals(before.data(), after.data());
        System.out.printf("   saved: %s (%d bytes); loaded back, its %d scores are %s%n", file, file.toFile().length(), before.size(),
                same ? "the same, bit for bit" : "DIFFERENT");
    }

    /** A model file that holds a CNN for this lesson's digits: a convolution of 1x28x28 first, ten scores last. */
    static Network digitModel(Path file) {
        Network net = ModelFile.load(file);
        Layer first = net.layers.get(0), last = net.layers.get(net.layers.size() - 1);
        if (!(first instanceof Conv2D c && c.in.equals(DIGIT)) || !(last instanceof Dense d && d.weights.cols() == 10)) {
            throw new UserError(file + " holds a network that does not start with a convolution of " + DIGIT
                    + " digits and end with ten scores; --load needs a CNN saved by this lesson's --save");
        }
        return net;
    }

    static int correct(int[] answers, int[] labels) {
        int right = 0;
        for (int i = 0; i < labels.length; i++) if (answers[i] == labels[i]) right++;
        return right;
    }

    // ---------------------------------------------------------------- 1. by hand

    /** A "/" stroke, 4x4. */
    static final double[][] STROKE = {{0, 0, 0, 1}, {0, 0, 1, 0}, {0, 1, 0, 0}, {1, 0, 0, 0}};

    /** One input channel, two 2x2 kernels: "/" and "\". */
    static Conv2D handLayer() {
        return new Conv2D(new Volume(1, 4, 4), 2, Matrix.of(new double[] {0, 1, 1, 0}, new double[] {1, 0, 0, 1}), new Matrix(1, 2));
    }

    static Matrix stroke() {
        return new Matrix(1, 16, Arrays.stream(STROKE).flatMapToDouble(Arrays::stream).toArray());
    }

    /** dE/dY for the hand example: 1 at every output of the "/" kernel, 0 for the "\" kernel. */
    static Matrix handGradient() {
        Matrix g = new Matrix(1, 18);
        Arrays.fill(g.data(), 0, 9, 1);
        return g;
    }

    /** 1. The 4x4 stroke through two 2x2 kernels, forward and backward, the numbers small enough to check by hand. */
    static void handExample() {
        Conv2D layer = handLayer();
        Matrix y = layer.forward(stroke());
        System.out.println("\n1. A filter sliding over an image, by hand: a 4x4 \"/\" stroke, two 2x2 kernels, no padding, stride 1");
        List<String> image = grid(stroke().data(), 0, 4, 4), slash = grid(layer.kernels.data(), 0, 2, 2), back = grid(layer.kernels.data(), 4, 2, 2);
        List<String> outSlash = grid(y.data(), 0, 3, 3), outBack = grid(y.data(), 9, 3, 3);
        System.out.println("   image X        kernel /    output Y = X * kernel /    kernel \\    output Y = X * kernel \\");
        for (int r = 0; r < 4; r++) {
            System.out.printf("   %-14s %-11s %-26s %-11s %s%n", image.get(r), r < 2 ? slash.get(r) : "", r < 3 ? outSlash.get(r) : "",
                    r < 2 ? back.get(r) : "", r < 3 ? outBack.get(r) : "");
        }
        System.out.println("   Y[0][2] under kernel /: X[0][2]*0 + X[0][3]*1 + X[1][2]*1 + X[1][3]*0 = 0 + 1 + 1 + 0 = "
                + Chart.label(y.get(0, 2)));
        double most = max(Arrays.copyOf(y.data(), 9)), other = max(Arrays.copyOfRange(y.data(), 9, 18));
        System.out.printf("   The kernel shaped like the stroke answers up to %s, the other up to %s: a filter answers most where the image looks like it.%n",
                Chart.label(most), Chart.label(other));
        Matrix dX = layer.backward(handGradient(), 0);
        System.out.println("   Backward, with dE/dY = 1 at each of kernel /'s outputs and 0 at kernel \\'s:");
        List<String> dK = grid(layer.kernelGradient.data(), 0, 2, 2), dXrows = grid(dX.data(), 0, 4, 4);
        System.out.println("   dE/dK (kernel /)   dE/dX");
        for (int r = 0; r < 4; r++) System.out.printf("   %-18s %s%n", r < 2 ? dK.get(r) : "", dXrows.get(r));
        System.out.println("   dE/dK[a][b] adds up the pixels each kernel entry touched; dE/dX[y][x] counts the kernel's 1s that covered pixel (y, x).");
    }

    /** A height x width block of values starting at offset, as lines of numbers. */
    static List<String> grid(double[] values, int offset, int height, int width) {
        List<String> lines = new ArrayList<>();
        for (int r = 0; r < height; r++) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < width; c++) line.append(c == 0 ? "" : " ").append(Chart.label(values[offset + r * width + c]));
            lines.add(line.toString());
        }
        return lines;
    }

    static double max(double[] a) {
        return Arrays.stream(a).max().orElse(Double.NaN);
    }

    // ---------------------------------------------------------------- 2. two implementations

    /** The largest difference between the two implementations' outputs and gradients on one batch, and their times. */
    record Race(double difference, double direct, double oneThread, double allCores) {}

    /**
     * The lesson's first layer (1x28x28 -> 8 kernels 5x5) on the first TIMED images, forward and then
     * backward with a random dE/dY, once as loops and once through im2col (on one thread and on
     * every core): the largest difference, and the fastest of repeats runs of each, in milliseconds.
     */
    static Race race(Dataset train, long seed, int repeats) {
        Random rng = new Random(seed);
        Conv2D layer = Conv2D.he(DIGIT, 8, 5, rng);
        Matrix x = train.rows(firstIndices(Math.min(TIMED, train.size()))).x();
        Matrix dY = Matrix.random(x.rows(), layer.out.size(), rng);
        Matrix[] loops = pass(layer, x, dY, true, false), im2col = pass(layer, x, dY, false, true);
        double difference = 0;
        for (int m = 0; m < loops.length; m++) {
            for (int i = 0; i < loops[m].size(); i++) difference = Math.max(difference, Math.abs(loops[m].data()[i] - im2col[m].data()[i]));
        }
        for (int i = 0; i < 20; i++) { // short calls first: the JIT compiles both well (lesson 09), and not from one long first call
            pass(layer, x.rows(0, 2), dY.rows(0, 2), true, false);
            pass(layer, x.rows(0, 2), dY.rows(0, 2), false, true);
        }
        for (int i = 0; i < 8 * repeats; i++) pass(layer, x, dY, false, true); // memory Java has not used before is slow to use (see README)
        double[] best = fastest(repeats, () -> pass(layer, x, dY, true, false), () -> pass(layer, x, dY, false, false),
                () -> pass(layer, x, dY, false, true));
        return new Race(difference, best[0], best[1], best[2]);
    }

    /** One forward and one backward: {Y, dE/dK, dE/dB, dE/dX}. */
    static Matrix[] pass(Conv2D layer, Matrix x, Matrix dY, boolean direct, boolean parallel) {
        layer.direct = direct;
        layer.parallel = parallel;
        Matrix y = layer.forward(x), dX = layer.backward(dY, 0);
        return new Matrix[] {y, layer.kernelGradient, layer.biasGradient, dX};
    }

    /**
     * The fastest of repeats runs of each, in milliseconds, after as many runs to warm up (Java
     * compiles the loops while they run). The runs take turns, one of each a round, so that a
     * busy moment of the machine or of Java's compiler slows all of them, not one.
     */
    static double[] fastest(int repeats, Runnable... runs) {
        double[] best = new double[runs.length];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        for (int r = 0; r < 2 * repeats; r++) {
            for (int i = 0; i < runs.length; i++) {
                long start = System.nanoTime();
                runs[i].run();
                if (r >= repeats) best[i] = Math.min(best[i], (System.nanoTime() - start) / 1e6);
            }
        }
        return best;
    }

    static int[] firstIndices(int n) {
        int[] indices = new int[n];
        for (int i = 0; i < n; i++) indices[i] = i;
        return indices;
    }

    /** 2. (and --bench) The loops against im2col on the first layer: the same numbers, and how long each takes. */
    static void bench(Dataset train, long seed, int repeats) {
        int n = Math.min(TIMED, train.size()), cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("%n2. Two implementations, one answer: the first layer (%s -> 8 kernels 5x5 -> %s) on %d digits, forward and backward%n",
                DIGIT, new Volume(8, SIDE - 4, SIDE - 4), n);
        Race race = race(train, seed, repeats);
        System.out.printf("   largest difference between the loops and im2col (outputs and all three gradients): %.1e%n", race.difference());
        System.out.printf("   fastest of %d: loops %.1f ms, im2col %.1f ms on one thread, %.1f ms on %d cores%n", repeats,
                race.direct(), race.oneThread(), race.allCores(), cores);
        double best = Math.min(race.oneThread(), race.allCores()); // other programs can leave the second core busy
        System.out.printf("   im2col is %.1f times as fast as the loops (%.1f times on one thread, %.1f on %d cores)%n",
                race.direct() / best, race.direct() / race.oneThread(), race.direct() / race.allCores(), cores);
    }

    // ---------------------------------------------------------------- 3. gradient checks

    /** gradientCheck on a random network built around the named layer; the largest relative error. */
    static double gradientCheck(String what, Random rng) {
        Network net = new Network();
        Volume in;
        switch (what) {
            case "Conv2D" -> {
                in = new Volume(2, 7, 6);
                net.add(Conv2D.he(in, 3, 3, rng));
            }
            case "MaxPool" -> {
                in = new Volume(3, 6, 5);
                net.add(new MaxPool(in));
            }
            default -> {
                in = new Volume(2, 9, 9);
                Conv2D first = Conv2D.he(in, 3, 3, rng);
                MaxPool pool = new MaxPool(first.out);
                Conv2D second = Conv2D.he(pool.out, 4, 2, rng);
                for (Layer layer : List.of(first, new ActivationLayer(Activation.RELU), pool, second, new Flatten(second.out))) net.add(layer);
            }
        }
        Matrix x = Matrix.random(3, in.size(), rng);
        int features = net.predict(x).cols();
        net.add(new Dense(features, 5, rng));
        net.use(new SoftmaxCrossEntropy());
        Matrix y = new Matrix(3, 5);
        for (int r = 0; r < 3; r++) y.data()[r * 5 + rng.nextInt(5)] = 1;
        return gradientCheck(net, x, y);
    }

    // ---------------------------------------------------------------- 5. what it learned

    static final double EDGE = 1; // pixels between the centres of a filter's positive and negative weights that make it an edge

    /**
     * Each first-layer filter in words: where its positive weights (ink wanted) lie, on average,
     * against its negative ones (blank wanted). Ink on one side and blank on the other, at least
     * EDGE pixels apart, is an edge; closer centres make a spot or a line, which looks no one way.
     */
    static void printFilters(Conv2D first) {
        System.out.println("   The first layer's 5x5 filters, each summed up by where its positive weights lie against its negative ones:");
        int edges = 0;
        for (int o = 0; o < first.out.channels(); o++) {
            double[] plus = new double[3], minus = new double[3]; // weighted sums of the row, of the column, and the weights
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (int a = 0; a < first.k; a++) {
                for (int b = 0; b < first.k; b++) {
                    double w = first.kernel(o, 0, a, b);
                    double[] side = w > 0 ? plus : minus;
                    side[0] += Math.abs(w) * a;
                    side[1] += Math.abs(w) * b;
                    side[2] += Math.abs(w);
                    lo = Math.min(lo, w);
                    hi = Math.max(hi, w);
                }
            }
            System.out.printf("   filter %d: weights from %.2f to %.2f; ", o + 1, lo, hi);
            if (plus[2] == 0 || minus[2] == 0) {
                System.out.println("all of one sign, so it looks no one way");
                continue;
            }
            double down = plus[0] / plus[2] - minus[0] / minus[2], right = plus[1] / plus[2] - minus[1] / minus[2], apart = Math.hypot(down, right);
            if (apart < EDGE) {
                System.out.printf("ink and blank centred %.1f pixels apart: a spot or a line, no one side%n", apart);
            } else {
                edges++;
                System.out.printf("ink wanted %s, blank %s (%.1f pixels apart): an edge%n", direction(down, right), direction(-down, -right), apart);
            }
        }
        System.out.printf("   %d of the %d filters are edges by this measure (ink and blank at least %s pixel apart)%n",
                edges, first.out.channels(), Chart.label(EDGE));
    }

    /** "above", "right", "below left", ...: the nearest of eight directions to (down, right). */
    static String direction(double down, double right) {
        String[] names = {"right", "below right", "below", "below left", "left", "above left", "above", "above right"};
        int octant = (int) Math.round(Math.atan2(down, right) / (Math.PI / 4));
        return names[(octant + 8) % 8];
    }

    // ---------------------------------------------------------------- pictures

    static final Color NEGATIVE = new Color(33, 102, 172), POSITIVE = new Color(178, 24, 43);

    /** White at 0, red towards +1, blue towards -1. */
    static Color diverging(double v) {
        double t = Math.min(1, Math.abs(v));
        Color end = v > 0 ? POSITIVE : NEGATIVE;
        return new Color((int) Math.round(255 + t * (end.getRed() - 255)), (int) Math.round(255 + t * (end.getGreen() - 255)),
                (int) Math.round(255 + t * (end.getBlue() - 255)));
    }

    /** The first layer's kernels, 5x5 each, on one colour scale, with the scale drawn below them. */
    static BufferedImage filterPicture(Conv2D first) {
        BufferedImage image = new BufferedImage(800, 300, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image, "The " + first.out.channels() + " learned " + first.k + "x" + first.k + " filters of the first layer");
        double limit = 0;
        for (double w : first.kernels.data()) limit = Math.max(limit, Math.abs(w));
        int cell = 18, side = cell * first.k, gap = (800 - first.out.channels() * side) / (first.out.channels() + 1);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int o = 0; o < first.out.channels(); o++) {
            int left = gap + o * (side + gap), top = 60;
            for (int a = 0; a < first.k; a++) {
                for (int b = 0; b < first.k; b++) {
                    g.setColor(diverging(first.kernel(o, 0, a, b) / limit));
                    g.fillRect(left + b * cell, top + a * cell, cell, cell);
                }
            }
            g.setColor(Color.GRAY);
            g.drawRect(left, top, side, side);
            g.setColor(Color.BLACK);
            centred(g, "filter " + (o + 1), left + side / 2, top + side + 20);
        }
        int barLeft = 150, barWidth = 500, barTop = 195;
        for (int px = 0; px < barWidth; px++) {
            g.setColor(diverging(2.0 * px / (barWidth - 1) - 1));
            g.fillRect(barLeft + px, barTop, 1, 18);
        }
        g.setColor(Color.GRAY);
        g.drawRect(barLeft, barTop, barWidth, 18);
        g.setColor(Color.BLACK);
        for (double t : Chart.ticks(new double[] {-limit, limit}, false)) {
            int px = barLeft + (int) Math.round((t + limit) / (2 * limit) * barWidth);
            g.drawLine(px, barTop + 18, px, barTop + 23);
            centred(g, Chart.label(t), px, barTop + 38);
        }
        centred(g, "weight (red: the filter wants ink there, blue: it wants blank)", 400, barTop + 62);
        g.dispose();
        return image;
    }

    /** One held-out digit through the layers: every channel of every stage as a small picture, then the probabilities. */
    static BufferedImage featureMaps(Network net, Dataset test, int index) {
        List<String> names = new ArrayList<>();
        List<Matrix> stages = new ArrayList<>();
        List<Volume> shapes = new ArrayList<>();
        Matrix x = test.rows(new int[] {index}).x();
        names.add("the input, " + DIGIT);
        stages.add(x);
        shapes.add(DIGIT);
        Volume shape = DIGIT;
        for (Layer layer : net.layers) {
            x = layer.forward(x);
            if (layer instanceof Conv2D c) shape = c.out;
            if (layer instanceof MaxPool p) shape = p.out;
            if (layer instanceof ActivationLayer || layer instanceof MaxPool) {
                names.add((layer instanceof MaxPool ? "max pooled, " : "convolved, then ReLU, ") + shape);
                stages.add(x);
                shapes.add(shape);
            }
        }
        Matrix p = SoftmaxCrossEntropy.softmax(x);
        BufferedImage image = new BufferedImage(800, 900, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image, "One held-out digit (a " + test.labels()[index] + ") through the network");
        int y = 44;
        for (int s = 0; s < stages.size(); s++) {
            Volume v = shapes.get(s);
            int perRow = Math.min(v.channels(), 16); // more channels than that: a second row
            int scale = Math.max(1, Math.min(96 / v.height(), 720 / (perRow * (v.width() + 2)))), side = scale * v.width();
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.drawString(names.get(s) + (s == 0 ? "" : " (each channel a picture; dark = large)"), 20, y + 14);
            y += 22;
            double most = 1e-12;
            for (double value : stages.get(s).data()) most = Math.max(most, value);
            for (int c = 0; c < v.channels(); c++) {
                int left = 20 + (c % perRow) * (side + 2 * scale), top = y + (c / perRow) * (scale * v.height() + 6);
                for (int r = 0; r < v.height(); r++) {
                    for (int col = 0; col < v.width(); col++) {
                        int grey = 255 - (int) Math.round(255 * Math.max(0, stages.get(s).data()[v.index(c, r, col)]) / most);
                        g.setColor(new Color(grey, grey, grey));
                        g.fillRect(left + col * scale, top + r * scale, scale, scale);
                    }
                }
                g.setColor(Color.LIGHT_GRAY);
                g.drawRect(left, top, side, scale * v.height());
            }
            y += (v.channels() + perRow - 1) / perRow * (scale * v.height() + 6) + 8;
        }
        g.setColor(Color.BLACK);
        g.drawString("flattened to " + stages.get(stages.size() - 1).cols() + " numbers, dense to 10 scores, softmax: the probability of each digit", 20, y + 14);
        y += 42; // room above the tallest bar for its number, below the heading
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        int barMax = 900 - y - 40;
        for (int d = 0; d < 10; d++) {
            int h = (int) Math.round(barMax * p.data()[d]), left = 60 + d * 70;
            g.setColor(d == test.labels()[index] ? Chart.COLOURS[2] : Chart.COLOURS[0]);
            g.fillRect(left, y + barMax - h, 40, h);
            g.setColor(Color.BLACK);
            centred(g, String.valueOf(d), left + 20, y + barMax + 16);
            centred(g, String.format("%.2f", p.data()[d]), left + 20, y + barMax - h - 4);
        }
        g.drawLine(50, y + barMax, 750, y + barMax);
        g.dispose();
        return image;
    }

    /** The first (at most 40) held-out images the network got wrong. */
    static DigitGrid mistakes(Dataset test, int[] answers) {
        int[] wrong = new int[40];
        int found = 0, total = 0;
        for (int i = 0; i < test.size(); i++) {
            if (answers[i] == test.labels()[i]) continue;
            if (found < wrong.length) wrong[found++] = i;
            total++;
        }
        DigitGrid grid = new DigitGrid("Held-out images the CNN got wrong", test, answers);
        grid.section(total == 0 ? "No mistakes" : "The first " + found + " of " + total + " mistakes", Arrays.copyOf(wrong, found));
        return grid;
    }
    static int argmax(Matrix m, int row) {
        int best = 0;
        for (int c = 1; c < m.cols(); c++) if (m.get(row, c) > m.get(row, best)) best = c;
        return best;
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

    // ---------------------------------------------------------------- exercises

    /**
     * Exercise 1's layer: each image inside a border of p zeros. Backward crops the border off the
     * gradient: the zeros are not parameters and not inputs, so their gradients go nowhere.
     */
    static class Padding implements Layer {
        final Volume in, out;
        final int p;

        Padding(Volume in, int p) {
            this.in = in;
            this.p = p;
            this.out = new Volume(in.channels(), in.height() + 2 * p, in.width() + 2 * p);
        }

        public Matrix forward(Matrix input) {
            requireShape(input, in, "Padding");
            Matrix padded = new Matrix(input.rows(), out.size());
            for (int n = 0; n < input.rows(); n++) {
                for (int c = 0; c < in.channels(); c++) {
                    for (int y = 0; y < in.height(); y++) {
                        System.arraycopy(input.data(), n * in.size() + in.index(c, y, 0), padded.data(), n * out.size() + out.index(c, y + p, p), in.width());
                    }
                }
            }
            return padded;
        }

        public Matrix backward(Matrix outputGradient, double learningRate) {
            requireShape(outputGradient, out, "Padding's backward");
            Matrix cropped = new Matrix(outputGradient.rows(), in.size());
            for (int n = 0; n < outputGradient.rows(); n++) {
                for (int c = 0; c < in.channels(); c++) {
                    for (int y = 0; y < in.height(); y++) {
                        System.arraycopy(outputGradient.data(), n * out.size() + out.index(c, y + p, p), cropped.data(), n * in.size() + in.index(c, y, 0), in.width());
                    }
                }
            }
            return cropped;
        }
    }

    /** Exercise 1: zero padding keeps the size, and lets the kernel's middle reach the border pixels. */
    static void exercisePadding() {
        System.out.println("Exercise 1: zero padding. The 4x4 \"/\" stroke, a 3x3 \"/\" kernel, with and without a border of p = 1 zeros");
        Matrix kernel = Matrix.of(new double[] {0, 0, 1, 0, 1, 0, 1, 0, 0});
        Volume stroke = new Volume(1, 4, 4);
        Padding padding = new Padding(stroke, 1);
        Matrix plain = new Conv2D(stroke, 3, kernel, new Matrix(1, 1)).forward(stroke());
        Conv2D padded = new Conv2D(padding.out, 3, kernel, new Matrix(1, 1));
        Matrix same = padded.forward(padding.forward(stroke()));
        List<String> a = grid(plain.data(), 0, 2, 2), b = grid(same.data(), 0, 4, 4), x = grid(padding.forward(stroke()).data(), 0, 6, 6);
        System.out.println("   padded image, 6x6     no padding: 2x2 out    p = 1: 4x4 out");
        for (int r = 0; r < 6; r++) {
            System.out.printf("   %-21s %-22s %s%n", x.get(r), r < 2 ? a.get(r) : "", r < 4 ? b.get(r) : "");
        }
        System.out.printf("   With p = (k - 1)/2 = 1 the output is %s, the input's own size (\"same\" padding); without, %s.%n",
                padded.out, new Volume(1, 2, 2));
        System.out.printf("   The corner pixels, which the kernel's middle never reached before, now have outputs of their own: Y[0][3] = %s.%n",
                Chart.label(same.get(0, 3)));
        Random rng = new Random(1);
        Volume in = new Volume(2, 5, 4);
        Network net = new Network();
        Padding border = new Padding(in, 2);
        Conv2D conv = Conv2D.he(border.out, 3, 5, rng);
        net.add(border);
        net.add(conv);
        net.add(new Flatten(conv.out));
        net.add(new Dense(conv.out.size(), 4, rng));
        net.use(new SoftmaxCrossEntropy());
        Matrix y = new Matrix(2, 4);
        y.data()[1] = y.data()[6] = 1;
        double worst = gradientCheck(net, Matrix.random(2, in.size(), rng), y);
        System.out.printf("   Gradient check of padding (p = 2) -> conv 5x5 on %s -> %s: largest relative difference %.1e: %s%n", in, conv.out, worst,
                worst < 1e-6 ? "cropping the gradient is padding's backward" : "backward and the numbers DISAGREE");
    }

    /** Exercise 2: parameters and multiplications per image, the CNN against lesson 12's 784-100-50-10. */
    static void exerciseCounting() {
        System.out.println("Exercise 2: what the CNN costs, against lesson 12's fully connected 784 -> 100 -> 50 -> 10");
        System.out.println("   layer                          parameters   multiply-adds per image");
        long params = 0, products = 0;
        for (Layer layer : cnn(new Random(0)).layers) {
            long p, m;
            String name;
            if (layer instanceof Conv2D c) {
                p = c.kernels.size() + c.bias.size();
                m = (long) c.out.size() * c.in.channels() * c.k * c.k; // every output is a sum over one kernel
                name = "conv " + c.in + " -> " + c.out;
            } else if (layer instanceof Dense d) {
                p = d.weights.size() + d.bias.size();
                m = d.weights.size();
                name = "dense " + d.weights.rows() + " -> " + d.weights.cols();
            } else {
                continue;
            }
            params += p;
            products += m;
            System.out.printf("   %-30s %10d %16d%n", name, p, m);
        }
        int[] sizes = {SIDE * SIDE, 100, 50, 10};
        long mlpParams = 0, mlpProducts = 0;
        for (int i = 0; i + 1 < sizes.length; i++) {
            mlpParams += (long) sizes[i] * sizes[i + 1] + sizes[i + 1];
            mlpProducts += (long) sizes[i] * sizes[i + 1];
        }
        System.out.printf("   %-30s %10d %16d%n", "the CNN", params, products);
        System.out.printf("   %-30s %10d %16d%n", "lesson 12's MLP", mlpParams, mlpProducts);
        System.out.printf("   The CNN has %.1f times fewer parameters and does %.1f times as many multiplications: each kernel is used at every position.%n",
                (double) mlpParams / params, (double) products / mlpProducts);
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
