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
import java.lang.management.ManagementFactory;
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
 * Lesson 09: the speedy network.
 *
 * A layer of neurons is one matrix: weight (i, j) joins input i to neuron j. A mini-batch of
 * examples is one matrix too, one example per row, so a whole layer works on a whole batch with
 * one matrix product, Z = X.W + b, and backpropagation is three more products. The network
 * computes what the per-neuron network computes; only the bookkeeping changes, and the speed.
 *
 * Follows: the UPM hands-on, section 5c "Performance optimizations" and its exercise 7; see README.md for the authors and link.
 * New here: Matrix, multiply (C = A.B in i-k-j order), transpose; Layer (forward, backward and
 * update on a whole batch; Layer.lecun); SpeedyNetwork (forward, backward, backpropagate, train
 * on shuffled mini-batches, stopping with a UserError if the loss is no longer a number);
 * LabelledCsv, a reader of CSV files of labelled examples that checks everything it reads; an
 * optional last part, "making it fast": FastMatmul, FastSigmoid and Workers (--fast, --bench,
 * exercise 3), which Layer uses when fast is on.
 * Carried: Activation from lesson 03, unchanged; Split from lesson 07, unchanged.
 * Changed: Neuron, NeuralNetwork: lesson 04's plain versions, without lesson 08's momentum,
 * clipping and initialisers, so that step 4 compares like with like. Dataset: the features in
 * one Matrix and the labels as whole numbers (lesson 07 keeps an array per row and class names),
 * so that a batch is copied out of it row by row with System.arraycopy.
 *
 * Run: java lessons/09/Speedy.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3] [--fast] [--threads N] [--bench]
 */
public class Speedy {

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

    // Carried from earlier lessons: the per-neuron network of lesson 04, to compare with (the same
    // sums, with an object per neuron and an array per call), and lesson 03's activation functions.

    /** A neuron that remembers its last forward pass, so that it can work out its gradients. */
    static class Neuron {
        final double[] weights;
        double bias;
        final Activation activation;
        double[] inputs; // the x of the last forward pass
        double output; // the y of the last forward pass
        final double[] weightGradients; // dE/dw from the last backward pass
        double biasGradient; // dE/db, which is also dE/dz

        Neuron(double[] weights, double bias, Activation activation) {
            this.weights = weights;
            this.bias = bias;
            this.activation = activation;
            this.weightGradients = new double[weights.length];
        }

        static Neuron random(int inputs, Activation activation, Random rng) {
            double[] weights = new double[inputs];
            for (int i = 0; i < inputs; i++) weights[i] = 2 * rng.nextDouble() - 1;
            return new Neuron(weights, 2 * rng.nextDouble() - 1, activation);
        }

        /** y = f(w.x + b) */
        double forward(double[] x) {
            if (x.length != weights.length) {
                throw new IllegalArgumentException("expected " + weights.length + " inputs, got " + x.length);
            }
            double z = bias;
            for (int i = 0; i < weights.length; i++) z += weights[i] * x[i];
            inputs = x.clone();
            output = activation.apply(z);
            return output;
        }

        /**
         * Given dE/dy, stores dE/dw and dE/db and returns dE/dx, all by the chain rule:
         * dE/dz = dE/dy * f'(z), dE/dw_i = dE/dz * x_i, dE/db = dE/dz, dE/dx_i = dE/dz * w_i.
         * dE/dx uses the weights of the forward pass: call update only afterwards.
         */
        double[] backward(double outputGradient) {
            double delta = outputGradient * activation.derivative(output); // dE/dz
            double[] inputGradients = new double[weights.length];
            for (int i = 0; i < weights.length; i++) {
                weightGradients[i] = delta * inputs[i];
                inputGradients[i] = delta * weights[i];
            }
            biasGradient = delta;
            return inputGradients;
        }

        /** One step of gradient descent: move every parameter against its gradient. */
        void update(double learningRate) {
            for (int i = 0; i < weights.length; i++) weights[i] -= learningRate * weightGradients[i];
            bias -= learningRate * biasGradient;
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

    /** Layers of neurons; the last layer is the output layer. */
    static class NeuralNetwork {
        final Neuron[][] layers;

        NeuralNetwork(Neuron[][] layers) {
            this.layers = layers;
        }

        /** sizes = {inputs, hidden..., outputs}, every neuron drawn from rng. */
        static NeuralNetwork random(int[] sizes, Activation activation, Random rng) {
            Neuron[][] layers = new Neuron[sizes.length - 1][];
            for (int l = 0; l < layers.length; l++) {
                layers[l] = new Neuron[sizes[l + 1]];
                for (int j = 0; j < sizes[l + 1]; j++) layers[l][j] = Neuron.random(sizes[l], activation, rng);
            }
            return new NeuralNetwork(layers);
        }

        double[] forward(double[] x) {
            for (Neuron[] layer : layers) {
                double[] next = new double[layer.length];
                for (int j = 0; j < layer.length; j++) next[j] = layer[j].forward(x);
                x = next;
            }
            return x;
        }

        /** Passes dE/doutput back through every layer; each neuron keeps its own gradients. */
        void backward(double[] outputGradient) {
            double[] gradient = outputGradient;
            for (int l = layers.length - 1; l >= 0; l--) {
                double[] inputGradient = new double[layers[l][0].weights.length];
                for (int j = 0; j < layers[l].length; j++) {
                    double[] fromNeuron = layers[l][j].backward(gradient[j]);
                    for (int i = 0; i < inputGradient.length; i++) inputGradient[i] += fromNeuron[i]; // x_i feeds every neuron
                }
                gradient = inputGradient;
            }
        }

        void update(double learningRate) {
            for (Neuron[] layer : layers) {
                for (Neuron n : layer) n.update(learningRate);
            }
        }

        /** One step of gradient descent on one example: forward, backward, update. */
        void backpropagate(double[] x, double[] target, double learningRate) {
            backward(errorGradient(target, forward(x)));
            update(learningRate);
        }
    }

    /** dE/do = o - t */
    static double[] errorGradient(double[] target, double[] output) {
        checkSameLength(target, output);
        double[] gradient = new double[output.length];
        for (int i = 0; i < output.length; i++) gradient[i] = output[i] - target[i];
        return gradient;
    }

    static void checkSameLength(double[] target, double[] output) {
        if (target.length != output.length) {
            throw new IllegalArgumentException("expected " + output.length + " targets, got " + target.length);
        }
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/09/Speedy.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3] [--fast] [--threads N] [--bench]
              --seed N       seed of the weights, the shuffles and the digits split (default 42)
              --rate X       learning rate of every task of step 4 (default: each its own, 0.5, 0.1 and 0.01)
              --epochs N     epochs of every task of step 4 (default: each its own, 10000, 1000 and 20)
              --exercise N   run exercise N of the README instead of the lesson
              --fast         the layers use FastMatmul and FastSigmoid ("making it fast") instead of the plain loops
              --threads N    how many threads FastMatmul may split a large product between (default: all cores)
              --bench        time the plain loops, FastMatmul and the training instead (make bench)""";

    static final int BATCH = 16;

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            int exercise = (int) flags.number("--exercise", 0, 0, 3);
            FastMatmul.threads = (int) flags.number("--threads", Runtime.getRuntime().availableProcessors(), 1, 256);
            // null: every task of step 4 keeps its own rate and epochs
            Double rate = flags.has("--rate") ? flags.decimal("--rate", 0.5, 1e-6, 100) : null;
            Integer epochs = flags.has("--epochs") ? (int) flags.number("--epochs", 20, 1, 1_000_000) : null;
            if ((rate != null || epochs != null) && (exercise != 0 || flags.has("--bench"))) {
                throw new UserError("--rate and --epochs set step 4 of the lesson; the exercises and --bench keep their own");
            }
            fast = flags.has("--fast");
            if (flags.has("--bench")) {
                bench(seed);
                return;
            }
            switch (exercise) {
                case 1 -> exerciseBatchSizes(seed);
                case 2 -> exerciseLoopOrder(seed);
                case 3 -> exerciseTricks(seed);
                default -> lesson(seed, rate, epochs);
            }
        } catch (UserError e) {
            System.err.println("Speedy: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(long seed, Double rate, Integer epochs) {
        System.out.println("Lesson 09: the speedy network, a layer is a matrix and a batch is a matrix");
        oneLayerOneBatch();
        sameAsPerNeuron(new Random(seed));
        gradientChecks(new Random(seed));
        Chart chart = perNeuronVersusSpeedy(seed, rate, epochs);
        System.out.println("   plot: " + chart.save("09-per-neuron-vs-speedy.png"));
    }

    /** Step 1: a 3-input, 2-neuron layer on a batch of two examples, by hand and as a product. */
    static void oneLayerOneBatch() {
        System.out.println("\n1. One layer, a whole batch: Z = X.W + b, A = sigmoid(Z)");
        Layer layer = new Layer(3, 2, Activation.SIGMOID);
        System.arraycopy(new double[] {0.2, -0.5, 0.4, 0.1, -0.3, 0.8}, 0, layer.weights.data, 0, 6);
        layer.biases[0] = 0.1;
        layer.biases[1] = -0.2;
        Matrix x = new Matrix(2, 3);
        System.arraycopy(new double[] {1, 2, 3, 0, -1, 0.5}, 0, x.data, 0, 6);
        print("X (one example per row)", x);
        print("W (column j = the weights of neuron j)", layer.weights);
        System.out.printf("   b = [%.1f, %.1f]%n", layer.biases[0], layer.biases[1]);
        double z00 = 1 * 0.2 + 2 * 0.4 + 3 * -0.3 + 0.1;
        System.out.printf("   Z(0,0) = 1*0.2 + 2*0.4 + 3*(-0.3) + 0.1 = %.2f: row 0 of X times column 0 of W, plus b0%n", z00);
        Matrix a = layer.forward(x);
        print("A = sigmoid(X.W + b), one output row per example", a);
        System.out.printf("   sigmoid(%.2f) = %.6f = A(0,0)%n", z00, Activation.SIGMOID.apply(z00));
    }

    static void print(String name, Matrix m) {
        System.out.println("   " + name + ", " + m.shape() + ":");
        for (int r = 0; r < m.rows; r++) {
            StringBuilder line = new StringBuilder("     [");
            for (int c = 0; c < m.cols; c++) line.append(String.format(c == 0 ? "%9.6f" : ", %9.6f", m.get(r, c)));
            System.out.println(line.append(']'));
        }
    }

    /** Step 2: the speedy and the per-neuron network, from the same weights, take the same step. */
    static void sameAsPerNeuron(Random rng) {
        System.out.println("\n2. The same network, two ways: one step on one example, 64-32-10, learning rate 0.5");
        SpeedyNetwork speedy = SpeedyNetwork.lecun(new int[] {64, 32, 10}, rng);
        NeuralNetwork neurons = perNeuronCopy(speedy);
        Matrix x = random(1, 64, rng), t = new Matrix(1, 10);
        t.data[3] = 1;
        double outputGap = maxGap(speedy.forward(x).data, neurons.forward(row(x, 0)));
        speedy.backpropagate(x, t, 0.5);
        neurons.backpropagate(row(x, 0), row(t, 0), 0.5);
        double weightGap = weightGap(speedy, neurons);
        System.out.printf("   largest difference in the 10 outputs before the step:   %.1e%n", outputGap);
        System.out.printf("   largest difference in the %d weights and biases after: %.1e%n", parameterCount(speedy), weightGap);
        System.out.println(Math.max(outputGap, weightGap) < 1e-12
                ? "   Both below 1e-12: the same arithmetic in another order, equal up to rounding."
                : "   A difference above 1e-12 is more than rounding: the two networks do not compute the same thing.");
    }

    /** The per-neuron network with the same weights: neuron j of layer l gets column j of W and bias j. */
    static NeuralNetwork perNeuronCopy(SpeedyNetwork net) {
        Neuron[][] layers = new Neuron[net.layers.length][];
        for (int l = 0; l < layers.length; l++) {
            Layer layer = net.layers[l];
            layers[l] = new Neuron[layer.outputs];
            for (int j = 0; j < layer.outputs; j++) {
                double[] w = new double[layer.inputs];
                for (int i = 0; i < layer.inputs; i++) w[i] = layer.weights.get(i, j);
                layers[l][j] = new Neuron(w, layer.biases[j], layer.activation);
            }
        }
        return new NeuralNetwork(layers);
    }

    static double[] row(Matrix m, int r) {
        return Arrays.copyOfRange(m.data, r * m.cols, (r + 1) * m.cols);
    }

    /** A rows x cols matrix of numbers drawn uniformly from [-1, 1). */
    static Matrix random(int rows, int cols, Random rng) {
        Matrix m = new Matrix(rows, cols);
        for (int i = 0; i < m.data.length; i++) m.data[i] = 2 * rng.nextDouble() - 1;
        return m;
    }

    static int parameterCount(SpeedyNetwork net) {
        int count = 0;
        for (Layer layer : net.layers) count += layer.weights.data.length + layer.biases.length;
        return count;
    }

    static double maxGap(double[] a, double[] b) {
        double gap = 0;
        for (int i = 0; i < a.length; i++) gap = Math.max(gap, Math.abs(a[i] - b[i]));
        return gap;
    }

    /** The largest difference between a weight or bias of the speedy network and the same one in the other. */
    static double weightGap(SpeedyNetwork speedy, NeuralNetwork neurons) {
        double gap = 0;
        for (int l = 0; l < speedy.layers.length; l++) {
            Layer layer = speedy.layers[l];
            for (int j = 0; j < layer.outputs; j++) {
                Neuron n = neurons.layers[l][j];
                gap = Math.max(gap, Math.abs(layer.biases[j] - n.bias));
                for (int i = 0; i < layer.inputs; i++) gap = Math.max(gap, Math.abs(layer.weights.get(i, j) - n.weights[i]));
            }
        }
        return gap;
    }

    /** Step 3: dW and db from backward against central differences of E, for batches of 1, 4 and 16. */
    static void gradientChecks(Random rng) {
        System.out.println("\n3. Gradient check of the batched backward pass, 5-4-3 network, E = 1/2 sum over the batch");
        double worst = 0;
        for (int rows : new int[] {1, 4, 16}) {
            SpeedyNetwork net = SpeedyNetwork.lecun(new int[] {5, 4, 3}, rng);
            Matrix x = random(rows, 5, rng), t = random(rows, 3, rng);
            double gap = gradientCheck(net, x, t);
            worst = Math.max(worst, gap);
            System.out.printf("   batch of %2d: largest relative gap between backward and (E(w+h) - E(w-h))/2h: %.1e%n", rows, gap);
        }
        System.out.println(worst < 1e-6
                ? "   All below 1e-6: the four formulas give the slopes that nudging each weight measures."
                : "   A gap above 1e-6: the backward pass does not compute the slope of E.");
    }

    /** The largest relative difference between backward's dE/dW, dE/db and central differences. */
    static double gradientCheck(SpeedyNetwork net, Matrix x, Matrix t) {
        net.forward(x);
        net.backward(t);
        double worst = 0, h = 1e-5;
        for (Layer layer : net.layers) {
            double[][] params = {layer.weights.data, layer.biases};
            double[][] grads = {layer.weightGradients.data.clone(), layer.biasGradients.clone()};
            for (int p = 0; p < 2; p++) {
                for (int i = 0; i < params[p].length; i++) {
                    double keep = params[p][i];
                    params[p][i] = keep + h;
                    double up = error(net, x, t);
                    params[p][i] = keep - h;
                    double down = error(net, x, t);
                    params[p][i] = keep;
                    double numeric = (up - down) / (2 * h);
                    worst = Math.max(worst, Math.abs(numeric - grads[p][i]) / Math.max(1e-8, Math.abs(numeric) + Math.abs(grads[p][i])));
                }
            }
        }
        return worst;
    }

    /** E = 1/2 sum over the batch of sum (t - o)^2. */
    static double error(SpeedyNetwork net, Matrix x, Matrix t) {
        Matrix o = net.forward(x);
        double sum = 0;
        for (int i = 0; i < o.rows * o.cols; i++) sum += (t.data[i] - o.data[i]) * (t.data[i] - o.data[i]);
        return sum / 2;
    }

    /** A task of the tutorial: data, layer sizes, epochs and learning rate. */
    record Task(String name, Matrix x, Matrix t, int[] sizes, int epochs, double learningRate) {
        int parameters() {
            int count = 0;
            for (int l = 0; l + 1 < sizes.length; l++) count += (sizes[l] + 1) * sizes[l + 1];
            return count;
        }
    }

    /** The tutorial's three tasks, each with its own epochs and rate unless rate or epochs (when not null) set them all. */
    static List<Task> tutorialTasks(Random rng, Double rate, Integer epochs) {
        Path data = courseDir().resolve("datasets");
        Matrix xorX = new Matrix(4, 2), xorT = new Matrix(4, 1);
        System.arraycopy(new double[] {0, 0, 0, 1, 1, 0, 1, 1}, 0, xorX.data, 0, 8);
        System.arraycopy(new double[] {0, 1, 1, 0}, 0, xorT.data, 0, 4);
        Dataset iris = IRIS.read(data.resolve("iris.csv"));
        Dataset digits = split(DIGITS.read(data.resolve("digits.csv.gz")), rng).train();
        List<Task> tasks = List.of(
                new Task("XOR 2-2-1", xorX, xorT, new int[] {2, 2, 1}, 10000, 0.5),
                new Task("Iris 4-4-3", standardise(iris.x()), iris.oneHot(), new int[] {4, 4, 3}, 1000, 0.1),
                new Task("digits 64-32-10", digits.x(), digits.oneHot(), new int[] {64, 32, 10}, 20, 0.01));
        return tasks.stream().map(t -> new Task(t.name(), t.x(), t.t(), t.sizes(), epochs != null ? epochs : t.epochs(),
                rate != null ? rate : t.learningRate())).toList();
    }

    /**
     * The per-neuron network's training, as in the tutorial: every epoch a new order, one step
     * per example. Returns each epoch's MSE; seconds[e] = the time from the start to the end of epoch e + 1.
     */
    static double[] trainPerNeuron(NeuralNetwork net, Matrix inputs, Matrix targets, int epochs, double learningRate,
            Random rng, double[] seconds) {
        long begin = System.nanoTime();
        int n = inputs.rows;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        double[] history = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++) {
            shuffle(order, rng);
            double squares = 0;
            for (int r : order) {
                double[] x = row(inputs, r), t = row(targets, r), o = net.forward(x);
                for (int k = 0; k < o.length; k++) squares += (t[k] - o[k]) * (t[k] - o[k]);
                net.backward(errorGradient(t, o));
                net.update(learningRate);
            }
            history[epoch] = squares / ((double) n * targets.cols);
            stopIfDiverged(history[epoch], epoch + 1, learningRate);
            seconds[epoch] = (System.nanoTime() - begin) / 1e9;
        }
        return history;
    }

    /**
     * Step 4, the tutorial's exercise 7: both networks, from the same starting weights and in the
     * same shuffled order, on the same tasks for the same epochs. Returns the digits task's MSE
     * against time as a chart.
     */
    static Chart perNeuronVersusSpeedy(long seed, Double rate, Integer epochs) {
        System.out.println("\n4. Per-neuron against speedy (batches of " + BATCH + ", " + (fast ? "FastMatmul" : "plain loops")
                + "), same start, same epochs (the tutorial's exercise 7)");
        Random rng = new Random(seed);
        List<Task> tasks = tutorialTasks(rng, rate, epochs);
        if (fast) FastMatmul.warmUp();
        System.out.println("   task              params   epochs   rate   MSE per-neuron   MSE speedy   per-neuron    speedy   speed-up");
        Chart chart = null;
        double[] speedUp = new double[tasks.size()], lossRatio = new double[tasks.size()];
        List<String> rose = new ArrayList<>(); // the tasks whose MSE ended above where it started, in both networks
        for (int k = 0; k < tasks.size(); k++) {
            Task task = tasks.get(k);
            int last = task.epochs() - 1;
            SpeedyNetwork speedy = SpeedyNetwork.lecun(task.sizes(), rng);
            NeuralNetwork neurons = perNeuronCopy(speedy);
            double startLoss = 2 * error(speedy, task.x(), task.t()) / task.t().data.length;
            double[] neuronSeconds = new double[task.epochs()], speedySeconds = new double[task.epochs()];
            long seedOfOrder = rng.nextLong();
            double[] neuronLoss = trainPerNeuron(neurons, task.x(), task.t(), task.epochs(), task.learningRate(), new Random(seedOfOrder), neuronSeconds);
            double[] speedyLoss = speedy.train(task.x(), task.t(), task.epochs(), BATCH, task.learningRate(), new Random(seedOfOrder), speedySeconds);
            speedUp[k] = neuronSeconds[last] / speedySeconds[last];
            lossRatio[k] = Math.max(neuronLoss[last], speedyLoss[last]) / Math.min(neuronLoss[last], speedyLoss[last]);
            if (Math.min(neuronLoss[last], speedyLoss[last]) >= startLoss) rose.add(task.name());
            System.out.printf("   %-17s %6d   %6d   %4s   %14.4f   %10.4f   %8.3f s  %6.3f s   %6.1fx%n", task.name(), task.parameters(), task.epochs(),
                    task.learningRate(), neuronLoss[last], speedyLoss[last], neuronSeconds[last], speedySeconds[last], speedUp[k]);
            if (k == tasks.size() - 1) {
                chart = new Chart("Digits, " + task.epochs() + " epochs: MSE against wall-clock time", "seconds", "MSE of the epoch");
                chart.add("per-neuron, one example at a time", withStart(0, neuronSeconds), withStart(startLoss, neuronLoss), Chart.Style.LINE);
                chart.add("speedy, batches of " + BATCH, withStart(0, speedySeconds), withStart(startLoss, speedyLoss), Chart.Style.LINE);
                chart.yRange = new double[] {0, Math.ceil(startLoss * 50) / 50};
            }
        }
        System.out.println("   (MSE of the last epoch; the times are this run's and change from run to run)");
        int worst = 0, slowest = 0, fastest = 0;
        for (int k = 1; k < tasks.size(); k++) {
            if (lossRatio[k] > lossRatio[worst]) worst = k;
            if (speedUp[k] < speedUp[slowest]) slowest = k;
            if (speedUp[k] > speedUp[fastest]) fastest = k;
        }
        if (!rose.isEmpty()) {
            System.out.println("   The MSE of " + String.join(" and ", rose) + " ended above where it started, in both networks: steps");
            System.out.println("   that large overshoot and push the sigmoids flat, where their slopes vanish; try a smaller --rate.");
        } else {
            System.out.printf(lossRatio[worst] < 1.25
                    ? "   Per epoch both learned about as much: the final MSEs differ by at most %.0f%% (%s).%n"
                    : "   The final MSEs differ by up to %.0f%% (%s): batch steps take another path downhill than single steps.%n",
                    100 * (lossRatio[worst] - 1), tasks.get(worst).name());
        }
        System.out.printf("   The batched network gained most on %s (%d parameters, %.1fx) and least on %s (%d parameters, %.1fx)%s.%n",
                tasks.get(fastest).name(), tasks.get(fastest).parameters(), speedUp[fastest],
                tasks.get(slowest).name(), tasks.get(slowest).parameters(), speedUp[slowest],
                speedUp[slowest] < 1 ? ", where it was slower: its matrices are too small to pay for the bookkeeping" : "");
        return chart;
    }

    /** [first, rest...]: puts the starting point in front of a curve. */
    static double[] withStart(double first, double[] rest) {
        double[] out = new double[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    static double accuracy(SpeedyNetwork net, Dataset data) {
        Matrix o = net.forward(data.x());
        int correct = 0;
        for (int r = 0; r < o.rows; r++) {
            int best = 0;
            for (int c = 1; c < o.cols; c++) if (o.get(r, c) > o.get(r, best)) best = c;
            if (best == data.labels()[r]) correct++;
        }
        return correct / (double) o.rows;
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: the batch size trades steps per epoch against time per step. */
    static void exerciseBatchSizes(long seed) {
        System.out.println("Exercise 1: digits 64-32-10, 100 epochs, learning rate 0.01, different batch sizes"
                + (fast ? " (FastMatmul)" : ""));
        Random rng = new Random(seed);
        Split split = split(DIGITS.read(courseDir().resolve("datasets").resolve("digits.csv.gz")), rng);
        if (fast) FastMatmul.warmUp();
        int[] batches = {1, 4, 16, 64, 256};
        double[] accuracy = new double[batches.length], loss = new double[batches.length], time = new double[batches.length];
        System.out.println("   batch   steps per epoch   test accuracy   MSE of epoch 100   time");
        for (int b = 0; b < batches.length; b++) {
            SpeedyNetwork net = SpeedyNetwork.lecun(new int[] {64, 32, 10}, new Random(seed));
            double[] seconds = new double[100];
            loss[b] = net.train(split.train().x(), split.train().oneHot(), 100, batches[b], 0.01, new Random(seed), seconds)[99];
            accuracy[b] = accuracy(net, split.test());
            time[b] = seconds[99];
            System.out.printf("   %5d   %15d   %12.1f%%   %16.5f   %.2f s%n", batches[b], (split.train().size() + batches[b] - 1) / batches[b],
                    100 * accuracy[b], loss[b], time[b]);
        }
        int best = 0, quickest = 0;
        for (int b = 1; b < batches.length; b++) {
            if (accuracy[b] > accuracy[best]) best = b;
            if (time[b] < time[quickest]) quickest = b;
        }
        System.out.printf("   Highest test accuracy: batch %d (%.1f%%). Quickest: batch %d, %.1f times quicker than batch 1.%n",
                batches[best], 100 * accuracy[best], batches[quickest], time[0] / time[quickest]);
        System.out.printf("   The MSE after 100 epochs ranges from %.5f to %.5f: dW sums over the batch, so one step%n",
                Arrays.stream(loss).min().orElseThrow(), Arrays.stream(loss).max().orElseThrow());
        System.out.println("   on B examples moves the weights about as far as B single steps, until the steps get few and large.");
    }

    /** Exercise 2: the same product in the textbook order and in the lesson's order. */
    static void exerciseLoopOrder(long seed) {
        boolean superWord = !ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:-UseSuperWord");
        System.out.println("Exercise 2: 128x784 times 784x256, one thread, two loop orders"
                + (superWord ? "" : " (-XX:-UseSuperWord: the JIT's vectoriser is off)"));
        Random rng = new Random(seed);
        Matrix a = random(128, 784, rng), b = random(784, 256, rng), c = new Matrix(128, 256);
        fast = false;
        double flops = 2.0 * 128 * 784 * 256;
        double ijk = gflops(() -> multiplyIjk(a, b, c), flops);
        double ikj = gflops(() -> multiply(a, b, c), flops);
        double[] sums = new double[256], row = Arrays.copyOf(b.data, 256);
        double control = gflops(() -> addScaledRow(sums, row, 1e-9, 128 * 784), flops);
        System.out.printf("   %-66s %5.1f GFLOP/s%n", "i-j-k, a dot product per element (walks down B's columns):", ijk);
        System.out.printf("   %-66s %5.1f GFLOP/s%n", "i-k-j, the lesson's multiply (walks along B's rows):", ikj);
        System.out.printf("   %-66s %5.1f GFLOP/s%n", "control: sums[j] += a * row[j], two arrays indexed by plain j:", control);
        System.out.printf("   i-k-j ran %.1f times as fast as i-j-k: the same sums, read in the order memory holds them.%n", ikj / ijk);
        if (superWord) {
            System.out.println("   Which loops use vector instructions? Run java -XX:-UseSuperWord lessons/09/Speedy.java --exercise 2:");
            System.out.println("   the loops that get slower without the JIT's vectoriser were using it.");
        }
    }

    /** Exercise 3: the digits network's products and sigmoids, with each of the kernels that could do them. */
    static void exerciseTricks(long seed) {
        boolean superWord = !ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:-UseSuperWord");
        System.out.println("Exercise 3: the digits network's work, done by each kernel, one thread"
                + (superWord ? "" : " (-XX:-UseSuperWord: the JIT's vectoriser is off)"));
        Random rng = new Random(seed);
        Matrix a = random(16, 64, rng), b = random(64, 32, rng), c = new Matrix(16, 32);
        double flops = 2.0 * 16 * 64 * 32;
        fast = false;
        double plain = gflops(() -> multiply(a, b, c), flops);
        double registers = gflops(() -> FastMatmul.multiplySmall(a.data, b.data, c.data, 16, 64, 32), flops);
        double narrow = gflops(() -> FastMatmul.multiplyNarrow(a, false, b, c), flops);
        System.out.println("   16x64x32, C = A.B, the first layer's forward product:");
        System.out.printf("   %-66s %5.1f GFLOP/s%n", "plain i-k-j multiply", plain);
        System.out.printf("   %-66s %5.1f GFLOP/s%n", "multiplySmall: a 4 x 4 block of C in 16 local variables", registers);
        System.out.printf("   %-66s %5.1f GFLOP/s%n", "multiplyNarrow: vector loops to 32, 4 rows x 3 k per round", narrow);
        Matrix dz = random(16, 32, rng), dw = new Matrix(64, 32), xt = new Matrix(64, 16);
        double copied = gflops(() -> {
            transpose(a, xt);
            FastMatmul.multiplyNarrow(xt, false, dz, dw);
        }, flops);
        double inPlace = gflops(() -> FastMatmul.multiplyNarrow(a, true, dz, dw), flops);
        System.out.println("   64x16x32, dW = X^T.dZ, the first layer's weight gradients:");
        System.out.printf("   %-66s %5.1f GFLOP/s%n", "transpose X, then multiplyNarrow", copied);
        System.out.printf("   %-66s %5.1f GFLOP/s%n", "multiplyNarrow reading X^T in place", inPlace);
        Matrix z = random(16, 32, rng), out = new Matrix(16, 32);
        double[] biases = new double[32];
        // gflops counts operations per nanosecond; with one "operation" per sigmoid, 1 / rate is nanoseconds per sigmoid
        double exp = 1 / gflops(() -> {
            for (int i = 0; i < 512; i++) out.data[i] = Activation.SIGMOID.apply(10 * z.data[i]);
        }, 512);
        double poly = 1 / gflops(() -> {
            for (int i = 0; i < 512; i++) out.data[i] = 10 * z.data[i];
            FastSigmoid.apply(out, biases);
        }, 512);
        System.out.printf("   the sigmoid of 16x32 values: 1 / (1 + Math.exp(-z)) %.1f ns each, FastSigmoid %.1f ns each%n", exp, poly);
        System.out.printf("   multiplyNarrow ran %.1f times as fast as the plain loop and %.1f times as fast as multiplySmall;%n",
                narrow / plain, narrow / registers);
        System.out.printf("   reading X^T in place took %.0f%% of the time of transpose-then-multiply; FastSigmoid %.0f%% of Math.exp's.%n",
                100 * copied / inPlace, 100 * poly / exp);
        if (superWord) {
            System.out.println("   Which of them use vector instructions? Run java -XX:-UseSuperWord lessons/09/Speedy.java --exercise 3.");
        }
    }

    /** The inner loop of i-k-j, sums[j] += a * row[j], repeated, on two arrays of their own: as many multiply-adds as the product. */
    static void addScaledRow(double[] sums, double[] row, double a, int times) {
        for (int t = 0; t < times; t++) {
            for (int j = 0; j < sums.length; j++) sums[j] += a * row[j];
        }
    }

    /** C = A.B in the textbook order: C(i,j) = sum over k of A(i,k) B(k,j). */
    static void multiplyIjk(Matrix a, Matrix b, Matrix c) {
        checkShapes(a, b, c);
        for (int i = 0; i < a.rows; i++) {
            for (int j = 0; j < b.cols; j++) {
                double sum = 0;
                for (int k = 0; k < a.cols; k++) sum += a.data[i * a.cols + k] * b.data[k * b.cols + j];
                c.data[i * b.cols + j] = sum;
            }
        }
    }

    /**
     * The speed of `product`, which does `flops` floating-point operations, in GFLOP/s: the median
     * of 7 timings, each at least 0.1 GFLOP of work, long enough to measure, after half a second
     * of warming up, long enough for the JIT to compile the loops, also while it is busy
     * compiling the lesson itself (java Speedy.java runs the compiler, javac, in the same JVM).
     */
    static double gflops(Runnable product, double flops) {
        int reps = (int) Math.max(1, 1e8 / flops);
        for (long start = System.nanoTime(); System.nanoTime() - start < 500_000_000; ) product.run();
        double[] rates = new double[7];
        for (int run = 0; run < rates.length; run++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) product.run();
            rates[run] = flops * reps / (System.nanoTime() - t0);
        }
        return median(rates);
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

    /**
     * make bench: the products of the digits network and three large ones, plain loop against
     * FastMatmul, then training, per neuron against speedy, plain against the fast path. Every
     * figure is a median after warming up; the README quotes them.
     */
    static void bench(long seed) {
        int threads = FastMatmul.threads;
        System.out.println("Benchmark: " + processor() + ", " + Runtime.getRuntime().availableProcessors() + " cores, Java "
                + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + "), FastMatmul on up to " + threads + " thread(s)");
        System.out.println("   products: GFLOP/s, the median of 7 timings after warming up; training: the median of 3 runs after one to warm up");
        FastMatmul.warmUp();
        Random rng = new Random(seed);
        System.out.printf("%n   %-13s %-34s %9s %11s %7s%n", "C = A.B", "", "plain", "FastMatmul", "ratio");
        int[][] small = {{16, 64, 32}, {64, 16, 32}, {16, 10, 32}, {16, 32, 10}, {32, 16, 10}};
        String[] roles = {"layer 1 forward, X.W", "layer 1 dW = X^T.dZ", "layer 2 dX = dZ.W^T", "layer 2 forward", "layer 2 dW"};
        double[] narrow = new double[small.length];
        for (int s = 0; s < small.length; s++) {
            int[] shape = small[s];
            Matrix a = random(shape[0], shape[1], rng), b = random(shape[1], shape[2], rng), c = new Matrix(shape[0], shape[2]);
            double plain = gflops(a, b, c, false, 1);
            narrow[s] = gflops(a, b, c, true, 1);
            System.out.printf("   %-13s %-34s %9.1f %11.1f %6.1fx%n", shape[0] + "x" + shape[1] + "x" + shape[2],
                    "(digits, " + roles[s] + ")", plain, narrow[s], narrow[s] / plain);
        }
        System.out.printf("%n   %-13s %9s %13s %13s %7s  %s%n", "C = A.B", "plain", "FastMatmul 1", "FastMatmul " + threads, "gain",
                "same with 1 and " + threads);
        int[][] large = {{64, 784, 128}, {128, 784, 256}, {256, 784, 512}};
        double[] threadGain = new double[large.length];
        for (int s = 0; s < large.length; s++) {
            int[] shape = large[s];
            Matrix a = random(shape[0], shape[1], rng), b = random(shape[1], shape[2], rng);
            Matrix one = new Matrix(shape[0], shape[2]), many = new Matrix(shape[0], shape[2]);
            double plain = gflops(a, b, one, false, 1), single = gflops(a, b, one, true, 1), split = gflops(a, b, many, true, threads);
            threadGain[s] = split / single;
            System.out.printf("   %-13s %9.1f %13.1f %13.1f %6.2fx  %s%n", shape[0] + "x" + shape[1] + "x" + shape[2], plain, single, split,
                    threadGain[s], Arrays.equals(one.data, many.data));
        }
        FastMatmul.threads = threads;

        Dataset train = split(DIGITS.read(courseDir().resolve("datasets").resolve("digits.csv.gz")), new Random(seed)).train();
        Matrix targets = train.oneHot();
        double neuron = median(benchTraining(train.x(), targets, seed, 20, null)), plain20 = median(benchTraining(train.x(), targets, seed, 20, false));
        double fast20 = median(benchTraining(train.x(), targets, seed, 20, true));
        System.out.printf("%n   digits 64-32-10, 20 epochs:   per-neuron %6.2f s   speedy, plain loops %6.2f s   fast path %6.2f s%n",
                neuron, plain20, fast20);
        double plain = median(benchTraining(train.x(), targets, seed, 3000, false)), quick = median(benchTraining(train.x(), targets, seed, 3000, true));
        System.out.printf("   digits 64-32-10, 3000 epochs (the tutorial's run):   plain loops %6.2f s   fast path %6.2f s%n", plain, quick);

        double worst = Arrays.stream(narrow).min().orElseThrow();
        System.out.printf("%n   The digits network's products ran at %.1f to %.1f GFLOP/s with FastMatmul;%n", worst,
                Arrays.stream(narrow).max().orElseThrow());
        if (threads > 1) {
            System.out.printf("   %d threads ran the large products %.2f to %.2f times as fast as one.%n", threads,
                    Arrays.stream(threadGain).min().orElseThrow(), Arrays.stream(threadGain).max().orElseThrow());
        }
        System.out.printf("   In training, the speedy network with plain loops was %.1f times as fast as the per-neuron one,%n", neuron / plain20);
        System.out.printf("   and the fast path %.1f times as fast again over the tutorial's 3000 epochs.%n", plain / quick);
    }

    /**
     * Seconds to train the digits network for `epochs`, three times after one run to warm up:
     * per neuron (fast null), speedy with the plain loops (false) or with the fast path (true).
     */
    static double[] benchTraining(Matrix x, Matrix targets, long seed, int epochs, Boolean fastPath) {
        double[] runs = new double[3];
        for (int run = -1; run < runs.length; run++) {
            double[] seconds = new double[epochs];
            SpeedyNetwork net = SpeedyNetwork.lecun(new int[] {64, 32, 10}, new Random(seed));
            if (fastPath == null) {
                trainPerNeuron(perNeuronCopy(net), x, targets, epochs, 0.01, new Random(seed), seconds);
            } else {
                fast = fastPath;
                net.train(x, targets, epochs, BATCH, 0.01, new Random(seed), seconds);
                fast = false;
            }
            if (run >= 0) runs[run] = seconds[epochs - 1];
        }
        return runs;
    }

    /** The processor's name, as Linux tells it, else the architecture. */
    static String processor() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: fall through
        }
        return System.getProperty("os.arch");
    }

    /** GFLOP/s of C = A.B with the plain loop (kernel false) or FastMatmul on `threads` threads. */
    static double gflops(Matrix a, Matrix b, Matrix c, boolean kernel, int threads) {
        fast = kernel;
        FastMatmul.threads = threads;
        double rate = gflops(() -> multiply(a, b, c), 2.0 * a.rows * a.cols * b.cols);
        fast = false;
        return rate;
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

    /** The course's two files of labelled examples that this lesson reads. */
    static final LabelledCsv IRIS = new LabelledCsv("datasets/iris.csv", 4, 0, 100, false, 3, true);
    static final LabelledCsv DIGITS = new LabelledCsv("datasets/digits.csv.gz", 64, 0, 16, true, 10, false);

    record Split(Dataset train, Dataset test) {}

    /** A seeded shuffle, then 20% (rounded up) to test on and the rest to train on. */
    static Split split(Dataset data, Random rng) {
        int n = data.size(), testSize = (int) Math.ceil(n * 0.2);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        shuffle(order, rng);
        return new Split(data.rows(Arrays.copyOfRange(order, testSize, n)), data.rows(Arrays.copyOfRange(order, 0, testSize)));
    }

    /** Each column to mean 0 and standard deviation 1 (for Iris, whose columns have different scales). */
    static Matrix standardise(Matrix x) {
        Matrix out = new Matrix(x.rows, x.cols);
        for (int c = 0; c < x.cols; c++) {
            double mean = 0, var = 0;
            for (int r = 0; r < x.rows; r++) mean += x.get(r, c) / x.rows;
            for (int r = 0; r < x.rows; r++) var += (x.get(r, c) - mean) * (x.get(r, c) - mean) / x.rows;
            double std = Math.sqrt(var) > 0 ? Math.sqrt(var) : 1;
            for (int r = 0; r < x.rows; r++) out.data[r * x.cols + c] = (x.get(r, c) - mean) / std;
        }
        return out;
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
