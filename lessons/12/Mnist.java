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
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Lesson 12: reading handwritten digits with the layers of lesson 11.
 *
 * The network is lesson 11's list of layers (Dense, tanh, ..., and a loss). What changes is the
 * data, 28x28 images of the digits 0-9 read from IDX files, and the scale: batches of images go
 * through each layer as one matrix product, written with loops that suit how Java lays out arrays.
 * First the tutorial's own experiment, then a bigger run that reads 96% of new digits right.
 *
 * Run: java lessons/12/Mnist.java [--seed N] [--exercise 1|2|3] [--data-dir DIR] [--train N] [--readme-figures]
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
        Matrix input; // kept by forward for backward
        /**
         * Whether backward computes dE/dX. For the first layer X is the pixels: training never uses
         * their gradient, which costs as much as the forward pass, so Network.add switches it off.
         */
        boolean inputGradient = true;

        Dense(Matrix weights, Matrix bias) {
            this.weights = weights;
            this.bias = bias;
        }

        /** The tutorial's start: weights and biases uniform in [-0.5, 0.5). */
        static Dense tutorial(int inputs, int outputs, Random rng) {
            return new Dense(Matrix.uniform(inputs, outputs, 0.5, rng), Matrix.uniform(1, outputs, 0.5, rng));
        }

        /**
         * Xavier (Glorot) uniform start for tanh: weights in +/-sqrt(6 / (inputs + outputs)), biases 0.
         * It keeps the spread of the signal about the same from layer to layer, so no tanh starts saturated.
         */
        static Dense xavier(int inputs, int outputs, Random rng) {
            double limit = Math.sqrt(6.0 / (inputs + outputs));
            return new Dense(Matrix.uniform(inputs, outputs, limit, rng), new Matrix(1, outputs));
        }

        public Matrix forward(Matrix input) {
            if (input.cols() != weights.rows()) {
                throw new IllegalArgumentException("Dense layer expects " + weights.rows()
                        + " inputs per sample, got " + input.cols());
            }
            this.input = input;
            return input.times(weights).addToEveryRow(bias);
        }

        public Matrix backward(Matrix outputGradient, double learningRate) {
            // dE/dX = dE/dY * W^T, with W before the step
            Matrix dX = inputGradient ? outputGradient.timesTransposed(weights) : null;
            weights.subtractTransposedTimes(learningRate, input, outputGradient); // W -= rate * X^T * dE/dY
            bias.subtractColumnSums(learningRate, outputGradient);           // B -= rate * dE/dY summed over the batch
            return dX;
        }
    }

    /** Applies tanh to every number. It has no parameters, so backward only passes the gradient on. */
    static class Tanh implements Layer {
        Matrix output;

        public Matrix forward(Matrix input) {
            output = new Matrix(input.rows(), input.cols());
            for (int i = 0; i < output.size(); i++) output.data()[i] = Math.tanh(input.data()[i]);
            return output;
        }

        /** dE/dX = dE/dY * tanh'(X) element by element, and tanh'(x) = 1 - tanh^2(x) = 1 - y^2: the forward's output saves a tanh. */
        public Matrix backward(Matrix outputGradient, double learningRate) {
            Matrix inputGradient = new Matrix(output.rows(), output.cols());
            for (int i = 0; i < output.size(); i++) {
                double y = output.data()[i];
                inputGradient.data()[i] = outputGradient.data()[i] * (1 - y * y);
            }
            return inputGradient;
        }
    }

    /** A loss turns the network's output and the target into one number E, and gives dE/dY to start backward. */
    interface Loss {
        double loss(Matrix predicted, Matrix target);

        Matrix gradient(Matrix predicted, Matrix target);
    }

    /** E = (1/n) sum (y_hat - y)^2 and dE/dy_hat = 2(y_hat - y)/n, where n counts every number in the batch (samples x outputs). */
    static class MeanSquaredError implements Loss {
        public double loss(Matrix predicted, Matrix target) {
            predicted.requireSameShape(target);
            double sum = 0;
            for (int i = 0; i < predicted.size(); i++) {
                double d = predicted.data()[i] - target.data()[i];
                sum += d * d;
            }
            return sum / predicted.size();
        }

        public Matrix gradient(Matrix predicted, Matrix target) {
            predicted.requireSameShape(target);
            Matrix g = new Matrix(predicted.rows(), predicted.cols());
            for (int i = 0; i < g.size(); i++) g.data()[i] = 2 * (predicted.data()[i] - target.data()[i]) / g.size();
            return g;
        }
    }

    /**
     * Softmax and cross-entropy in one loss, for the bigger run. The last Dense layer's ten outputs
     * are scores s; softmax turns each row into probabilities p_j = e^(s_j) / sum_k e^(s_k), and
     * E = -(1/m) sum ln p_(true class) over the batch's m samples. Together: dE/ds = (p - y)/m.
     */
    static class SoftmaxCrossEntropy implements Loss {
        public double loss(Matrix scores, Matrix target) {
            Matrix p = softmax(scores);
            double sum = 0;
            for (int i = 0; i < p.size(); i++) if (target.data()[i] == 1) sum -= Math.log(p.data()[i]);
            return sum / scores.rows();
        }

        public Matrix gradient(Matrix scores, Matrix target) {
            Matrix g = softmax(scores);
            for (int i = 0; i < g.size(); i++) g.data()[i] = (g.data()[i] - target.data()[i]) / scores.rows();
            return g;
        }

        static Matrix softmax(Matrix scores) {
            Matrix p = new Matrix(scores.rows(), scores.cols());
            for (int r = 0; r < scores.rows(); r++) {
                int from = r * scores.cols(), to = from + scores.cols();
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = from; i < to; i++) max = Math.max(max, scores.data()[i]);
                for (int i = from; i < to; i++) {
                    p.data()[i] = Math.exp(scores.data()[i] - max); // minus the max: same result, no overflow
                    sum += p.data()[i];
                }
                for (int i = from; i < to; i++) p.data()[i] /= sum;
            }
            return p;
        }
    }

    /** A list of layers and a loss, as in lesson 11, with training in shuffled mini-batches. */
    static class Network {
        final List<Layer> layers = new ArrayList<>();
        Loss loss;

        void add(Layer layer) {
            if (layers.isEmpty() && layer instanceof Dense first) first.inputGradient = false;
            layers.add(layer);
        }

        void use(Loss loss) {
            this.loss = loss;
        }

        Matrix predict(Matrix x) {
            for (Layer layer : layers) x = layer.forward(x);
            return x;
        }

        /** Passes dE/dY from the loss back through every layer; each one takes its step on the way. */
        void backward(Matrix output, Matrix target, double learningRate) {
            Matrix gradient = loss.gradient(output, target);
            for (int i = layers.size() - 1; i >= 0; i--) gradient = layers.get(i).backward(gradient, learningRate);
        }

        /** The tutorial's training: one sample at a time, always in the same order. */
        double[] fit(Matrix x, Matrix y, int epochs, double learningRate) {
            return fit(x, y, epochs, learningRate, 1, null, batch -> batch);
        }

        /**
         * Mini-batch gradient descent: each epoch visits the samples batchSize at a time, in a new
         * order drawn from rng (in the given order if rng is null); change may alter each batch of
         * inputs before it goes in. Returns the mean error of each epoch.
         */
        double[] fit(Matrix x, Matrix y, int epochs, double learningRate, int batchSize, Random rng,
                UnaryOperator<Matrix> change) {
            if (x.rows() != y.rows()) {
                throw new IllegalArgumentException(x.rows() + " inputs but " + y.rows() + " targets");
            }
            int[] order = new int[x.rows()];
            for (int i = 0; i < order.length; i++) order[i] = i;
            double[] errors = new double[epochs];
            Progress progress = new Progress(epochs, x.rows());
            for (int epoch = 0; epoch < epochs; epoch++) {
                if (rng != null) shuffle(order, rng);
                double sum = 0;
                for (int start = 0; start < order.length; start += batchSize) {
                    int end = Math.min(start + batchSize, order.length);
                    Matrix target = y.rows(order, start, end);
                    Matrix output = predict(change.apply(x.rows(order, start, end)));
                    sum += loss.loss(output, target) * (end - start); // the loss is a mean over the batch's samples
                    backward(output, target, learningRate);
                    progress.update(epoch, end, sum / end);
                }
                errors[epoch] = sum / order.length;
                if (!Double.isFinite(errors[epoch])) {
                    throw new UserError("the error became " + errors[epoch] + " in epoch " + (epoch + 1)
                            + ": the steps are too big; lower the learning rate");
                }
                progress.epochDone(epoch, errors[epoch]);
            }
            return errors;
        }
    }

    /** Fisher-Yates: every order equally likely, drawn from rng. */
    static void shuffle(int[] order, Random rng) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
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

    /**
     * A rows x cols matrix stored row after row in one flat array. Row r is sample r of a batch.
     * The products loop so that the innermost loop walks along rows, the order the numbers lie in
     * memory, and allocate nothing inside the loops: that is what makes them fast in Java.
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

        /** Numbers drawn uniformly from [-limit, limit). */
        static Matrix uniform(int rows, int cols, double limit, Random rng) {
            Matrix m = new Matrix(rows, cols);
            for (int i = 0; i < m.size(); i++) m.data[i] = (2 * rng.nextDouble() - 1) * limit;
            return m;
        }

        int size() {
            return data.length;
        }

        double get(int r, int c) {
            return data[r * cols + c];
        }

        /** The rows order[from], ..., order[to - 1], copied into a batch. */
        Matrix rows(int[] order, int from, int to) {
            Matrix batch = new Matrix(to - from, cols);
            for (int i = from; i < to; i++) System.arraycopy(data, order[i] * cols, batch.data, (i - from) * cols, cols);
            return batch;
        }

        /** this * b, looping i-k-j: row k of b is added into row i of the result, scaled by this[i][k]. */
        Matrix times(Matrix b) {
            if (cols != b.rows) {
                throw new IllegalArgumentException("cannot multiply " + rows + "x" + cols + " by "
                        + b.rows + "x" + b.cols + ": expected " + cols + " rows, got " + b.rows);
            }
            Matrix c = new Matrix(rows, b.cols);
            for (int i = 0; i < rows; i++) {
                for (int k = 0; k < cols; k++) {
                    double a = data[i * cols + k];
                    if (a == 0) continue; // adds nothing; most pixels of a digit are blank
                    for (int j = 0; j < b.cols; j++) c.data[i * b.cols + j] += a * b.data[k * b.cols + j];
                }
            }
            return c;
        }

        /** this * b^T without building b^T: entry (i, k) is the dot product of row i of this and row k of b. */
        Matrix timesTransposed(Matrix b) {
            if (cols != b.cols) {
                throw new IllegalArgumentException("cannot multiply " + rows + "x" + cols + " by the transpose of "
                        + b.rows + "x" + b.cols + ": expected " + cols + " columns, got " + b.cols);
            }
            Matrix c = new Matrix(rows, b.rows);
            for (int i = 0; i < rows; i++) {
                for (int k = 0; k < b.rows; k++) {
                    double sum = 0;
                    for (int j = 0; j < cols; j++) sum += data[i * cols + j] * b.data[k * cols + j];
                    c.data[i * b.rows + k] = sum;
                }
            }
            return c;
        }

        /**
         * this -= rate * x^T * g, one sample (row of x and g) at a time, without building x^T * g:
         * row k of this moves by rate * x[s][k] * (row s of g).
         */
        void subtractTransposedTimes(double rate, Matrix x, Matrix g) {
            if (x.rows != g.rows || x.cols != rows || g.cols != cols) {
                throw new IllegalArgumentException("a " + rows + "x" + cols + " update needs " + rows
                        + " and " + cols + " columns, got " + x.rows + "x" + x.cols + " and " + g.rows + "x" + g.cols);
            }
            for (int s = 0; s < x.rows; s++) {
                for (int k = 0; k < rows; k++) {
                    double a = rate * x.data[s * x.cols + k];
                    if (a == 0) continue; // a blank pixel changes none of its weights
                    for (int j = 0; j < cols; j++) data[k * cols + j] -= a * g.data[s * cols + j];
                }
            }
        }

        /** this (one row) -= rate * the column sums of g. */
        void subtractColumnSums(double rate, Matrix g) {
            requireSameShape(new Matrix(1, g.cols));
            for (int i = 0; i < g.size(); i++) data[i % cols] -= rate * g.data[i];
        }

        /** Adds the one-row matrix row to every row of this, in place (the bias, for every sample of the batch). */
        Matrix addToEveryRow(Matrix row) {
            for (int i = 0; i < size(); i++) data[i] += row.data[i % cols];
            return this;
        }

        void requireSameShape(Matrix other) {
            if (rows != other.rows || cols != other.cols) {
                throw new IllegalArgumentException("expected a " + rows + "x" + cols + " matrix, got "
                        + other.rows + "x" + other.cols);
            }
        }
    }

    // ---------------------------------------------------------------- the data

    /** Images as rows of 784 numbers in [0, 1] (pixel / 255), and their labels 0-9. */
    record Dataset(Matrix images, int[] labels) {
        int size() {
            return labels.length;
        }

        /** Label 3 becomes the row 0 0 0 1 0 0 0 0 0 0, what the ten outputs should say. */
        Matrix oneHot() {
            Matrix targets = new Matrix(size(), 10);
            for (int i = 0; i < size(); i++) targets.data()[i * 10 + labels[i]] = 1;
            return targets;
        }

        Dataset first(int n) {
            Matrix firstImages = new Matrix(n, images.cols(), Arrays.copyOf(images.data(), n * images.cols()));
            return new Dataset(firstImages, Arrays.copyOf(labels, n));
        }
    }

    static final int IMAGES_MAGIC = 0x00000803, LABELS_MAGIC = 0x00000801, SIDE = 28;
    static final String FILES = "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte"
            + " and t10k-labels-idx1-ubyte (each may end in .gz)";

    /** Loads the first (at most) limit images of a split, "train" or "t10k", with their labels. */
    static Dataset load(Path dir, String split, int limit) {
        Path imageFile = find(dir, split + "-images-idx3-ubyte");
        Path labelFile = find(dir, split + "-labels-idx1-ubyte");
        byte[] images = readFile(imageFile), labels = readFile(labelFile);
        int[] imageDims = header(images, imageFile, IMAGES_MAGIC, 3);
        int[] labelDims = header(labels, labelFile, LABELS_MAGIC, 1);
        if (imageDims[0] != labelDims[0]) {
            throw new UserError(imageFile + " holds " + imageDims[0] + " images but " + labelFile + " holds "
                    + labelDims[0] + " labels; the two files must come from the same set");
        }
        if (imageDims[1] != SIDE || imageDims[2] != SIDE) {
            throw new UserError(imageFile + " holds " + imageDims[1] + "x" + imageDims[2]
                    + " images; this network reads 28x28");
        }
        int n = Math.min(limit, imageDims[0]), offset = 16, pixels = SIDE * SIDE; // pixels start after 4 ints
        Dataset data = new Dataset(new Matrix(n, pixels), new int[n]);
        for (int i = 0; i < labelDims[0]; i++) {
            int label = labels[8 + i] & 0xFF;
            if (label > 9) throw new UserError(labelFile + ": label " + label + " of image " + i + " is outside 0-9");
            if (i < n) data.labels()[i] = label;
        }
        for (int i = 0; i < n * pixels; i++) data.images().data()[i] = (images[offset + i] & 0xFF) / 255.0;
        return data;
    }

    /** dir/name, or dir/name.gz; otherwise says which file is missing and what to pass. */
    static Path find(Path dir, String name) {
        for (String candidate : new String[] {name + ".gz", name}) {
            if (Files.isRegularFile(dir.resolve(candidate))) return dir.resolve(candidate);
        }
        throw new UserError(dir + " has no " + name + " (nor " + name + ".gz); --data-dir needs a folder holding "
                + FILES);
    }

    /** The whole file, unzipped if it starts with gzip's two magic bytes 1f 8b. */
    static byte[] readFile(Path file) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            in.mark(2);
            boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
            in.reset();
            return (gzip ? new GZIPInputStream(in) : in).readAllBytes();
        } catch (EOFException e) {
            throw new UserError(file + " is truncated: its gzip data ends early; fetch the file again");
        } catch (IOException e) {
            throw new UserError("could not read " + file + ": " + e.getMessage());
        }
    }

    /**
     * Checks an IDX file of unsigned bytes and returns its dimensions. IDX: a magic number (0x0800
     * plus the number of dimensions), each dimension as a 32-bit big-endian int, then the bytes.
     */
    static int[] header(byte[] bytes, Path file, int magic, int count) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes); // big-endian, as IDX is
        int headerBytes = 4 + 4 * count;
        if (bytes.length < headerBytes) {
            throw new UserError(file + " is truncated: " + bytes.length + " bytes, shorter than its "
                    + headerBytes + "-byte header");
        }
        if (buffer.getInt(0) != magic) {
            throw new UserError(String.format("%s has magic number 0x%08X, expected 0x%08X: it is not an IDX file of %s",
                    file, buffer.getInt(0), magic, magic == IMAGES_MAGIC ? "images" : "labels"));
        }
        int[] dims = new int[count];
        long expected = 1;
        for (int d = 0; d < count; d++) {
            dims[d] = buffer.getInt(4 + 4 * d);
            if (dims[d] < 0) throw new UserError(file + " has a negative size, " + dims[d] + ", in its header");
            expected *= dims[d];
        }
        long found = bytes.length - headerBytes;
        if (found < expected) {
            throw new UserError(file + " is truncated: its header promises " + expected + " bytes of data, it holds "
                    + found);
        }
        if (found > expected) {
            throw new UserError(file + " has " + (found - expected) + " bytes more than its header describes");
        }
        return dims;
    }

    // ---------------------------------------------------------------- the lesson

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
        try {
            Options options = Options.parse(args);
            switch (options.exercise) {
                case 0 -> lesson(options);
                case 1 -> exerciseIngredients(options);
                case 2 -> exerciseLoopOrder(options);
                case 3 -> exerciseStart(options);
                default -> throw new UserError("there is no exercise " + options.exercise
                        + "; try --exercise 1, 2 or 3");
            }
        } catch (UserError e) {
            System.err.println("Mnist: " + e.getMessage());
            System.exit(2);
        }
    }

    /** Makes a Dense layer with its starting weights: Dense::tutorial or Dense::xavier. */
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
            if (i + 2 < sizes.length || loss instanceof MeanSquaredError) net.add(new Tanh());
        }
        net.use(loss);
        return net;
    }

    static final int TUTORIAL_IMAGES = 1000, TUTORIAL_EPOCHS = 35, EPOCHS = 25, BATCH = 16;
    static final double TUTORIAL_RATE = 0.1, RATE = 0.1;

    static void lesson(Options options) {
        System.out.println("Lesson 12: reading handwritten digits with the layers of lesson 11");
        Random rng = new Random(options.seed);
        Dataset train = load(options.dataDir, "train", options.train);
        Dataset test = load(options.dataDir, "t10k", Integer.MAX_VALUE);
        System.out.printf("data: %s: %d training images, %d test images%n", options.dataDir, train.size(), test.size());

        System.out.println("\n1. The tutorial's experiment: 784->100->50->10 with tanh after each Dense layer, MSE,");
        Dataset first = train.first(Math.min(TUTORIAL_IMAGES, train.size()));
        System.out.printf("   the first %d training images one at a time, learning rate %s, %d epochs%n",
                first.size(), TUTORIAL_RATE, TUTORIAL_EPOCHS);
        Network tutorial = network(Dense::tutorial, new MeanSquaredError(), rng);
        long start = System.nanoTime();
        tutorial.fit(first.images(), first.oneHot(), TUTORIAL_EPOCHS, TUTORIAL_RATE);
        printTime(start);
        printFirstPredictions(tutorial, test, 3);
        printAccuracy("held-out", classify(tutorial, test.images()), test.labels());

        System.out.printf("%n2. A bigger run: %d training images, each moved by up to one pixel, in shuffled%n",
                train.size());
        System.out.printf("   batches of %d; Xavier start; softmax cross-entropy instead of the last tanh and MSE;%n", BATCH);
        System.out.printf("   learning rate %s, %d epochs%n", RATE, EPOCHS);
        Network big = network(Dense::xavier, new SoftmaxCrossEntropy(), rng);
        start = System.nanoTime();
        big.fit(train.images(), train.oneHot(), EPOCHS, RATE, BATCH, rng, batch -> shifted(batch, rng));
        printTime(start);
        printAccuracy("training", classify(big, train.images()), train.labels());
        int[] answers = classify(big, test.images());
        printAccuracy("held-out", answers, test.labels());
        int[][] confusion = confusion(answers, test.labels());
        printMostConfused(confusion);

        Path digits = outDir().resolve("12-digits.png"), matrix = outDir().resolve("12-confusion.png");
        DigitGrid grid = digitGrid(test, answers);
        ConfusionChart heat = new ConfusionChart(confusion, correct(answers, test.labels()), test.size());
        save(grid, digits);
        save(heat, matrix);
        System.out.println("\nplots: " + digits + "\n       " + matrix);
        if (options.readmeFigures) {
            save(grid, lessonDir().resolve("digits.png"));
            save(heat, lessonDir().resolve("confusion.png"));
            System.out.println("README figures: " + lessonDir().resolve("digits.png") + ", confusion.png");
        }
    }

    /** Wall-clock time: on its own line, because it changes from run to run and machine to machine. */
    static void printTime(long start) {
        System.out.printf("time: %.1f s of training (wall clock; varies from run to run)%n", (System.nanoTime() - start) / 1e9);
    }

    /** What the tutorial shows: the ten outputs for the first test images, next to the true labels. */
    static void printFirstPredictions(Network net, Dataset test, int count) {
        Matrix out = net.predict(test.first(count).images());
        System.out.println("   the ten outputs for the first " + count + " test images (the answer is the largest):");
        for (int r = 0; r < count; r++) {
            StringBuilder row = new StringBuilder("   [");
            for (int c = 0; c < 10; c++) row.append(String.format("%7.3f", out.get(r, c)));
            System.out.println(row + " ]  answer " + argmax(out, r) + ", true " + test.labels()[r]);
        }
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
        System.out.println(line);
    }

    /**
     * A copy of a batch with each image moved by -1, 0 or +1 pixels across and down, drawn from
     * rng (blank where it moved away from). The network sees every digit in a slightly new place each
     * epoch, so it cannot just remember the 8,000 images: it has to learn what a 3 looks like.
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
        int[] firstImages = new int[Math.min(30, test.size())];
        for (int i = 0; i < firstImages.length; i++) firstImages[i] = i;
        int[] mistakes = new int[10];
        int found = 0;
        for (int i = 0; i < test.size() && found < mistakes.length; i++) if (answers[i] != test.labels()[i]) mistakes[found++] = i;
        DigitGrid grid = new DigitGrid("Test images and the network's answers", test, answers);
        grid.section("The first " + firstImages.length + " test images", firstImages);
        grid.section(found == 0 ? "No mistakes" : "The first " + found + " mistakes", Arrays.copyOf(mistakes, found));
        return grid;
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: the bigger run with one ingredient taken away at a time. */
    static void exerciseIngredients(Options options) {
        System.out.println("Exercise 1: the bigger run without the shifts, and with the tutorial's tanh + MSE output");
        Dataset train = load(options.dataDir, "train", options.train);
        Dataset test = load(options.dataDir, "t10k", Integer.MAX_VALUE);

        System.out.println("\n   a. the images as they are, no shifts");
        Random rng = new Random(options.seed);
        Network net = network(Dense::xavier, new SoftmaxCrossEntropy(), rng);
        net.fit(train.images(), train.oneHot(), EPOCHS, RATE, BATCH, rng, batch -> batch);
        printAccuracy("training", classify(net, train.images()), train.labels());
        printAccuracy("held-out", classify(net, test.images()), test.labels());

        System.out.println("\n   b. tanh on the ten outputs and MSE, as in the tutorial (learning rate 1.5, see README)");
        Random rngB = new Random(options.seed);
        Network mse = network(Dense::xavier, new MeanSquaredError(), rngB);
        mse.fit(train.images(), train.oneHot(), EPOCHS, 1.5, BATCH, rngB, batch -> shifted(batch, rngB));
        printAccuracy("training", classify(mse, train.images()), train.labels());
        printAccuracy("held-out", classify(mse, test.images()), test.labels());
        System.out.println("\n   Compare with the lesson's run. Without the shifts the network learns the training");
        System.out.println("   images by heart and does worse on new ones. With MSE a confidently wrong tanh");
        System.out.println("   output has a slope 1 - y^2 near 0, so the mistakes that matter most teach it least.");
    }

    /** Exercise 2: the first layer's product three ways. Same numbers, different speed. */
    static void exerciseLoopOrder(Options options) {
        System.out.println("Exercise 2: the first layer's X*W, 64 images of 784 pixels times 784x100 weights");
        Random rng = new Random(options.seed);
        Matrix w = Matrix.uniform(784, 100, 1, rng);
        Matrix noise = Matrix.uniform(64, 784, 1, rng); // no zeros: nothing to skip
        Matrix digits = load(options.dataDir, "t10k", 64).images();
        int blank = 0;
        for (double v : digits.data()) if (v == 0) blank++;
        System.out.printf("   %-48s %s%n", "i-j-k, the textbook order, random pixels", time(() -> timesIjk(noise, w)));
        System.out.printf("   %-48s %s%n", "i-k-j, along the rows, random pixels", time(() -> noise.times(w)));
        System.out.printf("   %-48s %s%n", "i-k-j on real digits, blank pixels skipped", time(() -> digits.times(w)));
        System.out.printf("   (%.0f%% of the digits' pixels are blank; each order gives the same numbers as i-j-k:"
                + " %s)%n", 100.0 * blank / digits.size(),
                Arrays.equals(noise.times(w).data(), timesIjk(noise, w).data())
                        && Arrays.equals(digits.times(w).data(), timesIjk(digits, w).data()) ? "yes" : "no");
        System.out.println("   i-j-k walks down a column of W, jumping 100 numbers at each step; i-k-j walks along");
        System.out.println("   rows, the order they lie in memory, and its inner loop has no step that waits for the");
        System.out.println("   one before, so the JIT can do several at once (SIMD). A blank pixel adds 0 * w: skip it.");
    }

    /** The fastest of 30 runs, as wall-clock time: the first runs happen before the JIT has compiled the loops. */
    static String time(Supplier<Matrix> product) {
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 30; round++) {
            long start = System.nanoTime();
            product.get();
            best = Math.min(best, System.nanoTime() - start);
        }
        return String.format("%.2f ms", best / 1e6);
    }

    /** The textbook order: c[i][j] = sum_k a[i][k] b[k][j], one dot product per entry. */
    static Matrix timesIjk(Matrix a, Matrix b) {
        Matrix c = new Matrix(a.rows(), b.cols());
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < b.cols(); j++) {
                double sum = 0;
                for (int k = 0; k < a.cols(); k++) sum += a.get(i, k) * b.get(k, j);
                c.data()[i * b.cols() + j] = sum;
            }
        }
        return c;
    }

    /** Exercise 3: the tutorial's experiment again, started with Xavier's weights instead of the tutorial's. */
    static void exerciseStart(Options options) {
        System.out.println("Exercise 3: the tutorial's experiment with its own start, weights in [-0.5, 0.5), and Xavier's");
        Dataset first = load(options.dataDir, "train", Math.min(options.train, TUTORIAL_IMAGES));
        Dataset test = load(options.dataDir, "t10k", Integer.MAX_VALUE);
        for (boolean xavier : new boolean[] {false, true}) {
            Random rng = new Random(options.seed);
            Network net = network(xavier ? Dense::xavier : Dense::tutorial, new MeanSquaredError(), rng);
            Matrix hidden = net.layers.get(1).forward(net.layers.get(0).forward(test.images()));
            int saturated = 0;
            for (double y : hidden.data()) if (Math.abs(y) > 0.99) saturated++;
            System.out.printf("%n   %s start: %.1f%% of the first layer's tanh outputs beyond +/-0.99 before training%n",
                    xavier ? "Xavier's" : "the tutorial's", 100.0 * saturated / hidden.size());
            net.fit(first.images(), first.oneHot(), TUTORIAL_EPOCHS, TUTORIAL_RATE);
            printAccuracy("held-out", classify(net, test.images()), test.labels());
        }
        System.out.println("\n   Where tanh is flat its slope 1 - y^2 is almost 0, so the gradient that flows back");
        System.out.println("   through those units, and the steps of the weights before them, almost vanish.");
        System.out.println("   Xavier's smaller weights keep the sums in tanh's steep middle.");
    }

    // ---------------------------------------------------------------- flags and errors

    static final String USAGE = "usage: java lessons/12/Mnist.java [--seed N] [--exercise 1|2|3] [--data-dir DIR]"
            + " [--train N] [--readme-figures]";

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    /** --data-dir: a folder of the four IDX files; --train: how many training images to use at most. */
    record Options(long seed, int exercise, Path dataDir, int train, boolean readmeFigures) {
        static Options parse(String[] args) {
            long seed = 42;
            int exercise = 0, train = 8000;
            Path dataDir = null;
            boolean readmeFigures = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = number(args, ++i, "--seed");
                    case "--exercise" -> exercise = (int) number(args, ++i, "--exercise");
                    case "--train" -> train = (int) number(args, ++i, "--train");
                    case "--readme-figures" -> readmeFigures = true;
                    case "--data-dir" -> {
                        if (++i >= args.length) throw new UserError("--data-dir needs a folder; " + USAGE);
                        dataDir = Path.of(args[i]);
                    }
                    default -> throw new UserError("unknown flag '" + args[i] + "'; " + USAGE);
                }
            }
            if (train < 1) throw new UserError("--train needs at least 1 image, not " + train);
            if (dataDir == null) {
                dataDir = courseRoot().resolve("datasets").resolve("mnist");
                if (!Files.isDirectory(dataDir)) {
                    throw new UserError("cannot find datasets/mnist above " + Path.of("").toAbsolutePath()
                            + "; run from inside the course, or pass --data-dir DIR");
                }
            } else if (!Files.isDirectory(dataDir)) {
                throw new UserError("--data-dir " + dataDir + " is not a folder; it needs a folder holding " + FILES);
            }
            return new Options(seed, exercise, dataDir, train, readmeFigures);
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

    // ---------------------------------------------------------------- progress and output files

    /** Training progress: on a terminal one line redrawn with '\r'; in a pipe or a log one line per epoch. */
    static class Progress {
        final boolean terminal = System.console() != null;
        final int epochs, samples;
        final long start = System.nanoTime();
        long lastDrawn;

        Progress(int epochs, int samples) {
            this.epochs = epochs;
            this.samples = samples;
        }

        void update(int epoch, int done, double error) {
            long now = System.nanoTime();
            if (!terminal || now - lastDrawn < 100_000_000L) return; // redraw at most ten times a second
            lastDrawn = now;
            System.out.print("\r" + bar(epoch, done, error));
            System.out.flush();
        }

        /** The tutorial's line "epoch 1/35   error=0.093187"; on a terminal, the finished bar stays. */
        void epochDone(int epoch, double error) {
            if (terminal) System.out.println("\r" + bar(epoch, samples, error));
            else System.out.printf("epoch %d/%d   error=%f%n", epoch + 1, epochs, error);
        }

        String bar(int epoch, int done, double error) {
            int width = 20, filled = (int) ((long) width * done / samples);
            double elapsed = (System.nanoTime() - start) / 1e9;
            double fraction = (epoch + (double) done / samples) / epochs;
            return String.format("epoch %d/%d [%s%s] %d/%d error=%f elapsed %.1f s ETA %.1f s ",
                    epoch + 1, epochs, "=".repeat(filled), " ".repeat(width - filled), done, samples, error,
                    elapsed, elapsed / fraction - elapsed);
        }
    }

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
        return courseRoot().resolve("lessons").resolve("12");
    }

    /** Anything that draws itself into an image. */
    interface Picture {
        BufferedImage draw();
    }

    /** Writes the picture, or says in one line why it could not. */
    static void save(Picture picture, Path png) {
        try {
            writePng(picture.draw(), png);
        } catch (IOException e) {
            throw new UserError("could not write " + png + ": " + e.getMessage());
        }
    }

    /** Writes into a temporary file first and then renames it, so a failure never leaves half a PNG behind. */
    static void writePng(BufferedImage image, Path png) throws IOException {
        Path dir = png.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".chart", ".png");
        try {
            ImageIO.write(image, "png", tmp.toFile());
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A white canvas with smooth lines and text, and its title centred at the top. */
    static Graphics2D canvas(BufferedImage image, String title) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
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
    static class DigitGrid implements Picture {
        static final int WIDTH = 800, CELL_WIDTH = 80, CELL_HEIGHT = 84, SCALE = 2;
        static final Color WRONG = new Color(214, 39, 40);

        record Section(String heading, int[] images) {}

        final String title;
        final Dataset test;
        final int[] answers;
        final List<Section> sections = new ArrayList<>();

        static {
            System.setProperty("java.awt.headless", "true"); // draw without a screen
        }

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

        public BufferedImage draw() {
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
                    int grey = 255 - (int) Math.round(255 * test.images().get(index, r * SIDE + c));
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
    static class ConfusionChart implements Picture {
        static final int WIDTH = 800, HEIGHT = 500, CELL = 38, LEFT = 160, TOP = 50;
        static final Color[] BLUES = {
            new Color(247, 251, 255), new Color(198, 219, 239), new Color(107, 174, 214),
            new Color(33, 113, 181), new Color(8, 48, 107)};

        final int[][] counts;
        final int right, total;
        final int max;

        static {
            System.setProperty("java.awt.headless", "true"); // draw without a screen
        }

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

        public BufferedImage draw() {
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
}
