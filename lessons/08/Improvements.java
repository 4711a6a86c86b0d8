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
import java.io.InputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Lesson 08: training better.
 *
 * Four changes to lesson 04's training loop, each measured on Iris rather than taken on trust:
 * where the weights start (initialisation), the order of the examples (shuffling), steps that
 * remember the previous step (momentum), and a cap on each gradient (clipping). Plus the tools
 * to watch training: a loss chart, a sparkline, and a detector that stops a stalled run.
 *
 * Follows: the UPM hands-on, sections 5a "Weight initialization" and 5b "Improving stability and
 * convergence"; see README.md for the authors.
 * New here: Init (uniform, Glorot uniform, He normal, He uniform, LeCun normal: the tutorial's
 * "Xavier" is He uniform), Training (momentum, clipping, shuffling, patience), shuffle and
 * StallDetector.
 * Carried: Activation from lesson 03; error, errorGradient, checkSameLength and totalError from
 * lesson 04; Standardiser and Table from lesson 06; oneHot, argMax, Dataset and readDataset from
 * lesson 07, unchanged (readIris reads --data FILE.csv through them, as lesson 07 does).
 * Changed: Neuron: its random weights come from an Init, and it keeps its last step
 * (weightVelocities, biasVelocity) so that update(Training) can add momentum and clip the
 * gradients. NeuralNetwork: random takes an Init; update and backpropagate take a Training;
 * parameters and setParameters let the stall detector keep the best weights. train takes a Training
 * and a Random, shuffles, and stops when the stall detector says so, or, as lesson 04's does, when
 * the total error is no longer a number.
 *
 * Run: java lessons/08/Improvements.java [--seed N] [--data FILE.csv] [--rate X] [--epochs N] [--exercise 1|2|3] [--linear]
 */
public class Improvements {

    /** A neuron that remembers its last forward pass, and the last step of each parameter. */
    static class Neuron {
        final double[] weights;
        double bias;
        final Activation activation;
        double[] inputs; // the x of the last forward pass
        double output; // the y of the last forward pass
        final double[] weightGradients; // dE/dw from the last backward pass
        double biasGradient; // dE/db, which is also dE/dz
        final double[] weightVelocities; // the last step of each weight, which momentum carries on
        double biasVelocity;

        Neuron(double[] weights, double bias, Activation activation) {
            this.weights = weights;
            this.bias = bias;
            this.activation = activation;
            this.weightGradients = new double[weights.length];
            this.weightVelocities = new double[weights.length];
        }

        /** A neuron in a layer of `outputs` neurons, each fed by `inputs`, its weights drawn by init. */
        static Neuron random(int inputs, int outputs, Init init, Activation activation, Random rng) {
            double[] weights = new double[inputs];
            for (int i = 0; i < inputs; i++) weights[i] = init.weight(inputs, outputs, rng);
            return new Neuron(weights, init.bias(rng), activation);
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

        /**
         * One step with momentum: clip the gradient g to [-clip, clip], then v = momentum * v -
         * learningRate * g, and move the parameter by v. Momentum 0 and no clip is lesson 03's step.
         */
        void update(Training training) {
            double momentum = training.momentum(), rate = training.learningRate();
            for (int i = 0; i < weights.length; i++) {
                weightVelocities[i] = momentum * weightVelocities[i] - rate * training.clip(weightGradients[i]);
                weights[i] += weightVelocities[i];
            }
            biasVelocity = momentum * biasVelocity - rate * training.clip(biasGradient);
            bias += biasVelocity;
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

        /** sizes = {inputs, hidden..., outputs}, every weight drawn by init from rng. */
        static NeuralNetwork random(int[] sizes, Activation activation, Init init, Random rng) {
            Neuron[][] layers = new Neuron[sizes.length - 1][];
            for (int l = 0; l < layers.length; l++) {
                layers[l] = new Neuron[sizes[l + 1]];
                for (int j = 0; j < sizes[l + 1]; j++) {
                    layers[l][j] = Neuron.random(sizes[l], sizes[l + 1], init, activation, rng);
                }
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

        void update(Training training) {
            for (Neuron[] layer : layers) {
                for (Neuron n : layer) n.update(training);
            }
        }

        /** One step on one example: forward, backward, update. */
        void backpropagate(double[] x, double[] target, Training training) {
            backward(errorGradient(target, forward(x)));
            update(training);
        }

        /** Every weight and bias in one array, to remember the best network seen. */
        double[] parameters() {
            List<Double> all = new ArrayList<>();
            for (Neuron[] layer : layers) {
                for (Neuron n : layer) {
                    for (double w : n.weights) all.add(w);
                    all.add(n.bias);
                }
            }
            return all.stream().mapToDouble(Double::doubleValue).toArray();
        }

        /** Puts back what parameters() returned. */
        void setParameters(double[] p) {
            int k = 0;
            for (Neuron[] layer : layers) {
                for (Neuron n : layer) {
                    for (int i = 0; i < n.weights.length; i++) n.weights[i] = p[k++];
                    n.bias = p[k++];
                }
            }
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
     * Lesson 04's training loop, with this lesson's options: shuffles the examples every epoch if
     * asked, steps with momentum and clipping, and stops when the stall detector says so (then
     * putting back the best weights it saw). history[e] is the total error after e epochs
     * (history[0]: before training), for every epoch trained; it is printed after epoch 1 and
     * every printEvery epochs (printEvery 0: never).
     */
    static double[] train(NeuralNetwork net, double[][] inputs, double[][] targets, int epochs,
            Training training, Random rng, int printEvery) {
        int[] order = new int[inputs.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        StallDetector stall = new StallDetector(training.patience(), net);
        double[] history = new double[epochs + 1];
        history[0] = totalError(net, inputs, targets);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            if (training.shuffle()) shuffle(order, rng);
            for (int i : order) net.backpropagate(inputs[i], targets[i], training);
            history[epoch] = totalError(net, inputs, targets);
            stopIfDiverged(history[epoch], epoch, training.learningRate()); // never a NaN passed on as a result
            if (printEvery > 0 && (epoch == 1 || epoch % printEvery == 0)) {
                System.out.printf("   epoch %5d  total error %.4f%n", epoch, history[epoch]);
            }
            if (stall.stopsAt(epoch, history[epoch], net)) {
                net.setParameters(stall.bestParameters);
                if (printEvery > 0) System.out.println("   " + stall.reason(epoch));
                return Arrays.copyOf(history, epoch + 1);
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

    /** Standardisation fitted on the training rows: x' = (x - mean) / std, column by column. */
    record Standardiser(double[] mean, double[] std) {
        static Standardiser fit(double[][] x, String[] names) {
            int columns = x[0].length;
            double[] mean = new double[columns], std = new double[columns];
            for (int c = 0; c < columns; c++) {
                for (double[] row : x) mean[c] += row[c] / x.length;
                for (double[] row : x) std[c] += (row[c] - mean[c]) * (row[c] - mean[c]) / x.length;
                std[c] = Math.sqrt(std[c]);
                if (std[c] <= 1e-12 * Math.max(1, Math.abs(mean[c]))) { // x' would be 0 / 0
                    throw new UserError("feature '" + names[c] + "' (column " + (c + 1) + ") has the same value, "
                            + x[0][c] + ", in every training row, so it cannot be standardised; remove that column");
                }
            }
            return new Standardiser(mean, std);
        }

        double[][] apply(double[][] x) {
            double[][] scaled = new double[x.length][mean.length];
            for (int i = 0; i < x.length; i++) {
                for (int c = 0; c < mean.length; c++) scaled[i][c] = (x[i][c] - mean[c]) / std[c];
            }
            return scaled;
        }
    }

    /** [0, 1, 0] for class 1 of 3: one output per class, and only the right one is on. */
    static double[] oneHot(int label, int classes) {
        double[] target = new double[classes];
        target[label] = 1;
        return target;
    }

    /** The predicted class: the output that is largest. */
    static int argMax(double[] output) {
        int best = 0;
        for (int i = 1; i < output.length; i++) if (output[i] > output[best]) best = i;
        return best;
    }

    /**
     * Where the weights start. Each scheme picks the spread of a neuron's weights from how many
     * inputs feed it (n_in) and, for Glorot, how many neurons its layer has (n_out).
     */
    enum Init {
        UNIFORM("uniform(-1, 1)", "U(-1, 1), the tutorial's default", "1/3") {
            double weight(int in, int out, Random rng) { return 2 * rng.nextDouble() - 1; }
            double variance(int in, int out) { return 1.0 / 3; }
        },
        GLOROT("Glorot uniform", "U(-a, a), a = sqrt(6/(n_in + n_out))", "2/(n_in + n_out)") {
            double weight(int in, int out, Random rng) { return Math.sqrt(6.0 / (in + out)) * (2 * rng.nextDouble() - 1); }
            double variance(int in, int out) { return 2.0 / (in + out); }
        },
        HE("He normal", "N(0, std sqrt(2/n_in))", "2/n_in") {
            double weight(int in, int out, Random rng) { return Math.sqrt(2.0 / in) * rng.nextGaussian(); }
            double variance(int in, int out) { return 2.0 / in; }
        },
        HE_UNIFORM("He uniform", "U(-a, a), a = sqrt(6/n_in)", "2/n_in") { // the tutorial's "Xavier"
            double weight(int in, int out, Random rng) { return Math.sqrt(6.0 / in) * (2 * rng.nextDouble() - 1); }
            double variance(int in, int out) { return 2.0 / in; }
        },
        LECUN("LeCun normal", "N(0, std sqrt(1/n_in))", "1/n_in") {
            double weight(int in, int out, Random rng) { return Math.sqrt(1.0 / in) * rng.nextGaussian(); }
            double variance(int in, int out) { return 1.0 / in; }
        };

        final String label, distribution, formula;

        Init(String label, String distribution, String formula) {
            this.label = label;
            this.distribution = distribution;
            this.formula = formula;
        }

        abstract double weight(int in, int out, Random rng);

        /** The variance of weight(in, out, rng): a^2/3 for U(-a, a), std^2 for a normal. */
        abstract double variance(int in, int out);

        /** Biases start at 0, as in the papers; only the tutorial's default draws them too. */
        double bias(Random rng) {
            return this == UNIFORM ? 2 * rng.nextDouble() - 1 : 0;
        }
    }

    /**
     * How to train: the learning rate, the momentum (0: none), the largest gradient allowed
     * (infinity: no clipping), whether to shuffle the examples every epoch, and how many epochs
     * without progress the stall detector waits before it stops training (0: never).
     */
    record Training(double learningRate, double momentum, double maxGradient, boolean shuffle, int patience) {
        static final double NO_CLIP = Double.POSITIVE_INFINITY;

        /** Lesson 04's training: no momentum, no clipping, the examples always in the same order. */
        static Training plain(double learningRate) {
            return new Training(learningRate, 0, NO_CLIP, false, 0);
        }

        /** The gradient g, limited to [-maxGradient, maxGradient]: one number at a time. */
        double clip(double g) {
            return Math.max(-maxGradient, Math.min(maxGradient, g));
        }

        /** No step can be larger than this: |v| <= learningRate * maxGradient * (1 + m + m^2 + ...). */
        double largestStep() {
            return learningRate * maxGradient / (1 - momentum);
        }

        Training withMomentum(double m) {
            return new Training(learningRate, m, maxGradient, shuffle, patience);
        }

        Training withClip(double max) {
            return new Training(learningRate, momentum, max, shuffle, patience);
        }

        Training withShuffle(boolean on) {
            return new Training(learningRate, momentum, maxGradient, on, patience);
        }

        Training withPatience(int epochs) {
            return new Training(learningRate, momentum, maxGradient, shuffle, epochs);
        }
    }

    /** Fisher-Yates: every order of the array is equally likely. */
    static void shuffle(int[] a, Random rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /**
     * Watches the total error after every epoch (counted from 1) and remembers the best weights
     * seen. Training has stalled when the error has not fallen 1% below its mark for `patience`
     * epochs (0: never), or at once when it is no longer a number: a step so large that a sum overflowed.
     */
    static class StallDetector {
        static final double PROGRESS = 0.01;
        final int patience;
        double last, best = Double.POSITIVE_INFINITY, mark = Double.POSITIVE_INFINITY;
        int bestEpoch, markEpoch; // 0: the starting weights, before epoch 1
        double[] bestParameters;

        StallDetector(int patience, NeuralNetwork net) {
            this.patience = patience;
            this.bestParameters = net.parameters(); // the starting weights, until an epoch does better
        }

        boolean stopsAt(int epoch, double error, NeuralNetwork net) {
            last = error;
            if (!Double.isFinite(error)) return true;
            if (error < best) {
                best = error;
                bestEpoch = epoch;
                bestParameters = net.parameters();
            }
            if (error < mark * (1 - PROGRESS)) {
                mark = error;
                markEpoch = epoch;
            }
            return patience > 0 && epoch - markEpoch >= patience;
        }

        String reason(int epoch) {
            String why = Double.isFinite(last)
                    ? String.format("the total error has not fallen 1%% below %.4f (epoch %d) for %d epochs", mark, markEpoch, epoch - markEpoch)
                    : "the total error is no longer a number (the steps are too large)";
            String kept = bestEpoch == 0 ? "put back the starting weights"
                    : String.format("kept the best weights, from epoch %d (total error %.4f)", bestEpoch, best);
            return String.format("stopped after epoch %d: %s;%n   %s", epoch, why, kept);
        }
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/08/Improvements.java [--seed N] [--data FILE.csv] [--rate X] [--epochs N] [--exercise 1|2|3] [--linear]
              --seed N          first seed of the splits and starting weights (default 42)
              --data FILE.csv   rows in the format of datasets/iris.csv, as lesson 07's (default: that file)
              --rate X          the learning rate of step 2's two runs (default 0.1)
              --epochs N        the most epochs of step 2's two runs (default 3000)
              --exercise N      run exercise N of the README instead of the lesson
              --linear          draw the loss chart on a linear scale instead of a log scale""";

    static final int[] SIZES = {4, 4, 3};
    static final double LEARNING_RATE = 0.1, MOMENTUM = 0.9, MAX_GRADIENT = 1;

    /** A way to train: how the weights start, and how the steps are taken. */
    record Recipe(String name, Init init, Training training) {
        static final Recipe PLAIN = new Recipe("plain gradient descent", Init.UNIFORM, Training.plain(LEARNING_RATE));
        static final Recipe ALL = new Recipe("all four", Init.GLOROT,
                Training.plain(LEARNING_RATE).withShuffle(true).withMomentum(MOMENTUM).withClip(MAX_GRADIENT));

        /** Trains a fresh network on this seed's split; returns it and its history. */
        Result run(long seed, int epochs, int printEvery) {
            Random rng = new Random(seed);
            Iris data = Iris.split(irisFeatures, irisLabels, rng);
            NeuralNetwork net = NeuralNetwork.random(SIZES, Activation.SIGMOID, init, rng);
            double[] history = train(net, data.trainX(), data.trainTargets(), epochs, training, rng, printEvery);
            return new Result(data, net, history);
        }
    }

    /** One training run: its data, the network it left, and its total error after e epochs, history[e]. */
    record Result(Iris data, NeuralNetwork net, double[] history) {
        /** The first epoch (counting from 1) that ended below the threshold, or -1 if none did. */
        int epochsTo(double threshold) {
            for (int e = 1; e < history.length; e++) if (history[e] < threshold) return e;
            return -1;
        }
    }

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            int exercise = (int) flags.number("--exercise", 0, 0, 3);
            double rate = flags.decimal("--rate", LEARNING_RATE, 1e-6, 100);
            int epochs = (int) flags.number("--epochs", LONG_RUN, 1, 100_000);
            String file = flags.given.get("--data");
            readIris(file != null ? Path.of(file) : courseDir().resolve("datasets").resolve("iris.csv"));
            switch (exercise) {
                case 1 -> exerciseBiggerStep(seed);
                case 2 -> exerciseClipping(seed);
                case 3 -> exercisePatience(seed);
                default -> lesson(seed, epochs, rate, !flags.has("--linear"));
            }
        } catch (UserError e) {
            System.err.println("Improvements: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(long seed, int epochs, double rate, boolean log) {
        System.out.println("Lesson 08: training better, each improvement measured");
        initialisers(new Random(seed));
        signalThroughDepth(new Random(seed));
        Result[] runs = plainAgainstAll(seed, epochs, rate);
        System.out.println("\n   plot: " + lossChart(runs, log).save("08-loss.png"));
        experiments(seed);
    }

    static final int FAN_IN = 64, FAN_OUT = 32, DRAWS = 100_000;

    /** Step 1: each scheme's formula for the variance, next to the variance of 100,000 draws. */
    static void initialisers(Random rng) {
        System.out.printf("%n1. Four ways to draw a starting weight, for a neuron with n_in = %d inputs in a layer of n_out = %d%n",
                FAN_IN, FAN_OUT);
        System.out.println("   scheme             distribution                           variance           sample variance");
        for (Init init : Init.values()) {
            double[] w = new double[DRAWS];
            for (int i = 0; i < DRAWS; i++) w[i] = init.weight(FAN_IN, FAN_OUT, rng);
            System.out.printf("   %-18s %-38s %-17s  %.5f   (%,d draws)%n", init.label, init.distribution,
                    String.format("%s = %.5f", init.formula, init.variance(FAN_IN, FAN_OUT)), sampleVariance(w), DRAWS);
        }
        System.out.println("   The tutorial's xavier_init draws U(-a, a) with a = sqrt(6/n_in): its variance is He's 2/n_in,");
        System.out.println("   not Glorot's 2/(n_in + n_out), so it is He uniform. Glorot's rule (also called Xavier's) uses");
        System.out.println("   both fan-in and fan-out. The tutorial's he_init and lecun_init are He normal and LeCun normal.");
    }

    static double sampleVariance(double[] x) {
        double mean = Arrays.stream(x).average().orElse(0), sum = 0;
        for (double v : x) sum += (v - mean) * (v - mean);
        return sum / (x.length - 1);
    }

    static final int DEPTH = 10, WIDTH = 100, SIGNALS = 100;

    /** Step 1b: what the schemes are for. The spread of the signal through 10 layers of 100 neurons. */
    static void signalThroughDepth(Random rng) {
        System.out.printf("%n   Why they differ: the spread (standard deviation) of each layer's outputs, for %d inputs%n", SIGNALS);
        System.out.printf("   drawn from N(0, 1) through %d layers of %d neurons%n", DEPTH, WIDTH);
        System.out.println("   activation  scheme             layer 1   layer 2   layer 5   layer 10");
        double[][] inputs = new double[SIGNALS][WIDTH];
        for (double[] x : inputs) for (int i = 0; i < WIDTH; i++) x[i] = rng.nextGaussian();
        int[] sizes = new int[DEPTH + 1];
        Arrays.fill(sizes, WIDTH);
        Activation[] activations = {Activation.TANH, Activation.TANH, Activation.TANH, Activation.RELU, Activation.RELU, Activation.RELU};
        Init[] inits = {Init.UNIFORM, Init.GLOROT, Init.LECUN, Init.UNIFORM, Init.LECUN, Init.HE};
        double[][] spreads = new double[inits.length][];
        for (int k = 0; k < inits.length; k++) {
            double[] spread = spreads[k] = layerSpreads(NeuralNetwork.random(sizes, activations[k], inits[k], rng), inputs);
            System.out.printf("   %-11s %-18s %8.3g  %8.3g  %8.3g  %8.3g%n", activations[k].label, inits[k].label,
                    spread[0], spread[1], spread[4], spread[9]);
        }
        System.out.println("   Too wide a start and tanh sits at +-1, where its slope (and every gradient through it) is");
        System.out.printf("   near 0, while ReLU outputs grow %.1f-fold per layer (from layer 1 to 10). Too narrow and the%n",
                perLayer(spreads[3]));
        System.out.printf("   signal fades: with LeCun's 1/n_in, ReLU's variance changes %.2f-fold per layer. He's 2/n_in makes%n",
                Math.pow(perLayer(spreads[4]), 2));
        System.out.printf("   up for ReLU zeroing half of every sum: %.2f-fold per layer. Glorot and LeCun let tanh fade%n",
                perLayer(spreads[5]));
        System.out.printf("   only slowly (%.2f- and %.2f-fold per layer).%n", perLayer(spreads[1]), perLayer(spreads[2]));
    }

    /** The average factor by which the spread changes from one layer to the next, from layer 1 to the last. */
    static double perLayer(double[] spread) {
        return Math.pow(spread[spread.length - 1] / spread[0], 1.0 / (spread.length - 1));
    }

    /** The standard deviation of every layer's outputs, over all the inputs and all the neurons. */
    static double[] layerSpreads(NeuralNetwork net, double[][] inputs) {
        double[] spread = new double[net.layers.length];
        for (double[] x : inputs) {
            for (int l = 0; l < net.layers.length; l++) {
                double[] next = new double[net.layers[l].length];
                for (int j = 0; j < next.length; j++) {
                    next[j] = net.layers[l][j].forward(x);
                    spread[l] += next[j] * next[j] / (inputs.length * next.length);
                }
                x = next;
            }
        }
        for (int l = 0; l < spread.length; l++) spread[l] = Math.sqrt(spread[l]); // about 0, so this is the spread
        return spread;
    }

    static final int LONG_RUN = 3000, PATIENCE = 100;

    /** Step 2: the tutorial's plain training against all four improvements, with the stall detector on. */
    static Result[] plainAgainstAll(long seed, int epochs, double rate) {
        System.out.printf("%n2. Iris, %d-%d-%d sigmoid, learning rate %s, up to %,d epochs; the stall detector stops a run%n",
                SIZES[0], SIZES[1], SIZES[2], rate, epochs);
        System.out.printf("   when its total error has not fallen 1%% for %d epochs. The %d training rows come in the file's%n",
                PATIENCE, irisLabels.length - Iris.testRows(irisLabels.length));
        System.out.println("   order: all setosas, then all versicolors, then all virginicas.");
        Recipe[] recipes = {Recipe.PLAIN, Recipe.ALL};
        String[] descriptions = {"uniform(-1, 1) weights, file order, no momentum, no clipping",
            String.format("Glorot weights, shuffled every epoch, momentum %.1f, gradients clipped to [-%.0f, %.0f]",
                    MOMENTUM, MAX_GRADIENT, MAX_GRADIENT)};
        Result[] runs = new Result[2];
        for (int k = 0; k < 2; k++) {
            Recipe recipe = recipes[k];
            System.out.println("\n   " + recipe.name() + ": " + descriptions[k]);
            Training t = recipe.training();
            Recipe patient = new Recipe(recipe.name(), recipe.init(), new Training(rate, t.momentum(), t.maxGradient(), t.shuffle(), PATIENCE));
            runs[k] = patient.run(seed, epochs, Math.max(1, epochs / 6));
            System.out.printf("   test accuracy %.2f%%; total error from before training to epoch %d, log scale:%n",
                    100 * runs[k].data().testAccuracy(runs[k].net()), runs[k].history().length - 1);
            printUtf8("   " + sparkline(runs[k].history(), 60));
        }
        return runs;
    }

    /** One block per column, 8 heights (U+2581 to U+2588) for the log of the values at `width` evenly spaced points. */
    static String sparkline(double[] values, int width) {
        double low = Double.MAX_VALUE, high = -Double.MAX_VALUE;
        for (double v : values) {
            low = Math.min(low, Math.log(v));
            high = Math.max(high, Math.log(v));
        }
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < width; c++) {
            double v = Math.log(values[(int) ((long) c * (values.length - 1) / Math.max(1, width - 1))]);
            int level = high > low ? (int) Math.round(7 * (v - low) / (high - low)) : 0;
            line.append((char) ('\u2581' + level));
        }
        return line.toString();
    }

    /** Prints one line as UTF-8, so that the sparkline's blocks show even under a C locale. */
    static void printUtf8(String line) {
        PrintStream utf8 = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        utf8.println(line);
        utf8.flush();
    }

    static Chart lossChart(Result[] runs, boolean log) {
        Chart chart = new Chart("Iris: total error per epoch", "epoch",
                "total error over the " + (irisLabels.length - Iris.testRows(irisLabels.length)) + " training rows" + (log ? " (log scale)" : ""));
        for (int k = 0; k < runs.length; k++) {
            double[] history = runs[k].history(), epochs = new double[history.length];
            for (int e = 0; e < epochs.length; e++) epochs[e] = e; // history[0] is before training
            chart.add(k == 0 ? "plain gradient descent" : "all four improvements", epochs, history, Chart.Style.LINE);
        }
        chart.logY = log;
        return chart;
    }

    static final int EPOCHS = 200, SEEDS = 5;
    static final double THRESHOLD = 5;

    /** The experiments of step 3: each option added to plain training, and taken away from all four. */
    static List<Recipe> recipes() {
        Training plain = Recipe.PLAIN.training(), all = Recipe.ALL.training();
        return List.of(Recipe.PLAIN,
                new Recipe("+ Glorot uniform init", Init.GLOROT, plain),
                new Recipe("+ He normal init", Init.HE, plain),
                new Recipe("+ He uniform init", Init.HE_UNIFORM, plain),
                new Recipe("+ LeCun normal init", Init.LECUN, plain),
                new Recipe("+ shuffling", Init.UNIFORM, plain.withShuffle(true)),
                new Recipe("+ momentum " + MOMENTUM, Init.UNIFORM, plain.withMomentum(MOMENTUM)),
                new Recipe(String.format("+ clipping at %.0f", MAX_GRADIENT), Init.UNIFORM, plain.withClip(MAX_GRADIENT)),
                Recipe.ALL,
                new Recipe("- Glorot (uniform init)", Init.UNIFORM, all),
                new Recipe("- shuffling", Init.GLOROT, all.withShuffle(false)),
                new Recipe("- momentum", Init.GLOROT, all.withMomentum(0)),
                new Recipe("- clipping", Init.GLOROT, all.withClip(Training.NO_CLIP)),
                plainAt(LEARNING_RATE / (1 - MOMENTUM)));
    }

    static Recipe plainAt(double learningRate) {
        return new Recipe(String.format("plain at learning rate %.1f", learningRate), Init.UNIFORM, Training.plain(learningRate));
    }

    /** Step 3: every recipe on seeds seed..seed+4: epochs to the threshold, and the test accuracy. */
    static void experiments(long seed) {
        System.out.printf("%n3. Each option on and off, %d seeds (%d to %d: each its own split and starting weights),%n",
                SEEDS, seed, seed + SEEDS - 1);
        System.out.printf("   %d epochs each: epochs until the total error is below %.0f, and the final test accuracy%n",
                EPOCHS, THRESHOLD);
        table(recipes(), seed);
    }

    static void table(List<Recipe> recipes, long seed) {
        System.out.println("   recipe                          epochs to < " + (int) THRESHOLD + "      test accuracy");
        for (Recipe recipe : recipes) {
            Stats epochs = new Stats(), accuracy = new Stats();
            for (int k = 0; k < SEEDS; k++) {
                long s = seed + k; // past Long.MAX_VALUE it wraps round, which is still a seed
                Result run = recipe.run(s, EPOCHS, 0);
                if (run.epochsTo(THRESHOLD) > 0) epochs.add(run.epochsTo(THRESHOLD));
                accuracy.add(100 * run.data().testAccuracy(run.net()));
            }
            String reached = epochs.count() == SEEDS ? "" : " (" + epochs.count() + " of " + SEEDS + ")";
            System.out.printf("   %-31s %-18s %5.1f%% +- %.1f%n", recipe.name(),
                    epochs.count() == 0 ? "never" : String.format("%3.0f +- %-3.0f%s", epochs.mean(), epochs.spread(), reached),
                    accuracy.mean(), accuracy.spread());
        }
        System.out.println("   (mean +- standard deviation over the seeds; epochs only over the seeds that got there)");
    }

    /** Mean and standard deviation of a few numbers. */
    static class Stats {
        final List<Double> values = new ArrayList<>();

        void add(double v) {
            values.add(v);
        }

        int count() {
            return values.size();
        }

        double mean() {
            return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }

        double spread() {
            double m = mean(), sum = 0;
            for (double v : values) sum += (v - m) * (v - m);
            return values.size() > 1 ? Math.sqrt(sum / (values.size() - 1)) : 0;
        }
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: is momentum more than a bigger learning rate? */
    static void exerciseBiggerStep(long seed) {
        System.out.println("Exercise 1: momentum against plain steps of every size, on the lesson's task");
        Training plain = Training.plain(LEARNING_RATE);
        table(List.of(plainAt(0.1), plainAt(0.3), plainAt(1.0), plainAt(3.0), plainAt(10.0),
                new Recipe("momentum 0.5 (the tutorial's)", Init.UNIFORM, plain.withMomentum(0.5)),
                new Recipe("momentum 0.9", Init.UNIFORM, plain.withMomentum(0.9)),
                new Recipe("momentum 0.99", Init.UNIFORM, plain.withMomentum(0.99))), seed);
        System.out.println("   Momentum m multiplies a steady gradient's step by 1/(1 - m): 2 for 0.5, 10 for 0.9.");
        System.out.println("   Compare each momentum with the plain step of that size, and see where each breaks down.");
    }

    /** Exercise 2: what clipping clips. */
    static void exerciseClipping(long seed) {
        System.out.println("Exercise 2: how large are the gradients, and what does clipping them change?");
        Random rng = new Random(seed);
        Iris data = Iris.split(irisFeatures, irisLabels, rng);
        NeuralNetwork net = NeuralNetwork.random(SIZES, Activation.SIGMOID, Init.UNIFORM, rng);
        int trained = 0;
        double largest = 0;
        for (int epochs : new int[] {0, 10, 100, 300}) {
            train(net, data.trainX(), data.trainTargets(), epochs - trained, Recipe.PLAIN.training(), rng, 0);
            trained = epochs;
            double gradient = largestGradient(net, data.trainX(), data.trainTargets());
            largest = Math.max(largest, gradient);
            System.out.printf("   after %3d epochs of plain training: largest |dE/dw| or |dE/db| over the rows %.4f%n",
                    epochs, gradient);
        }
        Training plain = Training.plain(LEARNING_RATE);
        table(List.of(Recipe.PLAIN,
                new Recipe("clipping at 1", Init.UNIFORM, plain.withClip(1)),
                new Recipe("clipping at 0.1", Init.UNIFORM, plain.withClip(0.1)),
                new Recipe("clipping at 0.01", Init.UNIFORM, plain.withClip(0.01)),
                new Recipe("clipping at 0.001", Init.UNIFORM, plain.withClip(0.001))), seed);
        System.out.println("   Clipping changes only the gradients above its limit. Standardised inputs and sigmoid");
        System.out.printf("   slopes of at most 0.25 keep plain training's gradients small: the largest above is %.4f,%n", largest);
        System.out.println(largest < 1 ? "   so clipping at 1 would not have acted at those moments." : "   so clipping at 1 does act.");
    }

    /** The largest gradient of any weight or bias, over one backward pass per example. */
    static double largestGradient(NeuralNetwork net, double[][] inputs, double[][] targets) {
        double largest = 0;
        for (int s = 0; s < inputs.length; s++) {
            net.backward(errorGradient(targets[s], net.forward(inputs[s])));
            for (Neuron[] layer : net.layers) {
                for (Neuron n : layer) {
                    largest = Math.max(largest, Math.abs(n.biasGradient));
                    for (double g : n.weightGradients) largest = Math.max(largest, Math.abs(g));
                }
            }
        }
        return largest;
    }

    /** Exercise 3: the stall detector's patience. */
    static void exercisePatience(long seed) {
        System.out.println("Exercise 3: how patient should the stall detector be? All four improvements, seed " + seed);
        System.out.println("   patience   stopped after   best total error   test accuracy");
        int[] patiences = {10, 30, 100};
        double[] best = new double[3], accuracy = new double[3];
        int[] epochs = new int[3];
        for (int k = 0; k < 3; k++) {
            Recipe recipe = new Recipe("patient", Init.GLOROT, Recipe.ALL.training().withPatience(patiences[k]));
            Result run = recipe.run(seed, 10_000, 0);
            best[k] = Arrays.stream(run.history()).min().orElse(Double.NaN);
            epochs[k] = run.history().length - 1;
            accuracy[k] = 100 * run.data().testAccuracy(run.net());
            System.out.printf("   %8d   %6d epochs   %16.4f   %12.2f%%%n", patiences[k], epochs[k], best[k], accuracy[k]);
        }
        System.out.printf("   From patience 10 to 100: %d epochs instead of %d, best total error %.4f instead of %.4f;%n",
                epochs[2], epochs[0], best[2], best[0]);
        double low = Math.min(accuracy[0], Math.min(accuracy[1], accuracy[2]));
        double high = Math.max(accuracy[0], Math.max(accuracy[1], accuracy[2]));
        System.out.printf("   the test accuracy stays between %.2f%% and %.2f%%, where one of the %d test flowers is %.2f points.%n",
                low, high, Iris.testRows(irisLabels.length), 100.0 / Iris.testRows(irisLabels.length));
    }

    // ---------------------------------------------------------------- the data: Iris, as in lesson 07

    static final String[] IRIS_FEATURES = {"sepal length", "sepal width", "petal length", "petal width"};

    /** Standardised training and test rows, the one-hot training targets, and the test labels. */
    record Iris(double[][] trainX, double[][] trainTargets, double[][] testX, int[] testLabels) {
        /** 20% of the rows, rounded up, as lesson 07's split: 30 of Iris's 150. */
        static int testRows(int rows) {
            return (int) Math.ceil(0.2 * rows);
        }

        /**
         * A seeded 80/20 split, standardised with the training rows' statistics as in lesson 07.
         * The training rows stay in the file's order, sorted by species, the way data often come.
         */
        static Iris split(double[][] features, int[] labels, Random rng) {
            int[] order = new int[labels.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            shuffle(order, rng);
            int[] test = Arrays.copyOf(order, testRows(labels.length));
            int[] train = Arrays.copyOfRange(order, test.length, order.length);
            Arrays.sort(train);
            Standardiser scaler = Standardiser.fit(pick(features, train), IRIS_FEATURES);
            double[][] trainTargets = new double[train.length][];
            for (int s = 0; s < train.length; s++) trainTargets[s] = oneHot(labels[train[s]], 3);
            int[] testLabels = new int[test.length];
            for (int s = 0; s < test.length; s++) testLabels[s] = labels[test[s]];
            return new Iris(scaler.apply(pick(features, train)), trainTargets, scaler.apply(pick(features, test)), testLabels);
        }

        static double[][] pick(double[][] rows, int[] indices) {
            double[][] picked = new double[indices.length][];
            for (int s = 0; s < indices.length; s++) picked[s] = rows[indices[s]];
            return picked;
        }

        /** Share of the test rows whose largest output is the right species. */
        double testAccuracy(NeuralNetwork net) {
            int right = 0;
            for (int s = 0; s < testX.length; s++) if (argMax(net.forward(testX[s])) == testLabels[s]) right++;
            return (double) right / testX.length;
        }
    }

    /** The rows of datasets/iris.csv (or of --data FILE.csv): 4 measurements and the species (0, 1, 2). */
    static double[][] irisFeatures;
    static int[] irisLabels;

    /** Reads the file with lesson 07's readDataset, and checks that it fits this lesson's 4-4-3 network. */
    static void readIris(Path file) {
        Dataset data = readDataset(file);
        if (data.features()[0].length != SIZES[0] || data.classes() != SIZES[2]) {
            throw new UserError(file + " has " + data.features()[0].length + " features and " + data.classes()
                    + " classes; this lesson's network is " + SIZES[0] + "-" + SIZES[1] + "-" + SIZES[2]
                    + ", so it needs 4 features and 3 classes, as datasets/iris.csv has");
        }
        if (data.size() - Iris.testRows(data.size()) < 2) {
            throw new UserError(file + " has " + data.size() + " rows; an 80/20 split needs at least 3"
                    + " (2 to train on, so that features have a spread, and 1 to test)");
        }
        irisFeatures = data.features();
        irisLabels = data.labels();
    }

    /** Rows of features with a class index each, as read from a file like datasets/iris.csv. */
    record Dataset(String source, double[][] features, int[] labels, String[] classNames) {
        int classes() {
            return classNames.length;
        }

        int size() {
            return labels.length;
        }

        /** The rows at the given indices, in that order. */
        Dataset rows(int[] indices) {
            double[][] x = new double[indices.length][];
            int[] y = new int[indices.length];
            for (int i = 0; i < indices.length; i++) {
                x[i] = features[indices[i]];
                y[i] = labels[indices[i]];
            }
            return new Dataset(source, x, y, classNames);
        }

        double[][] oneHotTargets() {
            double[][] targets = new double[size()][];
            for (int s = 0; s < size(); s++) targets[s] = oneHot(labels[s], classes());
            return targets;
        }
    }

    /**
     * Reads a file in the format of datasets/iris.csv: a header "rows,features,class names..."
     * and then one line per row, the features followed by the class index (0, 1, ...). Table
     * checks the numbers; this checks what they mean. Anything else is a UserError naming the
     * file, the line and the column.
     */
    static Dataset readDataset(Path file) {
        Table table = Table.read(file, true);
        String[] header = table.header();
        if (header.length < 4) throw new UserError(file + ", line 1: " + HEADER_HELP);
        int rows = count(header[0], file), columns = count(header[1], file);
        String[] classNames = new String[header.length - 2];
        for (int c = 0; c < classNames.length; c++) classNames[c] = header[c + 2].strip();
        int width = table.rows()[0].length;
        if (width != columns + 1) {
            throw new UserError(file + ", line " + table.lines()[0] + " has " + width + " fields, expected " + (columns + 1)
                    + " (" + columns + " features and the class index, as the header says)");
        }
        double[][] features = new double[table.rows().length][];
        int[] labels = new int[features.length];
        for (int i = 0; i < features.length; i++) {
            double label = table.rows()[i][columns];
            if (label != Math.rint(label) || label < 0 || label >= classNames.length) {
                throw new UserError(file + ", line " + table.lines()[i] + ", column " + (columns + 1) + ": class index '"
                        + number(label) + "' should be a whole number from 0 to " + (classNames.length - 1)
                        + " (" + String.join(", ", classNames) + ")");
            }
            features[i] = Arrays.copyOf(table.rows()[i], columns);
            labels[i] = (int) label;
        }
        if (features.length != rows) {
            throw new UserError(file + ": the header says " + rows + " rows but the file has " + features.length
                    + "; fix the first number of line 1");
        }
        return new Dataset(file.toString(), features, labels, classNames);
    }

    static final String HEADER_HELP = "the first line should be 'rows,features,class names...' "
            + "like datasets/iris.csv's '150,4,setosa,versicolor,virginica'";

    static int count(String cell, Path file) {
        try {
            int n = Integer.parseInt(cell.strip());
            if (n >= 2) return n;
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        String shown = cell.strip().length() <= 20 ? cell.strip() : cell.strip().substring(0, 20) + "...";
        throw new UserError(file + ", line 1: '" + shown + "' should be a whole number of at least 2; " + HEADER_HELP);
    }

    /** 3 rather than 3.0, and 0.5 as it is. */
    static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }

    /**
     * A table of numbers read from a CSV file, or a .gz of one: one row a line, its cells split at
     * commas or else at spaces, every row as wide as the first, and a first line of column names if
     * it holds no number (or, with headerFirst, whatever it holds). Every cell must be a number no
     * larger than 1e100 in size, so that its square, and a sum of squares, is still a number.
     * Anything else ends in a UserError that names the file, the line and the column.
     */
    record Table(String file, String[] header, double[][] rows, int[] lines) {
        static final int MAX_BYTES = 20_000_000; // far more than any data set of the course; /dev/zero never ends
        static final double LARGEST = 1e100;

        static Table read(Path path) {
            return read(path, false);
        }

        /** headerFirst: the first line is the header, numbers and all, as iris.csv's "150,4,setosa,versicolor,virginica". */
        static Table read(Path path, boolean headerFirst) {
            String file = path.toString();
            String[] header = null;
            List<double[]> rows = new ArrayList<>();
            List<Integer> lines = new ArrayList<>();
            int width = -1, widthLine = 0, number = 0;
            for (String line : lines(path)) {
                number++;
                if (line.isBlank()) continue;
                String[] cells = line.contains(",") ? line.split(",", -1) : line.strip().split("\\s+");
                boolean isHeader = header == null && rows.isEmpty() && (headerFirst || noNumbers(cells));
                if (isHeader) header = Arrays.stream(cells).map(String::strip).toArray(String[]::new);
                if (isHeader && headerFirst) continue; // a header of its own shape: rows are measured against each other
                if (width < 0) {
                    width = cells.length;
                    widthLine = number;
                } else if (cells.length != width) {
                    throw new UserError(file + ", line " + number + ": " + cells.length + " values, but line " + widthLine
                            + " has " + width + "; every row needs the same number of columns");
                }
                if (isHeader) continue;
                rows.add(numbers(cells, file, number));
                lines.add(number);
            }
            if (rows.isEmpty()) {
                throw new UserError(file + " holds no rows of numbers; after an optional header line, each line needs"
                        + " numbers separated by commas");
            }
            return new Table(file, header, rows.toArray(new double[0][]), lines.stream().mapToInt(Integer::intValue).toArray());
        }

        /** True for a line of names: not one of its cells reads as a number. */
        static boolean noNumbers(String[] cells) {
            for (String cell : cells) {
                try {
                    Double.parseDouble(cell.strip());
                    return false;
                } catch (NumberFormatException e) {
                    // a name, as a header has
                }
            }
            return true;
        }

        static double[] numbers(String[] cells, String file, int line) {
            double[] row = new double[cells.length];
            for (int c = 0; c < cells.length; c++) {
                String cell = cells[c].strip(), problem = null;
                try {
                    row[c] = Double.parseDouble(cell);
                    if (!Double.isFinite(row[c])) problem = "the value is not a finite number; fix or remove that row";
                    else if (Math.abs(row[c]) > LARGEST) problem = cell + " is too large to square (above 1e100); rescale that column";
                } catch (NumberFormatException e) {
                    problem = cell.isEmpty() ? "the cell is empty"
                            : cell.chars().allMatch(ch -> ch >= ' ' && ch < 127) && cell.length() <= 40 ? "'" + cell + "' is not a number"
                            : "the cell is not a number (nor plain text: is this a CSV file?)";
                }
                if (problem != null) throw new UserError(file + ", line " + line + ", column " + (c + 1) + ": " + problem);
            }
            return row;
        }

        /**
         * The file's lines, unzipped on the way if its name ends in .gz, without the byte-order mark
         * some editors put first. At most MAX_BYTES are read, so a huge file or a device cannot fill the memory.
         */
        static List<String> lines(Path path) {
            if (Files.isDirectory(path)) throw new UserError(path + " is a folder; give --data a CSV file");
            if (Files.exists(path) && !Files.isRegularFile(path)) throw new UserError(path + " is not a regular file; give --data a CSV file");
            String tooLarge = path + " holds more than " + MAX_BYTES / 1_000_000 + " MB of text, far more than a table for this"
                    + " lesson; give a smaller file";
            try (InputStream raw = Files.newInputStream(path);
                    InputStream in = path.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
                if (Files.size(path) > MAX_BYTES) throw new UserError(tooLarge);
                byte[] bytes = in.readNBytes(MAX_BYTES + 1);
                if (bytes.length > MAX_BYTES) throw new UserError(tooLarge);
                String text = new String(bytes, StandardCharsets.UTF_8);
                return (text.startsWith("\uFEFF") ? text.substring(1) : text).lines().toList();
            } catch (NoSuchFileException e) {
                throw new UserError(path.toAbsolutePath() + " not found; check the name (the course's own data are in datasets/)");
            } catch (IOException e) { // a broken .gz file too
                throw new UserError("could not read " + path + " (" + e.getMessage() + "); check that it is a whole CSV file");
            }
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
