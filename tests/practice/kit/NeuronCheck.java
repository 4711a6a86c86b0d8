import java.util.Map;
import java.util.Random;

/** Lesson 01's checks: the dot product, the neuron's forward pass, random neurons, softplus. */
class NeuronCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("dot", NeuronCheck::dot)
                .hole("forward", NeuronCheck::forward)
                .hole("random", NeuronCheck::random)
                .hole("softplus", NeuronCheck::softplus)
                .verdicts;
    }

    static void dot() {
        near(32, Neuron.dot(new double[] {1, 2, 3}, new double[] {4, 5, 6}), "[1, 2, 3].[4, 5, 6]", "1*4 + 2*5 + 3*6");
        near(0, Neuron.dot(new double[0], new double[0]), "the dot product of two empty vectors", "start the sum at 0");
        refuses(() -> Neuron.dot(new double[] {1, 2}, new double[] {1, 2, 3}),
                "dot of 2 weights and 3 inputs should throw IllegalArgumentException naming both sizes");
    }

    static void forward() {
        Neuron n = new Neuron(new double[] {0, 1}, 0, Neuron.Activation.SIGMOID);
        near(0.9525741268224334, n.forward(new double[] {2, 3}), "sigmoid(0*2 + 1*3 + 0)", "the worked example");
        Neuron biased = new Neuron(new double[] {0.5, -1}, 0.25, Neuron.Activation.TANH);
        near(Math.tanh(0.5 * 2 - 1 * 3 + 0.25), biased.forward(new double[] {2, 3}), "tanh(0.5*2 - 1*3 + 0.25)",
                "add the bias, and apply the neuron's own activation");
        Neuron relu = new Neuron(new double[] {1, 1}, -5, Neuron.Activation.RELU);
        near(0, relu.forward(new double[] {1, 2}), "ReLU(1 + 2 - 5)", "the activation comes after the sum");
    }

    static void random() {
        Neuron a = Neuron.random(3, Neuron.Activation.SIGMOID, new Random(7));
        Neuron again = Neuron.random(3, Neuron.Activation.SIGMOID, new Random(7));
        that(a.weights.length == 3, "random(3, ...) should give 3 weights, gave " + a.weights.length);
        that(a.activation == Neuron.Activation.SIGMOID, "random should keep the activation it is given");
        that(java.util.Arrays.equals(a.weights, again.weights) && a.bias == again.bias,
                "two neurons from new Random(7) differ -- draw only from the rng you are given");
        Random rng = new Random(1);
        double low = 1, high = -1;
        for (int k = 0; k < 200; k++) {
            Neuron n = Neuron.random(2, Neuron.Activation.SIGMOID, rng);
            for (double v : new double[] {n.weights[0], n.weights[1], n.bias}) {
                that(v >= -1 && v < 1, "a weight or bias of " + v + " lies outside [-1, 1)");
                low = Math.min(low, v);
                high = Math.max(high, v);
            }
        }
        that(low < -0.9 && high > 0.9, "600 draws lie in [" + show(low) + ", " + show(high)
                + "], not across [-1, 1) -- 2 * rng.nextDouble() - 1 covers it");
    }

    static void softplus() {
        near(Math.log(2), Neuron.softplus(0), "softplus(0) = ln 2", "ln(1 + e^0)");
        near(Math.log1p(Math.exp(2)), Neuron.softplus(2), "softplus(2)", "ln(1 + e^z)");
        near(1000, Neuron.softplus(1000), "softplus(1000)", "e^1000 overflows: use max(z, 0) + ln(1 + e^-|z|)");
        near(0, Neuron.softplus(-1000), "softplus(-1000)", "");
        for (double z : new double[] {-3, -0.5, 1, 4}) {
            near(1 / (1 + Math.exp(-z)), slope(Neuron::softplus, z), 1e-6, "the slope of softplus at " + z + ", sigmoid(z)", "");
        }
    }
}
