import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Lesson 14's checks: dropout's mask, scaling and evaluation mode; the L2 term against the slope of
 * the penalty; early stopping's bookkeeping and the weights it restores; the centring by mass; and
 * exercise 2's decoupled decay.
 */
class GeneralizationCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("Dropout.forward", GeneralizationCheck::dropoutForward)
                .hole("Dropout.backward", GeneralizationCheck::dropoutBackward)
                .hole("addWeightDecay", GeneralizationCheck::weightDecay)
                .hole("restore", GeneralizationCheck::restore)
                .hole("EarlyStopping.update", GeneralizationCheck::earlyStopping)
                .hole("centred", GeneralizationCheck::centred)
                .hole("decayWeights", GeneralizationCheck::decayWeights)
                .verdicts;
    }

    static Generalization.Matrix filled(int rows, int cols, double value) {
        return new Generalization.Matrix(rows, cols).map(v -> value);
    }

    static void dropoutForward() {
        Generalization.Dropout dropout = new Generalization.Dropout(0.25, new Random(1));
        Generalization.Matrix x = filled(100, 400, 3);
        dropout.training(true);
        Generalization.Matrix y = dropout.forward(x);
        that(y.rows() == 100 && y.cols() == 400, "a 100x400 input should give a 100x400 output, got " + y.shape());
        long zeros = Arrays.stream(y.data()).filter(v -> v == 0).count();
        near(0.25, zeros / 40000.0, 0.02, "the fraction set to 0 in training mode, p = 0.25", "drop each number with probability p (rng.nextDouble() < p)");
        for (double v : y.data()) {
            if (v != 0) near(4, v, 1e-12, "a kept 3 in training mode", "inverted dropout divides what it keeps by 1 - p = 0.75");
        }
        that(dropout.mask != null, "training mode should keep its mask (0 or 1 / (1 - p) per number) for backward");
        dropout.training(false);
        Generalization.Matrix e = dropout.forward(x);
        that(Arrays.equals(e.data(), x.data()), "evaluation mode should return the input unchanged");
    }

    static void dropoutBackward() {
        Generalization.Dropout dropout = new Generalization.Dropout(0.5, new Random(2));
        dropout.training(true);
        Generalization.Matrix x = filled(20, 30, 1), y = dropout.forward(x), g = filled(20, 30, 0.5);
        Generalization.Matrix back = dropout.backward(g, 0);
        that(back.rows() == 20 && back.cols() == 30, "dE/dX should be 20x30, got " + back.shape());
        for (int i = 0; i < back.size(); i++) {
            near(0.5 * y.data()[i], back.data()[i], "dE/dX of number " + i, "Y = X * mask, so dE/dX = dE/dY * mask: the same mask as forward");
        }
        dropout.training(false);
        dropout.forward(x);
        that(Arrays.equals(dropout.backward(g, 0).data(), g.data()), "in evaluation mode backward should pass dE/dY on unchanged");
    }

    static void weightDecay() {
        Random rng = new Random(3);
        Generalization.Network net = new Generalization.Network();
        net.add(new Generalization.Dense(3, 4, rng));
        net.add(new Generalization.ActivationLayer(Generalization.Activation.TANH));
        net.add(new Generalization.Dense(4, 2, rng));
        net.use(new Generalization.SoftmaxCrossEntropy());
        Generalization.Matrix x = Generalization.Matrix.random(5, 3, rng), y = new Generalization.Matrix(5, 2);
        for (int r = 0; r < 5; r++) y.data()[r * 2 + r % 2] = 1;
        double lambda = 0.3;
        net.backward(net.predict(x), y, 0);
        List<double[]> biasGradients = List.of(((Generalization.Dense) net.layers.get(0)).biasGradient.data().clone(),
                ((Generalization.Dense) net.layers.get(2)).biasGradient.data().clone());
        Generalization.addWeightDecay(net, lambda);
        int b = 0;
        for (Generalization.Layer layer : net.layers) {
            if (!(layer instanceof Generalization.Dense d)) continue;
            that(Arrays.equals(biasGradients.get(b++), d.biasGradient.data()), "the biases' gradients should stay as they were: L2 leaves biases alone");
            for (int i = 0; i < d.weights.size(); i++) {
                int k = i;
                double numeric = slope(v -> {
                    double saved = d.weights.data()[k];
                    d.weights.data()[k] = v;
                    double loss = net.loss.loss(net.predict(x), y) + Generalization.weightPenalty(net, lambda);
                    d.weights.data()[k] = saved;
                    return loss;
                }, d.weights.data()[k]);
                near(numeric, d.weightGradient.data()[i], 1e-6, "dL/dw + lambda w of weight " + i + " by central differences (lambda 0.3)",
                        "add lambda times the weight to its gradient, in every Dense layer");
            }
        }
    }

    static void restore() {
        Generalization.Network net = Generalization.network(new Random(4), 0);
        List<double[]> saved = Generalization.parameters(net);
        for (Generalization.Layer layer : net.layers) {
            if (layer instanceof Generalization.Dense d) {
                Arrays.fill(d.weights.data(), 9);
                Arrays.fill(d.bias.data(), 9);
            }
        }
        Generalization.restore(net, saved);
        int i = 0;
        for (Generalization.Layer layer : net.layers) {
            if (layer instanceof Generalization.Dense d) {
                that(Arrays.equals(saved.get(i++), d.weights.data()), "the weights of Dense layer " + (i / 2 + 1) + " should be back as saved");
                that(Arrays.equals(saved.get(i++), d.bias.data()), "the biases of Dense layer " + (i / 2) + " should be back as saved");
            }
        }
    }

    static void earlyStopping() {
        Generalization.Network net = Generalization.network(new Random(5), 0);
        Generalization.Dense first = (Generalization.Dense) net.layers.get(0);
        Generalization.EarlyStopping stopping = new Generalization.EarlyStopping(3);
        double[] accuracy = {70, 80, 79, 80, 75, 78};
        boolean[] stops = {false, false, false, false, true, true};
        for (int epoch = 1; epoch <= accuracy.length; epoch++) {
            Arrays.fill(first.weights.data(), epoch);
            boolean stop = stopping.update(net, accuracy[epoch - 1], epoch);
            that(stop == stops[epoch - 1], "with patience 3 and validation accuracies " + Arrays.toString(accuracy) + ", update at epoch "
                    + epoch + " should say " + stops[epoch - 1] + ", said " + stop + " (a tie is not an improvement; stop once epoch - best epoch >= patience)");
            if (epoch == 2) that(stopping.bestEpoch == 2, "after epoch 2 the best epoch should be 2, got " + stopping.bestEpoch);
        }
        near(80, stopping.best, "the best validation accuracy kept", "keep the accuracy of the best epoch");
        that(stopping.bestWeights != null, "update should keep a copy of the best epoch's weights (parameters(net))");
        Arrays.fill(first.weights.data(), -1);
        stopping.restoreBest(net);
        near(2, first.weights.data()[0], "the first weight after restoreBest", "the copy is taken when the accuracy improves, at epoch 2 here");
    }

    static void centred() {
        double[][] digit = new double[10][4];
        for (int y = 0; y < 10; y++) digit[y][0] = 1; // a bar down the left, and one heavy dot
        digit[9][3] = 3;
        double[] picture = Generalization.centred(digit);
        that(picture.length == 784, "the picture should hold 28 x 28 = 784 numbers, got " + picture.length);
        double mass = 0, mx = 0, my = 0;
        for (int i = 0; i < 784; i++) {
            mass += picture[i];
            mx += picture[i] * (i % 28 + 0.5);
            my += picture[i] * (i / 28 + 0.5);
        }
        near(13, mass, 1e-12, "the ink in the picture", "copy every pixel; none falls outside here");
        near(14, mx / mass, 0.5, "the centre of mass, across", "mass-weighted mean of x + 0.5, moved to 14 by a whole number of pixels");
        near(14, my / mass, 0.5, "the centre of mass, down", "mass-weighted mean of y + 0.5, moved to 14");
        // the mass centre of the drawing is (15.5 / 13, 78.5 / 13) = (1.19, 6.04): moved by round(14 - 1.423) = 13 and round(14 - 6.077) = 8
        near(1, picture[8 * 28 + 13], "the pixel at row 8, column 13", "shift by dx = round(14 - cx), dy = round(14 - cy)");
        near(3, picture[17 * 28 + 16], "the pixel at row 17, column 16", "shift by dx = round(14 - cx), dy = round(14 - cy)");
    }

    static void decayWeights() {
        Generalization.Network net = Generalization.network(new Random(6), 0);
        List<double[]> before = Generalization.parameters(net);
        Generalization.decayWeights(net, 0.1);
        List<double[]> after = Generalization.parameters(net);
        for (int i = 0; i < before.size(); i++) {
            for (int k = 0; k < before.get(i).length; k += 97) {
                double expected = i % 2 == 0 ? 0.9 * before.get(i)[k] : before.get(i)[k];
                near(expected, after.get(i)[k], (i % 2 == 0 ? "weight " : "bias ") + k + " of array " + i + " after a decay by 0.1",
                        "every weight times 1 - factor; the biases stay");
            }
        }
    }
}
