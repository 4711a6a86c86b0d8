import java.util.Map;
import java.util.Random;

/** Lesson 09's checks: the matrix product and transpose, a layer's forward, backward and update, the network's backward, exercise 2's textbook product. */
class SpeedyCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("multiply", () -> product(Speedy::multiply, "multiply"))
                .hole("transpose", SpeedyCheck::transpose)
                .hole("Layer.forward", SpeedyCheck::forward)
                .hole("Layer.backward", SpeedyCheck::backward)
                .hole("Layer.update", SpeedyCheck::update)
                .hole("SpeedyNetwork.backward", SpeedyCheck::networkBackward)
                .hole("multiplyIjk", () -> product(Speedy::multiplyIjk, "multiplyIjk"))
                .verdicts;
    }

    interface Product {
        void multiply(Speedy.Matrix a, Speedy.Matrix b, Speedy.Matrix c);
    }

    static Speedy.Matrix matrix(int rows, int cols, double... values) {
        Speedy.Matrix m = new Speedy.Matrix(rows, cols);
        System.arraycopy(values, 0, m.data, 0, values.length);
        return m;
    }

    static Speedy.Matrix random(int rows, int cols, Random rng) {
        Speedy.Matrix m = new Speedy.Matrix(rows, cols);
        for (int i = 0; i < m.data.length; i++) m.data[i] = rng.nextGaussian();
        return m;
    }

    static void product(Product product, String name) {
        Speedy.Matrix a = matrix(2, 3, 1, 2, 3, 4, 5, 6), b = matrix(3, 2, 7, 8, 9, 10, 11, 12), c = matrix(2, 2, 99, 99, 99, 99);
        product.multiply(a, b, c);
        double[] expected = {58, 64, 139, 154};
        for (int i = 0; i < 4; i++) {
            near(expected[i], c.data[i], name + ": entry (" + i / 2 + ", " + i % 2 + ") of [1 2 3; 4 5 6].[7 8; 9 10; 11 12]",
                    "a sum over k of A(i,k) B(k,j); C starts at zero, whatever it held");
        }
        Speedy.Matrix wide = random(5, 7, new Random(1)), tall = random(7, 4, new Random(2)), out = new Speedy.Matrix(5, 4);
        product.multiply(wide, tall, out);
        double sum = 0;
        for (int k = 0; k < 7; k++) sum += wide.get(3, k) * tall.get(k, 2);
        near(sum, out.get(3, 2), name + ": entry (3, 2) of a 5x7 by 7x4 product", "");
        if (name.equals("multiply")) {
            refuses(() -> product.multiply(a, a, c), "multiply of 2x3 by 2x3 should throw IllegalArgumentException naming both shapes");
        }
    }

    static void transpose() {
        Speedy.Matrix m = matrix(2, 3, 1, 2, 3, 4, 5, 6), t = new Speedy.Matrix(3, 2);
        Speedy.transpose(m, t);
        double[] expected = {1, 4, 2, 5, 3, 6};
        for (int i = 0; i < 6; i++) near(expected[i], t.data[i], "entry " + i + " of the transpose of [1 2 3; 4 5 6]", "t(c, r) = m(r, c)");
    }

    static Speedy.Layer layer(Speedy.Activation f, Random rng) {
        Speedy.Layer layer = new Speedy.Layer(3, 2, f);
        for (int i = 0; i < layer.weights.data.length; i++) layer.weights.data[i] = rng.nextGaussian();
        for (int j = 0; j < 2; j++) layer.biases[j] = rng.nextGaussian();
        return layer;
    }

    /** f(x.W + b) for one row, computed here. */
    static double[] outputs(Speedy.Layer layer, Speedy.Matrix x, int r) {
        double[] a = new double[layer.outputs];
        for (int j = 0; j < layer.outputs; j++) {
            double z = layer.biases[j];
            for (int i = 0; i < layer.inputs; i++) z += x.get(r, i) * layer.weights.get(i, j);
            a[j] = layer.activation.apply(z);
        }
        return a;
    }

    static void forward() {
        Speedy.Layer layer = layer(Speedy.Activation.TANH, new Random(3));
        Speedy.Matrix x = random(4, 3, new Random(4));
        Speedy.Matrix a = layer.forward(x);
        that(a.rows == 4 && a.cols == 2, "a 3-to-2 layer on a batch of 4 rows should give 4x2, gave " + a.shape());
        for (int r = 0; r < 4; r++) {
            double[] expected = outputs(layer, x, r);
            for (int j = 0; j < 2; j++) near(expected[j], a.get(r, j), "A(" + r + ", " + j + ") = tanh(x.W + b)", "W is inputs x outputs: column j holds neuron j's weights");
        }
        that(layer.input != null && layer.output != null && layer.output.get(2, 1) == a.get(2, 1) && layer.input.get(1, 2) == x.get(1, 2),
                "forward should keep X in input and A in output: backward needs them");
    }

    /** What forward would leave behind, set here so that backward is checked on its own. */
    static void remember(Speedy.Layer layer, Speedy.Matrix x) {
        layer.input = x;
        layer.output = new Speedy.Matrix(x.rows, layer.outputs);
        for (int r = 0; r < x.rows; r++) System.arraycopy(outputs(layer, x, r), 0, layer.output.data, r * layer.outputs, layer.outputs);
    }

    static double error(Speedy.Layer layer, Speedy.Matrix x, Speedy.Matrix t) {
        double sum = 0;
        for (int r = 0; r < x.rows; r++) {
            double[] a = outputs(layer, x, r);
            for (int j = 0; j < a.length; j++) sum += 0.5 * (t.get(r, j) - a[j]) * (t.get(r, j) - a[j]);
        }
        return sum;
    }

    static void backward() {
        Speedy.Layer layer = layer(Speedy.Activation.SIGMOID, new Random(5));
        Speedy.Matrix x = random(4, 3, new Random(6)), t = random(4, 2, new Random(7));
        remember(layer, x);
        Speedy.Matrix dA = new Speedy.Matrix(4, 2);
        for (int i = 0; i < dA.data.length; i++) dA.data[i] = layer.output.data[i] - t.data[i];
        double w0 = layer.weights.data[0];
        Speedy.Matrix dX = layer.backward(dA);
        that(layer.weights.data[0] == w0, "backward changed a weight -- leave that to update");
        for (int i = 0; i < 6; i++) {
            int k = i;
            double numeric = slope(v -> { double keep = layer.weights.data[k]; layer.weights.data[k] = v; double e = error(layer, x, t); layer.weights.data[k] = keep; return e; }, layer.weights.data[k]);
            near(numeric, layer.weightGradients.data[i], 1e-6, "dW entry " + i + " by central differences over a batch of 4", "dW = X^T.dZ: a sum over the rows of the batch");
        }
        for (int j = 0; j < 2; j++) {
            int k = j;
            double numeric = slope(v -> { double keep = layer.biases[k]; layer.biases[k] = v; double e = error(layer, x, t); layer.biases[k] = keep; return e; }, layer.biases[k]);
            near(numeric, layer.biasGradients[j], 1e-6, "db entry " + j + " by central differences", "the column sums of dZ");
        }
        that(dX != null && dX.rows == 4 && dX.cols == 3, "backward should return dE/dX, 4x3, for the layer below");
        for (int i = 0; i < 12; i++) {
            int k = i;
            double numeric = slope(v -> { double keep = x.data[k]; x.data[k] = v; double e = error(layer, x, t); x.data[k] = keep; return e; }, x.data[k]);
            near(numeric, dX.data[i], 1e-6, "dX entry " + i + " by central differences", "dX = dZ.W^T");
        }
    }

    static void update() {
        Speedy.Layer layer = layer(Speedy.Activation.SIGMOID, new Random(8));
        double w = layer.weights.data[4], b = layer.biases[1];
        layer.weightGradients.data[4] = 2;
        layer.biasGradients[1] = -1;
        layer.update(0.1);
        near(w - 0.2, layer.weights.data[4], "a weight after a step of 0.1 on gradient 2", "W - eta dW");
        near(b + 0.1, layer.biases[1], "a bias after a step of 0.1 on gradient -1", "b - eta db");
    }

    static void networkBackward() {
        Random rng = new Random(9);
        Speedy.Layer first = new Speedy.Layer(2, 3, Speedy.Activation.SIGMOID), last = new Speedy.Layer(3, 2, Speedy.Activation.SIGMOID);
        for (Speedy.Layer l : new Speedy.Layer[] {first, last}) for (int i = 0; i < l.weights.data.length; i++) l.weights.data[i] = rng.nextGaussian();
        Speedy.SpeedyNetwork net = new Speedy.SpeedyNetwork(first, last);
        Speedy.Matrix x = random(3, 2, rng), t = random(3, 2, rng);
        remember(first, x);
        remember(last, first.output);
        double squares = 0;
        for (int i = 0; i < t.data.length; i++) squares += Math.pow(t.data[i] - last.output.data[i], 2);
        near(squares, net.backward(t), "the batch's sum of (t - o)^2 that backward returns", "");
        double keep = first.weights.data[1];
        first.weights.data[1] = keep + 1e-6;
        double plus = twoLayerError(first, last, x, t);
        first.weights.data[1] = keep - 1e-6;
        double minus = twoLayerError(first, last, x, t);
        first.weights.data[1] = keep;
        near((plus - minus) / 2e-6, first.weightGradients.data[1], 1e-6, "a first-layer weight's gradient by central differences",
                "start from dE/dO = O - T and pass it back from the last layer to the first");
    }

    static double twoLayerError(Speedy.Layer first, Speedy.Layer last, Speedy.Matrix x, Speedy.Matrix t) {
        Speedy.Matrix h = new Speedy.Matrix(x.rows, first.outputs);
        for (int r = 0; r < x.rows; r++) System.arraycopy(outputs(first, x, r), 0, h.data, r * first.outputs, first.outputs);
        return error(last, h, t);
    }
}
