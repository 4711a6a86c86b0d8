import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Lesson 17's checks: the seven features at a point, the input matrix, the penalties' slopes, one
 * epoch against the same epoch worked out here with lesson 13's Network.fit, the heat maps against
 * a forward pass done by hand, and the checking of a whole-number setting.
 */
class PlaygroundCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("feature", PlaygroundCheck::feature)
                .hole("expand", PlaygroundCheck::expand)
                .hole("penaltySlope", PlaygroundCheck::penalty)
                .hole("Session.epoch", PlaygroundCheck::epoch)
                .hole("Session.heatMaps", PlaygroundCheck::heatMaps)
                .hole("Setup.whole", PlaygroundCheck::whole)
                .verdicts;
    }

    static Playground.Setup setup(String changes) {
        Map<String, String> settings = Playground.form(Playground.Setup.DEFAULT);
        settings.putAll(Playground.form(changes));
        return Playground.Setup.parse(settings);
    }

    static void feature() {
        double[] expected = {2, -3, 4, 9, -6, Math.sin(2), Math.sin(-3)};
        for (int i = 0; i < expected.length; i++) {
            String name = Playground.FEATURES.get(i);
            near(expected[i], Playground.feature(name, 2, -3), name + " at (2, -3)", "x1 = 2, x2 = -3");
        }
        refuses(() -> Playground.feature("x3", 1, 1), "feature(\"x3\", ...) should throw IllegalArgumentException: there is no x3");
    }

    static void expand() {
        List<double[]> points = List.of(new double[] {2, -3, 0}, new double[] {0.5, 1, 1}, new double[] {-1, 4, 0});
        Playground.Matrix x = Playground.expand(points, List.of("x2", "x1x2"));
        that(x.rows() == 3 && x.cols() == 2, "3 points and 2 features should give a 3x2 matrix, got " + x.shape());
        double[][] expected = {{-3, -6}, {1, 0.5}, {4, -4}};
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 2; c++) near(expected[r][c], x.get(r, c), "row " + r + ", column " + c + " (features x2, x1x2)", "row = point, column = feature");
        }
    }

    static void penalty() {
        near(0.3, Playground.penaltySlope("L2", 0.1, 3), "L2 at w = 3, lambda = 0.1", "lambda w");
        near(-0.1, Playground.penaltySlope("L1", 0.1, -3), "L1 at w = -3, lambda = 0.1", "lambda sign(w)");
        near(0, Playground.penaltySlope("L1", 0.1, 0), "L1 at w = 0", "sign(0) = 0");
        near(0, Playground.penaltySlope("none", 0.1, 3), "none at w = 3", "no penalty, no slope");
    }

    /** Two epochs of SGD with an L2 penalty, against the same two worked out with the carried classes. */
    static void epoch() {
        Playground.Session session = new Playground.Session(setup("dataset=xor&shape=3&batch=7&rate=0.05&seed=5&reg=L2&regrate=0.01"));
        session.epoch();
        session.epoch();
        Random rng = new Random(5);
        List<double[]> all = Playground.points("xor", Playground.SAMPLES, 0, rng);
        int[] split = Playground.identity(all.size());
        Playground.shuffle(split, rng);
        List<double[]> train = new ArrayList<>();
        for (int i = 0; i < all.size() / 2; i++) train.add(all.get(split[i]));
        Playground.Network net = new Playground.Network();
        net.add(Playground.glorotUniform(2, 3, rng));
        net.add(new Playground.ActivationLayer(Playground.Activation.TANH));
        net.add(Playground.glorotUniform(3, 2, rng));
        net.use(new Playground.SoftmaxCrossEntropy());
        int[] order = Playground.identity(train.size());
        for (int e = 0; e < 2; e++) {
            Playground.shuffle(order, rng);
            for (int from = 0; from < order.length; from += 7) {
                List<double[]> batch = new ArrayList<>();
                for (int i = from; i < Math.min(from + 7, order.length); i++) batch.add(train.get(order[i]));
                Playground.Matrix t = Playground.targets(batch, 2);
                net.backward(net.predict(Playground.expand(batch, List.of("x1", "x2"))), t, 0);
                for (Playground.Layer layer : net.layers) {
                    if (layer instanceof Playground.Dense d) {
                        for (int i = 0; i < d.weights.size(); i++) {
                            d.weights.data()[i] -= 0.05 * (d.weightGradient.data()[i] + 0.01 * d.weights.data()[i]);
                        }
                        for (int i = 0; i < d.bias.size(); i++) d.bias.data()[i] -= 0.05 * d.biasGradient.data()[i];
                    }
                }
            }
        }
        that(session.epoch == 2, "after two epochs session.epoch should be 2, got " + session.epoch + " (epoch++ at the end)");
        int layer = 0;
        for (int l = 0; l < net.layers.size(); l++) {
            if (!(net.layers.get(l) instanceof Playground.Dense expected)) continue;
            Playground.Dense actual = (Playground.Dense) session.net.layers.get(l);
            for (int i = 0; i < expected.weights.size(); i++) {
                near(expected.weights.data()[i], actual.weights.data()[i], 1e-12, "weight " + i + " of Dense layer " + layer + " after two epochs",
                        "shuffle(order, rng) once an epoch, then per batch: backward at rate 0, g += penaltySlope, step(net, optimizers)");
            }
            layer++;
        }
        that(session.history.size() == 3, "measure() should record epochs 0, 1 and 2; the history has " + session.history.size());
    }

    static void heatMaps() {
        Playground.Session s = new Playground.Session(setup("dataset=spiral3&shape=3"));
        List<Playground.Matrix> maps = s.heatMaps();
        that(maps.size() == 3, "features, one hidden layer, output: 3 matrices, got " + maps.size());
        Playground.Matrix x = Playground.expand(Playground.GRID_POINTS, List.of("x1", "x2"));
        Playground.Dense first = (Playground.Dense) s.net.layers.get(0), last = (Playground.Dense) s.net.layers.get(2);
        Playground.Matrix hidden = x.multiply(first.weights).plusRow(first.bias).map(Math::tanh);
        Playground.Matrix p = Playground.SoftmaxCrossEntropy.softmax(hidden.multiply(last.weights).plusRow(last.bias));
        Playground.Matrix[] expected = {x, hidden, p};
        String[] what = {"the input (expand of GRID_POINTS)", "the hidden layer's tanh outputs", "the softmax probabilities"};
        for (int m = 0; m < 3; m++) {
            that(maps.get(m).rows() == expected[m].rows() && maps.get(m).cols() == expected[m].cols(),
                    "map " + m + ", " + what[m] + ", should be " + expected[m].shape() + ", got " + maps.get(m).shape());
            for (int i = 0; i < expected[m].size(); i += 97) {
                near(expected[m].data()[i], maps.get(m).data()[i], 1e-12, "map " + m + " (" + what[m] + "), entry " + i, "one row per grid cell, one column per node");
            }
        }
    }

    static void whole() {
        Map<String, String> form = Playground.form("noise=30&ratio=abc&batch=101&seed=-1");
        near(30, Playground.Setup.whole(form, "noise", 0, 50), "noise=30 in [0, 50]", "Long.parseLong of the value");
        for (String[] bad : new String[][] {{"ratio", "10", "90"}, {"batch", "1", "100"}, {"seed", "0", "9"}, {"rate", "0", "9"}}) {
            try {
                Playground.Setup.whole(form, bad[0], Long.parseLong(bad[1]), Long.parseLong(bad[2]));
            } catch (Playground.UserError e) {
                that(e.getMessage().contains(bad[0]), "the message should name the setting " + bad[0] + ": " + e.getMessage());
                continue;
            }
            throw new Miss(bad[0] + "=" + form.get(bad[0]) + " in [" + bad[1] + ", " + bad[2] + "] should be a UserError (missing, not a number, or out of range)");
        }
    }
}
