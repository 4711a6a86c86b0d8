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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Lesson 09: the speedy network.
 *
 * A layer of neurons is one matrix: weight (i, j) joins input i to neuron j. A mini-batch of
 * inputs is one matrix too, one example per row, so a whole layer works on a whole batch with
 * one matrix product, Z = X.W + b, and backpropagation is three more products. Stored as flat
 * arrays and multiplied in the right loop order, that runs many times faster than an object
 * per neuron.
 *
 * Run: java lessons/09/Speedy.java [--seed N] [--threads N] [--exercise 1|2|3] [--bench] [--readme-figures]
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

    /**
     * C = A.B, written as the loops it is, in i-k-j order: for each row i of A and each k, add
     * A(i,k) times row k of B to row i of C. The inner loop walks two rows in step, c[j] += a * b[j],
     * through memory in order. FastMatmul computes the same, 10 or more times faster.
     */
    static void multiply(Matrix a, Matrix b, Matrix c) {
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
         * of batchSize rows. Returns each epoch's mean of sum (t - o)^2 per example.
         */
        double[] train(Matrix inputs, Matrix targets, int epochs, int batchSize, double learningRate, Random rng) {
            return train(inputs, targets, epochs, batchSize, learningRate, rng, new double[epochs]);
        }

        /** The same, and seconds[epoch] = the time since the start when that epoch ended. */
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
                history[epoch] = squares / n;
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

    // ================================================================ the per-neuron network

    /** Lesson 03's neuron, copied unchanged: an object per neuron, an array per call. */
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

        /** Stores dE/dw and dE/db, returns dE/dx computed with the weights of the forward pass. */
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

        void update(double learningRate) {
            for (int i = 0; i < weights.length; i++) weights[i] -= learningRate * weightGradients[i];
            bias -= learningRate * biasGradient;
        }
    }

    /** Lesson 03's network of neurons; copyOf starts it from a speedy network's weights. */
    static class NeuralNetwork {
        final Neuron[][] layers;

        NeuralNetwork(Neuron[][] layers) {
            this.layers = layers;
        }

        /** Neuron j of layer l gets column j of that layer's W and bias j: the same network. */
        static NeuralNetwork copyOf(SpeedyNetwork net) {
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

        double[] forward(double[] x) {
            for (Neuron[] layer : layers) {
                double[] next = new double[layer.length];
                for (int j = 0; j < layer.length; j++) next[j] = layer[j].forward(x);
                x = next;
            }
            return x;
        }

        void backward(double[] outputGradient) {
            double[] gradient = outputGradient;
            for (int l = layers.length - 1; l >= 0; l--) {
                double[] inputGradient = new double[layers[l][0].weights.length];
                for (int j = 0; j < layers[l].length; j++) {
                    double[] fromNeuron = layers[l][j].backward(gradient[j]);
                    for (int i = 0; i < inputGradient.length; i++) inputGradient[i] += fromNeuron[i];
                }
                gradient = inputGradient;
            }
        }

        void update(double learningRate) {
            for (Neuron[] layer : layers) {
                for (Neuron n : layer) n.update(learningRate);
            }
        }

        /** One step on one example: forward, dE/do = o - t, backward, update. Returns sum (t - o)^2. */
        double backpropagate(double[] x, double[] target, double learningRate) {
            double[] output = forward(x), gradient = new double[output.length];
            double squares = 0;
            for (int k = 0; k < output.length; k++) {
                gradient[k] = output[k] - target[k];
                squares += gradient[k] * gradient[k];
            }
            backward(gradient);
            update(learningRate);
            return squares;
        }

        /** The tutorial's train: every epoch a new order, one example at a time. Returns each epoch's mean sum (t - o)^2. */
        double[] train(Matrix inputs, Matrix targets, int epochs, double learningRate, Random rng, double[] seconds) {
            int n = inputs.rows;
            int[] order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            double[] history = new double[epochs];
            long start = System.nanoTime();
            for (int epoch = 0; epoch < epochs; epoch++) {
                shuffle(order, rng);
                double squares = 0;
                for (int r : order) squares += backpropagate(row(inputs, r), row(targets, r), learningRate);
                history[epoch] = squares / n;
                seconds[epoch] = (System.nanoTime() - start) / 1e9;
            }
            return history;
        }
    }

    static double[] row(Matrix m, int r) {
        return Arrays.copyOfRange(m.data, r * m.cols, (r + 1) * m.cols);
    }

    // ================================================================ the fast kernel

    /**
     * Helper threads for FastMatmul. A thread pool (java.util.concurrent) wakes a waiting thread
     * through the operating system, which takes tens of microseconds, as long as a 64 x 784 by
     * 784 x 128 product takes on one core. These helpers wait by spinning on a counter instead,
     * so a task reaches them in under a microsecond. After a millisecond with nothing to do they
     * nap, so an idle helper costs almost nothing; and a thread that has spun for a while without
     * result gives its core away (Thread.yield), in case the thread it waits for needs it.
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
     * The tuned matrix product. It adds up the same products as multiply, in the same order
     * (k = 0, 1, 2, ... for every element of C), only faster, by feeding the CPU the way it likes:
     *
     * 1. Vector instructions. The JIT turns an inner loop like acc[j] = a * b[j] + acc[j] into
     *    instructions that handle 8 doubles at once (AVX-512), but only if every array in the
     *    loop is indexed by plain j (or j plus a constant): with c[i*n + j] and b[k*n + j] it
     *    cannot rule out that the two overlap. So the rows of B a pass needs are copied
     *    ("packed") into arrays of their own, and 4 rows of C are summed in one array, NB apart.
     * 2. Fewer loads and stores per multiply-add. A plain i-k-j loop loads c[j] and b[j] and
     *    stores c[j] for ONE multiply-add. Here each pass of the inner loop handles 4 rows of C
     *    and 3 rows of B: 7 loads and 4 stores for 12 multiply-adds. (JDK 17's vectoriser gives
     *    up on larger loop bodies.)
     * 3. Math.fma(a, b, c) = a*b + c in one instruction, rounded once instead of twice. So the
     *    results differ from multiply's in the last bits, and equal a loop of Math.fma exactly.
     * 4. Cache blocking: B is taken KB rows at a time, so the packed rows stay in the L2 cache
     *    while every row of A passes over them.
     * 5. Narrow products (the digits network's have 10 or 32 columns) are too short for vector
     *    loops to pay off; multiplySmall keeps a 4 x 4 block of C in CPU registers instead.
     * 6. Threads for large products: the rows of C are split between the calling thread and
     *    Workers, helper threads that wait by spinning, so handing them a part costs under a
     *    microsecond. Each element is still computed by the same sequence of operations, so the
     *    result is identical, bit for bit, for any number of threads.
     */
    static final class FastMatmul {
        static final int NB = 256; // columns of C per pass: 4 rows of 256 accumulators, 8 KB, sit in L1
        static final int KB = 132; // rows of B per packed panel: 132 x 256 doubles, 264 KB, sit in L2
        static final int SMALL = 64; // narrower products: too short for vector loops, registers win
        static final long PARALLEL_WORK = 1 << 20; // multiply-adds below which threads cost more than they save

        static int threads = Runtime.getRuntime().availableProcessors();

        /** C = A.B: Speedy.multiply's result up to rounding, identical for any number of threads. */
        static void multiply(Matrix a, Matrix b, Matrix c) {
            checkShapes(a, b, c);
            int m = a.rows;
            long work = (long) m * a.cols * b.cols;
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
         * Runs the vector kernel a few thousand times on a small product. JDK 17's JIT compiles
         * the kernel well when its first calls are short ones; when the first call is a long
         * product it sometimes compiles it from a half-finished profile, 4 times slower.
         */
        static void warmUp() {
            Random rng = new Random(1);
            Matrix a = random(8, 70, rng), b = random(70, 256, rng), c = new Matrix(8, 256);
            for (int i = 0; i < 3000; i++) multiplyRows(a, b, c, 0, 8);
        }

        /**
         * Rows [from, to) of C = A.B. One long method on purpose: JDK 17 vectorises the inner
         * loops reliably only when it can see that panel and acc belong to this call alone, that
         * is, when they are allocated right here (at most 272 KB, next to 2 MFLOP or more of work).
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

        /**
         * C = A.B for narrow B (fewer than SMALL columns), as in the digits network. Vector loops
         * over 32 or 10 columns spend most of their time getting in and out of the loop, so here
         * a 4 x 4 block of C lives in 16 local variables (CPU registers) while k runs: per k,
         * 8 loads feed 16 multiply-adds. Every element is still fma(a, b, c) over k = 0, 1, ...
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

    // ---------------------------------------------------------------- the lesson

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
        try {
            Options options = Options.parse(args);
            FastMatmul.threads = options.threads;
            if (options.bench) {
                bench(options.seed);
                return;
            }
            switch (options.exercise) {
                case 0 -> lesson(options.seed, options.readmeFigures);
                case 1 -> exerciseBatchSizes(options.seed);
                case 2 -> exerciseThreads(options.seed);
                case 3 -> exerciseLoopOrder(options.seed);
                default -> throw new UserError("there is no exercise " + options.exercise + "; try --exercise 1, 2 or 3");
            }
        } catch (UserError e) {
            System.err.println("Speedy: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(long seed, boolean readmeFigures) {
        System.out.println("Lesson 09: the speedy network, a layer is a matrix and a batch is a matrix");
        oneLayerOneBatch();
        sameAsPerNeuron(new Random(seed));
        gradientChecks(new Random(seed));
        Chart chart = perNeuronVersusSpeedy(seed);
        Path png = outDir().resolve("09-per-neuron-vs-speedy.png");
        save(chart, png);
        System.out.println("   plot: " + png);
        if (readmeFigures) save(chart, lessonDir().resolve("per-neuron-vs-speedy.png"));
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
        SpeedyNetwork speedy = SpeedyNetwork.xavier(new int[] {64, 32, 10}, rng);
        NeuralNetwork neurons = NeuralNetwork.copyOf(speedy);
        Matrix x = random(1, 64, rng), t = new Matrix(1, 10);
        t.data[3] = 1;
        double[] before = neurons.forward(row(x, 0));
        double outputGap = maxGap(speedy.forward(x).data, before);
        speedy.backpropagate(x, t, 0.5);
        neurons.backpropagate(row(x, 0), row(t, 0), 0.5);
        System.out.printf("   largest difference in the 10 outputs before the step:   %.1e%n", outputGap);
        System.out.printf("   largest difference in the %d weights and biases after: %.1e%n", parameterCount(speedy), weightGap(speedy, neurons));
        System.out.println("   The same arithmetic in a different order: they agree to rounding (about 1e-16).");
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
        for (int rows : new int[] {1, 4, 16}) {
            SpeedyNetwork net = SpeedyNetwork.xavier(new int[] {5, 4, 3}, rng);
            Matrix x = random(rows, 5, rng), t = random(rows, 3, rng);
            System.out.printf("   batch of %2d: largest relative gap between backward and (E(w+h) - E(w-h))/2h: %.1e%n",
                    rows, gradientCheck(net, x, t));
        }
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
    record Task(String name, Matrix x, Matrix t, int[] sizes, int epochs, double learningRate) {}

    static List<Task> tutorialTasks(Random rng) {
        Path data = courseRoot().resolve("datasets");
        Matrix xorX = new Matrix(4, 2), xorT = new Matrix(4, 1);
        System.arraycopy(new double[] {0, 0, 0, 1, 1, 0, 1, 1}, 0, xorX.data, 0, 8);
        System.arraycopy(new double[] {0, 1, 1, 0}, 0, xorT.data, 0, 4);
        Dataset iris = readDataset(data.resolve("iris.csv"), 4, 3, true);
        Dataset digits = split(readDataset(data.resolve("digits.csv.gz"), 64, 10, false), rng).train();
        return List.of(
                new Task("XOR 2-2-1", xorX, xorT, new int[] {2, 2, 1}, 10000, 0.5),
                new Task("Iris 4-4-3", standardise(iris.x()), iris.oneHot(), new int[] {4, 4, 3}, 1000, 0.1),
                new Task("digits 64-32-10", digits.x(), digits.oneHot(), new int[] {64, 32, 10}, 20, 0.01));
    }

    /**
     * Step 4, the tutorial's exercise 7: both networks, from the same starting weights, on the
     * same tasks for the same epochs. Returns the digits task's loss against time as a chart.
     */
    static Chart perNeuronVersusSpeedy(long seed) {
        System.out.println("\n4. Per-neuron against speedy (batches of " + BATCH + "), same start, same epochs (tutorial's exercise 7)");
        Random rng = new Random(seed);
        List<Task> tasks = tutorialTasks(rng);
        FastMatmul.warmUp();
        System.out.println("   task              epochs   loss per-neuron  loss speedy   (loss: mean sum (t - o)^2 in the last epoch)");
        Chart chart = null;
        double[][] times = new double[tasks.size()][2];
        for (int k = 0; k < tasks.size(); k++) {
            Task task = tasks.get(k);
            SpeedyNetwork speedy = SpeedyNetwork.xavier(task.sizes(), rng);
            NeuralNetwork neurons = NeuralNetwork.copyOf(speedy);
            double startLoss = 2 * error(speedy, task.x(), task.t()) / task.x().rows;
            double[] neuronSeconds = new double[task.epochs()], speedySeconds = new double[task.epochs()];
            long seedOfOrder = rng.nextLong();
            double[] neuronLoss = neurons.train(task.x(), task.t(), task.epochs(), task.learningRate(), new Random(seedOfOrder), neuronSeconds);
            double[] speedyLoss = speedy.train(task.x(), task.t(), task.epochs(), BATCH, task.learningRate(), new Random(seedOfOrder), speedySeconds);
            times[k][0] = neuronSeconds[task.epochs() - 1];
            times[k][1] = speedySeconds[task.epochs() - 1];
            System.out.printf("   %-17s %6d   %15.4f  %11.4f%n", task.name(), task.epochs(), neuronLoss[task.epochs() - 1], speedyLoss[task.epochs() - 1]);
            if (k == tasks.size() - 1) {
                chart = new Chart("Digits, " + task.epochs() + " epochs: loss against wall-clock time", "seconds", "mean sum (t - o)^2 per example");
                chart.add("per-neuron, one example at a time", withStart(0, neuronSeconds), withStart(startLoss, neuronLoss), false);
                chart.add("speedy, batches of " + BATCH, withStart(0, speedySeconds), withStart(startLoss, speedyLoss), false);
                chart.yRange(0, Math.ceil(startLoss * 5) / 5);
            }
        }
        System.out.println("   Wall times on this machine (" + Runtime.getRuntime().availableProcessors() + " cores; they change from run to run):");
        for (int k = 0; k < tasks.size(); k++) {
            System.out.printf("   time %-17s per-neuron %7.3f s   speedy %7.3f s   speed-up %5.1fx%n",
                    tasks.get(k).name(), times[k][0], times[k][1], times[k][0] / times[k][1]);
        }
        System.out.println("   dW sums over the batch, so one step on " + BATCH + " examples moves the weights about as far as");
        System.out.println("   " + BATCH + " single steps: per epoch both learn about as much, per second the speedy one wins,");
        System.out.println("   the more so the bigger the layers (XOR's 2-2-1 is too small to gain anything).");
        return chart;
    }

    /** [first, rest...]: puts the starting point in front of a curve. */
    static double[] withStart(double first, double[] rest) {
        double[] out = new double[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    static final int BATCH = 16;

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: the batch size trades steps per epoch against time per step. */
    static void exerciseBatchSizes(long seed) {
        System.out.println("Exercise 1: digits 64-32-10, 100 epochs, learning rate 0.01, different batch sizes");
        Random rng = new Random(seed);
        Split split = split(readDataset(courseRoot().resolve("datasets").resolve("digits.csv.gz"), 64, 10, false), rng);
        System.out.println("   batch   steps per epoch   test accuracy   final loss   time");
        for (int batch : new int[] {1, 4, 16, 64, 256}) {
            SpeedyNetwork net = SpeedyNetwork.xavier(new int[] {64, 32, 10}, new Random(seed));
            double[] seconds = new double[100];
            double[] loss = net.train(split.train().x(), split.train().oneHot(), 100, batch, 0.01, new Random(seed), seconds);
            System.out.printf("   %5d   %15d   %12.1f%%   %10.4f   %.2f s%n", batch, (split.train().size() + batch - 1) / batch,
                    100 * accuracy(net, split.test()), loss[99], seconds[99]);
        }
        System.out.println("   dW sums over the batch, so a batch of 16 moves the weights about as far as 16 single");
        System.out.println("   steps would, in one step: bigger batches are faster per epoch until the steps get too");
        System.out.println("   few; with this learning rate, 16 keeps the accuracy of batch 1 at a fraction of the time.");
    }

    /** Exercise 2: threads split the rows of C; the product is identical, bit for bit. */
    static void exerciseThreads(long seed) {
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.println("Exercise 2: 256x784 times 784x512 with 1 to " + Math.max(2, cores) + " threads (this machine has " + cores + " cores)");
        Random rng = new Random(seed);
        Matrix a = random(256, 784, rng), b = random(784, 512, rng);
        FastMatmul.warmUp();
        Matrix first = null;
        for (int threads = 1; threads <= Math.max(2, cores); threads++) {
            FastMatmul.threads = threads;
            Matrix c = new Matrix(256, 512);
            double[] seconds = new double[5];
            for (int run = 0; run < seconds.length; run++) {
                long t0 = System.nanoTime();
                FastMatmul.multiply(a, b, c);
                seconds[run] = (System.nanoTime() - t0) / 1e9;
            }
            if (first == null) first = c;
            System.out.printf("   threads %d: %6.2f ms, %5.1f GFLOP/s, identical to 1 thread: %s%n", threads, 1000 * median(seconds),
                    2.0 * 256 * 784 * 512 / median(seconds) / 1e9, Arrays.equals(first.data, c.data));
        }
        System.out.println("   Each thread computes whole rows of C with the same sequence of operations, so the");
        System.out.println("   numbers cannot depend on how many threads there are. The time can: a thread only helps");
        System.out.println("   when it finds a core that nothing else is using.");
    }

    /** Exercise 3: the same product in three loop orders. */
    static void exerciseLoopOrder(long seed) {
        System.out.println("Exercise 3: 128x784 times 784x256, one thread, three ways");
        Random rng = new Random(seed);
        Matrix a = random(128, 784, rng), b = random(784, 256, rng), c = new Matrix(128, 256);
        FastMatmul.threads = 1;
        FastMatmul.warmUp();
        double flops = 2.0 * 128 * 784 * 256;
        System.out.printf("   %-58s %5.1f GFLOP/s%n", "i-j-k, a dot product per element (walks down B's columns):", flops / seconds(() -> multiplyIjk(a, b, c)) / 1e9);
        System.out.printf("   %-58s %5.1f GFLOP/s%n", "i-k-j, Speedy.multiply (walks along B's rows):", flops / seconds(() -> multiply(a, b, c)) / 1e9);
        System.out.printf("   %-58s %5.1f GFLOP/s%n", "FastMatmul (4 rows x 3 k per pass, packed, blocked):", flops / seconds(() -> FastMatmul.multiply(a, b, c)) / 1e9);
        System.out.println("   i-j-k reads B down a column, 256 doubles apart: nearly every read misses the nearest cache.");
        System.out.println("   i-k-j reads B and C along their rows, in the order they lie in memory. The JIT still");
        System.out.println("   does not vectorise it: c[i*n + j] and b[k*n + j] are two arrays at two offsets that might");
        System.out.println("   overlap, for all it can tell. FastMatmul gives each row it streams an array of its own,");
        System.out.println("   indexed by plain j, which the vectoriser accepts, and does 12 multiply-adds per 7 loads.");
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

    /** The median time of 5 runs, after 2 to warm up. */
    static double seconds(Runnable work) {
        double[] times = new double[7];
        for (int run = 0; run < times.length; run++) {
            long t0 = System.nanoTime();
            work.run();
            times[run] = (System.nanoTime() - t0) / 1e9;
        }
        return median(Arrays.copyOfRange(times, 2, 7));
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

    // ---------------------------------------------------------------- the benchmark

    /** make bench: one line per figure, medians of several runs after warming up. */
    static void bench(long seed) {
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.println("# " + cores + " cores, Java " + Runtime.version() + "; medians of several runs");
        FastMatmul.warmUp();
        Random rng = new Random(seed);
        for (int[] s : new int[][] {{16, 64, 32}, {64, 784, 128}, {128, 784, 256}, {256, 784, 512}}) {
            for (int t : cores == 1 ? new int[] {1} : new int[] {1, cores}) {
                System.out.printf("matmul %dx%dx%d threads=%d: %.1f GFLOP/s%n", s[0], s[1], s[2], t, gflops(s, t, rng));
            }
        }
        FastMatmul.threads = cores;
        Dataset train = split(readDataset(courseRoot().resolve("datasets").resolve("digits.csv.gz"), 64, 10, false), new Random(seed)).train();
        Matrix targets = train.oneHot();
        double[] times = new double[5];
        for (int run = 0; run < times.length; run++) {
            SpeedyNetwork net = SpeedyNetwork.xavier(new int[] {64, 32, 10}, new Random(seed));
            double[] seconds = new double[3000];
            net.train(train.x(), targets, 3000, 16, 0.01, new Random(seed), seconds);
            times[run] = seconds[2999];
        }
        System.out.printf("train digits (tutorial config, 3000 epochs): %.2f s%n", median(times));
        double[] neuron = new double[3], speedy = new double[3];
        for (int run = 0; run < 3; run++) {
            SpeedyNetwork net = SpeedyNetwork.xavier(new int[] {64, 32, 10}, new Random(seed));
            double[] s1 = new double[20], s2 = new double[20];
            NeuralNetwork.copyOf(net).train(train.x(), targets, 20, 0.01, new Random(seed), s1);
            net.train(train.x(), targets, 20, 16, 0.01, new Random(seed), s2);
            neuron[run] = s1[19];
            speedy[run] = s2[19];
        }
        System.out.printf("train per-neuron vs speedy (digits, 20 epochs): %.2f s vs %.3f s%n", median(neuron), median(speedy));
    }

    static double gflops(int[] shape, int threads, Random rng) {
        Matrix a = random(shape[0], shape[1], rng), b = random(shape[1], shape[2], rng), c = new Matrix(shape[0], shape[2]);
        FastMatmul.threads = threads;
        double flops = 2.0 * shape[0] * shape[1] * shape[2];
        int reps = (int) Math.max(1, 2e8 / flops);
        double[] rates = new double[7];
        for (int warm = 0; warm < 5; warm++) for (int r = 0; r < reps; r++) FastMatmul.multiply(a, b, c);
        for (int run = 0; run < rates.length; run++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) FastMatmul.multiply(a, b, c);
            rates[run] = flops * reps / (System.nanoTime() - t0);
        }
        return median(rates);
    }

    static Matrix random(int rows, int cols, Random rng) {
        Matrix m = new Matrix(rows, cols);
        for (int i = 0; i < m.data.length; i++) m.data[i] = 2 * rng.nextDouble() - 1;
        return m;
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
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
     * Reads comma-separated rows of `features` numbers and a class label 0..classes-1, from a
     * plain or a gzipped (.gz) file, skipping a header line if asked. Anything else is a
     * UserError naming the file and the line.
     */
    static Dataset readDataset(Path file, int features, int classes, boolean header) {
        List<double[]> rows = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            int number = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                number++;
                if ((header && number == 1) || line.isBlank()) continue;
                String[] cells = line.split(",", -1);
                if (cells.length != features + 1) {
                    throw new UserError(file + " line " + number + " has " + cells.length + " fields, expected "
                            + (features + 1) + " (" + features + " numbers and the label); see datasets/README.md");
                }
                double[] row = new double[features];
                for (int c = 0; c < features; c++) row[c] = number(cells[c], file, number);
                double label = number(cells[features], file, number);
                if (label != Math.rint(label) || label < 0 || label >= classes) {
                    throw new UserError(file + " line " + number + ": the label '" + cells[features].strip()
                            + "' should be a whole number from 0 to " + (classes - 1));
                }
                rows.add(row);
                labels.add((int) label);
            }
        } catch (IOException e) {
            throw new UserError("cannot read " + file + (Files.exists(file) ? ": " + e.getMessage() : ": no such file")
                    + "; the course keeps it in datasets/ (see datasets/README.md)");
        }
        if (rows.size() < 5) throw new UserError(file + " has " + rows.size() + " rows; it needs at least 5 to train and test on");
        Matrix x = new Matrix(rows.size(), features);
        for (int r = 0; r < rows.size(); r++) System.arraycopy(rows.get(r), 0, x.data, r * features, features);
        return new Dataset(x, labels.stream().mapToInt(Integer::intValue).toArray(), classes);
    }

    static double number(String cell, Path file, int line) {
        try {
            double v = Double.parseDouble(cell.strip());
            if (Double.isFinite(v)) return v;
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new UserError(file + " line " + line + ": '" + cell.strip() + "' is not a number");
    }

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

    // ---------------------------------------------------------------- flags and errors

    static final String USAGE = "usage: java lessons/09/Speedy.java [--seed N] [--threads N] [--exercise 1|2|3] [--bench] [--readme-figures]";

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    record Options(long seed, int threads, int exercise, boolean bench, boolean readmeFigures) {
        static Options parse(String[] args) {
            long seed = 42;
            int threads = Runtime.getRuntime().availableProcessors(), exercise = 0;
            boolean bench = false, readmeFigures = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = number(args, ++i, "--seed");
                    case "--threads" -> threads = (int) number(args, ++i, "--threads");
                    case "--exercise" -> exercise = (int) number(args, ++i, "--exercise");
                    case "--bench" -> bench = true;
                    case "--readme-figures" -> readmeFigures = true;
                    default -> throw new UserError("unknown flag '" + args[i] + "'; " + USAGE);
                }
            }
            if (threads < 1 || threads > 256) throw new UserError("--threads needs a number from 1 to 256, not " + threads);
            return new Options(seed, threads, exercise, bench, readmeFigures);
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

    /** This lesson's folder, where --readme-figures puts the picture its README shows. */
    static Path lessonDir() {
        return courseRoot().resolve("lessons").resolve("09");
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
        Double yMin, yMax;

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
            drawLegend(g, xAxis, yAxis);
            g.dispose();
            return image;
        }

        /** The legend, in the top corner where it hides fewer data points. */
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
