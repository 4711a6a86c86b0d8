import java.util.Map;
import java.util.Random;

/** Lesson 05's checks: min-max scaling, the grid error, exercise 1's linear output neuron and exercise 2's median. */
class ApproximationCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("MinMax.fit", ApproximationCheck::fit)
                .hole("MinMax.scale", ApproximationCheck::scale)
                .hole("MinMax.unscale", ApproximationCheck::unscale)
                .hole("meanSquaredError", ApproximationCheck::meanSquaredError)
                .hole("LinearNeuron.forward", ApproximationCheck::linearForward)
                .hole("LinearNeuron.backward", ApproximationCheck::linearBackward)
                .hole("median", ApproximationCheck::median)
                .verdicts;
    }

    static final double[][] TARGETS = {{0.5}, {1.7}, {0.2}, {1.1}};

    static void fit() {
        Approximation.MinMax range = Approximation.MinMax.fit(TARGETS);
        near(0.2, range.min(), "m, the smallest of the targets 0.5, 1.7, 0.2, 1.1", "");
        near(1.7, range.max(), "M, the largest of those targets", "");
        Approximation.MinMax negative = Approximation.MinMax.fit(new double[][] {{-3}, {-5}});
        near(-3, negative.max(), "M of the targets -3 and -5", "start the largest from -Double.MAX_VALUE, not 0 (or from the first target)");
        try {
            Approximation.MinMax.fit(new double[][] {{2}, {2}});
        } catch (Approximation.UserError e) {
            return;
        }
        throw new Miss("targets that are all 2 should throw a UserError: scaling by M - m = 0 divides by zero");
    }

    static Approximation.MinMax range() {
        return new Approximation.MinMax(0.2, 1.7);
    }

    static void scale() {
        double[][] scaled = range().scale(TARGETS);
        that(scaled.length == 4 && scaled[0].length == 1, "scale should give one one-element row per target");
        near(0.2, scaled[0][0], "0.5 scaled to [0.2, 1.7]", "(t - m) / (M - m)");
        near(1, scaled[1][0], "1.7, the largest target, scaled", "");
        near(0, scaled[2][0], "0.2, the smallest target, scaled", "");
        that(TARGETS[1][0] == 1.7, "scale changed the caller's targets -- make new rows");
    }

    static void unscale() {
        Approximation.MinMax range = range();
        near(0.2, range.unscale(0), "unscale(0)", "m + o (M - m)");
        near(1.7, range.unscale(1), "unscale(1)", "");
        near(1.1, range.unscale(0.6), "unscale(0.6)", "");
    }

    static void meanSquaredError() {
        double[][] truth = Approximation.TRUTH, off = new double[truth.length][];
        for (int r = 0; r < truth.length; r++) {
            off[r] = truth[r].clone();
            for (int c = 0; c < off[r].length; c++) if (truth[r][c] > 1) off[r][c] += 2; // wrong by 2 above 1 only
        }
        near(0, Approximation.meanSquaredError(truth, -Double.MAX_VALUE, Double.MAX_VALUE), "the grid error of the truth itself", "");
        near(4, Approximation.meanSquaredError(off, 1, Double.MAX_VALUE), "the grid error over y in (1, max] of a grid wrong by 2 there",
                "square the miss, and average over the points in the range only");
        near(0, Approximation.meanSquaredError(off, -Double.MAX_VALUE, 1), "the grid error over y up to 1 of that grid", "points with truth exactly 'to' count; above it, not");
        double share = Approximation.fractionAbove(truth, 1);
        near(4 * share, Approximation.meanSquaredError(off, -Double.MAX_VALUE, Double.MAX_VALUE), "the grid error over all of it", "");
    }

    static Approximation.Neuron linear(double[] weights, double bias) {
        return new Approximation.LinearNeuron(new Approximation.Neuron(weights, bias, Approximation.Activation.SIGMOID));
    }

    static void linearForward() {
        Approximation.Neuron n = linear(new double[] {2, -1}, 0.5);
        near(2 * 3 - 4 + 0.5, n.forward(new double[] {3, 4}), "a linear neuron's output for [3, 4] (weights [2, -1], bias 0.5)", "no activation: y = w.x + b");
        near(2.5, n.output, "its output field after forward", "");
        that(n.inputs != null && n.inputs[1] == 4, "forward should remember its inputs (super.forward does)");
        Approximation.Neuron big = linear(new double[] {10, 10}, 0);
        near(200, big.forward(new double[] {10, 10}), "a linear neuron's output for a sum of 200", "it has no ceiling");
    }

    static void linearBackward() {
        double[] w = {0.7, -1.3}, x = {0.4, 2};
        double b = 0.1, t = 0.5;
        Approximation.Neuron n = linear(w.clone(), b);
        n.inputs = x.clone();
        n.output = w[0] * x[0] + w[1] * x[1] + b;
        double[] back = n.backward(n.output - t);
        for (int i = 0; i < 2; i++) {
            int k = i;
            near(slope(v -> { double[] c = w.clone(); c[k] = v; return half(c, b, x, t); }, w[k]), n.weightGradients[k], 1e-6,
                    "dE/dw" + (k + 1) + " by central differences", "delta = dE/dy, times x_i");
            near(slope(v -> { double[] c = x.clone(); c[k] = v; return half(w, b, c, t); }, x[k]), back[k], 1e-6,
                    "dE/dx" + (k + 1) + " by central differences", "delta times w_i");
        }
        near(slope(v -> half(w, v, x, t), b), n.biasGradient, 1e-6, "dE/db by central differences", "");
    }

    static double half(double[] w, double b, double[] x, double t) {
        double y = w[0] * x[0] + w[1] * x[1] + b;
        return 0.5 * (t - y) * (t - y);
    }

    static void median() {
        near(2, Approximation.median(new double[] {3, 1, 2}), "the median of [3, 1, 2]", "sort first");
        near(2.5, Approximation.median(new double[] {4, 1, 3, 2}), "the median of [4, 1, 3, 2]", "the mean of the two middle values");
        double[] values = {5, 2, 9};
        Approximation.median(values);
        that(values[0] == 5 && values[1] == 2, "median reordered the caller's array -- sort a copy");
        near(-1, Approximation.median(new double[] {-1, new Random(1).nextDouble() - 5, 7}), "the median of [-1, about -4.3, 7]", "");
    }
}
