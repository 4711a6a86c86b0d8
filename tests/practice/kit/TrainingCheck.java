import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Lesson 04's checks: the total error, the training loop, the learned yardstick, arg-max and exercise 2's median. */
class TrainingCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("totalError", TrainingCheck::totalError)
                .hole("train", TrainingCheck::train)
                .hole("learned", TrainingCheck::learned)
                .hole("argMax", TrainingCheck::argMax)
                .hole("median", TrainingCheck::median)
                .verdicts;
    }

    static final double[][] XOR = Training.XOR_INPUTS, XOR_TARGETS = Training.XOR_TARGETS;

    static Training.NeuralNetwork network(long seed) {
        return Training.NeuralNetwork.random(new int[] {2, 2, 1}, Training.Activation.SIGMOID, new Random(seed));
    }

    /** sum over examples and outputs of (t - o)^2, with the outputs computed by the carried forward. */
    static double squares(Training.NeuralNetwork net, double[][] inputs, double[][] targets) {
        double sum = 0;
        for (int n = 0; n < inputs.length; n++) {
            double[] o = net.forward(inputs[n]);
            for (int k = 0; k < o.length; k++) sum += (targets[n][k] - o[k]) * (targets[n][k] - o[k]);
        }
        return sum;
    }

    static void totalError() {
        Training.NeuralNetwork net = network(3);
        near(squares(net, XOR, XOR_TARGETS), Training.totalError(net, XOR, XOR_TARGETS),
                "the total error of a random 2-2-1 network on XOR", "sum (t - o)^2 over the four examples, without the 1/2");
        Training.NeuralNetwork two = Training.NeuralNetwork.random(new int[] {2, 3, 2}, Training.Activation.TANH, new Random(4));
        double[][] targets = {{1, 0}, {0, 1}, {0, 1}, {1, 0}};
        near(squares(two, XOR, targets), Training.totalError(two, XOR, targets), "the total error of a 2-3-2 network",
                "add the squares of every output, not only the first");
        double[][] own = new double[XOR.length][];
        for (int n = 0; n < XOR.length; n++) own[n] = net.forward(XOR[n]).clone();
        Training.NeuralNetwork same = network(3);
        near(0, Training.totalError(same, XOR, own), "the total error when every target is the network's own output", "");
    }

    /** train must do what this loop does: every example once per epoch, in order, one update each. */
    static void train() {
        Training.NeuralNetwork net = network(42), mine = network(42);
        double[] history = Training.train(net, XOR, XOR_TARGETS, 30, 0.5, 0);
        that(history.length == 31, "30 epochs should give a history of 31 numbers (before training, then after each epoch), got " + history.length);
        near(squares(network(42), XOR, XOR_TARGETS), history[0], "history[0], the total error before training", "");
        for (int epoch = 1; epoch <= 30; epoch++) {
            for (int n = 0; n < XOR.length; n++) mine.backpropagate(XOR[n], XOR_TARGETS[n], 0.5);
            if (epoch == 1 || epoch == 30) {
                near(squares(mine, XOR, XOR_TARGETS), history[epoch], 1e-9, "history[" + epoch + "], the total error after epoch " + epoch,
                        "one backpropagate per example, in order, every epoch; measure after the epoch");
            }
        }
        near(mine.layers[0][1].weights[0], net.layers[0][1].weights[0], "a hidden weight after 30 epochs", "");
        double[][] big = {{0, 0}, {0, 1000}, {1000, 0}, {1000, 1000}}; // leaky ReLU on these, with rate 1, overflows
        Training.NeuralNetwork wild = Training.NeuralNetwork.random(new int[] {2, 4, 1}, Training.Activation.LEAKY_RELU, new Random(1));
        try {
            Training.train(wild, big, XOR_TARGETS, 100, 1, 0);
        } catch (Training.UserError e) {
            return;
        }
        throw new Miss("a run whose total error overflows should stop with a UserError (call stopIfDiverged every epoch), not return numbers");
    }

    static Training.NeuralNetwork constant(double output) {
        Training.Neuron n = new Training.Neuron(new double[] {0, 0}, Math.log(output / (1 - output)), Training.Activation.SIGMOID);
        return new Training.NeuralNetwork(new Training.Neuron[][] {{n}});
    }

    static void learned() {
        Training.Neuron or = new Training.Neuron(new double[] {10, 10}, -5, Training.Activation.SIGMOID);
        Training.NeuralNetwork net = new Training.NeuralNetwork(new Training.Neuron[][] {{or}});
        double[][] orTargets = {{0}, {1}, {1}, {1}};
        that(Training.learned(net, XOR, orTargets), "a neuron that computes OR has learned OR, but learned says no");
        that(!Training.learned(net, XOR, XOR_TARGETS), "a neuron that computes OR has not learned XOR, but learned says yes");
        that(!Training.learned(constant(0.6), XOR, XOR_TARGETS), "an output of 0.6 everywhere gets two of four XOR rows wrong, but learned says yes");
        that(Training.learned(constant(0.6), XOR, new double[][] {{1}, {1}, {1}, {1}}), "0.6 is on the right side of 0.5 for target 1, but learned says no");
    }

    static void argMax() {
        that(Training.argMax(new double[] {0.1, 0.7, 0.2}) == 1, "argMax of [0.1, 0.7, 0.2] should be 1");
        that(Training.argMax(new double[] {-3, -1, -2}) == 1, "argMax of [-3, -1, -2] should be 1: start from the first value, not from 0");
        that(Training.argMax(new double[] {0.9, 0.2}) == 0, "argMax of [0.9, 0.2] should be 0");
        that(Training.argMax(new double[] {0.5, 0.5, 0.1}) == 0, "argMax of [0.5, 0.5, 0.1] should be 0: the first of equal values");
    }

    static void median() {
        near(2, Training.median(List.of(3, 1, 2)), "the median of [3, 1, 2]", "sort first");
        near(2.5, Training.median(List.of(4, 1, 3, 2)), "the median of [4, 1, 3, 2]", "an even count takes the mean of the two middle values");
        near(7, Training.median(List.of(7)), "the median of [7]", "");
        List<Integer> values = new ArrayList<>(List.of(5, 2, 9));
        Training.median(values);
        that(values.equals(List.of(5, 2, 9)), "median changed the caller's list -- sort a copy");
    }
}
