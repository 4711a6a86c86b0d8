import java.util.Map;
import java.util.Random;

/** Lesson 11's checks: Dense and ActivationLayer forward and backward, the MSE loss and its gradient, exercise 1's softmax layer. */
class LayersCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("Dense.forward", LayersCheck::denseForward)
                .hole("Dense.backward", LayersCheck::denseBackward)
                .hole("ActivationLayer.forward", LayersCheck::activationForward)
                .hole("ActivationLayer.backward", LayersCheck::activationBackward)
                .hole("MeanSquaredError.loss", LayersCheck::mseLoss)
                .hole("MeanSquaredError.gradient", LayersCheck::mseGradient)
                .hole("Softmax.forward", LayersCheck::softmaxForward)
                .hole("Softmax.backward", LayersCheck::softmaxBackward)
                .verdicts;
    }

    static Layers.Matrix random(int rows, int cols, long seed) {
        Random rng = new Random(seed);
        Layers.Matrix m = new Layers.Matrix(rows, cols);
        for (int i = 0; i < m.data().length; i++) m.data()[i] = rng.nextGaussian();
        return m;
    }

    static Layers.Dense dense() {
        return new Layers.Dense(random(3, 2, 1), random(1, 2, 2));
    }

    /** X.W + B, computed here. */
    static double y(Layers.Matrix x, Layers.Matrix w, Layers.Matrix b, int r, int j) {
        double z = b.get(0, j);
        for (int i = 0; i < w.rows(); i++) z += x.get(r, i) * w.get(i, j);
        return z;
    }

    static void denseForward() {
        Layers.Dense layer = dense();
        Layers.Matrix x = random(4, 3, 3), y = layer.forward(x);
        that(y.rows() == 4 && y.cols() == 2, "a 3-to-2 Dense layer on 4 rows should give 4x2, gave " + y.shape());
        for (int r = 0; r < 4; r++) {
            for (int j = 0; j < 2; j++) near(y(x, layer.weights, layer.bias, r, j), y.get(r, j), "Y(" + r + ", " + j + ") = (X.W + B)", "add the bias row to every row");
        }
        that(layer.input != null && layer.input.get(2, 1) == x.get(2, 1), "forward should keep the input: backward needs it");
    }

    /** E = sum of G * Y over every entry: a function whose dE/dY is G, so backward(G) must give its slopes. */
    static double e(Layers.Matrix g, Layers.Matrix x, Layers.Matrix w, Layers.Matrix b) {
        double sum = 0;
        for (int r = 0; r < x.rows(); r++) for (int j = 0; j < w.cols(); j++) sum += g.get(r, j) * y(x, w, b, r, j);
        return sum;
    }

    static void denseBackward() {
        Layers.Dense layer = dense();
        Layers.Matrix x = random(4, 3, 3), g = random(4, 2, 4);
        layer.input = x;
        Layers.Matrix w = layer.weights, b = layer.bias;
        double[] before = w.data().clone();
        Layers.Matrix dX = layer.backward(g, 0);
        for (int i = 0; i < 6; i++) {
            int k = i;
            near(slope(v -> { double keep = w.data()[k]; w.data()[k] = v; double s = e(g, x, w, b); w.data()[k] = keep; return s; }, w.data()[k]),
                    layer.weightGradient.data()[k], 1e-6, "dW entry " + k + " by central differences", "dW = X^T.dY");
        }
        near(slope(v -> { double keep = b.data()[1]; b.data()[1] = v; double s = e(g, x, w, b); b.data()[1] = keep; return s; }, b.data()[1]),
                layer.biasGradient.data()[1], 1e-6, "dB entry 1 by central differences", "the column sums of dY");
        for (int i = 0; i < 12; i++) {
            int k = i;
            near(slope(v -> { double keep = x.data()[k]; x.data()[k] = v; double s = e(g, x, w, b); x.data()[k] = keep; return s; }, x.data()[k]),
                    dX.data()[k], 1e-6, "dX entry " + k + " by central differences", "dX = dY.W^T");
        }
        double dW0 = layer.weightGradient.data()[0];
        Layers.Matrix again = layer.backward(g, 0.1);
        near(before[0] - 0.1 * dW0, w.data()[0], "W(0, 0) after a step of 0.1", "W - eta dW, in place");
        near(dX.data()[5], again.data()[5], "dX entry 5 when the layer also takes a step", "compute dX with W before the step");
    }

    static void activationForward() {
        Layers.ActivationLayer layer = new Layers.ActivationLayer(Layers.Activation.TANH);
        Layers.Matrix z = random(2, 3, 5), y = layer.forward(z);
        near(Math.tanh(z.get(1, 2)), y.get(1, 2), "Y(1, 2) = tanh(Z(1, 2))", "");
        that(layer.output != null && layer.output.get(0, 1) == y.get(0, 1), "forward should keep its output: backward reads f' from it");
    }

    static void activationBackward() {
        Layers.ActivationLayer layer = new Layers.ActivationLayer(Layers.Activation.SIGMOID);
        Layers.Matrix z = random(2, 3, 6), g = random(2, 3, 7);
        layer.output = z.map(Layers.Activation.SIGMOID::apply);
        Layers.Matrix dZ = layer.backward(g, 0.1);
        for (int i = 0; i < 6; i++) {
            double numeric = Checks.slope(v -> Layers.Activation.SIGMOID.apply(v), z.data()[i]) * g.data()[i];
            near(numeric, dZ.data()[i], 1e-6, "dZ entry " + i + " by central differences", "dY times f'(Z), entry by entry: f'(Z) = Y(1 - Y)");
        }
    }

    static void mseLoss() {
        Layers.Loss mse = new Layers.MeanSquaredError();
        Layers.Matrix p = Layers.Matrix.of(new double[] {1, 0}, new double[] {0.5, 2}), t = Layers.Matrix.of(new double[] {0, 0}, new double[] {0.5, 0});
        near((1 + 0 + 0 + 4) / 4.0, mse.loss(p, t), "the MSE of [1 0; 0.5 2] against [0 0; 0.5 0]", "divide by the number of entries, 4");
        near(0, mse.loss(p, p), "the MSE of a perfect prediction", "");
    }

    static void mseGradient() {
        Layers.Loss mse = new Layers.MeanSquaredError();
        Layers.Matrix p = random(3, 2, 8), t = random(3, 2, 9);
        Layers.Matrix g = mse.gradient(p, t);
        for (int i = 0; i < 6; i++) {
            int k = i;
            double numeric = slope(v -> { double keep = p.data()[k]; p.data()[k] = v; double s = loss(p, t); p.data()[k] = keep; return s; }, p.data()[k]);
            near(numeric, g.data()[k], 1e-6, "dMSE/dpredicted entry " + k + " by central differences", "2 (predicted - target) / n, n the number of entries");
        }
    }

    static double loss(Layers.Matrix p, Layers.Matrix t) {
        double sum = 0;
        for (int i = 0; i < p.data().length; i++) sum += Math.pow(p.data()[i] - t.data()[i], 2);
        return sum / p.data().length;
    }

    static void softmaxForward() {
        Layers.Softmax layer = new Layers.Softmax();
        Layers.Matrix y = layer.forward(Layers.Matrix.of(new double[] {1, 2, 3}, new double[] {1000, 1000, 0}));
        double sum = Math.exp(1) + Math.exp(2) + Math.exp(3);
        near(Math.exp(3) / sum, y.get(0, 2), "softmax([1, 2, 3]) entry 2", "e^x_j / sum_k e^x_k");
        near(0.5, y.get(1, 0), "softmax([1000, 1000, 0]) entry 0", "subtract the row's max first: e^1000 overflows");
        that(layer.output != null && layer.output.get(0, 0) == y.get(0, 0), "forward should keep its output: backward needs it");
    }

    static void softmaxBackward() {
        Layers.Softmax layer = new Layers.Softmax();
        double[] x = {0.3, -1, 2};
        double[] y = softmax(x);
        layer.output = Layers.Matrix.of(y);
        Layers.Matrix g = Layers.Matrix.of(new double[] {0.5, -2, 1});
        Layers.Matrix dX = layer.backward(g, 0.1);
        for (int i = 0; i < 3; i++) {
            int k = i;
            double numeric = slope(v -> { double[] c = x.clone(); c[k] = v; double[] s = softmax(c); return 0.5 * s[0] - 2 * s[1] + s[2]; }, x[k]);
            near(numeric, dX.get(0, k), 1e-6, "dE/dx" + k + " by central differences", "each output depends on every input: y_j (dE/dy_j - sum_k dE/dy_k y_k)");
        }
    }

    static double[] softmax(double[] x) {
        double sum = 0;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) sum += y[i] = Math.exp(x[i]);
        for (int i = 0; i < x.length; i++) y[i] /= sum;
        return y;
    }
}
