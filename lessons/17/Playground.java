import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.DoubleUnaryOperator;
import javax.imageio.ImageIO;

/**
 * Lesson 17: a playground, TensorFlow Playground served by the JDK and trained by the course's network.
 *
 * A small web server (jdk.httpserver) serves one page, written into this file, on which a learner
 * picks a 2-D data set, the inputs, the layers and the way the network learns, presses play and
 * watches it learn: the decision map, every neuron's own map, the weights, the two loss curves.
 * The page only draws and sends controls; the training runs here, in Java, with the layers and
 * optimizers of lessons 13 and 14, on one worker thread. Its whole state is in its address, so a link reproduces it.
 *
 * Follows: Ex10si0n's chapter "Implementation of Neural Networks from scratch", which opens with a
 * link to TensorFlow Playground (Smilkov and Carter); its data sets follow the Playground's own
 * dataset.ts. See README.md.
 * New here: the data sets (points) and the input features (feature, expand); Setup, the page's
 * settings, read and checked from a form; Session, one training run (an epoch, L1/L2 penalties,
 * the heat maps, the state as JSON, the network as a model file); the server (Server), its one trainer thread (Worker) and the
 * page (PAGE: HTML, CSS and JavaScript).
 * Carried: Layer, Network, Dropout and ModelFile from lesson 14; Dense, ActivationLayer, Activation,
 * Loss, gradientCheck, compare, Matrix, SoftmaxCrossEntropy, glorotUniform, shuffle, the optimizers
 * (Optimizer, Sgd, Momentum, Nesterov, AdaGrad, RmsProp, Adam) and step from lesson 13; and
 * MeanSquaredError from lesson 12; all unchanged.
 * Changed: nothing carried. ModelFile is lesson 14's, not lesson 15's, which writes convolution
 * layers the playground has not and leaves out the dropout it has. Lesson 13's optimizers(Network,
 * Kind, rate) is replaced by optimizers(Network, name, rate): the page names an optimizer, and
 * picks its own rate.
 *
 * Run: java lessons/17/Playground.java [--port N] [--setup STATE] [--seed N] [--steps N] [--exercise 1|2]
 */
public class Playground {

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

    // ---------------------------------------------------------------- the playground's data and training

    static final List<String> DATASETS = List.of("circle", "xor", "gauss", "spiral", "spiral3", "reg-plane", "reg-gauss");
    static final List<String> FEATURES = List.of("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2");
    static final List<String> OPTIMIZERS = List.of("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam");
    static final List<String> PENALTIES = List.of("none", "L1", "L2");
    static final int SAMPLES = 500, MAX_LAYERS = 8, MAX_NEURONS = 16;
    static final long MAX_SEED = 999_999_999; // a link's seed: small enough for JavaScript to keep exactly

    /** How many classes a data set has: 2 or 3, or 0 for a regression (a number to predict, about -1 to 1). */
    static int classes(String dataset) {
        return switch (dataset) {
            case "spiral3" -> 3;
            case "reg-plane", "reg-gauss" -> 0;
            default -> 2;
        };
    }

    static double uniform(double from, double to, Random rng) {
        return from + (to - from) * rng.nextDouble();
    }

    /**
     * About n points {x1, x2, label} of a data set, in the square [-6, 6]^2, as TensorFlow Playground
     * draws them (its dataset.ts). noise goes from 0 to 0.5: where the label is read from a point
     * moved by up to noise times the data's size (the point itself stays), or how wide the clouds are.
     */
    static List<double[]> points(String dataset, int n, double noise, Random rng) {
        List<double[]> points = new ArrayList<>();
        switch (dataset) {
            case "circle" -> { // class 1 inside radius 2.5, class 0 in the ring from 3.5 to 5
                for (int i = 0; i < n; i++) {
                    double r = i < n / 2 ? uniform(0, 2.5, rng) : uniform(3.5, 5, rng), angle = uniform(0, 2 * Math.PI, rng);
                    double x = r * Math.sin(angle), y = r * Math.cos(angle);
                    double nx = uniform(-5, 5, rng) * noise, ny = uniform(-5, 5, rng) * noise;
                    points.add(new double[] {x, y, Math.hypot(x + nx, y + ny) < 2.5 ? 1 : 0});
                }
            }
            case "xor" -> { // class 1 where x1 and x2 have the same sign; a gap of 0.3 along the axes
                for (int i = 0; i < n; i++) {
                    double x = uniform(-5, 5, rng), y = uniform(-5, 5, rng);
                    x += x > 0 ? 0.3 : -0.3;
                    y += y > 0 ? 0.3 : -0.3;
                    double nx = uniform(-5, 5, rng) * noise, ny = uniform(-5, 5, rng) * noise;
                    points.add(new double[] {x, y, (x + nx) * (y + ny) >= 0 ? 1 : 0});
                }
            }
            case "gauss" -> { // two clouds round (2, 2) and (-2, -2), of variance 0.5 (no noise) to 4
                double sd = Math.sqrt(0.5 + 7 * noise);
                for (int i = 0; i < n; i++) {
                    double centre = i < n / 2 ? 2 : -2;
                    points.add(new double[] {centre + sd * rng.nextGaussian(), centre + sd * rng.nextGaussian(), i < n / 2 ? 1 : 0});
                }
            }
            case "spiral", "spiral3" -> { // arms turning 1.75 times from the centre to radius 5, one class each
                int arms = classes(dataset), each = n / arms;
                for (int arm = 0; arm < arms; arm++) {
                    for (int i = 0; i < each; i++) {
                        double r = 5.0 * i / each, t = 1.75 * 2 * Math.PI * i / each + 2 * Math.PI * arm / arms;
                        points.add(new double[] {r * Math.sin(t) + uniform(-1, 1, rng) * noise,
                            r * Math.cos(t) + uniform(-1, 1, rng) * noise, arm});
                    }
                }
            }
            default -> { // the regressions: a tilted plane, or six bumps of either sign
                for (int i = 0; i < n; i++) {
                    double x = uniform(-6, 6, rng), y = uniform(-6, 6, rng);
                    double nx = uniform(-6, 6, rng) * noise, ny = uniform(-6, 6, rng) * noise;
                    points.add(new double[] {x, y, dataset.equals("reg-plane") ? (x + nx + y + ny) / 10 : bumps(x + nx, y + ny)});
                }
            }
        }
        return points;
    }

    /** Six bumps of height +1 or -1, each falling to 0 at distance 2; the tallest at (x, y) wins. */
    static double bumps(double x, double y) {
        double[][] centres = {{-4, 2.5, 1}, {0, 2.5, -1}, {4, 2.5, 1}, {-4, -2.5, -1}, {0, -2.5, 1}, {4, -2.5, -1}};
        double label = 0;
        for (double[] c : centres) {
            double value = c[2] * Math.max(0, 1 - Math.hypot(x - c[0], y - c[1]) / 2);
            if (Math.abs(value) > Math.abs(label)) label = value;
        }
        return label;
    }

    /** The value of one input feature at the point (x1, x2). */
    static double feature(String name, double x1, double x2) {
        return switch (name) {
            case "x1" -> x1;
            case "x2" -> x2;
            case "x1sq" -> x1 * x1;
            case "x2sq" -> x2 * x2;
            case "x1x2" -> x1 * x2;
            case "sinx1" -> Math.sin(x1);
            case "sinx2" -> Math.sin(x2);
            default -> throw new IllegalArgumentException("expected a feature of " + FEATURES + ", got '" + name + "'");
        };
    }

    /** The network's input: one row per point, one column per chosen feature. */
    static Matrix expand(List<double[]> points, List<String> features) {
        Matrix x = new Matrix(points.size(), features.size());
        for (int r = 0; r < points.size(); r++) {
            for (int c = 0; c < features.size(); c++) {
                x.data()[r * features.size() + c] = feature(features.get(c), points.get(r)[0], points.get(r)[1]);
            }
        }
        return x;
    }

    /** The targets: a one-hot row per point for k classes, or the label itself for a regression (k = 0). */
    static Matrix targets(List<double[]> points, int classes) {
        Matrix t = new Matrix(points.size(), Math.max(classes, 1));
        for (int r = 0; r < points.size(); r++) {
            double label = points.get(r)[2];
            if (classes == 0) t.data()[r] = label;
            else t.data()[r * classes + (int) label] = 1;
        }
        return t;
    }

    /** The rows of m at the given indices, in that order: a batch. */
    static Matrix pick(Matrix m, int[] rows) {
        Matrix picked = new Matrix(rows.length, m.cols());
        for (int i = 0; i < rows.length; i++) System.arraycopy(m.data(), rows[i] * m.cols(), picked.data(), i * m.cols(), m.cols());
        return picked;
    }

    static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    /**
     * Everything the page sets, as its address holds it after the #: the data (data set, noise in %,
     * the % of points trained on, seed), the network (input features, hidden layer sizes, activation, dropout)
     * and how it learns (optimizer, learning rate, batch size, L1 or L2 penalty and its rate).
     */
    record Setup(String dataset, int noise, int ratio, long seed, List<String> features, List<Integer> shape,
            Activation activation, double dropout, String optimizer, double rate, int batch, String reg, double regrate) {
        static final List<String> KEYS = List.of("dataset", "noise", "ratio", "seed", "features", "shape", "activation",
                "dropout", "optimizer", "rate", "batch", "reg", "regrate");
        static final String DEFAULT = "dataset=circle&noise=0&ratio=50&seed=42&features=x1,x2&shape=4,2&activation=tanh"
                + "&dropout=0&optimizer=sgd&rate=0.03&batch=10&reg=none&regrate=0";

        /** Reads and checks every setting of a form; a missing, unknown or bad one is a UserError naming it. */
        static Setup parse(Map<String, String> form) {
            for (String key : form.keySet()) {
                if (!KEYS.contains(key)) throw new UserError("unknown setting '" + shorter(key) + "'; the settings are " + String.join(", ", KEYS));
            }
            return new Setup(choice(form, "dataset", DATASETS), (int) whole(form, "noise", 0, 50), (int) whole(form, "ratio", 10, 90),
                    whole(form, "seed", 0, MAX_SEED), features(value(form, "features")), shape(value(form, "shape")),
                    activation(value(form, "activation")), decimal(form, "dropout", 0, 0.9), choice(form, "optimizer", OPTIMIZERS), decimal(form, "rate", 1e-5, 10),
                    (int) whole(form, "batch", 1, 100), choice(form, "reg", PENALTIES), decimal(form, "regrate", 0, 10));
        }

        /** The form again, as the page's address and --setup write it. */
        String form() {
            StringBuilder shapeText = new StringBuilder();
            for (int size : shape) shapeText.append(shapeText.length() > 0 ? "," : "").append(size);
            return "dataset=" + dataset + "&noise=" + noise + "&ratio=" + ratio + "&seed=" + seed + "&features="
                    + String.join(",", features) + "&shape=" + shapeText + "&activation=" + activation.name().toLowerCase().replace("_", "")
                    + "&dropout=" + plain(dropout) + "&optimizer=" + optimizer + "&rate=" + plain(rate) + "&batch=" + batch + "&reg=" + reg + "&regrate=" + plain(regrate);
        }

        static String value(Map<String, String> form, String key) {
            String value = form.get(key);
            if (value == null) throw new UserError("missing setting '" + key + "'");
            return value.strip();
        }

        static String choice(Map<String, String> form, String key, List<String> options) {
            String value = value(form, key);
            if (!options.contains(value)) throw new UserError(key + " takes " + String.join(", ", options) + ", not '" + shorter(value) + "'");
            return value;
        }

        static long whole(Map<String, String> form, String key, long min, long max) {
            String value = value(form, key);
            try {
                long v = Long.parseLong(value);
                if (v >= min && v <= max) return v;
            } catch (NumberFormatException e) {
                // said below, with the range
            }
            throw new UserError(key + " takes a whole number from " + min + " to " + max + ", not '" + shorter(value) + "'");
        }

        static double decimal(Map<String, String> form, String key, double min, double max) {
            String value = value(form, key);
            try {
                double v = Double.parseDouble(value);
                if (v >= min && v <= max) return v; // never NaN or infinite
            } catch (NumberFormatException e) {
                // said below, with the range
            }
            throw new UserError(key + " takes a number from " + min + " to " + max + ", not '" + shorter(value) + "'");
        }

        /** A comma-separated list of distinct features, at least one. */
        static List<String> features(String text) {
            List<String> chosen = new ArrayList<>();
            for (String name : text.split(",", -1)) {
                if (!FEATURES.contains(name.strip()) || chosen.contains(name.strip())) {
                    throw new UserError("features takes one or more of " + String.join(",", FEATURES) + ", each once, not '" + shorter(text) + "'");
                }
                chosen.add(name.strip());
            }
            return List.copyOf(chosen);
        }

        /** The hidden layers' sizes, comma-separated: at most MAX_LAYERS of 1 to MAX_NEURONS each; empty for none. */
        static List<Integer> shape(String text) {
            List<Integer> sizes = new ArrayList<>();
            for (String size : text.isEmpty() ? new String[0] : text.split(",", -1)) {
                int n = size.strip().matches("\\d{1,2}") ? Integer.parseInt(size.strip()) : -1;
                if (n < 1 || n > MAX_NEURONS || sizes.size() == MAX_LAYERS) {
                    throw new UserError("shape takes up to " + MAX_LAYERS + " hidden layer sizes from 1 to " + MAX_NEURONS
                            + ", comma-separated (empty: none), not '" + shorter(text) + "'");
                }
                sizes.add(n);
            }
            return List.copyOf(sizes);
        }

        static Activation activation(String name) {
            for (Activation a : Activation.values()) if (a.name().toLowerCase().replace("_", "").equals(name)) return a;
            throw new UserError("activation takes tanh, sigmoid, relu or leakyrelu, not '" + shorter(name) + "'");
        }

        /** True when the two differ only in how the network learns: the same data and network can go on. */
        boolean sameNetwork(Setup other) {
            return dataset.equals(other.dataset) && noise == other.noise && ratio == other.ratio && seed == other.seed
                    && features.equals(other.features) && shape.equals(other.shape) && activation == other.activation
                    && dropout == other.dropout;
        }
    }

    /** 0.03 as 0.03, 0 as 0: the shortest text that reads back as the same number. */
    static String plain(double v) {
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /** A user's text in a message: at most 40 characters of it. */
    static String shorter(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    /** A form "a=1&b=2" as a map; each name once, each part a name=value. */
    static Map<String, String> form(String text) {
        Map<String, String> form = new LinkedHashMap<>();
        if (text.isBlank()) return form;
        for (String part : text.strip().split("&")) {
            int eq = part.indexOf('=');
            if (eq <= 0) throw new UserError("'" + shorter(part) + "' is not name=value");
            try {
                String name = URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8);
                if (form.put(name, URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8)) != null) {
                    throw new UserError("'" + shorter(name) + "' is given twice");
                }
            } catch (IllegalArgumentException e) {
                throw new UserError("'" + shorter(part) + "' is not URL-encoded");
            }
        }
        return form;
    }

    /** One optimizer of the given name (see OPTIMIZERS) per parameter array: each Dense layer's weights, then its bias. */
    static List<Optimizer> optimizers(Network net, String name, double rate) {
        List<Optimizer> list = new ArrayList<>();
        for (Layer layer : net.layers) {
            if (!(layer instanceof Dense)) continue;
            for (int i = 0; i < 2; i++) {
                list.add(switch (name) {
                    case "sgd" -> new Sgd(rate);
                    case "momentum" -> new Momentum(rate);
                    case "nesterov" -> new Nesterov(rate);
                    case "adagrad" -> new AdaGrad(rate);
                    case "rmsprop" -> new RmsProp(rate);
                    case "adam" -> new Adam(rate);
                    default -> throw new IllegalArgumentException("expected an optimizer of " + OPTIMIZERS + ", got '" + name + "'");
                });
            }
        }
        return list;
    }

    /**
     * The setup's network: Glorot-uniform Dense layers, the activation after each hidden one (and
     * lesson 14's Dropout after that, if the setup drops any), then softmax or a plain number.
     */
    static Network network(Setup setup, Random rng) {
        Network net = new Network();
        int inputs = setup.features().size(), classes = classes(setup.dataset());
        for (int size : setup.shape()) {
            net.add(glorotUniform(inputs, size, rng));
            net.add(new ActivationLayer(setup.activation()));
            if (setup.dropout() > 0) net.add(new Dropout(setup.dropout(), rng));
            inputs = size;
        }
        net.add(glorotUniform(inputs, Math.max(classes, 1), rng));
        net.use(classes == 0 ? new MeanSquaredError() : new SoftmaxCrossEntropy());
        return net;
    }

    /**
     * The penalty's slope for one weight w, added to dE/dw: L2 adds lambda w / 2 to the loss for each
     * weight squared, so lambda w to its slope; L1 adds lambda |w|, so lambda sign(w); none adds 0.
     */
    static double penaltySlope(String reg, double lambda, double w) {
        return switch (reg) {
            case "L1" -> lambda * Math.signum(w);
            case "L2" -> lambda * w;
            default -> 0;
        };
    }

    static final int GRID = 48, EVERY = 4, HISTORY = 400; // the output map's cells a side; a neuron's map takes every 4th
    static final List<double[]> GRID_POINTS = grid();

    /** The GRID x GRID cell centres of [-6, 6]^2, row by row from the top (x2 = 6) down, as a picture is drawn. */
    static List<double[]> grid() {
        List<double[]> cells = new ArrayList<>();
        for (int r = 0; r < GRID; r++) {
            for (int c = 0; c < GRID; c++) cells.add(new double[] {-6 + (c + 0.5) * 12 / GRID, 6 - (r + 0.5) * 12 / GRID, 0});
        }
        return cells;
    }

    /**
     * One run of the playground: a setup's points, split into training and test points, and its
     * network with its optimizers. Everything random comes from one Random, seeded with the setup's
     * seed, in this order: the points, the split, the starting weights, then each epoch's order.
     */
    static class Session {
        Setup setup;
        final Random rng;
        final List<double[]> train = new ArrayList<>(), test = new ArrayList<>();
        final Matrix trainX, trainT, testX, testT;
        final Network net;
        final int[] order; // the training points, in the order of the epoch (shuffled each time)
        List<Optimizer> optimizers;
        int epoch, stride = 1;
        double trainLoss, testLoss;
        final List<double[]> history = new ArrayList<>(); // {epoch, training loss, test loss} every stride epochs

        Session(Setup setup) {
            this.setup = setup;
            rng = new Random(setup.seed());
            List<double[]> all = points(setup.dataset(), SAMPLES, setup.noise() / 100.0, rng);
            int[] shuffled = identity(all.size());
            shuffle(shuffled, rng);
            for (int i = 0; i < all.size(); i++) (i < all.size() * setup.ratio() / 100 ? train : test).add(all.get(shuffled[i]));
            int classes = classes(setup.dataset());
            trainX = expand(train, setup.features());
            trainT = targets(train, classes);
            testX = expand(test, setup.features());
            testT = targets(test, classes);
            net = network(setup, rng);
            optimizers = optimizers(net, setup.optimizer(), setup.rate());
            order = identity(train.size());
            measure();
        }

        /** The network in lesson 14's model file format (ModelFile): its layers and every weight, bit for bit. */
        byte[] model() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                ModelFile.write(net, out);
            } catch (IOException e) {
                throw new IllegalStateException(e); // memory does not fail to write
            }
            return bytes.toByteArray();
        }

        /** A new rate, batch size, penalty or optimizer for the same network (a new optimizer starts with no memory). */
        void retune(Setup changed) {
            if (!changed.sameNetwork(setup)) throw new IllegalArgumentException("expected the same network, got " + changed.form());
            if (!changed.optimizer().equals(setup.optimizer())) optimizers = optimizers(net, changed.optimizer(), changed.rate());
            for (Optimizer o : optimizers) o.rate = changed.rate();
            setup = changed;
        }

        /**
         * One pass over the training points in a new order, a batch at a time: backward, the penalty,
         * the optimizers' step. Dropout drops only here, in training mode; measure and the maps see
         * the whole network.
         */
        void epoch() {
            shuffle(order, rng);
            net.training(true);
            for (int from = 0; from < order.length; from += setup.batch()) {
                int[] batch = Arrays.copyOfRange(order, from, Math.min(from + setup.batch(), order.length));
                Matrix output = net.predict(pick(trainX, batch));
                net.backward(output, pick(trainT, batch), 0); // gradients only: the optimizers step
                for (Layer layer : net.layers) {
                    if (layer instanceof Dense d) { // the penalty is on the weights, not the biases
                        double[] w = d.weights.data(), g = d.weightGradient.data();
                        for (int i = 0; i < w.length; i++) g[i] += penaltySlope(setup.reg(), setup.regrate(), w[i]);
                    }
                }
                step(net, optimizers);
            }
            net.training(false);
            epoch++;
            measure();
        }

        /** The loss over all training and all test points; kept every stride epochs, at most HISTORY of them. */
        void measure() {
            trainLoss = net.loss.loss(net.predict(trainX), trainT);
            testLoss = net.loss.loss(net.predict(testX), testT);
            stopIfDiverged(trainLoss, epoch, setup.rate());
            if (epoch % stride != 0) return;
            history.add(new double[] {epoch, trainLoss, testLoss});
            if (history.size() == HISTORY) { // keep every other point, and from now on every 2 * stride epochs
                for (int i = 1; i < history.size(); i++) history.remove(i);
                stride *= 2;
            }
        }

        /** The share of points (0 to 1) whose largest output is at their class; NaN for a regression. */
        double accuracy(Matrix x, List<double[]> points) {
            if (classes(setup.dataset()) == 0) return Double.NaN;
            Matrix scores = net.predict(x);
            int right = 0;
            for (int r = 0; r < scores.rows(); r++) {
                int best = 0;
                for (int c = 1; c < scores.cols(); c++) if (scores.get(r, c) > scores.get(r, best)) best = c;
                if (best == points.get(r)[2]) right++;
            }
            return (double) right / scores.rows();
        }

        /**
         * Every node's value at every cell of the grid, one matrix per column of the page's drawing:
         * the features, each hidden layer's activations, and the output (the class probabilities, or
         * the predicted number). A row per cell, a column per node.
         */
        List<Matrix> heatMaps() {
            Matrix x = expand(GRID_POINTS, setup.features());
            Matrix output = net.predict(x);
            List<Matrix> columns = new ArrayList<>(List.of(x));
            for (Layer layer : net.layers) if (layer instanceof ActivationLayer a) columns.add(a.output);
            columns.add(net.loss instanceof SoftmaxCrossEntropy ? SoftmaxCrossEntropy.softmax(output) : output);
            return columns;
        }

        /** What the page draws, as JSON: the losses, the maps (whole numbers from -100 to 100), the weights and their gradients. */
        String json(int version, boolean playing, String message) {
            StringBuilder j = new StringBuilder("{\"version\":").append(version).append(",\"epoch\":").append(epoch)
                    .append(",\"playing\":").append(playing).append(",\"message\":").append(quoted(message))
                    .append(",\"setup\":").append(quoted(setup.form())).append(",\"classes\":").append(classes(setup.dataset()))
                    .append(",\"derivative\":").append(quoted(setup.activation().formula))
                    .append(",\"trainLoss\":").append(number(trainLoss)).append(",\"testLoss\":").append(number(testLoss))
                    .append(",\"trainAccuracy\":").append(number(accuracy(trainX, train)))
                    .append(",\"testAccuracy\":").append(number(accuracy(testX, test))).append(",\"stride\":").append(stride)
                    .append(",\"history\":[");
            for (double[] h : history) j.append(h == history.get(0) ? "[" : ",[").append((int) h[0]).append(',').append(number(h[1])).append(',').append(number(h[2])).append(']');
            List<Matrix> maps = heatMaps();
            j.append("],\"grid\":").append(GRID).append(",\"small\":").append(GRID / EVERY).append(",\"output\":[");
            Matrix out = maps.get(maps.size() - 1);
            for (int k = 0; k < (out.cols() == 2 ? 1 : out.cols()); k++) { // two classes: one channel, p1 - p0
                double[] channel = new double[out.rows()];
                for (int r = 0; r < out.rows(); r++) {
                    channel[r] = out.cols() == 2 ? out.get(r, 1) - out.get(r, 0) : Math.max(-1, Math.min(1, out.get(r, k)));
                }
                wholes(j.append(k == 0 ? "" : ","), channel);
            }
            j.append("],\"maps\":[");
            for (int m = 0; m < maps.size(); m++) {
                j.append(m == 0 ? "[" : ",[");
                for (int k = 0; k < maps.get(m).cols(); k++) wholes(j.append(k == 0 ? "" : ","), smallMap(maps.get(m), k));
                j.append(']');
            }
            j.append("],\"weights\":[");
            boolean first = true;
            for (Layer layer : net.layers) {
                if (!(layer instanceof Dense d)) continue;
                j.append(first ? "{" : ",{");
                first = false;
                decimals(j.append("\"w\":"), d.weights.data());
                decimals(j.append(",\"b\":"), d.bias.data());
                decimals(j.append(",\"g\":"), d.weightGradient == null ? new double[d.weights.size()] : d.weightGradient.data());
                j.append('}');
            }
            j.append("]}");
            return j.toString();
        }
    }

    /** Node k's map with every EVERY-th cell each way, scaled into [-1, 1] when it reaches further. */
    static double[] smallMap(Matrix column, int k) {
        double largest = 1;
        for (int r = 0; r < column.rows(); r++) largest = Math.max(largest, Math.abs(column.get(r, k)));
        int side = GRID / EVERY;
        double[] small = new double[side * side];
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) small[r * side + c] = column.get((r * EVERY + EVERY / 2) * GRID + c * EVERY + EVERY / 2, k) / largest;
        }
        return small;
    }

    /** Values from -1 to 1 as whole numbers from -100 to 100, a JSON list. */
    static void wholes(StringBuilder j, double[] values) {
        j.append('[');
        for (int i = 0; i < values.length; i++) j.append(i == 0 ? "" : ",").append(Double.isFinite(values[i]) ? Math.round(100 * values[i]) : 0);
        j.append(']');
    }

    static void decimals(StringBuilder j, double[] values) {
        j.append('[');
        for (int i = 0; i < values.length; i++) j.append(i == 0 ? "" : ",").append(number(values[i]));
        j.append(']');
    }

    static String number(double v) {
        return Double.isFinite(v) ? String.format("%.5g", v) : "null";
    }

    /** A string in JSON: quotes and backslashes escaped, control characters dropped. */
    static String quoted(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') q.append('\\');
            if (c >= ' ') q.append(c);
        }
        return q.append('"').toString();
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/17/Playground.java [--port N] [--setup STATE] [--seed N] [--steps N] [--exercise 1|2]
              --port N        serve the page on 127.0.0.1:N (default 8017; 0 picks a free port)
              --setup STATE   start from this state, as the page's address has it after the #
                              (default: dataset=circle&shape=4,2&...; settings left out keep their default)
              --seed N        seed of the points and the starting weights, 0 to 999999999 (default 42)
              --steps N       do not serve: train STATE for N epochs (up to 10000), print the losses, stop
              --exercise N    run exercise N of the README instead of the lesson""";

    static final int PORT = 8017;

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            int port = (int) flags.number("--port", PORT, 0, 65535);
            long seed = flags.number("--seed", 42, 0, 999_999_999);
            int steps = flags.has("--steps") ? (int) flags.number("--steps", 1, 1, 10_000) : 0;
            int exercise = (int) flags.number("--exercise", 0, 0, 2);
            Map<String, String> given = form(flags.given.getOrDefault("--setup", ""));
            if (given.containsKey("seed") && flags.has("--seed")) throw new UserError("give the seed once: --seed N or seed= in --setup");
            Map<String, String> settings = form(Setup.DEFAULT);
            settings.put("seed", "" + seed);
            settings.putAll(given);
            Setup setup = Setup.parse(settings);
            switch (exercise) {
                case 1 -> exerciseFeatures();
                case 2 -> exercisePenalties();
                default -> {
                    if (steps > 0) train(setup, steps);
                    else serve(setup, port);
                }
            }
        } catch (UserError e) {
            System.err.println("Playground: " + e.getMessage());
            System.exit(2);
        }
    }

    /** Serves the page until Ctrl-C. */
    static void serve(Setup setup, int port) {
        Server server = Server.start(setup, port);
        System.out.println("Lesson 17: the playground, trained in Java (Ctrl-C stops it)");
        System.out.println("open http://127.0.0.1:" + server.port() + "/");
    }

    /** The same training without the page: the losses of a few epochs, then what they show. */
    static void train(Setup setup, int steps) {
        System.out.println("Lesson 17: the playground without the page: " + steps + " epochs of");
        System.out.println("   " + setup.form());
        Session s = new Session(setup);
        boolean classify = classes(setup.dataset()) > 0;
        System.out.println("   " + s.train.size() + " training points, " + s.test.size() + " test points; network "
                + sizes(s) + (classify ? ", softmax cross-entropy" : ", mean squared error"));
        System.out.println("   epoch   training loss   test loss" + (classify ? "   test accuracy" : ""));
        double start = s.testLoss;
        for (int e = 0; e <= steps; e++) {
            if (e > 0) s.epoch();
            if (e == 0 || e == steps || Integer.bitCount(e) == 1 && e >= 10) { // 0, 16, 32, 64, ... and the last
                System.out.printf("   %5d %15.4f %11.4f%s%n", e, s.trainLoss, s.testLoss,
                        classify ? String.format("   %12.1f%%", 100 * s.accuracy(s.testX, s.test)) : "");
            }
        }
        System.out.printf("   The test loss %s from %.4f to %.4f in %d epochs.%n", s.testLoss < start ? "fell" : "did not fall",
                start, s.testLoss, steps);
        System.out.println("   The same in the page: http://127.0.0.1:" + PORT + "/#" + setup.form());
    }

    /** The layer sizes, features to outputs, as 2-4-2-2. */
    static String sizes(Session s) {
        StringBuilder text = new StringBuilder("" + s.setup.features().size());
        for (int size : s.setup.shape()) text.append('-').append(size);
        return text.append('-').append(Math.max(1, classes(s.setup.dataset()))).toString();
    }

    // ---------------------------------------------------------------- the server

    static final int MAX_BODY = 4096, DRAIN = 2 << 20, QUEUE = 8, HANDLERS = 4, MAX_EPOCHS = 20_000;
    static final int MAX_REQUEST_SECONDS = 5;
    static final long IDLE_NANOS = 10_000_000_000L, FRAME_NANOS = 50_000_000L;

    /** What the server sends back: a content type and the bytes. */
    record Answer(String type, byte[] body) {
        static Answer of(String type, String text) {
            return new Answer(type + "; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** An answer other than 200 and 400: its status and one line. */
    static class HttpError extends RuntimeException {
        final int status;

        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /**
     * The web server: one page and a few small JSON answers, on 127.0.0.1 only. HANDLERS threads
     * answer requests; none of them trains. Training runs on the Worker's one thread, which takes
     * at most QUEUE waiting commands: more are refused at once (503), so a flood of requests can
     * neither start more work nor make the queue grow.
     */
    record Server(HttpServer http, ExecutorService handlers, Worker worker) {
        static Server start(Setup setup, int port) {
            HttpServer http;
            // a request (headers and body) not in after 5 s is dropped (the whole-second setting of
            // jdk.httpserver): a client that sends slowly, or not at all, cannot hold a handler for long
            System.setProperty("sun.net.httpserver.maxReqTime", "" + MAX_REQUEST_SECONDS);
            try {
                http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
            } catch (BindException e) {
                throw new UserError("port " + port + " is in use: stop what uses it, or give --port N (0 picks a free one)");
            } catch (IOException e) {
                throw new UserError("cannot serve on port " + port + " (" + e.getMessage() + "); give --port 0 to pick a free one");
            }
            Server server = new Server(http, Executors.newFixedThreadPool(HANDLERS), new Worker(new Session(setup)));
            http.createContext("/", server::handle);
            http.setExecutor(server.handlers);
            http.start();
            return server;
        }

        int port() {
            return http.getAddress().getPort();
        }

        void stop() {
            http.stop(0);
            handlers.shutdownNow();
            worker.thread.interrupt();
        }

        /** Answers one request; whatever went wrong becomes a status and one line, and the server goes on. */
        void handle(HttpExchange exchange) throws IOException {
            int status = 200;
            Answer answer;
            try {
                answer = answer(exchange);
            } catch (UserError e) {
                status = 400;
                answer = Answer.of("text/plain", e.getMessage());
            } catch (HttpError e) {
                status = e.status;
                answer = Answer.of("text/plain", e.getMessage());
            } catch (RuntimeException e) {
                status = 500;
                answer = Answer.of("text/plain", "the playground failed: " + e);
            }
            exchange.getResponseHeaders().set("Content-Type", answer.type());
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff"); // a browser takes the type as given
            exchange.sendResponseHeaders(status, answer.body().length);
            exchange.getResponseBody().write(answer.body());
            exchange.close();
        }

        /** The content type and body for a request, or an exception saying what was wrong. */
        Answer answer(HttpExchange exchange) throws IOException {
            String path = exchange.getRequestURI().getRawPath(), method = exchange.getRequestMethod();
            if (!local(exchange.getRequestHeaders().getFirst("Host"))) { // another name for 127.0.0.1: DNS rebinding
                throw new HttpError(403, "the playground answers only to 127.0.0.1:" + port() + " or localhost:" + port());
            }
            String origin = exchange.getRequestHeaders().getFirst("Origin");
            if (origin != null && !local(origin.replaceFirst("^http://", ""))) { // another site's page posting here
                throw new HttpError(403, "the playground takes commands only from its own page");
            }
            boolean post = path.equals("/setup") || path.equals("/control");
            if (!method.equals(post ? "POST" : "GET")) {
                throw new HttpError(405, path.length() > 60 ? "no such page" : path + " takes " + (post ? "POST" : "GET") + ", not " + shorter(method));
            }
            return switch (path) {
                case "/" -> Answer.of("text/html", PAGE);
                case "/state" -> Answer.of("application/json", worker.asked());
                case "/points" -> Answer.of("application/json", worker.points);
                case "/data.csv" -> Answer.of("text/csv", worker.csv);
                case "/model" -> new Answer("application/octet-stream", worker.call(() -> worker.session.model()));
                case "/setup" -> {
                    Setup setup = Setup.parse(form(body(exchange)));
                    yield Answer.of("application/json", worker.call(() -> worker.apply(setup)));
                }
                case "/control" -> {
                    Map<String, String> form = form(body(exchange));
                    if (!form.keySet().equals(java.util.Set.of("action"))) throw new UserError("/control takes one setting, action=play, pause, step or reset");
                    String action = Setup.choice(form, "action", List.of("play", "pause", "step", "reset"));
                    yield Answer.of("application/json", worker.call(() -> worker.control(action)));
                }
                default -> throw new HttpError(404, "no page " + shorter(path) + "; the playground serves /, /state, /points, /data.csv, /model, /setup and /control");
            };
        }

        /** True for this server's own address, as 127.0.0.1:port or localhost:port (a browser's Host or Origin). */
        boolean local(String host) {
            return host != null && (host.equals("127.0.0.1:" + port()) || host.equals("localhost:" + port()));
        }

        /**
         * The request's body, at most MAX_BODY bytes. A longer one is 413; up to DRAIN bytes of it are
         * read and dropped first, so that the client, still sending, gets the answer rather than a
         * broken connection; beyond DRAIN the connection is simply closed.
         */
        static String body(HttpExchange exchange) throws IOException {
            InputStream in = exchange.getRequestBody();
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                byte[] dropped = new byte[1 << 16];
                for (long read = bytes.length; read < DRAIN; ) {
                    int n = in.read(dropped);
                    if (n < 0) break;
                    read += n;
                }
                exchange.getResponseHeaders().set("Connection", "close");
                throw new HttpError(413, "a request body may hold " + MAX_BODY + " bytes at most");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /**
     * The one thread that trains. Commands (a new setup, play, pause, step, reset) wait in a queue
     * of QUEUE places; between them, while playing, it trains an epoch at a time and publishes the
     * state for the page at most every FRAME_NANOS. It pauses by itself every MAX_EPOCHS epochs, and
     * when no page has asked for the state for IDLE_NANOS (the tab was closed).
     */
    static class Worker {
        final BlockingQueue<FutureTask<?>> commands = new ArrayBlockingQueue<>(QUEUE);
        final Thread thread = new Thread(this::run, "playground trainer");
        Session session; // the worker's own: only its thread touches it once started
        boolean playing;
        String message = "";
        int version; // counts new sessions: the page fetches the points again when it changes
        long published;
        volatile String state, points, csv;
        volatile long askedAt = System.nanoTime();

        Worker(Session session) {
            start(session);
            thread.setDaemon(true);
            thread.start();
        }

        /** The state, noting that a page still watches. */
        String asked() {
            askedAt = System.nanoTime();
            return state;
        }

        /** Runs a command on the worker's thread and returns what it gives (the state after it); 503 at once when the queue is full. */
        <T> T call(Callable<T> command) {
            FutureTask<T> task = new FutureTask<>(command);
            if (!commands.offer(task)) throw new HttpError(503, "busy: " + QUEUE + " commands are waiting; try again in a moment");
            try {
                return task.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UserError u) throw u;
                throw new IllegalStateException(e.getCause());
            } catch (TimeoutException e) {
                task.cancel(false);
                throw new HttpError(503, "the trainer did not answer within 10 s; try again");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HttpError(503, "interrupted");
            }
        }

        void run() {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    FutureTask<?> task = commands.poll(playing ? 10 : 500, TimeUnit.MILLISECONDS);
                    if (task != null) task.run();
                    else if (playing) play();
                }
            } catch (InterruptedException e) {
                // the server stops
            }
        }

        void start(Session fresh) {
            session = fresh;
            playing = false;
            message = "";
            version++;
            StringBuilder json = new StringBuilder("{\"version\":" + version + ",\"points\":[");
            StringBuilder table = new StringBuilder("x1,x2,label,set\n");
            for (List<double[]> set : List.of(session.train, session.test)) {
                for (double[] p : set) {
                    json.append(json.charAt(json.length() - 1) == '[' ? "[" : ",[").append(number(p[0])).append(',')
                            .append(number(p[1])).append(',').append(number(p[2])).append(',').append(set == session.train ? 1 : 0).append(']');
                    table.append(number(p[0])).append(',').append(number(p[1])).append(',').append(number(p[2]))
                            .append(set == session.train ? ",train\n" : ",test\n");
                }
            }
            points = json.append("]}").toString();
            csv = table.toString();
            publish();
        }

        String publish() {
            published = System.nanoTime();
            state = session.json(version, playing, message);
            return state;
        }

        String apply(Setup setup) {
            if (setup.sameNetwork(session.setup)) session.retune(setup);
            else start(new Session(setup));
            return publish();
        }

        String control(String action) {
            switch (action) {
                case "play" -> {
                    playing = true;
                    message = "";
                    askedAt = System.nanoTime();
                }
                case "pause" -> playing = false;
                case "step" -> {
                    playing = false;
                    epoch();
                }
                default -> start(new Session(session.setup)); // reset: the same seed, so the same start
            }
            return publish();
        }

        void play() {
            epoch();
            if (session.epoch % MAX_EPOCHS == 0) pause("paused at epoch " + session.epoch + ": it pauses every " + MAX_EPOCHS + " epochs; press play to go on");
            if (System.nanoTime() - askedAt > IDLE_NANOS) pause("paused: no page asked for news for 10 s");
            if (!playing || System.nanoTime() - published > FRAME_NANOS) publish();
        }

        void pause(String why) {
            if (playing) message = why;
            playing = false;
        }

        /** One epoch; a loss that stops being a number pauses the run and says so. */
        void epoch() {
            try {
                session.epoch();
            } catch (UserError e) {
                playing = false;
                message = e.getMessage() + " (then press reset)";
            }
        }
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: the circle without hidden layers, from x1, x2 and from their squares. */
    static void exerciseFeatures() {
        System.out.println("Exercise 1: the circle with no hidden layer, 200 epochs of SGD at rate 0.03");
        System.out.println("   features         test loss   test accuracy");
        double[] accuracy = new double[2];
        String[] features = {"x1,x2", "x1sq,x2sq"};
        for (int i = 0; i < 2; i++) {
            Map<String, String> settings = form(Setup.DEFAULT);
            settings.put("features", features[i]);
            settings.put("shape", "");
            Session s = new Session(Setup.parse(settings));
            for (int e = 0; e < 200; e++) s.epoch();
            accuracy[i] = 100 * s.accuracy(s.testX, s.test);
            System.out.printf("   %-15s %10.4f %14.1f%%%n", features[i], s.testLoss, accuracy[i]);
        }
        System.out.printf("   From the squares a straight line (x1^2 + x2^2 = r^2) separates the classes: %.1f%% against %.1f%%.%n",
                accuracy[1], accuracy[0]);
    }

    /** Exercise 2: the same network on the spiral with an L1 and an L2 penalty: how many weights end near zero. */
    static void exercisePenalties() {
        System.out.println("Exercise 2: XOR from all seven features, 4-2 tanh, Adam 0.01, 200 epochs, penalty rate 0.003");
        System.out.println("   penalty   test loss   weights below 0.01 in size (of all)");
        int[] small = new int[PENALTIES.size()];
        for (int i = 0; i < PENALTIES.size(); i++) {
            Map<String, String> settings = form(Setup.DEFAULT);
            settings.putAll(form("dataset=xor&features=" + String.join(",", FEATURES) + "&optimizer=adam&rate=0.01&reg="
                    + PENALTIES.get(i) + "&regrate=" + (i == 0 ? 0 : 0.003)));
            Session s = new Session(Setup.parse(settings));
            for (int e = 0; e < 200; e++) s.epoch();
            int all = 0;
            for (Layer layer : s.net.layers) {
                if (!(layer instanceof Dense d)) continue;
                all += d.weights.size();
                for (double w : d.weights.data()) if (Math.abs(w) < 0.01) small[i]++;
            }
            System.out.printf("   %-8s %10.4f %8d (of %d)%n", PENALTIES.get(i), s.testLoss, small[i], all);
        }
        System.out.println("   " + (small[1] > small[2] ? "L1 leaves more weights at about zero than L2: its pull does not shrink as w does."
                : "L1 did not leave more weights at about zero than L2 here."));
    }

    // ---------------------------------------------------------------- the page

    /**
     * The page: HTML, CSS and JavaScript, nothing fetched from elsewhere. It reads its settings from
     * its address (after the #), sends them to /setup, then asks /state about ten times a second and
     * draws what it gets. It writes the latest numbers into its body's data- attributes too, where
     * the browser test reads them.
     */
    static final String PAGE = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Lesson 17: the playground</title>
            <style>
            body { font: 14px sans-serif; margin: 12px; color: #222; }
            header, .row { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin-bottom: 8px; }
            main { display: flex; gap: 16px; align-items: flex-start; }
            section { border: 1px solid #ddd; border-radius: 6px; padding: 8px; }
            h2 { font-size: 14px; margin: 0 0 6px; text-transform: uppercase; color: #666; }
            button { font: inherit; padding: 3px 8px; }
            button.on { background: #0877bd; color: white; }
            #message { color: #b00; min-height: 1em; }
            #math { font-family: monospace; white-space: pre-wrap; min-height: 12em; width: 600px; font-size: 12px; }
            label { white-space: nowrap; }
            .small { font-size: 12px; color: #666; }
            </style></head>
            <body>
            <header>
              <button id="reset" title="new starting weights from the same seed">reset</button>
              <button id="play">play</button>
              <button id="step" title="one epoch">step</button>
              <span>epoch <b id="epoch">0</b></span>
              <label>learning rate <select id="rate"></select></label>
              <label>activation <select id="activation"></select></label>
              <label>dropout <select id="dropout"></select></label>
              <label>optimizer <select id="optimizer"></select></label>
              <label>regularisation <select id="reg"></select></label>
              <label>its rate <select id="regrate"></select></label>
              <span id="message"></span>
            </header>
            <main>
              <section>
                <h2>Data</h2>
                <div id="datasets"></div>
                <p><label>noise <input id="noise" type="range" min="0" max="50" step="5"> <span id="noiseText"></span></label></p>
                <p><label>training points <input id="ratio" type="range" min="10" max="90" step="10"> <span id="ratioText"></span></label></p>
                <p><label>batch size <input id="batch" type="range" min="1" max="30" step="1"> <span id="batchText"></span></label></p>
                <p><label>seed <input id="seed" type="number" min="0" max="999999999" style="width: 7em"></label></p>
                <p><label><input id="showtest" type="checkbox"> show the test points</label></p>
                <p><a href="data.csv" download="playground.csv">the data as CSV</a><br>
                <a href="model" download="playground.jnn">the network as a model file (lesson 14)</a></p>
                <h2>Features</h2>
                <div id="features"></div>
              </section>
              <section>
                <h2>Network <span class="small">(up to 8 hidden layers of 16; point at a neuron, click to keep it)</span></h2>
                <div class="row" id="shape"></div>
                <canvas id="net" width="600" height="440"></canvas>
                <div id="math" class="small">Point at a neuron to see its equations.</div>
              </section>
              <section>
                <h2>Output</h2>
                <div id="losses" class="small"></div>
                <canvas id="loss" width="380" height="110"></canvas>
                <canvas id="map" width="380" height="380"></canvas>
              </section>
            </main>
            <script>
            'use strict';
            const DEFAULTS = {dataset: 'circle', noise: '0', ratio: '50', seed: '42', features: 'x1,x2', shape: '4,2', activation: 'tanh',
              dropout: '0', optimizer: 'sgd', rate: '0.03', batch: '10', reg: 'none', regrate: '0'};
            const CHOICES = {rate: ['0.00001', '0.0001', '0.001', '0.003', '0.01', '0.03', '0.1', '0.3', '1', '3', '10'],
              activation: ['tanh', 'sigmoid', 'relu', 'leakyrelu'], dropout: ['0', '0.1', '0.2', '0.3', '0.5'], optimizer: ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'],
              reg: ['none', 'L1', 'L2'], regrate: ['0', '0.001', '0.003', '0.01', '0.03', '0.1', '0.3', '1', '3', '10']};
            const DATASETS = [['circle', 'circle'], ['xor', 'XOR'], ['gauss', 'Gaussian'], ['spiral', 'spiral'], ['spiral3', '3-arm spiral'],
              ['reg-plane', 'plane (regression)'], ['reg-gauss', 'bumps (regression)']];
            const FEATURES = [['x1', 'x1'], ['x2', 'x2'], ['x1sq', 'x1^2'], ['x2sq', 'x2^2'], ['x1x2', 'x1 x2'], ['sinx1', 'sin(x1)'], ['sinx2', 'sin(x2)']];
            const CLASS_COLOURS = [[245, 147, 34], [8, 119, 189], [140, 70, 170]];
            const $ = id => document.getElementById(id);
            let setup = Object.assign({}, DEFAULTS), extra = {showtest: '0', play: '0', neuron: ''};
            let state = null, points = [], pointsVersion = -1, first = null, hovered = null;

            function readAddress() {
              for (const part of location.hash.slice(1).split('&')) {
                const eq = part.indexOf('=');
                if (eq < 1) continue;
                const key = decodeURIComponent(part.slice(0, eq)), value = decodeURIComponent(part.slice(eq + 1));
                if (key in setup) setup[key] = value; else if (key in extra) extra[key] = value;
              }
            }
            function form() {
              return Object.keys(setup).map(k => k + '=' + encodeURIComponent(setup[k]).replace(/%2C/g, ',')).join('&');
            }
            function writeAddress() {
              history.replaceState(null, '', '#' + form() + (extra.showtest === '1' ? '&showtest=1' : '') + (extra.neuron ? '&neuron=' + extra.neuron : ''));
            }
            async function post(path, body) {
              try {
                const r = await fetch(path, {method: 'POST', body: body});
                const text = await r.text();
                if (!r.ok) { $('message').textContent = text; return null; }
                $('message').textContent = '';
                return JSON.parse(text);
              } catch (e) { $('message').textContent = 'the server does not answer: is it still running?'; return null; }
            }
            async function apply() {
              writeAddress();
              controls();
              const s = await post('/setup', form());
              if (s) await show(s);
            }
            async function control(action) { const s = await post('/control', 'action=' + action); if (s) await show(s); }

            function controls() {
              for (const key of Object.keys(CHOICES)) {
                const select = $(key);
                if (!select.options.length) for (const v of CHOICES[key]) select.add(new Option(v, v));
                if (!CHOICES[key].includes(setup[key])) select.add(new Option(setup[key], setup[key]));
                select.value = setup[key];
                select.onchange = () => { setup[key] = select.value; apply(); };
              }
              for (const key of ['noise', 'ratio', 'batch', 'seed']) {
                $(key).value = setup[key];
                if ($(key + 'Text')) $(key + 'Text').textContent = setup[key] + (key === 'batch' ? '' : key === 'seed' ? '' : ' %');
                $(key).onchange = () => { setup[key] = $(key).value; apply(); };
              }
              $('showtest').checked = extra.showtest === '1';
              $('showtest').onchange = () => { extra.showtest = $('showtest').checked ? '1' : '0'; writeAddress(); if (state) drawMap(state); };
              $('datasets').innerHTML = '';
              for (const [name, label] of DATASETS) {
                const b = document.createElement('button');
                b.textContent = label;
                b.className = setup.dataset === name ? 'on' : '';
                b.onclick = () => { setup.dataset = name; apply(); };
                $('datasets').append(b, ' ');
              }
              const chosen = setup.features.split(',');
              $('features').innerHTML = '';
              for (const [name, label] of FEATURES) {
                const l = document.createElement('label'), box = document.createElement('input');
                box.type = 'checkbox';
                box.checked = chosen.includes(name);
                box.onchange = () => {
                  const now = FEATURES.map(f => f[0]).filter(f => f === name ? box.checked : chosen.includes(f));
                  if (now.length) { setup.features = now.join(','); apply(); } else box.checked = true;
                };
                l.append(box, ' ' + label);
                $('features').append(l, document.createElement('br'));
              }
              const sizes = setup.shape ? setup.shape.split(',').map(Number) : [];
              const editor = $('shape');
              editor.innerHTML = '';
              const change = next => { setup.shape = next.join(','); apply(); };
              editor.append(button('+ layer', sizes.length < 8, () => change(sizes.concat([4]))),
                button('- layer', sizes.length > 0, () => change(sizes.slice(0, -1))));
              sizes.forEach((n, i) => {
                const span = document.createElement('span');
                span.append(' layer ' + (i + 1) + ': ', button('-', n > 1, () => { sizes[i]--; change(sizes); }), ' ' + n + ' ',
                  button('+', n < 16, () => { sizes[i]++; change(sizes); }));
                editor.append(span);
              });
            }
            function button(text, enabled, onclick) {
              const b = document.createElement('button');
              b.textContent = text;
              b.disabled = !enabled;
              b.onclick = onclick;
              return b;
            }

            async function poll() {
              try {
                const r = await fetch('/state');
                if (r.ok) await show(await r.json());
              } catch (e) { $('message').textContent = 'the server does not answer: is it still running?'; }
              setTimeout(poll, 100);
            }
            async function show(s) {
              if (s.version !== pointsVersion) {
                const r = await fetch('/points');
                const p = await r.json();
                points = p.points;
                pointsVersion = p.version;
              }
              if (!first || first.version !== s.version || s.epoch === 0) first = {version: s.version, loss: s.trainLoss, output: s.output[0]};
              state = s;
              $('epoch').textContent = s.epoch;
              $('play').textContent = s.playing ? 'pause' : 'play';
              if (s.message) $('message').textContent = s.message;
              const acc = s.classes ? ', accuracy ' + (100 * s.trainAccuracy).toFixed(1) + ' % / ' + (100 * s.testAccuracy).toFixed(1) + ' %' : '';
              $('losses').textContent = 'loss: training ' + fixed(s.trainLoss) + ', test ' + fixed(s.testLoss) + acc;
              let change = 0;
              s.output[0].forEach((v, i) => { change += Math.abs(v - first.output[i]); });
              const d = document.body.dataset;
              d.epoch = s.epoch; d.trainLoss = s.trainLoss; d.testLoss = s.testLoss; d.firstLoss = first.loss;
              d.mapChange = (change / s.output[0].length / 100).toFixed(4);
              drawMap(s);
              drawLoss(s);
              drawNetwork(s);
              const pinned = extra.neuron.split('.').map(Number);
              if (!hovered && layout[pinned[0]] && layout[pinned[0]][pinned[1]]) hovered = layout[pinned[0]][pinned[1]];
              if (hovered) explain(hovered);
            }
            function setting(s, key) { return new URLSearchParams(s.setup).get(key); }
            function fixed(v) { return v === null ? 'undefined' : v.toFixed(4); }

            function rgb(v) {
              const a = Math.min(1, Math.abs(v)), c = CLASS_COLOURS[v < 0 ? 0 : 1];
              return c.map(x => Math.round(255 + (x - 255) * a));
            }
            function mix(ps) {
              const c = [0, 0, 0];
              ps.forEach((p, k) => { for (let i = 0; i < 3; i++) c[i] += p * CLASS_COLOURS[k][i]; });
              const a = Math.max(0, (Math.max(...ps) - 1 / 3) * 1.5);
              return c.map(x => Math.round(255 + (x - 255) * a));
            }
            function image(side, colourAt) {
              const canvas = document.createElement('canvas');
              canvas.width = canvas.height = side;
              const g = canvas.getContext('2d'), img = g.createImageData(side, side);
              for (let i = 0; i < side * side; i++) {
                const c = colourAt(i);
                img.data.set([c[0], c[1], c[2], 255], 4 * i);
              }
              g.putImageData(img, 0, 0);
              return canvas;
            }
            function drawMap(s) {
              const canvas = $('map'), g = canvas.getContext('2d'), size = canvas.width;
              const colourAt = s.output.length === 3 ? i => mix(s.output.map(ch => ch[i] / 100)) : i => rgb(s.output[0][i] / 100);
              g.imageSmoothingEnabled = true;
              g.drawImage(image(s.grid, colourAt), 0, 0, size, size);
              for (const [x, y, label, train] of points) {
                if (!train && extra.showtest !== '1') continue;
                g.beginPath();
                g.arc((x + 6) / 12 * size, (6 - y) / 12 * size, 3.5, 0, 2 * Math.PI);
                const c = s.classes ? CLASS_COLOURS[label] : rgb(label);
                g.fillStyle = 'rgb(' + c.join(',') + ')';
                g.fill();
                g.strokeStyle = train ? 'white' : 'black';
                g.stroke();
              }
              g.fillStyle = '#444';
              g.font = '11px sans-serif';
              for (const t of [-6, -3, 0, 3]) { g.fillText(String(t), (t + 6) / 12 * size + 2, size - 3); g.fillText(String(-t), 2, (t + 6) / 12 * size + 12); }
            }
            function drawLoss(s) {
              const canvas = $('loss'), g = canvas.getContext('2d'), w = canvas.width, h = canvas.height, left = 36, up = 14, down = h - 14;
              g.clearRect(0, 0, w, h);
              const hs = s.history;
              if (hs.length < 2) return;
              const top = Math.max(...hs.map(p => Math.max(p[1], p[2])).filter(Number.isFinite)), last = hs[hs.length - 1][0];
              g.strokeStyle = '#999';
              g.lineWidth = 1;
              g.beginPath(); g.moveTo(left, up); g.lineTo(left, down); g.lineTo(w, down); g.stroke();
              g.fillStyle = '#666';
              g.font = '10px sans-serif';
              g.textAlign = 'right';
              g.fillText(top.toPrecision(3), left - 3, up + 4);
              g.fillText('0', left - 3, down + 3);
              g.fillText('epoch ' + last, w - 2, h - 2);
              g.textAlign = 'left';
              g.fillText('0', left, h - 2);
              g.fillText('loss: test (black), training (grey)', left + 4, 9);
              [[2, '#000'], [1, '#999']].forEach(([k, colour]) => {
                g.beginPath();
                hs.forEach((p, i) => { const x = left + 1 + p[0] / last * (w - left - 2), y = down - 1 - p[k] / top * (down - up - 1); i ? g.lineTo(x, y) : g.moveTo(x, y); });
                g.strokeStyle = colour;
                g.lineWidth = 1.5;
                g.stroke();
              });
            }

            let layout = [];
            function drawNetwork(s) {
              const canvas = $('net'), g = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
              const columns = s.maps, most = Math.max(...columns.map(c => c.length));
              const size = Math.max(12, Math.min(40, Math.floor((h - 10) / most) - 6)), gap = (w - size) / (columns.length - 1);
              layout = columns.map((c, i) => c.map((m, k) => ({column: i, node: k, x: i * gap, y: (h - c.length * (size + 6)) / 2 + k * (size + 6), size: size})));
              g.clearRect(0, 0, w, h);
              s.weights.forEach((layer, l) => {
                const from = layout[l], to = layout[l + 1];
                from.forEach((a, i) => to.forEach((b, j) => {
                  const wt = layer.w[i * to.length + j];
                  g.beginPath();
                  g.moveTo(a.x + size, a.y + size / 2);
                  g.bezierCurveTo(a.x + size + gap / 3, a.y + size / 2, b.x - gap / 3, b.y + size / 2, b.x, b.y + size / 2);
                  g.strokeStyle = 'rgba(' + rgb(Math.tanh(wt)).join(',') + ',0.9)';
                  g.lineWidth = Math.min(6, 0.3 + 2 * Math.abs(wt));
                  g.stroke();
                }));
              });
              const last = columns.length - 1;
              layout.forEach((column, c) => column.forEach(n => {
                const m = columns[c][n.node];
                const colourAt = c === last && s.classes ? i => mix(CLASS_COLOURS.map((x, k) => k === n.node ? m[i] / 100 : 0)) : i => rgb(m[i] / 100);
                g.imageSmoothingEnabled = true;
                g.drawImage(image(s.small, colourAt), n.x, n.y, size, size);
                g.strokeStyle = hovered && hovered.column === c && hovered.node === n.node ? '#000' : '#aaa';
                g.lineWidth = 1;
                g.strokeRect(n.x, n.y, size, size);
                if (c === 0) { g.fillStyle = '#222'; g.fillText(FEATURES.find(f => f[0] === setting(s, 'features').split(',')[n.node])[1], n.x, n.y - 2); }
              }));
            }
            $('net').onmousemove = e => {
              const r = $('net').getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
              hovered = null;
              for (const column of layout) for (const n of column) if (x >= n.x && x <= n.x + n.size && y >= n.y && y <= n.y + n.size) hovered = n;
              if (hovered) explain(hovered);
            };
            $('net').onclick = () => { extra.neuron = hovered ? hovered.column + '.' + hovered.node : ''; writeAddress(); };

            function name(c, k, s) {
              if (c === 0) return FEATURES.find(f => f[0] === setting(s, 'features').split(',')[k])[1];
              return c === s.maps.length - 1 ? (s.classes ? 'z' + k : 'y') : 'a' + c + '.' + k;
            }
            function explain(n) {
              const s = state, c = n.column, k = n.node, last = s.maps.length - 1;
              if (c === 0) { $('math').textContent = name(0, k, s) + ': an input, computed from the point (x1, x2).' + String.fromCharCode(10) + 'It has no weights: backward ends here.'; return; }
              const layer = s.weights[c - 1], outs = s.maps[c].length, ins = s.maps[c - 1].length, nl = String.fromCharCode(10);
              let terms = [], grads = [];
              for (let i = 0; i < ins; i++) {
                terms.push(layer.w[i * outs + k].toFixed(3) + ' ' + name(c - 1, i, s));
                grads.push('  dE/dw from ' + name(c - 1, i, s) + ' = ' + layer.g[i * outs + k].toExponential(2));
              }
              const z = (c === last ? name(c, k, s) : 'z') + ' = ' + terms.join(' + ') + ' + ' + layer.b[k].toFixed(3);
              let text = 'forward' + nl + '  ' + z.replace(/[+] -/g, '- ') + nl;
              const act = setting(s, 'activation');
              if (c < last) {
                text += '  ' + name(c, k, s) + ' = ' + act + '(z)' + nl + 'backward' + nl + '  dE/dz = dE/d' + name(c, k, s) + " * f'(z) = dE/d" + name(c, k, s) + ' * (' + s.derivative.replace(/y/g, name(c, k, s)) + ')' + nl
                  + '  dE/d' + name(c, k, s) + ' = sum over the next layer of its weight from here * its dE/dz' + nl;
              } else if (s.classes) {
                text += '  p' + k + ' = exp(z' + k + ') / sum_j exp(z_j)   (softmax)' + nl + 'backward' + nl + '  dE/dz' + k + ' = (p' + k + ' - t' + k + ') / m   (cross-entropy, m points in the batch)' + nl;
              } else {
                text += 'backward' + nl + '  dE/dy = 2 (y - t) / m   (mean squared error, m points in the batch)' + nl;
              }
              const dz = c === last && !s.classes ? 'dE/dy' : c === last ? 'dE/dz' + k : 'dE/dz';
              text += '  dE/dw = (the input along w) * ' + dz + ', summed over the batch; the last batch:' + nl + grads.join(nl) + nl;
              if (c < last && Number(setting(s, 'dropout')) > 0) {
                text += '  while training, dropout keeps ' + name(c, k, s) + ' with probability 1 - ' + setting(s, 'dropout') + ' (then divided by it), else 0' + nl;
              }
              const pen = setting(s, 'reg'), lambda = setting(s, 'regrate');
              const g = pen === 'L2' ? 'g = dE/dw + ' + lambda + ' w' : pen === 'L1' ? 'g = dE/dw + ' + lambda + ' sign(w)' : 'g = dE/dw';
              const rate = setting(s, 'rate');
              const steps = {sgd: 'w = w - ' + rate + ' g', momentum: 'v = 0.9 v + g;  w = w - ' + rate + ' v',
                nesterov: 'v = 0.9 v + g;  w = w - ' + rate + ' (g + 0.9 v)', adagrad: 's = s + g^2;  w = w - ' + rate + ' g / (sqrt(s) + 1e-8)',
                rmsprop: 's = 0.9 s + 0.1 g^2;  w = w - ' + rate + ' g / (sqrt(s) + 1e-8)',
                adam: 'm = 0.9 m + 0.1 g;  v = 0.999 v + 0.001 g^2;  w = w - ' + rate + ' m^ / (sqrt(v^) + 1e-8)'};
              text += 'update (' + setting(s, 'optimizer') + ')' + nl + '  ' + g + nl + '  ' + steps[setting(s, 'optimizer')];
              $('math').textContent = text;
            }

            $('play').onclick = () => control(state && state.playing ? 'pause' : 'play');
            $('step').onclick = () => control('step');
            $('reset').onclick = () => control('reset');
            readAddress();
            apply().then(() => { if (extra.play === '1') control('play'); poll(); });
            </script>
            </body></html>
            """;

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
