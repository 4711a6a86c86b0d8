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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BinaryOperator;
import java.util.function.DoubleUnaryOperator;
import javax.imageio.ImageIO;

/**
 * Lesson 16: autograd, backpropagation that writes itself.
 *
 * Every lesson so far derived its backward pass by hand. A Value is a number that remembers how
 * it was made: the Values it came from and the local derivative of the operation. backward()
 * puts the graph in order and runs the chain rule once per node, so any expression built from
 * Values gets its gradient for free. It reproduces the course's own worked examples exactly,
 * trains a small MLP on XOR and on two moons, and is timed against the matrix version.
 *
 * Follows: Andrej Karpathy's micrograd (the Value, its backward, and Neuron/Layer/MLP), checked
 * against the worked examples of Ex10si0n's chapter 3 (after Victor Zhou) and of the UPM hands-on
 * (exercise 5), which lessons 02 and 03 derived by hand; see README.md.
 * New here: Value (plus, minus, times, divide, negate, pow, exp, log, tanh, sigmoid, relu;
 * backward, with zeroGrad, topologicalOrder and chainRule); ValueNeuron, ValueLayer and Mlp, a
 * network of Values; Operation, the operations' gradient check; moons; asMatrices; the pictures
 * of an expression graph (graphPicture) and of a decision boundary (boundaryPicture).
 * Carried: Layer, Dense, ActivationLayer, Activation, Loss, Network and Matrix from lesson 14, and
 * MeanSquaredError from lesson 12, unchanged: the matrix version of the same network, for the
 * timing and the decision boundary.
 * Changed: nothing carried. micrograd's Neuron and Layer are called ValueNeuron and ValueLayer
 * here, because the course's Neuron (lesson 01) and Layer (lesson 11) are other things.
 *
 * Run: java lessons/16/Autograd.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2]
 */
public class Autograd {

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

    // ---------------------------------------------------------------- autograd

    /**
     * A number that remembers how it was made: the Values it was computed from (inputs) and, for
     * each one, the local derivative d(this)/d(input), worked out in the forward pass. backward()
     * fills in grad = d(root)/d(this) for every Value of the graph.
     */
    static class Value {
        double data, grad;
        final String label; // the operation that made it ("+", "tanh"), or a name for a number typed in
        final Value[] inputs;
        final double[] local; // local[i] = d(this)/d(inputs[i]), at the numbers of the forward pass

        Value(double data, String label, Value[] inputs, double[] local) {
            if (inputs.length != local.length) {
                throw new IllegalArgumentException(inputs.length + " inputs need " + inputs.length
                        + " local derivatives, got " + local.length);
            }
            this.data = data;
            this.label = label;
            this.inputs = inputs;
            this.local = local;
        }

        /** A number typed in (a weight, an input, a constant): a leaf of the graph. */
        Value(double data, String label) {
            this(data, label, new Value[0], new double[0]);
        }

        Value(double data) {
            this(data, "");
        }

        /** A Value made from this alone; slope = d(result)/d(this). */
        Value unary(double result, String op, double slope) {
            return new Value(result, op, new Value[] {this}, new double[] {slope});
        }

        /** A Value made from this and other, with d(result)/d(this) and d(result)/d(other). */
        Value binary(double result, String op, Value other, double slopeThis, double slopeOther) {
            return new Value(result, op, new Value[] {this, other}, new double[] {slopeThis, slopeOther});
        }

        Value plus(Value other) {
            return binary(data + other.data, "+", other, 1, 1);
        }

        Value minus(Value other) {
            return binary(data - other.data, "-", other, 1, -1);
        }

        /** d(ab)/da = b, d(ab)/db = a. */
        Value times(Value other) {
            return binary(data * other.data, "*", other, other.data, data);
        }

        /** d(a/b)/da = 1/b, d(a/b)/db = -a/b^2. */
        Value divide(Value other) {
            return binary(data / other.data, "/", other, 1 / other.data, -data / (other.data * other.data));
        }

        Value negate() {
            return unary(-data, "neg", -1);
        }

        /** d(a^n)/da = n a^(n-1), for a fixed number n. */
        Value pow(double n) {
            return unary(Math.pow(data, n), "^" + Chart.label(n), n * Math.pow(data, n - 1));
        }

        /** d(e^a)/da = e^a: the result itself. */
        Value exp() {
            double e = Math.exp(data);
            return unary(e, "exp", e);
        }

        /** d(ln a)/da = 1/a. */
        Value log() {
            return unary(Math.log(data), "log", 1 / data);
        }

        /** d(tanh a)/da = 1 - tanh^2 a, from the output, as lesson 03's Activation.derivative. */
        Value tanh() {
            double t = Math.tanh(data);
            return unary(t, "tanh", 1 - t * t);
        }

        /** d(sigmoid a)/da = s(1 - s), with s = 1/(1 + e^-a), the output. */
        Value sigmoid() {
            double s = 1 / (1 + Math.exp(-data));
            return unary(s, "sigmoid", s * (1 - s));
        }

        /** Slope 1 where a > 0, else 0 (at exactly 0 the left-hand slope, as lesson 03). */
        Value relu() {
            return unary(Math.max(0, data), "relu", data > 0 ? 1 : 0);
        }

        /**
         * Fills in grad = d(this)/d(v) for this and every Value v it was made from. First every
         * grad of the graph is set to 0 (zeroGrad), so that calling backward twice gives the same
         * numbers as calling it once; then the chain rule runs from this, whose grad is 1, back.
         */
        void backward() {
            List<Value> order = topologicalOrder();
            zeroGrad(order);
            grad = 1;
            chainRule(order);
        }

        static void zeroGrad(List<Value> graph) {
            for (Value v : graph) v.grad = 0;
        }

        /**
         * Visits the graph from its last Value back to its first, each after every Value that uses
         * it, so that its grad is complete when it is passed on: each input gets local * grad,
         * added (+=), because a Value used twice (a + a) gets a share from each use.
         */
        static void chainRule(List<Value> order) {
            for (int n = order.size() - 1; n >= 0; n--) {
                Value v = order.get(n);
                for (int i = 0; i < v.inputs.length; i++) v.inputs[i].grad += v.local[i] * v.grad;
            }
        }

        /** Every Value this was made from, each once and after all of its inputs, and this last. */
        List<Value> topologicalOrder() {
            List<Value> order = new ArrayList<>();
            visit(this, new HashSet<>(), order);
            return order;
        }

        /** Depth first: a Value goes into the order only after everything it was made from. */
        static void visit(Value v, Set<Value> seen, List<Value> order) {
            if (!seen.add(v)) return; // already in the order: a Value used twice is visited once
            for (Value input : v.inputs) visit(input, seen, order);
            order.add(v);
        }
    }

    // ---------------------------------------------------------------- a network of Values

    /** micrograd's Neuron: tanh(b + sum w_i x_i), every weight and the bias a Value. */
    static class ValueNeuron {
        final Value[] weights;
        final Value bias;

        /** Weights, then the bias, drawn uniformly from [-1, 1), as lesson 01's neuron. */
        ValueNeuron(int inputs, Random rng) {
            weights = new Value[inputs];
            for (int i = 0; i < inputs; i++) weights[i] = new Value(2 * rng.nextDouble() - 1, "w");
            bias = new Value(2 * rng.nextDouble() - 1, "b");
        }

        /** The sum in lesson 03's order: the bias first, then each weight times its input. */
        Value forward(Value[] x) {
            if (x.length != weights.length) {
                throw new IllegalArgumentException("expected " + weights.length + " inputs, got " + x.length);
            }
            Value z = bias;
            for (int i = 0; i < weights.length; i++) z = z.plus(weights[i].times(x[i]));
            return z.tanh();
        }
    }

    /** micrograd's Layer: neurons that all read the same inputs. */
    static class ValueLayer {
        final ValueNeuron[] neurons;

        ValueLayer(int inputs, int outputs, Random rng) {
            neurons = new ValueNeuron[outputs];
            for (int j = 0; j < outputs; j++) neurons[j] = new ValueNeuron(inputs, rng);
        }

        Value[] forward(Value[] x) {
            Value[] y = new Value[neurons.length];
            for (int j = 0; j < neurons.length; j++) y[j] = neurons[j].forward(x);
            return y;
        }
    }

    /** micrograd's MLP: layers of sizes {inputs, hidden..., outputs}, tanh everywhere. */
    static class Mlp {
        final ValueLayer[] layers;

        Mlp(int[] sizes, Random rng) {
            layers = new ValueLayer[sizes.length - 1];
            for (int l = 0; l < layers.length; l++) layers[l] = new ValueLayer(sizes[l], sizes[l + 1], rng);
        }

        Value[] forward(double[] x) {
            Value[] v = new Value[x.length];
            for (int i = 0; i < x.length; i++) v[i] = new Value(x[i], "x");
            for (ValueLayer layer : layers) v = layer.forward(v);
            return v;
        }

        /** E = (1/n) sum (y - t)^2 over n samples of one output: one graph for the whole batch. */
        Value loss(double[][] x, double[] t) {
            if (x.length != t.length) throw new IllegalArgumentException(x.length + " inputs but " + t.length + " targets");
            Value sum = new Value(0);
            for (int s = 0; s < x.length; s++) sum = sum.plus(forward(x[s])[0].minus(new Value(t[s])).pow(2));
            return sum.divide(new Value(x.length));
        }

        /** Every weight and bias, layer by layer, neuron by neuron, its weights before its bias. */
        List<Value> parameters() {
            List<Value> all = new ArrayList<>();
            for (ValueLayer layer : layers) {
                for (ValueNeuron n : layer.neurons) {
                    all.addAll(Arrays.asList(n.weights));
                    all.add(n.bias);
                }
            }
            return all;
        }

        /** One step of gradient descent, with the grads the last backward filled in. */
        void step(double rate) {
            for (Value p : parameters()) p.data -= rate * p.grad;
        }
    }

    /**
     * Full-batch gradient descent: loss, backward, step, epochs times. Returns the loss of each
     * epoch (measured before its step); with show, prints it as it goes at epoch 1, every fifth of
     * the run and the last.
     */
    static double[] train(Mlp net, Points data, int epochs, double rate, boolean show) {
        double[] losses = new double[epochs];
        for (int epoch = 1; epoch <= epochs; epoch++) {
            Value loss = net.loss(data.x(), data.t());
            losses[epoch - 1] = loss.data;
            stopIfDiverged(loss.data, epoch, rate);
            loss.backward();
            net.step(rate);
            if (show && (epoch == 1 || epoch % Math.max(1, epochs / 5) == 0 || epoch == epochs)) {
                System.out.printf("%s epoch %d loss %.4f%s", epoch == 1 ? "    " : "  ", epoch, loss.data, epoch == epochs ? "\n" : "");
                System.out.flush();
            }
        }
        return losses;
    }

    /** The same network as lesson 13's Dense and tanh layers with MSE, the Mlp's numbers copied in. */
    static Network asMatrices(Mlp mlp) {
        Network net = new Network();
        for (ValueLayer layer : mlp.layers) {
            int inputs = layer.neurons[0].weights.length, outputs = layer.neurons.length;
            Matrix w = new Matrix(inputs, outputs), b = new Matrix(1, outputs);
            for (int j = 0; j < outputs; j++) {
                for (int i = 0; i < inputs; i++) w.data()[i * outputs + j] = layer.neurons[j].weights[i].data;
                b.data()[j] = layer.neurons[j].bias.data;
            }
            net.add(new Dense(w, b));
            net.add(new ActivationLayer(Activation.TANH));
        }
        net.use(new MeanSquaredError());
        return net;
    }

    /** Inputs, one sample a row, and one target per sample. */
    record Points(double[][] x, double[] t) {
        Matrix inputs() {
            return Matrix.of(x);
        }

        Matrix targets() {
            Matrix m = new Matrix(t.length, 1);
            System.arraycopy(t, 0, m.data(), 0, t.length);
            return m;
        }
    }

    /**
     * Two moons: n points, half on the upper arc (cos a, sin a), class 0, half on the lower arc
     * (1 - cos a, 0.5 - sin a), class 1, with a uniform in [0, pi], each point moved by Gaussian
     * noise of standard deviation 0.1. Targets -1 (class 0) and +1 (class 1), as tanh gives.
     */
    static Points moons(int n, Random rng) {
        double[][] x = new double[n][2];
        double[] t = new double[n];
        for (int s = 0; s < n; s++) {
            double a = Math.PI * rng.nextDouble();
            boolean upper = s % 2 == 0;
            x[s][0] = (upper ? Math.cos(a) : 1 - Math.cos(a)) + 0.1 * rng.nextGaussian();
            x[s][1] = (upper ? Math.sin(a) : 0.5 - Math.sin(a)) + 0.1 * rng.nextGaussian();
            t[s] = upper ? -1 : 1;
        }
        return new Points(x, t);
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/16/Autograd.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2]
              --seed N       seed of the random inputs, the starting weights and the moons (default 42)
              --rate X       learning rate of the two-moons MLP (default 0.5)
              --epochs N     epochs of the two-moons MLP (default 100)
              --exercise N   run exercise N of the README instead of the lesson""";

    static final double RATE = 0.5, XOR_RATE = 0.5;
    static final int EPOCHS = 100, XOR_EPOCHS = 300, MOONS = 100, CHECKS = 20, TIMED = 11;
    static final int[] XOR_SIZES = {2, 4, 1}, MOONS_SIZES = {2, 16, 16, 1};

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            double rate = flags.decimal("--rate", RATE, 1e-6, 10);
            int epochs = (int) flags.number("--epochs", EPOCHS, 1, 10_000);
            switch ((int) flags.number("--exercise", 0, 0, 2)) {
                case 1 -> exerciseSoftplus();
                case 2 -> exerciseBackwardTwice();
                default -> lesson(new Random(seed), epochs, rate);
            }
        } catch (UserError e) {
            System.err.println("Autograd: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(Random rng, int epochs, double rate) {
        System.out.println("Lesson 16: autograd, backpropagation that writes itself");
        operations(rng);
        courseExamples();
        xor(rng);
        Points data = moons(MOONS, rng);
        Mlp net = new Mlp(MOONS_SIZES, rng);
        twoMoons(net, data, epochs, rate, rng);
        whyTensors(net, data);
    }

    // ---------------------------------------------------------------- 1. the operations

    /** One operation as a function of two Values (a unary one ignores b), and the range its inputs are drawn from. */
    record Operation(String name, BinaryOperator<Value> f, double low, double high) {
        double at(double a, double b) {
            return f.apply(new Value(a), new Value(b)).data;
        }
    }

    static final List<Operation> OPERATIONS = List.of(
            new Operation("a + b", Value::plus, -2, 2),
            new Operation("a - b", Value::minus, -2, 2),
            new Operation("a * b", Value::times, -2, 2),
            new Operation("a / b", Value::divide, 0.5, 2),
            new Operation("-a", (a, b) -> a.negate(), -2, 2),
            new Operation("a^3", (a, b) -> a.pow(3), -2, 2),
            new Operation("a^0.5", (a, b) -> a.pow(0.5), 0.5, 2),
            new Operation("exp a", (a, b) -> a.exp(), -2, 2),
            new Operation("log a", (a, b) -> a.log(), 0.5, 2),
            new Operation("tanh a", (a, b) -> a.tanh(), -2, 2),
            new Operation("sigmoid a", (a, b) -> a.sigmoid(), -2, 2),
            new Operation("relu a", (a, b) -> a.relu(), -2, 2));

    /**
     * d/da and d/db of one operation at (a, b) from backward, against (f(a + h) - f(a - h)) / 2h;
     * returns the larger relative difference |g - n| / (|g| + |n|) (floored, so that two zeros give 0).
     */
    static double gradientCheck(Operation op, double a, double b) {
        Value va = new Value(a, "a"), vb = new Value(b, "b");
        op.f().apply(va, vb).backward();
        double h = 1e-6;
        double[] analytic = {va.grad, vb.grad};
        double[] numeric = {(op.at(a + h, b) - op.at(a - h, b)) / (2 * h), (op.at(a, b + h) - op.at(a, b - h)) / (2 * h)};
        double worst = 0;
        for (int i = 0; i < 2; i++) {
            worst = Math.max(worst, Math.abs(analytic[i] - numeric[i]) / Math.max(Math.abs(analytic[i]) + Math.abs(numeric[i]), 1e-7));
        }
        return worst;
    }

    /** The largest relative difference of an operation over CHECKS random inputs from rng. */
    static double worstOf(Operation op, Random rng) {
        double worst = 0;
        for (int k = 0; k < CHECKS; k++) {
            double a = op.low() + (op.high() - op.low()) * rng.nextDouble(), b = op.low() + (op.high() - op.low()) * rng.nextDouble();
            worst = Math.max(worst, gradientCheck(op, a, b));
        }
        return worst;
    }

    /** a*a + a, whose a is used three times: d/da = 2a + 1. */
    static Value squarePlus(Value a) {
        return a.times(a).plus(a);
    }

    /** Step 1: every operation's gradient checked; a Value used twice; backward twice. */
    static void operations(Random rng) {
        System.out.printf("%n1. Every operation's gradient from backward() against the central difference"
                + " (f(a + h) - f(a - h)) / 2h, %d random inputs each%n", CHECKS);
        System.out.println("   operation    largest relative difference");
        double worst = 0;
        for (Operation op : OPERATIONS) {
            double w = worstOf(op, rng);
            worst = Math.max(worst, w);
            System.out.printf("   %-12s %.1e%n", op.name(), w);
        }
        System.out.println("   " + (worst < 1e-6 ? "All below 1e-6: every local derivative is right."
                : "Some are above 1e-6: a local derivative is WRONG."));
        Value a = new Value(3, "a"), twice = a.plus(a);
        twice.backward();
        System.out.printf("%n   A Value used twice gets a share from each use (+=, not =), a = 3:%n");
        System.out.printf("   a + a     = %s, d/da = %s%n", Chart.label(twice.data), Chart.label(a.grad));
        Value f = squarePlus(a);
        f.backward();
        double first = a.grad;
        f.backward();
        System.out.printf("   a*a + a   = %s, d/da = %s (2a + 1 = %s)%n", Chart.label(f.data), Chart.label(first), Chart.label(2 * a.data + 1));
        System.out.printf("   backward() on a*a + a once more: d/da = %s, %s (backward sets the graph's grads to 0 first)%n",
                Chart.label(a.grad), a.grad == first ? "the same" : "NOT the same");
    }

    // ---------------------------------------------------------------- 2. the course's examples

    /** A sigmoid neuron on Values: sigmoid(b + sum w_i x_i), added in lesson 03's order, the bias first. */
    static Value sigmoidNeuron(Value[] weights, Value bias, Value... x) {
        Value z = bias;
        for (int i = 0; i < weights.length; i++) z = z.plus(weights[i].times(x[i]));
        return z.sigmoid();
    }

    /** E = 1/2 (t - y)^2, lesson 03's error for one output. */
    static Value halfSquaredError(double target, Value y) {
        return new Value(target, "t").minus(y).pow(2).times(new Value(0.5, "1/2"));
    }

    /** Lesson 02's 2-2-1 network, every neuron with weights [0, 1] and bias 0, on [2, 3]: o1. */
    static Value lesson02Output() {
        Value x1 = new Value(2, "x1"), x2 = new Value(3, "x2");
        Value[] h = new Value[2];
        for (int j = 0; j < 2; j++) h[j] = sigmoidNeuron(new Value[] {new Value(0, "w"), new Value(1, "w")}, new Value(0, "b"), x1, x2);
        return sigmoidNeuron(new Value[] {new Value(0, "w"), new Value(1, "w")}, new Value(0, "b"), h);
    }

    /**
     * Lesson 03's worked neuron: weights [0.5, -0.3], bias 0.1, input [1, 2], target 1, as Values.
     * Returns the error E, then the leaves w1, w2, b, x1, x2.
     */
    static Value[] lesson03Neuron() {
        Value w1 = new Value(0.5, "w1"), w2 = new Value(-0.3, "w2"), b = new Value(0.1, "b");
        Value x1 = new Value(1, "x1"), x2 = new Value(2, "x2");
        return new Value[] {halfSquaredError(1, sigmoidNeuron(new Value[] {w1, w2}, b, x1, x2)), w1, w2, b, x1, x2};
    }

    /** The same neuron's dE/dw1, dE/dw2, dE/db, dE/dx1, dE/dx2 by lesson 03's hand-derived formulas, in its order. */
    static double[] lesson03ByHand() {
        double z = 0.1;
        z += 0.5 * 1;
        z += -0.3 * 2;
        double y = 1 / (1 + Math.exp(-z));
        double delta = (y - 1) * (y * (1 - y)); // dE/dz = dE/dy * f'(z), with dE/dy = y - t
        return new double[] {delta * 1, delta * 2, delta, delta * 0.5, delta * -0.3};
    }

    /**
     * The tutorial's exercise 5 (lesson 03, step 3): input 1, two sigmoid hidden neurons, one sigmoid
     * output neuron, every weight 0.5 and every bias 0, target 1. Returns E, then the parameters:
     * hidden 1 w and b, hidden 2 w and b, output w1, w2 and b.
     */
    static Value[] exerciseFive() {
        Value x = new Value(1, "x");
        Value[] p = {new Value(0.5, "w"), new Value(0, "b"), new Value(0.5, "w"), new Value(0, "b"),
            new Value(0.5, "w"), new Value(0.5, "w"), new Value(0, "b")}; // in the order of EXERCISE_FIVE_NAMES
        Value h1 = sigmoidNeuron(new Value[] {p[0]}, p[1], x), h2 = sigmoidNeuron(new Value[] {p[2]}, p[3], x);
        Value o = sigmoidNeuron(new Value[] {p[4], p[5]}, p[6], h1, h2);
        Value[] all = new Value[8];
        all[0] = halfSquaredError(1, o);
        System.arraycopy(p, 0, all, 1, 7);
        return all;
    }

    /** Exercise 5's gradients by lesson 03's formulas, in the order of exerciseFive's parameters. */
    static double[] exerciseFiveByHand() {
        double h = 1 / (1 + Math.exp(-(0 + 0.5 * 1)));
        double z = 0;
        z += 0.5 * h;
        z += 0.5 * h;
        double o = 1 / (1 + Math.exp(-z));
        double deltaO = (o - 1) * (o * (1 - o));
        double deltaH = deltaO * 0.5 * (h * (1 - h)); // passed back along the weight of the forward pass, 0.5
        return new double[] {deltaH * 1, deltaH, deltaH * 1, deltaH, deltaO * h, deltaO * h, deltaO};
    }

    static final String[] EXERCISE_FIVE_NAMES = {"hidden 1 w", "hidden 1 b", "hidden 2 w", "hidden 2 b", "output w1", "output w2", "output b"};

    /** Step 2: lesson 02's 2-2-1 network, lesson 03's neuron (and its graph) and the tutorial's exercise 5. */
    static void courseExamples() {
        System.out.println("\n2. The course's worked examples, built from Values");
        double o1 = lesson02Output().data;
        System.out.printf("   lesson 02's 2-2-1 network on [2, 3]: o1 = %s (lesson 02: 0.7216325609518421)%n", o1);

        Value[] n = lesson03Neuron();
        n[0].backward();
        double[] hand = lesson03ByHand();
        String[] names = {"dE/dw1", "dE/dw2", "dE/db", "dE/dx1", "dE/dx2"};
        System.out.printf("%n   lesson 03's neuron (w [0.5, -0.3], b 0.1, x [1, 2], t 1): E = 1/2 (t - y)^2 = %s%n", Chart.label(n[0].data));
        System.out.println("   gradient    backward()         lesson 03's formulas   the same double");
        boolean same = true;
        for (int i = 0; i < names.length; i++) {
            same &= n[i + 1].grad == hand[i];
            System.out.printf("   %-9s %+.15f %+.15f   %s%n", names[i], n[i + 1].grad, hand[i], n[i + 1].grad == hand[i]);
        }
        System.out.println("   graph: " + savePng(graphPicture(n[0], "Lesson 03's neuron: E = 1/2 (t - sigmoid(b + w1 x1 + w2 x2))^2, after backward()"),
                "16-neuron-graph.png"));

        Value[] e = exerciseFive();
        e[0].backward();
        double[] byHand = exerciseFiveByHand();
        System.out.println("\n   the tutorial's exercise 5 (lesson 03, step 3): 1-2-1, weights 0.5, biases 0, input 1, target 1");
        System.out.println("   parameter    dE/dp from backward()   lesson 03's formulas   the same   after a step of 0.8");
        for (int i = 0; i < byHand.length; i++) {
            Value p = e[i + 1];
            same &= p.grad == byHand[i];
            System.out.printf("   %-12s %+.15f %+.15f %9s   %.12f%n", EXERCISE_FIVE_NAMES[i], p.grad, byHand[i], p.grad == byHand[i],
                    p.data - 0.8 * p.grad);
        }
        System.out.println("   " + (same ? "Every gradient is the same double as the hand-derived one: autograd does lesson 03's arithmetic."
                : "Some gradients DIFFER from the hand-derived ones."));
    }

    // ---------------------------------------------------------------- 3. an MLP on Values

    static final Points XOR = new Points(new double[][] {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, new double[] {0, 1, 1, 0});

    /** Step 3a: a 2-4-1 tanh MLP of Values learns XOR. */
    static void xor(Random rng) {
        Mlp net = new Mlp(XOR_SIZES, rng);
        double[] losses = train(net, XOR, XOR_EPOCHS, XOR_RATE, false);
        System.out.printf("%n3. An MLP of Values (micrograd's Neuron, Layer and MLP)%n");
        System.out.printf("   XOR, 2-4-1 tanh, MSE, full batch, rate %s: loss %.4f before, %.4f after %d epochs%n",
                Chart.label(XOR_RATE), losses[0], net.loss(XOR.x(), XOR.t()).data, XOR_EPOCHS);
        double worst = 0;
        for (int s = 0; s < 4; s++) {
            double y = net.forward(XOR.x()[s])[0].data;
            worst = Math.max(worst, Math.abs(y - XOR.t()[s]));
            System.out.printf("   [%s, %s] -> %.4f (target %s)%n", Chart.label(XOR.x()[s][0]), Chart.label(XOR.x()[s][1]), y, Chart.label(XOR.t()[s]));
        }
        System.out.printf("   %s: every output within %.2f of its target%n", worst < 0.5 ? "learned" : "NOT learned", worst);
    }

    /** The share of points whose output has the sign of their target. */
    static double accuracy(Mlp net, Points data) {
        int right = 0;
        for (int s = 0; s < data.t().length; s++) if (net.forward(data.x()[s])[0].data * data.t()[s] > 0) right++;
        return 100.0 * right / data.t().length;
    }

    /** The largest relative difference between backward's dE/dp and the central difference, for count parameters drawn from rng. */
    static double networkGradientCheck(Mlp net, Points data, int count, Random rng) {
        List<Value> parameters = net.parameters();
        net.loss(data.x(), data.t()).backward();
        double h = 1e-6, worst = 0;
        for (int k = 0; k < count; k++) {
            Value p = parameters.get(rng.nextInt(parameters.size()));
            double saved = p.data, analytic = p.grad;
            p.data = saved + h;
            double up = net.loss(data.x(), data.t()).data;
            p.data = saved - h;
            double down = net.loss(data.x(), data.t()).data;
            p.data = saved;
            double numeric = (up - down) / (2 * h);
            worst = Math.max(worst, Math.abs(analytic - numeric) / Math.max(Math.abs(analytic) + Math.abs(numeric), 1e-7));
        }
        return worst;
    }

    /** Step 3b: the 2-16-16-1 MLP on two moons, its gradient checked, its decision boundary drawn. */
    static void twoMoons(Mlp net, Points data, int epochs, double rate, Random rng) {
        System.out.printf("%n   Two moons, %d points, 2-16-16-1 tanh (%d parameters), MSE, full batch, rate %s, %d epochs%n",
                MOONS, net.parameters().size(), Chart.label(rate), epochs);
        double check = networkGradientCheck(net, data, 10, rng);
        System.out.printf("   backward() through the whole untrained network against central differences, 10 parameters: %.1e%n", check);
        train(net, data, epochs, rate, true);
        System.out.printf("   after %d epochs: loss %.4f, training accuracy %.0f%%%n", epochs, net.loss(data.x(), data.t()).data, accuracy(net, data));
        System.out.println("   plot: " + savePng(boundaryPicture(asMatrices(net), data, String.format(
                "Two moons: the MLP of Values after %d epochs (%.0f%% right)", epochs, accuracy(net, data))), "16-moons.png"));
    }

    // ---------------------------------------------------------------- 4. why tensors

    /** The median time of one call of step, in seconds, over TIMED runs of repeat calls each. */
    static double secondsPerCall(Runnable step, int repeat) {
        double[] times = new double[TIMED];
        for (int r = 0; r < TIMED; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < repeat; i++) step.run();
            times[r] = (System.nanoTime() - start) / 1e9 / repeat;
        }
        Arrays.sort(times);
        return times[TIMED / 2];
    }

    /** The largest difference between the Mlp's gradients (from backward) and those of its matrix copy. */
    static double gradientGap(Mlp mlp, Network net, Points data) {
        mlp.loss(data.x(), data.t()).backward();
        net.backward(net.predict(data.inputs()), data.targets(), 0); // learning rate 0: gradients, no step
        double gap = 0;
        for (int l = 0; l < mlp.layers.length; l++) {
            Dense dense = (Dense) net.layers.get(2 * l);
            ValueNeuron[] neurons = mlp.layers[l].neurons;
            for (int j = 0; j < neurons.length; j++) {
                for (int i = 0; i < neurons[j].weights.length; i++) {
                    gap = Math.max(gap, Math.abs(neurons[j].weights[i].grad - dense.weightGradient.get(i, j)));
                }
                gap = Math.max(gap, Math.abs(neurons[j].bias.grad - dense.biasGradient.get(0, j)));
            }
        }
        return gap;
    }

    /** Step 4: one training step of the MLP of Values against the same network as matrices, timed. */
    static void whyTensors(Mlp mlp, Points data) {
        Network net = asMatrices(mlp);
        Matrix x = data.inputs(), t = data.targets();
        System.out.printf("%n4. Why frameworks use tensors: one training step (forward, backward, update) on the %d points%n", MOONS);
        System.out.printf("   the same network as lesson 13's matrices: the gradients agree to within %.1e (sums added in another order)%n",
                gradientGap(mlp, net, data));
        int values = mlp.loss(data.x(), data.t()).topologicalOrder().size() - mlp.parameters().size(); // the parameters are kept, not built
        Runnable valueStep = () -> {
            mlp.loss(data.x(), data.t()).backward();
            mlp.step(0); // rate 0: the same work, the same weights for the next run
        };
        Runnable matrixStep = () -> net.backward(net.predict(x), t, 0);
        for (int i = 0; i < 10; i++) valueStep.run(); // warm up: let the JIT compile both before the clock runs
        for (int i = 0; i < 300; i++) matrixStep.run();
        double valueSeconds = secondsPerCall(valueStep, 1), matrixSeconds = secondsPerCall(matrixStep, 100);
        System.out.printf("   Values:   %8.3f ms a step, building %,d new Values (objects) a step%n", 1e3 * valueSeconds, values);
        System.out.printf("   matrices: %8.3f ms a step, %d matrix products and a few loops over flat double[] arrays%n",
                1e3 * matrixSeconds, 3 * (net.layers.size() / 2)); // per Dense: one forward, two backward
        System.out.printf("   The Values take %.0f times as long (median of %d runs, after warming up).%n", valueSeconds / matrixSeconds, TIMED);
    }

    // ---------------------------------------------------------------- exercises

    /** softplus(a) = ln(1 + e^a), composed from Values: autograd differentiates exactly what is written. */
    static Value softplusComposed(Value a) {
        return new Value(1).plus(a.exp()).log();
    }

    /** softplus as an operation of its own: max(a, 0) + ln(1 + e^-|a|), the same number, never e^800; its slope is sigmoid(a). */
    static Value softplus(Value a) {
        double x = a.data;
        return a.unary(Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), "softplus", 1 / (1 + Math.exp(-x)));
    }

    /** Exercise 1: softplus composed and as one operation, at small and extreme inputs. */
    static void exerciseSoftplus() {
        System.out.println("Exercise 1: softplus(a) = ln(1 + e^a) and its slope, composed from exp, plus and log, and as one operation");
        System.out.println("       a     composed: value      slope      one operation: value      slope");
        String broken = "";
        for (double x : new double[] {-800, -30, 0, 3, 30, 800}) {
            Value a = new Value(x), b = new Value(x);
            Value composed = softplusComposed(a), single = softplus(b);
            composed.backward();
            single.backward();
            System.out.printf("   %5s %20.6g %10.6g %24.6g %10.6g%n", Chart.label(x), composed.data, a.grad, single.data, b.grad);
            if (broken.isEmpty() && !(Double.isFinite(composed.data) && Double.isFinite(a.grad))) broken = Chart.label(x);
        }
        System.out.println("   " + (broken.isEmpty() ? "The composed form stays finite everywhere here."
                : "The composed form breaks from a = " + broken + ": e^a overflows, and the chain rule multiplies 0 by Infinity;"
                + " the single operation gives the slope sigmoid(a) everywhere."));
    }

    /** micrograd's backward: the root's grad set to 1 and the chain rule run, without zeroing the graph first. */
    static void backwardWithoutZeroing(Value root) {
        List<Value> order = root.topologicalOrder();
        root.grad = 1;
        Value.chainRule(order);
    }

    /** Exercise 2: backward twice, micrograd's way and this lesson's, on micrograd issue 53's example. */
    static void exerciseBackwardTwice() {
        System.out.println("Exercise 2: e = (a + b) * d with a = 3, b = 2, d = 1; backward twice (micrograd issue 53)");
        System.out.println("                         de/da  de/db  de/dc  de/dd");
        for (boolean zeroing : new boolean[] {false, true}) {
            Value a = new Value(3, "a"), b = new Value(2, "b"), d = new Value(1, "d");
            Value c = a.plus(b), e = c.times(d);
            for (int call = 1; call <= 2; call++) {
                if (zeroing) e.backward(); else backwardWithoutZeroing(e);
                System.out.printf("   %-12s call %d %6s %6s %6s %6s%n", zeroing ? "backward()" : "micrograd's", call,
                        Chart.label(a.grad), Chart.label(b.grad), Chart.label(c.grad), Chart.label(d.grad));
            }
        }
        System.out.println("   micrograd's second call adds a second round of shares onto grads that already hold the first,");
        System.out.println("   and passes the doubled grads on: a gets 3, not 1 and not 2. backward() zeroes the graph first.");
    }

    // ---------------------------------------------------------------- pictures

    static final Color LEAF = new Color(214, 234, 248), OPERATION = new Color(253, 242, 208);

    /**
     * An expression graph as boxes and arrows, from the leaves on the left to root on the right:
     * each box holds a Value's label, its number and its grad. A Value's column is the length of
     * the longest path from it to the root, so every arrow points right.
     */
    static BufferedImage graphPicture(Value root, String title) {
        List<Value> order = root.topologicalOrder();
        Map<Value, Integer> level = new HashMap<>();
        level.put(root, 0);
        for (int n = order.size() - 1; n >= 0; n--) { // every user of a Value comes before it in this loop
            Value v = order.get(n);
            for (Value input : v.inputs) level.merge(input, level.get(v) + 1, Math::max);
        }
        int columns = 1 + level.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        List<List<Value>> byColumn = new ArrayList<>();
        for (int c = 0; c < columns; c++) byColumn.add(new ArrayList<>());
        for (Value v : order) byColumn.get(columns - 1 - level.get(v)).add(v);
        int width = 1200, height = 560, boxW = 118, boxH = 58, top = 60;
        double columnW = (width - 40.0) / columns;
        Map<Value, double[]> at = new HashMap<>(); // the centre of each box
        for (int c = 0; c < columns; c++) {
            List<Value> column = byColumn.get(c);
            for (int r = 0; r < column.size(); r++) {
                at.put(column.get(r), new double[] {20 + columnW * (c + 0.5), top + (height - top - 20.0) * (r + 0.5) / column.size()});
            }
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setStroke(new BasicStroke(1.5f));
        g.setColor(Color.GRAY);
        for (Value v : order) {
            for (Value input : v.inputs) arrow(g, at.get(input)[0] + boxW / 2.0, at.get(input)[1], at.get(v)[0] - boxW / 2.0, at.get(v)[1]);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        for (Value v : order) {
            int x = (int) (at.get(v)[0] - boxW / 2.0), y = (int) (at.get(v)[1] - boxH / 2.0);
            g.setColor(v.inputs.length == 0 ? LEAF : OPERATION);
            g.fillRoundRect(x, y, boxW, boxH, 10, 10);
            g.setColor(Color.BLACK);
            g.drawRoundRect(x, y, boxW, boxH, 10, 10);
            String[] lines = {v.label.isEmpty() ? "(number)" : v.label, "value " + number(v.data), "grad " + number(v.grad)};
            for (int i = 0; i < 3; i++) {
                g.setFont(new Font(Font.SANS_SERIF, i == 0 ? Font.BOLD : Font.PLAIN, 12));
                g.drawString(lines[i], x + (boxW - fm.stringWidth(lines[i])) / 2, y + 17 + 17 * i);
            }
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("blue: numbers typed in (leaves); yellow: operations. grad = dE/d(this box), filled in by backward()", 20, height - 10);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, (width - g.getFontMetrics().stringWidth(title)) / 2, 28);
        g.dispose();
        return image;
    }

    /** Four significant digits, or powers of ten for the tiny ones. */
    static String number(double v) {
        return v != 0 && Math.abs(v) < 1e-4 ? String.format("%.2e", v) : Chart.label(v);
    }

    /** A line from (x1, y1) to (x2, y2) with a head at the end. */
    static void arrow(Graphics2D g, double x1, double y1, double x2, double y2) {
        g.draw(new Line2D.Double(x1, y1, x2, y2));
        double angle = Math.atan2(y2 - y1, x2 - x1);
        Path2D.Double head = new Path2D.Double();
        head.moveTo(x2, y2);
        head.lineTo(x2 - 9 * Math.cos(angle - 0.4), y2 - 9 * Math.sin(angle - 0.4));
        head.lineTo(x2 - 9 * Math.cos(angle + 0.4), y2 - 9 * Math.sin(angle + 0.4));
        head.closePath();
        g.fill(head);
    }

    static final double[] X_RANGE = {-1.6, 2.6}, Y_RANGE = {-1.1, 1.6};

    /**
     * The plane shaded by the network's output (blue where it says class 1, orange where class 0,
     * paler near 0), the boundary (output 0) as a dark line, and the points. The network is the
     * matrix copy of the MLP: the same function, one row of pixels a batch.
     */
    static BufferedImage boundaryPicture(Network net, Points data, String title) {
        BufferedImage image = new BufferedImage(800, 500, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 800, 500);
        int w = Chart.RIGHT - Chart.LEFT, h = Chart.BOTTOM - Chart.TOP;
        double[][] out = new double[h][];
        for (int y = 0; y < h; y++) {
            Matrix row = new Matrix(w, 2);
            for (int x = 0; x < w; x++) {
                row.data()[2 * x] = X_RANGE[0] + (x + 0.5) / w * (X_RANGE[1] - X_RANGE[0]);
                row.data()[2 * x + 1] = Y_RANGE[1] - (y + 0.5) / h * (Y_RANGE[1] - Y_RANGE[0]);
            }
            out[y] = net.predict(row).data();
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double o = out[y][x];
                boolean edge = x + 1 < w && o * out[y][x + 1] <= 0 || y + 1 < h && o * out[y + 1][x] <= 0;
                Color c = Chart.COLOURS[o > 0 ? 0 : 1];
                double pale = 0.75 + 0.2 * (1 - Math.min(1, Math.abs(o))); // 0.75 where the network is sure, 0.95 near the boundary
                int rgb = edge ? Color.DARK_GRAY.getRGB() : new Color((int) (c.getRed() + (255 - c.getRed()) * pale),
                        (int) (c.getGreen() + (255 - c.getGreen()) * pale), (int) (c.getBlue() + (255 - c.getBlue()) * pale)).getRGB();
                image.setRGB(Chart.LEFT + x, Chart.TOP + y, rgb);
            }
        }
        for (int s = 0; s < data.t().length; s++) {
            double px = Chart.LEFT + (data.x()[s][0] - X_RANGE[0]) / (X_RANGE[1] - X_RANGE[0]) * w;
            double py = Chart.BOTTOM - (data.x()[s][1] - Y_RANGE[0]) / (Y_RANGE[1] - Y_RANGE[0]) * h;
            g.setColor(Chart.COLOURS[data.t()[s] > 0 ? 0 : 1]);
            g.fill(new Ellipse2D.Double(px - 4, py - 4, 8, 8));
            g.setColor(Color.BLACK);
            g.draw(new Ellipse2D.Double(px - 4, py - 4, 8, 8));
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        FontMetrics fm = g.getFontMetrics();
        double[] xr = X_RANGE, yr = Y_RANGE;
        for (double t : Chart.ticks(xr, false)) {
            int px = (int) (Chart.LEFT + (t - xr[0]) / (xr[1] - xr[0]) * w);
            g.drawString(Chart.label(t), px - fm.stringWidth(Chart.label(t)) / 2, Chart.BOTTOM + 18);
        }
        for (double t : Chart.ticks(yr, false)) {
            int py = (int) (Chart.BOTTOM - (t - yr[0]) / (yr[1] - yr[0]) * h);
            g.drawString(Chart.label(t), Chart.LEFT - 8 - fm.stringWidth(Chart.label(t)), py + 4);
        }
        g.drawRect(Chart.LEFT, Chart.TOP, w, h);
        g.drawString("x1", (Chart.LEFT + Chart.RIGHT) / 2, 484);
        g.drawString("x2", 18, (Chart.TOP + Chart.BOTTOM) / 2);
        String[] legend = {"class 0 (target -1)", "class 1 (target +1)", "boundary: output 0"};
        int left = Chart.RIGHT - 170, top = Chart.TOP + 10;
        g.setColor(Color.WHITE);
        g.fillRect(left, top, 160, 68);
        for (int i = 0; i < 3; i++) {
            g.setColor(i < 2 ? Chart.COLOURS[1 - i] : Color.DARK_GRAY);
            if (i < 2) g.fill(new Ellipse2D.Double(left + 10, top + 9 + 20 * i, 8, 8)); else g.fillRect(left + 6, top + 12 + 20 * i, 16, 3);
            g.setColor(Color.BLACK);
            g.drawString(legend[i], left + 30, top + 18 + 20 * i);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, (800 - g.getFontMetrics().stringWidth(title)) / 2, Chart.TOP - 14);
        g.dispose();
        return image;
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
