import java.util.Map;
import java.util.Random;

/** Lesson 08's checks: the four initialisers by their statistics, clipping, the momentum step, the stall detector, exercise 2's largest gradient. */
class ImprovementsCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("Init.GLOROT.weight", () -> init(Improvements.Init.GLOROT, 2.0 / (30 + 10), Math.sqrt(6.0 / 40)))
                .hole("Init.HE.weight", () -> init(Improvements.Init.HE, 2.0 / 30, Double.POSITIVE_INFINITY))
                .hole("Init.HE_UNIFORM.weight", () -> init(Improvements.Init.HE_UNIFORM, 2.0 / 30, Math.sqrt(6.0 / 30)))
                .hole("Init.LECUN.weight", () -> init(Improvements.Init.LECUN, 1.0 / 30, Double.POSITIVE_INFINITY))
                .hole("Training.clip", ImprovementsCheck::clip)
                .hole("Neuron.update", ImprovementsCheck::update)
                .hole("StallDetector.stopsAt", ImprovementsCheck::stall)
                .hole("largestGradient", ImprovementsCheck::largestGradient)
                .verdicts;
    }

    /** 40,000 weights for a neuron with 30 inputs in a layer of 10: mean near 0, the variance of the formula, within the limit. */
    static void init(Improvements.Init init, double variance, double limit) {
        Random rng = new Random(8);
        int n = 40_000;
        double sum = 0, squares = 0, largest = 0, fourth = 0;
        for (int k = 0; k < n; k++) {
            double w = init.weight(30, 10, rng);
            sum += w;
            squares += w * w;
            fourth += w * w * w * w;
            largest = Math.max(largest, Math.abs(w));
        }
        double mean = sum / n, var = squares / n - mean * mean;
        that(Math.abs(mean) < 4 * Math.sqrt(variance / n), init.label + ": the mean of 40,000 weights is " + show(mean) + ", not near 0");
        near(variance, var, 0.03, init.label + ": the variance of 40,000 weights (n_in 30, n_out 10)", "see the table of variances");
        that(largest <= limit, init.label + ": a weight of " + show(largest) + " lies beyond the limit a = " + show(limit));
        double kurtosis = fourth / n / (var * var); // 1.8 for a uniform, 3 for a normal
        boolean uniform = limit < Double.POSITIVE_INFINITY;
        that(uniform ? kurtosis < 2.2 : kurtosis > 2.6, init.label + " should be drawn from a " + (uniform ? "uniform" : "normal")
                + " distribution (nextDouble or nextGaussian), and these weights do not look like one");
    }

    static void clip() {
        Improvements.Training t = Improvements.Training.plain(0.1).withClip(2);
        near(2, t.clip(5), "clip(5) with maxGradient 2", "");
        near(-2, t.clip(-7), "clip(-7) with maxGradient 2", "limit both sides");
        near(0.5, t.clip(0.5), "clip(0.5) with maxGradient 2", "a small gradient passes unchanged");
        near(1e9, Improvements.Training.plain(0.1).clip(1e9), "clip(1e9) with no clipping", "");
    }

    static void update() {
        Improvements.Neuron n = new Improvements.Neuron(new double[] {1, -1}, 0.5, Improvements.Activation.SIGMOID);
        n.weightGradients[0] = 3;
        n.weightGradients[1] = -0.5;
        n.biasGradient = 0.2;
        Improvements.Training plain = Improvements.Training.plain(0.1);
        n.update(plain);
        near(0.7, n.weights[0], "w1 after a plain step of rate 0.1 on gradient 3", "with momentum 0 and no clip it is p - rate * g");
        near(0.48, n.bias, "the bias after that step", "");
        Improvements.Training both = plain.withMomentum(0.9).withClip(1);
        n.update(both); // v = 0.9 * (-0.3) - 0.1 * clip(3) = -0.37
        near(0.33, n.weights[0], "w1 after a second step with momentum 0.9 and clip 1", "v = 0.9 * v - 0.1 * clip(3) = -0.37, then w += v");
        near(-1 + 0.05 + 0.9 * 0.05 + 0.05, n.weights[1], "w2 after the same two steps", "");
        near(0.48 + 0.9 * -0.02 - 0.02, n.bias, "the bias after the same two steps", "the bias has its own velocity");
    }

    static void stall() {
        Improvements.NeuralNetwork net = Improvements.NeuralNetwork.random(new int[] {2, 2, 1}, Improvements.Activation.SIGMOID,
                Improvements.Init.UNIFORM, new Random(1));
        Improvements.StallDetector d = new Improvements.StallDetector(3, net);
        double[] errors = {1.0, 0.995, 0.98, 0.979, 0.978, 0.977};
        boolean[] stops = {false, false, false, false, false, true}; // the mark moves at 1 and 3; 3 more epochs, no progress
        for (int e = 0; e < errors.length; e++) {
            boolean stop = d.stopsAt(e + 1, errors[e], net);
            that(stop == stops[e], "with patience 3 and total errors 1.0, 0.995, 0.98, 0.979, 0.978, 0.977, stopsAt(" + (e + 1) + ") should say "
                    + stops[e] + " -- progress means falling 1% below the mark");
        }
        that(d.bestEpoch == 6 && d.best == 0.977, "the best epoch should be 6 (0.977), is " + d.bestEpoch);
        Improvements.StallDetector never = new Improvements.StallDetector(0, net);
        that(!never.stopsAt(50, 1, net), "patience 0 means never stop for a stall");
        that(never.stopsAt(51, Double.NaN, net), "an error that is NaN should stop at once");
    }

    static void largestGradient() {
        Improvements.NeuralNetwork net = Improvements.NeuralNetwork.random(new int[] {2, 3, 1}, Improvements.Activation.TANH,
                Improvements.Init.UNIFORM, new Random(6));
        double[][] x = {{1, -2}, {0.5, 3}}, t = {{0.2}, {-0.4}};
        double largest = 0;
        for (int s = 0; s < 2; s++) {
            net.backward(Improvements.errorGradient(t[s], net.forward(x[s])));
            for (Improvements.Neuron[] layer : net.layers) {
                for (Improvements.Neuron n : layer) {
                    largest = Math.max(largest, Math.abs(n.biasGradient));
                    for (double g : n.weightGradients) largest = Math.max(largest, Math.abs(g));
                }
            }
        }
        near(largest, Improvements.largestGradient(net, x, t), "the largest gradient over both examples", "the largest absolute value, of weights and biases");
    }
}
