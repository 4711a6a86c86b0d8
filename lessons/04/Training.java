import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Lesson 04: the training loop.
 *
 * Backpropagation improves the network a little on one example. Training repeats it: every
 * example, epoch after epoch, until the error is small. Here a network learns XOR, the function
 * no single neuron can compute, and we look hard at the runs where it does not.
 *
 * Follows: the UPM hands-on, section 3e "Last step, training loop", and section 4a's "XOR
 * function" with its exercise 6 (AND, one-hot); see README.md for the authors and link.
 * New here: train (the loop over epochs and examples, stopped with a clear message if the error
 * stops being a number) and totalError (sum over the examples of sum (t - y)^2).
 * Carried: Neuron, Activation, NeuralNetwork, error, errorGradient and checkSameLength from
 * lesson 03, unchanged.
 * Changed: lesson 03's sigmoid helper is left out; nothing here uses it.
 *
 * Run: java lessons/04/Training.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3]
 */
public class Training {

    /** A neuron that remembers its last forward pass, so that it can work out its gradients. */
    static class Neuron {
        final double[] weights;
        double bias;
        final Activation activation;
        double[] inputs; // the x of the last forward pass
        double output; // the y of the last forward pass
        final double[] weightGradients; // dE/dw from the last backward pass
        double biasGradient; // dE/db, which is also dE/dz

        Neuron(double[] weights, double bias, Activation activation) {
            this.weights = weights;
            this.bias = bias;
            this.activation = activation;
            this.weightGradients = new double[weights.length];
        }

        static Neuron random(int inputs, Activation activation, Random rng) {
            double[] weights = new double[inputs];
            for (int i = 0; i < inputs; i++) weights[i] = 2 * rng.nextDouble() - 1;
            return new Neuron(weights, 2 * rng.nextDouble() - 1, activation);
        }

        /** y = f(w.x + b) */
        double forward(double[] x) {
            if (x.length != weights.length) {
                throw new IllegalArgumentException("expected " + weights.length + " inputs, got " + x.length);
            }
            double z = bias;
            for (int i = 0; i < weights.length; i++) z += weights[i] * x[i];
            inputs = x.clone();
            output = activation.apply(z);
            return output;
        }

        /**
         * Given dE/dy, stores dE/dw and dE/db and returns dE/dx, all by the chain rule:
         * dE/dz = dE/dy * f'(z), dE/dw_i = dE/dz * x_i, dE/db = dE/dz, dE/dx_i = dE/dz * w_i.
         * dE/dx uses the weights of the forward pass: call update only afterwards.
         */
        double[] backward(double outputGradient) {
            double delta = outputGradient * activation.derivative(output); // dE/dz
            double[] inputGradients = new double[weights.length];
            for (int i = 0; i < weights.length; i++) {
                weightGradients[i] = delta * inputs[i];
                inputGradients[i] = delta * weights[i];
            }
            biasGradient = delta;
            return inputGradients;
        }

        /** One step of gradient descent: move every parameter against its gradient. */
        void update(double learningRate) {
            for (int i = 0; i < weights.length; i++) weights[i] -= learningRate * weightGradients[i];
            bias -= learningRate * biasGradient;
        }
    }

    /** Activations, each with its derivative f'(z) written in terms of its output y = f(z). */
    enum Activation {
        SIGMOID("sigmoid", "y(1 - y)") {
            double apply(double z) { return 1 / (1 + Math.exp(-z)); }
            double derivative(double y) { return y * (1 - y); }
        },
        TANH("tanh", "1 - y^2") {
            double apply(double z) { return Math.tanh(z); }
            double derivative(double y) { return 1 - y * y; }
        },
        RELU("ReLU", "1 if y > 0, else 0") {
            double apply(double z) { return Math.max(0, z); }
            double derivative(double y) { return y > 0 ? 1 : 0; }
        },
        LEAKY_RELU("leaky ReLU", "1 if y > 0, else 0.01") {
            double apply(double z) { return z > 0 ? z : 0.01 * z; }
            double derivative(double y) { return y > 0 ? 1 : 0.01; }
        };

        final String label, formula;

        Activation(String label, String formula) {
            this.label = label;
            this.formula = formula;
        }

        abstract double apply(double z);

        abstract double derivative(double y);
    }

    /** Layers of neurons; the last layer is the output layer. */
    static class NeuralNetwork {
        final Neuron[][] layers;

        NeuralNetwork(Neuron[][] layers) {
            this.layers = layers;
        }

        /** sizes = {inputs, hidden..., outputs}, every neuron drawn from rng. */
        static NeuralNetwork random(int[] sizes, Activation activation, Random rng) {
            Neuron[][] layers = new Neuron[sizes.length - 1][];
            for (int l = 0; l < layers.length; l++) {
                layers[l] = new Neuron[sizes[l + 1]];
                for (int j = 0; j < sizes[l + 1]; j++) layers[l][j] = Neuron.random(sizes[l], activation, rng);
            }
            return new NeuralNetwork(layers);
        }

        double[] forward(double[] x) {
            for (Neuron[] layer : layers) {
                double[] next = new double[layer.length];
                for (int j = 0; j < layer.length; j++) next[j] = layer[j].forward(x);
                x = next;
            }
            return x;
        }

        /** Passes dE/doutput back through every layer; each neuron keeps its own gradients. */
        void backward(double[] outputGradient) {
            double[] gradient = outputGradient;
            for (int l = layers.length - 1; l >= 0; l--) {
                double[] inputGradient = new double[layers[l][0].weights.length];
                for (int j = 0; j < layers[l].length; j++) {
                    double[] fromNeuron = layers[l][j].backward(gradient[j]);
                    for (int i = 0; i < inputGradient.length; i++) inputGradient[i] += fromNeuron[i]; // x_i feeds every neuron
                }
                gradient = inputGradient;
            }
        }

        void update(double learningRate) {
            for (Neuron[] layer : layers) {
                for (Neuron n : layer) n.update(learningRate);
            }
        }

        /** One step of gradient descent on one example: forward, backward, update. */
        void backpropagate(double[] x, double[] target, double learningRate) {
            backward(errorGradient(target, forward(x)));
            update(learningRate);
        }
    }

    /** E = 1/2 sum (t - o)^2; the 1/2 cancels when differentiating. */
    static double error(double[] target, double[] output) {
        checkSameLength(target, output);
        double sum = 0;
        for (int i = 0; i < target.length; i++) sum += (target[i] - output[i]) * (target[i] - output[i]);
        return sum / 2;
    }

    /** dE/do = o - t */
    static double[] errorGradient(double[] target, double[] output) {
        checkSameLength(target, output);
        double[] gradient = new double[output.length];
        for (int i = 0; i < output.length; i++) gradient[i] = output[i] - target[i];
        return gradient;
    }

    static void checkSameLength(double[] target, double[] output) {
        if (target.length != output.length) {
            throw new IllegalArgumentException("expected " + output.length + " targets, got " + target.length);
        }
    }

    /**
     * Trains with one update per example, in order, for the given number of epochs. history[e] is
     * the total error after e epochs (history[0]: before training); the total error is printed
     * after epoch 1 and every printEvery epochs (printEvery 0: never). A total error that is no
     * longer a number (the steps overshot until the weights overflowed) stops the run with a UserError.
     */
    static double[] train(NeuralNetwork net, double[][] inputs, double[][] targets,
            int epochs, double learningRate, int printEvery) {
        double[] history = new double[epochs + 1];
        history[0] = totalError(net, inputs, targets);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            for (int i = 0; i < inputs.length; i++) net.backpropagate(inputs[i], targets[i], learningRate);
            history[epoch] = totalError(net, inputs, targets);
            stopIfDiverged(history[epoch], epoch, learningRate); // never a NaN passed on as a result
            if (printEvery > 0 && (epoch == 1 || epoch % printEvery == 0)) {
                System.out.printf("   epoch %5d  total error %.4f%n", epoch, history[epoch]);
            }
        }
        return history;
    }

    /** The total error, sum over the examples of sum (t - o)^2: twice the examples' E, added up. */
    static double totalError(NeuralNetwork net, double[][] inputs, double[][] targets) {
        double sum = 0;
        for (int i = 0; i < inputs.length; i++) sum += 2 * error(targets[i], net.forward(inputs[i]));
        return sum;
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/04/Training.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3]
              --seed N       seed of step 1's network; step 2 and exercise 2 use seeds N to N + 19 (default 42)
              --rate X       the learning rate of the lesson's steps 1 to 3 (default 0.5)
              --epochs N     epochs of every network in steps 1 to 3 (default 10000)
              --exercise N   run exercise N of the README instead of the lesson""";

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            double rate = flags.decimal("--rate", 0.5, 1e-6, 100);
            int epochs = (int) flags.number("--epochs", 10_000, 1, 100_000);
            switch ((int) flags.number("--exercise", 0, 0, 3)) {
                case 1 -> exerciseFourOutputs(new Random(seed));
                case 2 -> exerciseLearningRates(seed);
                case 3 -> exerciseZeroWeights();
                default -> lesson(seed, epochs, rate);
            }
        } catch (UserError e) {
            System.err.println("Training: " + e.getMessage());
            System.exit(2);
        }
    }

    static final double[][] XOR_INPUTS = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    static final double[][] XOR_TARGETS = {{0}, {1}, {1}, {0}};

    static void lesson(long seed, int epochs, double rate) {
        System.out.println("Lesson 04: the training loop");
        learnXor(new Random(seed), epochs, rate);
        manySeeds(seed, epochs, rate);
        learnAnd(new Random(seed), epochs, rate);
    }

    /** Step 1: XOR with 2 hidden sigmoid neurons, 10,000 epochs of per-example updates (by default). */
    static void learnXor(Random rng, int epochs, double rate) {
        System.out.printf("%n1. XOR with 2 hidden sigmoid neurons (learning rate %s, %,d epochs)%n", rate, epochs);
        NeuralNetwork net = NeuralNetwork.random(new int[] {2, 2, 1}, Activation.SIGMOID, rng);
        double[] history = train(net, XOR_INPUTS, XOR_TARGETS, epochs, rate, Math.max(1, epochs / 10));
        System.out.println("   x1 x2  XOR   network   hidden neurons");
        double[][] hidden = new double[XOR_INPUTS.length][];
        for (int i = 0; i < XOR_INPUTS.length; i++) {
            double o = net.forward(XOR_INPUTS[i])[0];
            hidden[i] = outputs(net.layers[0]);
            System.out.printf("    %.0f  %.0f   %.0f    %.4f    %s%n", XOR_INPUTS[i][0], XOR_INPUTS[i][1],
                    XOR_TARGETS[i][0], o, point(hidden[i]));
        }
        System.out.printf("   Read as gates (an output above 0.5 as 1): hidden neuron 1 is %s, hidden neuron 2 is %s.%n",
                gate(hidden, 0), gate(hidden, 1));
        if (learned(net, XOR_INPUTS, XOR_TARGETS)) {
            System.out.println("   Every output is on the right side of 0.5: the network learned XOR. Each hidden neuron");
            System.out.println("   computes a simpler function of x1 and x2; the output neuron combines the two into XOR.");
        } else {
            System.out.printf("   STUCK: after %,d epochs the total error is %.4f and not every output is on the%n",
                    epochs, history[history.length - 1]);
            System.out.println("   right side of 0.5. Step 2 shows how often that happens, and why:");
            System.out.println(diagnose(net));
        }
    }

    /** Learned: every output on the right side of 0.5. */
    static boolean learned(NeuralNetwork net, double[][] inputs, double[][] targets) {
        for (int i = 0; i < inputs.length; i++) {
            if (Math.abs(net.forward(inputs[i])[0] - targets[i][0]) >= 0.5) return false;
        }
        return true;
    }

    /** Step 2: the same training from 20 seeds, with 2 and then 4 hidden neurons. */
    static void manySeeds(long seed, int epochs, double rate) {
        System.out.println("\n2. Twenty seeds: does XOR always work?");
        List<double[]> learnedRuns = new ArrayList<>(), stuckRuns = new ArrayList<>();
        for (long s = seed; s != seed + 20; s++) { // != rather than <: seed + 20 may wrap round, and so may s
            NeuralNetwork net = NeuralNetwork.random(new int[] {2, 2, 1}, Activation.SIGMOID, new Random(s));
            double[] history = train(net, XOR_INPUTS, XOR_TARGETS, epochs, rate, 0);
            boolean ok = learned(net, XOR_INPUTS, XOR_TARGETS);
            (ok ? learnedRuns : stuckRuns).add(history);
            System.out.printf("   seed %3d  total error %.4f  %s%n", s, history[history.length - 1], ok ? "learned" : "STUCK");
            if (!ok) System.out.println(diagnose(net));
        }
        System.out.printf("   2 hidden neurons: %d of 20 seeds learned XOR%n", learnedRuns.size());
        Chart chart = new Chart("XOR, 2 hidden neurons, 20 seeds", "epoch", "total error (log scale)");
        chart.logY = true;
        for (double[] history : learnedRuns) chart.add("learned XOR", epochs(history.length), history, Chart.Style.LINE);
        for (double[] history : stuckRuns) chart.add("stuck", epochs(history.length), history, Chart.Style.LINE);
        System.out.println("   plot: " + chart.save("04-xor-seeds.png"));
        int four = learnedWithHidden(4, seed, epochs, rate);
        System.out.printf("   4 hidden neurons: %d of 20 seeds learned XOR%n", four);
        if (four > learnedRuns.size()) {
            System.out.println("   More hidden neurons, fewer stuck runs: with 4 it is less likely that every one of them");
            System.out.println("   saturates on the same pair of inputs, so some neuron keeps the two apart for the gradient.");
        } else if (four == learnedRuns.size()) {
            System.out.println("   On these seeds 4 hidden neurons did no better than 2.");
        } else {
            System.out.println("   On these seeds 4 hidden neurons did worse than 2.");
        }
    }

    static int learnedWithHidden(int hidden, long seed, int epochs, double rate) {
        int count = 0;
        for (long s = seed; s != seed + 20; s++) {
            NeuralNetwork net = NeuralNetwork.random(new int[] {2, hidden, 1}, Activation.SIGMOID, new Random(s));
            train(net, XOR_INPUTS, XOR_TARGETS, epochs, rate, 0);
            if (learned(net, XOR_INPUTS, XOR_TARGETS)) count++;
        }
        return count;
    }

    /**
     * Why a run is stuck: finds the two inputs with different targets that the hidden layer
     * maps closest together. If they land on the same point, the output neuron sees one input
     * where there are two, and the best it can answer for both is about 0.5.
     */
    static String diagnose(NeuralNetwork net) {
        double[][] hidden = new double[XOR_INPUTS.length][];
        for (int i = 0; i < XOR_INPUTS.length; i++) {
            net.forward(XOR_INPUTS[i]);
            hidden[i] = outputs(net.layers[0]);
        }
        int a = 0, b = 1;
        for (int i = 0; i < hidden.length; i++) {
            for (int j = i + 1; j < hidden.length; j++) {
                if (XOR_TARGETS[i][0] != XOR_TARGETS[j][0] && distance(hidden[i], hidden[j]) < distance(hidden[a], hidden[b])) {
                    a = i;
                    b = j;
                }
            }
        }
        double slope = 0; // the largest sigmoid slope y(1 - y) of any hidden neuron on those two inputs
        for (double y : hidden[a]) slope = Math.max(slope, Activation.SIGMOID.derivative(y));
        for (double y : hidden[b]) slope = Math.max(slope, Activation.SIGMOID.derivative(y));
        String where = distance(hidden[a], hidden[b]) < 0.05
                ? "both reach the hidden layer as about " + point(hidden[a])
                : "reach the hidden layer at " + point(hidden[a]) + " and " + point(hidden[b]);
        String state = slope < 0.01 ? "the hidden neurons are saturated there" : "the hidden neurons still have some slope there";
        return String.format("             inputs %s and %s (targets %.0f and %.0f) %s,%n"
                + "             so the output says %.2f and %.2f; %s (slope at most %.1e)",
                bits(XOR_INPUTS[a]), bits(XOR_INPUTS[b]), XOR_TARGETS[a][0], XOR_TARGETS[b][0], where,
                net.forward(XOR_INPUTS[a])[0], net.forward(XOR_INPUTS[b])[0], state, slope);
    }

    /** The outputs of a layer's last forward pass. */
    static double[] outputs(Neuron[] layer) {
        double[] y = new double[layer.length];
        for (int j = 0; j < layer.length; j++) y[j] = layer[j].output;
        return y;
    }

    static final String[] GATES = {"never 1", "AND", "x1 AND NOT x2", "x1", "x2 AND NOT x1", "x2", "XOR", "OR",
        "NOR", "XNOR", "NOT x2", "x1 OR NOT x2", "NOT x1", "x2 OR NOT x1", "NAND", "always 1"};

    /** The two-input gate that hidden neuron j computes, reading its outputs for the four XOR inputs above 0.5 as 1. */
    static String gate(double[][] hidden, int j) {
        int bitsSet = 0;
        for (int i = 0; i < hidden.length; i++) bitsSet = 2 * bitsSet + (hidden[i][j] > 0.5 ? 1 : 0);
        return GATES[bitsSet];
    }

    static double distance(double[] p, double[] q) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += (p[i] - q[i]) * (p[i] - q[i]);
        return Math.sqrt(sum);
    }

    static String point(double[] p) {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < p.length; i++) s.append(i > 0 ? ", " : "").append(String.format("%.2f", p[i]));
        return s.append(")").toString();
    }

    static String bits(double[] x) {
        return String.format("[%.0f, %.0f]", x[0], x[1]);
    }

    /** 0, 1, ..., n - 1: the epochs of a history, the first being "before training". */
    static double[] epochs(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = i;
        return x;
    }

    static final double[][] AND_TARGETS = {{0}, {0}, {0}, {1}};
    static final double[][] AND_ONE_HOT = {{1, 0}, {1, 0}, {1, 0}, {0, 1}}; // [false, true]

    /** Step 3: the tutorial's exercise 6, AND, first with one output, then one-hot with two. */
    static void learnAnd(Random rng, int epochs, double rate) {
        System.out.println("\n3. AND (the tutorial's exercise 6), with one output and then one-hot");
        NeuralNetwork single = NeuralNetwork.random(new int[] {2, 2, 1}, Activation.SIGMOID, rng);
        train(single, XOR_INPUTS, AND_TARGETS, epochs, rate, 0);
        NeuralNetwork oneHot = NeuralNetwork.random(new int[] {2, 2, 2}, Activation.SIGMOID, rng);
        train(oneHot, XOR_INPUTS, AND_ONE_HOT, epochs, rate, 0);
        System.out.println("   x1 x2  AND   one output   one-hot [false, true]   arg-max");
        int singleRight = 0, oneHotRight = 0;
        for (int i = 0; i < XOR_INPUTS.length; i++) {
            double y = single.forward(XOR_INPUTS[i])[0];
            double[] o = oneHot.forward(XOR_INPUTS[i]);
            if ((y > 0.5) == (AND_TARGETS[i][0] == 1)) singleRight++;
            if (argMax(o) == argMax(AND_ONE_HOT[i])) oneHotRight++;
            System.out.printf("    %.0f  %.0f   %.0f     %.4f        [%.4f, %.4f]        %s%n", XOR_INPUTS[i][0], XOR_INPUTS[i][1],
                    AND_TARGETS[i][0], y, o[0], o[1], argMax(o) == 1 ? "true" : "false");
        }
        System.out.printf("   Rows right: %d of 4 with one output, %d of 4 with one-hot.%n", singleRight, oneHotRight);
        System.out.println("   One-hot gives each class its own output neuron; the answer is the one that fires most.");
        System.out.println("   The tutorial asks for 4 outputs, but AND has 2 classes: see --exercise 1 for that reading.");
    }

    static int argMax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    // ---------------------------------------------------------------- exercises

    /**
     * Exercise 1: the tutorial asks for AND with 4 output neurons. With one-hot, 4 outputs
     * means 4 classes; the only 4 classes here are the 4 rows of the truth table.
     */
    static void exerciseFourOutputs(Random rng) {
        System.out.println("Exercise 1: four outputs, one per row of the truth table");
        double[][] rows = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
        NeuralNetwork net = NeuralNetwork.random(new int[] {2, 4, 4}, Activation.SIGMOID, rng);
        train(net, XOR_INPUTS, rows, 10_000, 0.5, 0);
        int right = 0;
        for (int i = 0; i < XOR_INPUTS.length; i++) {
            double[] o = net.forward(XOR_INPUTS[i]);
            int row = argMax(o);
            if (row == i) right++;
            System.out.printf("   %s -> [%.3f, %.3f, %.3f, %.3f]  row %d wins, so AND = %d%n",
                    bits(XOR_INPUTS[i]), o[0], o[1], o[2], o[3], row + 1, row == 3 ? 1 : 0);
        }
        System.out.printf("   %d of 4 inputs win their own row.%n", right);
        if (right == 4) {
            System.out.println("   The network learns to name the row; AND is then 'row 4 won'. It works, but it learns four");
            System.out.println("   classes to answer a two-class question: the 2-output one-hot of step 3 is the right shape.");
        } else {
            System.out.println("   The network has not learned to name every row, so 'row 4 won' is not AND here; and four");
            System.out.println("   classes for a two-class question is the wrong shape anyway: step 3's 2-output one-hot is right.");
        }
    }

    /** Exercise 2: the learning rate decides how many seeds learn XOR, and how fast. */
    static void exerciseLearningRates(long seed) {
        System.out.println("Exercise 2: XOR with 2 hidden neurons, 20 seeds, four learning rates");
        System.out.println("   rate   learned   median epochs needed to reach total error < 0.05 (runs that learned)");
        double[] rates = {0.1, 0.5, 2, 8};
        int fewest = 20, most = 0;
        double[] medians = new double[rates.length];
        for (int r = 0; r < rates.length; r++) {
            int count = 0;
            List<Integer> epochs = new ArrayList<>();
            for (long s = seed; s != seed + 20; s++) {
                NeuralNetwork net = NeuralNetwork.random(new int[] {2, 2, 1}, Activation.SIGMOID, new Random(s));
                double[] history = train(net, XOR_INPUTS, XOR_TARGETS, 10_000, rates[r], 0);
                if (!learned(net, XOR_INPUTS, XOR_TARGETS)) continue;
                count++;
                int e = 0;
                while (e < history.length && history[e] >= 0.05) e++;
                if (e < history.length) epochs.add(e);
            }
            medians[r] = epochs.isEmpty() ? Double.NaN : median(epochs);
            fewest = Math.min(fewest, 20 - count);
            most = Math.max(most, 20 - count);
            System.out.printf("   %4.1f   %2d/20     %s%n", rates[r], count, epochs.isEmpty() ? "-" : String.format("%.0f", medians[r]));
        }
        if (medians[rates.length - 1] < medians[0]) {
            System.out.printf("   Bigger steps reach a small error sooner (median %.0f epochs at rate %.1f, %.0f at rate %.1f),%n",
                    medians[rates.length - 1], rates[rates.length - 1], medians[0], rates[0]);
        } else {
            System.out.println("   Here bigger steps did not reach a small error sooner,");
        }
        if (fewest == 0) {
            System.out.println("   and at one rate or more no seed got stuck at all.");
        } else if (most - fewest <= 2) {
            System.out.printf("   but %s of the 20 seeds get stuck at every rate: whether a run saturates%n",
                    fewest == most ? "" + fewest : fewest + " to " + most);
            System.out.println("   depends more on where it starts than on the size of the step.");
        } else {
            System.out.printf("   and how many seeds get stuck changes with the rate, from %d to %d of 20: on these%n", fewest, most);
            System.out.println("   seeds the size of the step matters as well as where a run starts.");
        }
    }

    static double median(List<Integer> values) {
        List<Integer> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    /** Exercise 3: start every weight and bias at zero, and the hidden neurons stay twins forever. */
    static void exerciseZeroWeights() {
        System.out.println("Exercise 3: XOR from all-zero weights");
        Neuron[] hidden = {new Neuron(new double[2], 0, Activation.SIGMOID), new Neuron(new double[2], 0, Activation.SIGMOID)};
        Neuron[] output = {new Neuron(new double[2], 0, Activation.SIGMOID)};
        NeuralNetwork net = new NeuralNetwork(new Neuron[][] {hidden, output});
        double[] history = train(net, XOR_INPUTS, XOR_TARGETS, 10_000, 0.5, 0);
        System.out.printf("   after 10,000 epochs: total error %.4f%n", history[history.length - 1]);
        for (int j = 0; j < 2; j++) {
            System.out.printf("   hidden neuron %d: weights [%.6f, %.6f], bias %.6f%n",
                    j + 1, hidden[j].weights[0], hidden[j].weights[1], hidden[j].bias);
        }
        if (Arrays.equals(hidden[0].weights, hidden[1].weights) && hidden[0].bias == hidden[1].bias) {
            System.out.println("   The two hidden neurons are identical, to the last bit: they start equal, get equal");
            System.out.println("   gradients and so stay equal. The layer behaves like one neuron, and one neuron cannot");
            System.out.println("   do XOR. Random starts break the symmetry.");
        } else {
            System.out.println("   The two hidden neurons have drifted apart.");
        }
    }

    // ==================================================================================== plumbing
    // Flags, user errors, folders, PNG files and charts: the same code, byte for byte, in every
    // lesson (the chart only in those that draw one). None of it is about neural networks; you
    // can stop reading here.

    static {
        System.setProperty("java.awt.headless", "true"); // draw pictures without a screen
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
    }

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    /** The command line: "--name value" pairs and "--switch"es, each checked against USAGE. */
    record Flags(Map<String, String> given) {
        static Flags parse(String[] args) {
            Flags flags = new Flags(new HashMap<>());
            String usage = "; usage: " + USAGE.lines().findFirst().orElseThrow();
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                boolean isSwitch = USAGE.contains("[" + name + "]"), known = isSwitch || USAGE.contains("[" + name + " ");
                if (name.equals("--help")) System.out.println("usage: " + USAGE + "\n  --out DIR      where pictures go (default: out/ at the course's top)");
                if (name.equals("--help")) System.exit(0);
                if (!known && !name.equals("--out")) throw new UserError("unknown flag '" + name + "'" + usage);
                if (flags.given.containsKey(name)) throw new UserError(name + " is given twice" + usage);
                if (!isSwitch && i + 1 == args.length) throw new UserError(name + " needs a value" + usage);
                flags.given.put(name, isSwitch ? "" : args[++i]);
            }
            if (flags.given.containsKey("--out")) out = Path.of(flags.given.get("--out"));
            return flags;
        }

        boolean has(String name) {
            return given.containsKey(name);
        }

        /** The whole number given with a flag (or the fallback), which must lie in [min, max]. */
        long number(String name, long fallback, long min, long max) {
            String text = given.getOrDefault(name, "" + fallback);
            try {
                long value = Long.parseLong(text.strip());
                if (value >= min && value <= max) return value;
            } catch (NumberFormatException e) {
                // said below, with the range
            }
            String range = min == Long.MIN_VALUE ? "" : " from " + min + " to " + max;
            throw new UserError(name + " takes a whole number" + range + ", not '" + text + "'");
        }

        /** The number given with a flag (or the fallback), which must lie in [min, max]. */
        double decimal(String name, double fallback, double min, double max) {
            String text = given.getOrDefault(name, "" + fallback);
            try {
                double value = Double.parseDouble(text.strip());
                if (value >= min && value <= max) return value; // never NaN or infinite
            } catch (NumberFormatException e) {
                // said below, with the range
            }
            throw new UserError(name + " takes a number from " + min + " to " + max + ", not '" + text + "'");
        }
    }

    /** Stops a run whose loss is no longer a number: the steps overshoot and the weights blow up. */
    static void stopIfDiverged(double loss, int epoch, double rate) {
        if (!Double.isFinite(loss)) {
            throw new UserError("the loss became " + (loss > 0 ? "Infinity" : "undefined") + " at epoch " + epoch
                    + ": the learning rate " + rate + " is too large; try " + rate / 10);
        }
    }

    /** Where pictures go: the folder given with --out, else out/ at the course's top. */
    static Path out;

    static Path outDir() {
        return out != null ? out : courseDir().resolve("out");
    }

    /** The course's top folder: the nearest one, from the working folder up, that holds datasets/. */
    static Path courseDir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) if (Files.isDirectory(p.resolve("datasets"))) return p;
        return here;
    }

    /** Writes a PNG through a temporary file, so that a failure never leaves half a picture. */
    static Path savePng(BufferedImage image, String name) {
        Path dir = outDir().toAbsolutePath(), png = dir.resolve(name);
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UserError("cannot write " + name + ": " + dir + " is a file, not a folder; move it or give --out DIR");
        }
        try {
            Files.createDirectories(dir);
            Path partial = Files.createTempFile(dir, ".partial-", ".png");
            try {
                ImageIO.write(image, "png", partial.toFile());
                Files.move(partial, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            throw new UserError("could not write " + png + " (" + e.getMessage() + "); free some disk space or give --out DIR");
        }
        Path here = Path.of("").toAbsolutePath();
        return png.startsWith(courseDir()) ? here.relativize(png) : png; // out/x.png, not /home/.../out/x.png
    }

    // ---------------------------------------------------------------- charts, in the lessons that draw one

    /** A chart of lines or points, 800 x 500, with round ticks, axis labels and a legend. */
    static class Chart {
        enum Style { LINE, DASHED, DOTS, RINGS }

        record Series(String name, double[] x, double[] y, Style style) {}

        static final Color[] COLOURS = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), Color.DARK_GRAY};
        static final int LEFT = 80, RIGHT = 780, TOP = 40, BOTTOM = 445; // the plot area, in pixels
        final String title, xLabel, yLabel;
        final List<Series> series = new ArrayList<>();
        final List<String> names = new ArrayList<>(); // series with one name share a colour and a legend row
        double[] xRange, yRange; // fitted to the data unless a lesson fixes yRange
        boolean logY; // a logarithmic y axis: every factor of ten gets the same height

        Chart(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        Chart add(String name, double[] x, double[] y, Style style) {
            if (x.length != y.length) throw new IllegalArgumentException(x.length + " x values but " + y.length + " y values");
            series.add(new Series(name, x, y, style));
            if (!names.contains(name)) names.add(name);
            return this;
        }

        Path save(String name) {
            return savePng(draw(), name);
        }

        BufferedImage draw() {
            xRange = range(true);
            yRange = yRange != null ? yRange : range(false);
            BufferedImage image = new BufferedImage(800, 500, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.fillRect(0, 0, 800, 500);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            for (double t : ticks(xRange, false)) {
                g.setColor(new Color(232, 232, 232));
                g.drawLine((int) x(t), TOP, (int) x(t), BOTTOM);
                g.setColor(Color.BLACK);
                g.drawString(label(t), (int) x(t) - fm.stringWidth(label(t)) / 2, BOTTOM + 18);
            }
            for (double t : ticks(yRange, logY)) {
                g.setColor(new Color(232, 232, 232));
                g.drawLine(LEFT, (int) y(t), RIGHT, (int) y(t));
                g.setColor(Color.BLACK);
                g.drawString(label(t), LEFT - 8 - fm.stringWidth(label(t)), (int) y(t) + 4);
            }
            g.setClip(LEFT, TOP, RIGHT - LEFT, BOTTOM - TOP);
            for (Series s : series) {
                Path2D.Double line = new Path2D.Double();
                for (int i = 0; i < s.x.length; i++) {
                    if (i == 0) line.moveTo(x(s.x[i]), y(s.y[i])); else line.lineTo(x(s.x[i]), y(s.y[i]));
                    if (s.style == Style.DOTS || s.style == Style.RINGS) mark(g, s, x(s.x[i]), y(s.y[i]), null);
                }
                if (s.style == Style.LINE || s.style == Style.DASHED) mark(g, s, 0, 0, line);
            }
            g.setClip(null);
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, RIGHT - LEFT, BOTTOM - TOP);
            g.drawString(xLabel, (LEFT + RIGHT - fm.stringWidth(xLabel)) / 2, 484);
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, -(TOP + BOTTOM + fm.stringWidth(yLabel)) / 2, 18);
            g.rotate(Math.PI / 2);
            int width = 0, top = TOP + 10, height = 20 * names.size() + 8;
            for (String name : names) width = Math.max(width, fm.stringWidth(name) + 46);
            int left = hidden(LEFT + 10, top, width, height) < hidden(RIGHT - 10 - width, top, width, height)
                    ? LEFT + 10 : RIGHT - 10 - width; // the top corner where the legend hides fewer points
            g.setColor(Color.WHITE);
            g.fillRect(left, top, width, height);
            for (Series s : series) {
                int rowY = top + 14 + 20 * names.indexOf(s.name);
                mark(g, s, left + 19, rowY, s.style == Style.LINE || s.style == Style.DASHED ? new Line2D.Double(left + 8, rowY, left + 30, rowY) : null);
                g.setColor(Color.BLACK);
                g.drawString(s.name, left + 38, rowY + 5);
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, (800 - g.getFontMetrics().stringWidth(title)) / 2, TOP - 14);
            g.dispose();
            return image;
        }

        /** Draws the line, or else a dot or a ring at (px, py), in the colour of the series' name. */
        void mark(Graphics2D g, Series s, double px, double py, Shape line) {
            g.setColor(COLOURS[names.indexOf(s.name) % COLOURS.length]);
            g.setStroke(s.style == Style.DASHED
                    ? new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {7, 5}, 0)
                    : new BasicStroke(s.style == Style.LINE ? 2.5f : 1.5f));
            if (line != null) g.draw(line);
            else if (s.style == Style.DOTS) g.fill(new Ellipse2D.Double(px - 3, py - 3, 6, 6));
            else g.draw(new Ellipse2D.Double(px - 6, py - 6, 12, 12));
        }

        /** How many data points a box at (left, top) would cover. */
        int hidden(int left, int top, int width, int height) {
            int count = 0;
            for (Series s : series) {
                for (int i = 0; i < s.x.length; i++) {
                    double px = x(s.x[i]), py = y(s.y[i]);
                    if (px >= left && px <= left + width && py >= top && py <= top + height) count++;
                }
            }
            return count;
        }

        double x(double v) {
            return LEFT + (v - xRange[0]) / (xRange[1] - xRange[0]) * (RIGHT - LEFT);
        }

        double y(double v) {
            double[] r = yRange;
            double t = logY ? Math.log(v / r[0]) / Math.log(r[1] / r[0]) : (v - r[0]) / (r[1] - r[0]);
            return BOTTOM - t * (BOTTOM - TOP);
        }

        /** The smallest and largest finite x (or y) values; a log axis skips those at or below zero. */
        double[] range(boolean ofX) {
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (Series s : series) {
                for (double v : ofX ? s.x : s.y) {
                    if (Double.isFinite(v) && (ofX || !logY || v > 0)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
                }
            }
            if (lo > hi) { lo = 1; hi = 10; }
            if (hi - lo <= 1e-12 * Math.abs(hi)) return new double[] {lo - 1, hi + 1};
            boolean points = series.stream().anyMatch(s -> s.style == Style.DOTS || s.style == Style.RINGS);
            double margin = points && (ofX || !logY) ? 0.03 * (hi - lo) : 0; // whole dots, not halves, at the edges
            return new double[] {lo - margin, hi + margin};
        }

        /** Round values to mark on an axis: 1, 2 or 5 times a power of ten apart, or the powers of ten on a log axis. */
        static List<Double> ticks(double[] r, boolean log) {
            List<Double> ticks = new ArrayList<>();
            double step = Math.pow(10, Math.floor(Math.log10((r[1] - r[0]) / 5)));
            step *= (r[1] - r[0]) / step > 25 ? 5 : (r[1] - r[0]) / step > 10 ? 2 : 1;
            for (long k = (long) Math.ceil(r[0] / step); !log && k * step <= r[1] + step / 1e6; k++) ticks.add(k * step);
            for (double t = Math.pow(10, Math.ceil(Math.log10(r[0]))); log && t <= r[1] * 1.000001; t *= 10) ticks.add(t);
            return ticks;
        }

        static String label(double t) {
            return new BigDecimal(t).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        }
    }
}
