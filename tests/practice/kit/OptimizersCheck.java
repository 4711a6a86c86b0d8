import java.util.Map;

/**
 * Lesson 13's checks: the softmax cross-entropy gradient against central differences, each
 * optimizer's steps against the same steps worked out here, and exercise 2's saddle gradient.
 */
class OptimizersCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("SoftmaxCrossEntropy.gradient", OptimizersCheck::gradient)
                .hole("Sgd.step", () -> steps(new Optimizers.Sgd(0.1), "w - eta g", (w, g, memory, t) -> w - 0.1 * g))
                .hole("Momentum.step", () -> steps(new Optimizers.Momentum(0.1), "v <- 0.9 v + g, w <- w - eta v",
                        (w, g, memory, t) -> { memory[0] = 0.9 * memory[0] + g; return w - 0.1 * memory[0]; }))
                .hole("Nesterov.step", () -> steps(new Optimizers.Nesterov(0.1), "v <- 0.9 v + g, w <- w - eta (g + 0.9 v)",
                        (w, g, memory, t) -> { memory[0] = 0.9 * memory[0] + g; return w - 0.1 * (g + 0.9 * memory[0]); }))
                .hole("AdaGrad.step", () -> steps(new Optimizers.AdaGrad(0.1), "s <- s + g^2, w <- w - eta g / (sqrt(s) + eps)",
                        (w, g, memory, t) -> { memory[0] += g * g; return w - 0.1 * g / (Math.sqrt(memory[0]) + 1e-8); }))
                .hole("RmsProp.step", () -> steps(new Optimizers.RmsProp(0.1), "s <- 0.9 s + 0.1 g^2, w <- w - eta g / (sqrt(s) + eps)",
                        (w, g, memory, t) -> { memory[0] = 0.9 * memory[0] + 0.1 * g * g; return w - 0.1 * g / (Math.sqrt(memory[0]) + 1e-8); }))
                .hole("Adam.step", OptimizersCheck::adam)
                .hole("Saddle.gradient", OptimizersCheck::saddle)
                .verdicts;
    }

    /** One parameter's update, worked out here: memory holds what the optimizer remembers, t counts from 1. */
    interface Update {
        double next(double w, double g, double[] memory, int t);
    }

    /** Three steps on three parameters, with gradients of mixed signs and sizes, against update. */
    static void steps(Optimizers.Optimizer optimizer, String rule, Update update) {
        double[] w = {1, -2, 0.5};
        double[][] gradients = {{0.5, -1, 3}, {0.5, 1, -0.01}, {-2, 0.25, 0}};
        double[][] memory = new double[3][2];
        double[] expected = w.clone();
        for (int t = 1; t <= 3; t++) {
            optimizer.step(w, gradients[t - 1].clone());
            for (int i = 0; i < 3; i++) {
                expected[i] = update.next(expected[i], gradients[t - 1][i], memory[i], t);
                near(expected[i], w[i], 1e-9, "parameter " + i + " after step " + t + " (rate 0.1)", rule + "; one memory entry per parameter, kept between steps");
            }
        }
    }

    static void adam() {
        Update corrected = (w, g, m, t) -> {
            m[0] = 0.9 * m[0] + 0.1 * g;
            m[1] = 0.999 * m[1] + 0.001 * g * g;
            return w - 0.1 * (m[0] / (1 - Math.pow(0.9, t))) / (Math.sqrt(m[1] / (1 - Math.pow(0.999, t))) + 1e-8);
        };
        steps(new Optimizers.Adam(0.1), "m <- 0.9 m + 0.1 g, v <- 0.999 v + 0.001 g^2, w <- w - eta m^ / (sqrt(v^) + eps)"
                + " with m^ = m / (1 - 0.9^t), v^ = v / (1 - 0.999^t)", corrected);
        steps(new Optimizers.Adam(0.1, false), "with corrected false: w <- w - eta m / (sqrt(v) + eps), m and v as they are",
                (w, g, m, t) -> {
                    m[0] = 0.9 * m[0] + 0.1 * g;
                    m[1] = 0.999 * m[1] + 0.001 * g * g;
                    return w - 0.1 * m[0] / (Math.sqrt(m[1]) + 1e-8);
                });
    }

    static void gradient() {
        double[][] s = {{0.3, -1.2, 2.0}, {5, 1, -3}};
        double[][] t = {{0, 1, 0}, {0, 0, 1}};
        Optimizers.SoftmaxCrossEntropy ce = new Optimizers.SoftmaxCrossEntropy();
        Optimizers.Matrix g = ce.gradient(Optimizers.Matrix.of(s), Optimizers.Matrix.of(t));
        that(g.rows() == 2 && g.cols() == 3, "the gradient of 2x3 scores should be 2x3, got " + g.shape());
        for (int r = 0; r < 2; r++) {
            for (int j = 0; j < 3; j++) {
                int row = r, col = j;
                double numeric = slope(v -> {
                    double[][] c = {s[0].clone(), s[1].clone()};
                    c[row][col] = v;
                    return ce.loss(Optimizers.Matrix.of(c), Optimizers.Matrix.of(t));
                }, s[r][j]);
                near(numeric, g.get(r, j), 1e-6, "dL/dz(" + r + ", " + j + ") by central differences", "(p - y) / m, with m = 2 rows");
            }
        }
        Optimizers.Matrix far = ce.gradient(Optimizers.Matrix.of(new double[] {0, 800}), Optimizers.Matrix.of(new double[] {1, 0}));
        near(-1, far.get(0, 0), "dL/dz_0 for the scores [0, 800], true class 0", "p - y = 0 - 1; take p from softmax, which never overflows");
        near(1, far.get(0, 1), "dL/dz_1 for the scores [0, 800], true class 0", "p - y = 1 - 0");
    }

    static void saddle() {
        Optimizers.Saddle f = new Optimizers.Saddle();
        for (double[] p : new double[][] {{0.7, -1.3}, {-2, 0.5}, {0, 0}}) {
            double[] g = f.gradient(p[0], p[1]);
            near(slope(x -> f.f(x, p[1]), p[0]), g[0], 1e-6, "df/dx at (" + show(p[0]) + ", " + show(p[1]) + ")", "2x");
            near(slope(y -> f.f(p[0], y), p[1]), g[1], 1e-6, "df/dy at (" + show(p[0]) + ", " + show(p[1]) + ")", "-2y + y^3");
        }
    }
}
