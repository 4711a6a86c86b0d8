import java.util.Map;
import java.util.Random;

/** Lesson 02's checks: a layer's and a network's forward pass, random networks, MSE, the 2-2-1 example. */
class NetworkCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("forwardLayer", NetworkCheck::forwardLayer)
                .hole("NeuralNetwork.forward", NetworkCheck::forward)
                .hole("NeuralNetwork.random", NetworkCheck::random)
                .hole("mse", NetworkCheck::mse)
                .hole("workedExample", NetworkCheck::workedExample)
                .verdicts;
    }

    static Network.Neuron neuron(double w1, double w2, double b) {
        return new Network.Neuron(new double[] {w1, w2}, b, Network.Activation.SIGMOID);
    }

    static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    static void forwardLayer() {
        Network.Neuron[] layer = {neuron(1, 0, 0), neuron(0, 1, 0), neuron(1, 1, -1)};
        double[] out = Network.forwardLayer(layer, new double[] {2, 3});
        that(out.length == 3, "a layer of 3 neurons should give 3 numbers, gave " + out.length);
        near(sigmoid(2), out[0], "neuron 1 (weights [1, 0]) on [2, 3] to give sigmoid(2)", "");
        near(sigmoid(4), out[2], "neuron 3 (weights [1, 1], bias -1) to give sigmoid(4)", "every neuron reads the same x");
    }

    static void forward() {
        Network.NeuralNetwork net = new Network.NeuralNetwork(new Network.Neuron[][] {
            {neuron(1, -1, 0.5), neuron(0.5, 0.5, 0)}, {neuron(2, -1, 0)}});
        double h1 = sigmoid(2 - 3 + 0.5), h2 = sigmoid(1 + 1.5), o = sigmoid(2 * h1 - h2);
        double[] y = net.forward(new double[] {2, 3});
        that(y.length == 1, "a network with one output neuron should give 1 number, gave " + y.length);
        near(o, y[0], "the output for [2, 3]", "feed each layer's outputs, not x, to the next layer");
    }

    static void random() {
        Network.NeuralNetwork net = Network.NeuralNetwork.random(new int[] {2, 4, 4, 1}, Network.Activation.TANH, new Random(3));
        that(net.layers.length == 3, "sizes {2, 4, 4, 1} should give 3 layers, gave " + net.layers.length);
        int parameters = 0;
        for (Network.Neuron[] layer : net.layers) {
            for (Network.Neuron n : layer) {
                parameters += n.weights.length + 1;
                that(n.activation == Network.Activation.TANH, "every neuron should get the activation given to random");
            }
        }
        that(net.layers[1].length == 4 && net.layers[1][0].weights.length == 4,
                "the second hidden layer should be 4 neurons of 4 weights each");
        that(parameters == 37, "a 2-4-4-1 network has 3*4 + 5*4 + 5*1 = 37 parameters, this one " + parameters);
        Network.NeuralNetwork again = Network.NeuralNetwork.random(new int[] {2, 4, 4, 1}, Network.Activation.TANH, new Random(3));
        that(net.layers[2][0].weights[3] == again.layers[2][0].weights[3] && net.layers[0][1].bias == again.layers[0][1].bias,
                "two networks from new Random(3) differ -- draw only from the rng you are given");
        that(net.layers[0][0].weights[0] != net.layers[0][1].weights[0], "two neurons start with the same weights -- draw each one anew");
    }

    static void mse() {
        near(0.5, Network.mse(new double[] {1, 0, 0, 1}, new double[] {0, 0, 0, 0}), "mse of [1, 0, 0, 1] against [0, 0, 0, 0]",
                "(1 + 0 + 0 + 1) / 4");
        near(0.025, Network.mse(new double[] {1, 0, 0, 1}, new double[] {0.9, 0.1, 0.2, 0.8}), "the near miss of exercise 3",
                "square each difference, then take the mean");
        near(0, Network.mse(new double[] {0.3, -2}, new double[] {0.3, -2}), "mse of a perfect prediction", "");
        near(4, Network.mse(new double[] {-1}, new double[] {1}), "mse of target -1 against 1", "misses below count as positive");
        refuses(() -> Network.mse(new double[] {1, 0}, new double[] {1}),
                "mse of 2 targets and 1 prediction should throw IllegalArgumentException naming both sizes");
    }

    static void workedExample() {
        Network.NeuralNetwork net = Network.workedExample();
        that(net.layers.length == 2 && net.layers[0].length == 2 && net.layers[1].length == 1,
                "the worked example is 2-2-1: two hidden neurons, one output neuron");
        for (Network.Neuron[] layer : net.layers) {
            for (Network.Neuron n : layer) {
                that(n.weights.length == 2 && n.weights[0] == 0 && n.weights[1] == 1 && n.bias == 0
                        && n.activation == Network.Activation.SIGMOID, "every neuron should be sigmoid, weights [0, 1], bias 0");
            }
        }
        that(net.layers[0][0] != net.layers[0][1], "the two hidden neurons are one object -- make each neuron anew");
        double h = net.layers[0][1].forward(new double[] {2, 3});
        near(0.7216325609518421, net.layers[1][0].forward(new double[] {h, h}), "o1 for [2, 3]", "");
    }
}
