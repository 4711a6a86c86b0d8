import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Lesson 08: training better.
 *
 * Four changes to lesson 04's training loop, each measured on Iris rather than taken on trust:
 * where the weights start (initialisation), the order of the examples (shuffling), steps that
 * remember the previous step (momentum), and a cap on each gradient (clipping). Plus the tools
 * to watch training: a loss chart, a sparkline, and a detector that stops a stalled run.
 *
 * Run: java lessons/08/Improvements.java [--seed N] [--exercise 1|2|3] [--linear] [--readme-figures]
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
         * learningRate * g, and move the parameter by v. Momentum 0 and no clip is lesson 04's step.
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

    /** Activations, each with its derivative written in terms of its output y = f(z). */
    enum Activation {
        SIGMOID("sigmoid") {
            double apply(double z) { return 1 / (1 + Math.exp(-z)); }
            double derivative(double y) { return y * (1 - y); }
        },
        TANH("tanh") {
            double apply(double z) { return Math.tanh(z); }
            double derivative(double y) { return 1 - y * y; }
        },
        RELU("ReLU") {
            double apply(double z) { return Math.max(0, z); }
            double derivative(double y) { return y > 0 ? 1 : 0; }
        };

        final String label;

        Activation(String label) {
            this.label = label;
        }

        abstract double apply(double z);

        abstract double derivative(double y);
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
        LECUN("LeCun normal", "N(0, std sqrt(1/n_in))", "1/n_in") {
            double weight(int in, int out, Random rng) { return Math.sqrt(1.0 / in) * rng.nextGaussian(); }
            double variance(int in, int out) { return 1.0 / in; }
        },
        TUTORIAL_XAVIER("tutorial's Xavier", "U(-a, a), a = sqrt(6/n_in)", "2/n_in") {
            double weight(int in, int out, Random rng) { return Math.sqrt(6.0 / in) * (2 * rng.nextDouble() - 1); }
            double variance(int in, int out) { return 2.0 / in; }
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

    /**
     * Lesson 04's training loop, with this lesson's options: shuffles the examples every epoch if
     * asked, steps with momentum and clipping, and stops when the stall detector says so (then
     * putting back the best weights it saw). Prints the total error every printEvery epochs
     * (0: never) and returns it for every epoch trained.
     */
    static double[] train(NeuralNetwork net, double[][] inputs, double[][] targets, int epochs,
            Training training, Random rng, int printEvery) {
        int[] order = new int[inputs.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        StallDetector stall = new StallDetector(training.patience(), net);
        double[] history = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++) {
            if (training.shuffle()) shuffle(order, rng);
            for (int i : order) net.backpropagate(inputs[i], targets[i], training);
            history[epoch] = totalError(net, inputs, targets);
            if (printEvery > 0 && epoch % printEvery == 0) {
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

    /** sum over examples of sum (t - o)^2: the tutorial's "total error" (twice our E, summed). */
    static double totalError(NeuralNetwork net, double[][] inputs, double[][] targets) {
        double sum = 0;
        for (int i = 0; i < inputs.length; i++) {
            double[] output = net.forward(inputs[i]);
            for (int k = 0; k < output.length; k++) sum += (targets[i][k] - output[k]) * (targets[i][k] - output[k]);
        }
        return sum;
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
     * Watches the total error after every epoch and remembers the best weights seen. Training has
     * stalled when the error has not fallen 1% below its mark for `patience` epochs (0: never), or
     * at once when it is no longer a number: a step so large that a sum overflowed.
     */
    static class StallDetector {
        static final double PROGRESS = 0.01;
        final int patience;
        double last, best = Double.POSITIVE_INFINITY, mark = Double.POSITIVE_INFINITY;
        int bestEpoch = -1, markEpoch = -1;
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
                    ? String.format("the total error has not fallen 1%% below %.4f (epoch %d) for %d epochs", mark, markEpoch, patience)
                    : "the total error is no longer a number (the steps are too large)";
            String kept = bestEpoch < 0 ? "put back the starting weights"
                    : String.format("kept the best weights, from epoch %d (total error %.4f)", bestEpoch, best);
            return String.format("stopped after epoch %d: %s;%n   %s", epoch, why, kept);
        }
    }

    // ---------------------------------------------------------------- the data: Iris, as in lesson 07

    /** Standardised training and test rows, the one-hot training targets, and the test labels. */
    record Iris(double[][] trainX, double[][] trainTargets, double[][] testX, int[] testLabels) {
        static final int TEST_ROWS = 30;

        /**
         * A seeded 80/20 split, standardised with the training rows' statistics as in lesson 07.
         * The training rows stay in the file's order, sorted by species, the way data often come.
         */
        static Iris split(double[][] features, int[] labels, Random rng) {
            int[] order = new int[labels.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            shuffle(order, rng);
            int[] test = Arrays.copyOf(order, TEST_ROWS);
            int[] train = Arrays.copyOfRange(order, TEST_ROWS, order.length);
            Arrays.sort(train);
            double[] mean = new double[features[0].length], std = new double[mean.length];
            for (int i : train) for (int j = 0; j < mean.length; j++) mean[j] += features[i][j] / train.length;
            for (int i : train) for (int j = 0; j < mean.length; j++) std[j] += Math.pow(features[i][j] - mean[j], 2) / train.length;
            for (int j = 0; j < std.length; j++) std[j] = Math.sqrt(std[j]);
            double[][] trainTargets = new double[train.length][3];
            for (int s = 0; s < train.length; s++) trainTargets[s][labels[train[s]]] = 1;
            return new Iris(standardise(features, train, mean, std), trainTargets,
                    standardise(features, test, mean, std), pick(labels, test));
        }

        static double[][] standardise(double[][] features, int[] rows, double[] mean, double[] std) {
            double[][] x = new double[rows.length][mean.length];
            for (int s = 0; s < rows.length; s++) {
                for (int j = 0; j < mean.length; j++) x[s][j] = (features[rows[s]][j] - mean[j]) / std[j];
            }
            return x;
        }

        static int[] pick(int[] labels, int[] rows) {
            int[] picked = new int[rows.length];
            for (int s = 0; s < rows.length; s++) picked[s] = labels[rows[s]];
            return picked;
        }

        /** Share of the test rows whose largest output is the right species. */
        double testAccuracy(NeuralNetwork net) {
            int right = 0;
            for (int s = 0; s < testX.length; s++) if (argMax(net.forward(testX[s])) == testLabels[s]) right++;
            return (double) right / testX.length;
        }
    }

    static int argMax(double[] output) {
        int best = 0;
        for (int i = 1; i < output.length; i++) if (output[i] > output[best]) best = i;
        return best;
    }

    /** datasets/iris.csv: a header line, then 150 lines of 4 measurements and the species (0, 1, 2). */
    static double[][] irisFeatures;
    static int[] irisLabels;

    static void readIris() {
        Path file = courseRoot().resolve("datasets").resolve("iris.csv");
        try {
            List<String> lines = Files.readAllLines(file);
            irisFeatures = new double[lines.size() - 1][4];
            irisLabels = new int[lines.size() - 1];
            for (int s = 0; s < irisLabels.length; s++) {
                String[] cells = lines.get(s + 1).split(",");
                for (int j = 0; j < 4; j++) irisFeatures[s][j] = Double.parseDouble(cells[j]);
                irisLabels[s] = Integer.parseInt(cells[4].strip());
            }
        } catch (IOException | RuntimeException e) {
            throw new UserError("cannot read " + file + " (" + e.getMessage() + "); it should be the course's"
                    + " copy of iris.csv: see datasets/README.md");
        }
    }

    // ---------------------------------------------------------------- the lesson

    static final int[] SIZES = {4, 4, 3};
    static final double LEARNING_RATE = 0.1, MOMENTUM = 0.9, MAX_GRADIENT = 1;

    /** A way to train: how the weights start, and how the steps are taken. */
    record Recipe(String name, Init init, Training training) {
        static final Recipe PLAIN = new Recipe("plain gradient descent", Init.UNIFORM, Training.plain(LEARNING_RATE));
        static final Recipe ALL = new Recipe("all four", Init.GLOROT,
                Training.plain(LEARNING_RATE).withShuffle(true).withMomentum(MOMENTUM).withClip(MAX_GRADIENT));

        /** Trains a fresh network on this seed's split; returns it and its history. */
        Run run(long seed, int epochs, int printEvery) {
            Random rng = new Random(seed);
            Iris data = Iris.split(irisFeatures, irisLabels, rng);
            NeuralNetwork net = NeuralNetwork.random(SIZES, Activation.SIGMOID, init, rng);
            double[] history = train(net, data.trainX(), data.trainTargets(), epochs, training, rng, printEvery);
            return new Run(data, net, history);
        }
    }

    record Run(Iris data, NeuralNetwork net, double[] history) {
        /** The first epoch (counting from 1) that ended below the threshold, or -1 if none did. */
        int epochsTo(double threshold) {
            for (int e = 0; e < history.length; e++) if (history[e] < threshold) return e + 1;
            return -1;
        }
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
        try {
            Options options = Options.parse(args);
            readIris();
            switch (options.exercise) {
                case 0 -> lesson(options);
                case 1 -> exerciseBiggerStep(options.seed);
                case 2 -> exerciseClipping(options.seed);
                case 3 -> exercisePatience(options.seed);
                default -> throw new UserError("there is no exercise " + options.exercise + "; try --exercise 1, 2 or 3");
            }
        } catch (UserError e) {
            System.err.println("Improvements: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(Options options) {
        System.out.println("Lesson 08: training better, each improvement measured");
        initialisers(new Random(options.seed));
        signalThroughDepth(new Random(options.seed));
        Run[] runs = plainAgainstAll(options.seed);
        Chart chart = lossChart(runs, !options.linear);
        Path png = outDir().resolve("08-loss.png");
        save(chart, png);
        System.out.println("   plot: " + png);
        if (options.readmeFigures) save(chart, lessonDir().resolve("loss.png"));
        experiments(options.seed);
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
        System.out.println("   The tutorial's \"Xavier\" has the variance 2/n_in of He, not Glorot's 2/(n_in + n_out):");
        System.out.println("   it is He's rule with a uniform draw. The real Glorot uses both fan-in and fan-out.");
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
        for (int k = 0; k < inits.length; k++) {
            double[] spread = layerSpreads(NeuralNetwork.random(sizes, activations[k], inits[k], rng), inputs);
            System.out.printf("   %-11s %-18s %8.3g  %8.3g  %8.3g  %8.3g%n", activations[k].label, inits[k].label,
                    spread[0], spread[1], spread[4], spread[9]);
        }
        System.out.println("   Too wide a start and tanh sits at +-1, where its slope (and every gradient through it) is");
        System.out.println("   near 0, while ReLU outputs grow about fourfold per layer. Too narrow and the signal fades:");
        System.out.println("   LeCun's 1/n_in halves ReLU's variance at every layer. He's 2/n_in makes up for ReLU zeroing");
        System.out.println("   half of every sum and holds it steady; Glorot and LeCun let tanh fade only slowly.");
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
    static Run[] plainAgainstAll(long seed) {
        System.out.printf("%n2. Iris, %d-%d-%d sigmoid, learning rate %.1f, up to %,d epochs; the stall detector stops a run%n",
                SIZES[0], SIZES[1], SIZES[2], LEARNING_RATE, LONG_RUN);
        System.out.printf("   when its total error has not fallen 1%% for %d epochs. The %d training rows come in the file's%n",
                PATIENCE, irisLabels.length - Iris.TEST_ROWS);
        System.out.println("   order: all setosas, then all versicolors, then all virginicas.");
        Recipe[] recipes = {Recipe.PLAIN, Recipe.ALL};
        String[] descriptions = {"uniform(-1, 1) weights, file order, no momentum, no clipping",
            String.format("Glorot weights, shuffled every epoch, momentum %.1f, gradients clipped to [-%.0f, %.0f]",
                    MOMENTUM, MAX_GRADIENT, MAX_GRADIENT)};
        Run[] runs = new Run[2];
        for (int k = 0; k < 2; k++) {
            Recipe recipe = recipes[k];
            System.out.println("\n   " + recipe.name() + ": " + descriptions[k]);
            Recipe patient = new Recipe(recipe.name(), recipe.init(), recipe.training().withPatience(PATIENCE));
            runs[k] = patient.run(seed, LONG_RUN, 500);
            System.out.printf("   test accuracy %.2f%%; total error, epoch 0 to %d, log scale:%n",
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

    static Chart lossChart(Run[] runs, boolean log) {
        Chart chart = new Chart("Iris: total error per epoch", "epoch",
                "total error over the 120 training rows" + (log ? " (log scale)" : ""));
        Color[] colours = {BLUE, RED};
        for (int k = 0; k < runs.length; k++) {
            double[] history = runs[k].history(), epochs = new double[history.length];
            for (int e = 0; e < epochs.length; e++) epochs[e] = e + 1;
            chart.add(k == 0 ? "plain gradient descent" : "all four improvements", epochs, history, colours[k]);
        }
        if (log) chart.logY();
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
            for (long s = seed; s < seed + SEEDS; s++) {
                Run run = recipe.run(s, EPOCHS, 0);
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
        for (int epochs : new int[] {0, 10, 100, 300}) {
            train(net, data.trainX(), data.trainTargets(), epochs - trained, Recipe.PLAIN.training(), rng, 0);
            trained = epochs;
            System.out.printf("   after %3d epochs of plain training: largest |dE/dw| or |dE/db| over the rows %.4f%n",
                    epochs, largestGradient(net, data.trainX(), data.trainTargets()));
        }
        Training plain = Training.plain(LEARNING_RATE);
        table(List.of(Recipe.PLAIN,
                new Recipe("clipping at 1", Init.UNIFORM, plain.withClip(1)),
                new Recipe("clipping at 0.1", Init.UNIFORM, plain.withClip(0.1)),
                new Recipe("clipping at 0.01", Init.UNIFORM, plain.withClip(0.01)),
                new Recipe("clipping at 0.001", Init.UNIFORM, plain.withClip(0.001))), seed);
        System.out.println("   Clipping changes only the gradients above its limit. Standardised inputs and sigmoid");
        System.out.println("   slopes of at most 0.25 keep plain training's gradients far below 1: clipping at 1 never acts.");
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
        for (int patience : new int[] {10, 30, 100}) {
            Recipe recipe = new Recipe("patient", Init.GLOROT, Recipe.ALL.training().withPatience(patience));
            Run run = recipe.run(seed, 10_000, 0);
            double best = Arrays.stream(run.history()).min().orElse(Double.NaN);
            System.out.printf("   %8d   %6d epochs   %16.4f   %12.2f%%%n", patience, run.history().length, best,
                    100 * run.data().testAccuracy(run.net()));
        }
        System.out.println("   More patience buys a lower training error for many more epochs; the test accuracy,");
        System.out.println("   measured on only 30 flowers, hardly moves.");
    }

    // ---------------------------------------------------------------- flags and errors

    static final String USAGE = "usage: java lessons/08/Improvements.java [--seed N] [--exercise 1|2|3] [--linear] [--readme-figures]";

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    record Options(long seed, int exercise, boolean linear, boolean readmeFigures) {
        static Options parse(String[] args) {
            long seed = 42;
            int exercise = 0;
            boolean linear = false, readmeFigures = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = number(args, ++i, "--seed");
                    case "--exercise" -> exercise = (int) number(args, ++i, "--exercise");
                    case "--linear" -> linear = true;
                    case "--readme-figures" -> readmeFigures = true;
                    default -> throw new UserError("unknown flag '" + args[i] + "'; " + USAGE);
                }
            }
            return new Options(seed, exercise, linear, readmeFigures);
        }

        static long number(String[] args, int i, String flag) {
            if (i >= args.length) throw new UserError(flag + " needs a number; " + USAGE);
            try {
                return Long.parseLong(args[i]);
            } catch (NumberFormatException e) {
                throw new UserError(flag + " needs a whole number, not '" + args[i] + "'; " + USAGE);
            }
        }
    }

    // ---------------------------------------------------------------- output files

    /** The course's top folder: the first folder, walking up, that holds datasets/. */
    static Path courseRoot() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("datasets"))) return p;
        }
        return here;
    }

    /** out/ in the course's top folder. */
    static Path outDir() {
        return courseRoot().resolve("out");
    }

    /** This lesson's folder, where --readme-figures puts the picture its README shows. */
    static Path lessonDir() {
        return courseRoot().resolve("lessons").resolve("08");
    }

    static final Color BLUE = new Color(31, 119, 180), RED = new Color(214, 39, 40);

    /** Writes the chart, or says in one line why it could not. */
    static void save(Chart chart, Path png) {
        try {
            chart.save(png);
        } catch (IOException e) {
            throw new UserError("could not write " + png + ": " + e.getMessage());
        }
    }

    /** A line chart drawn with java.awt: axes, ticks, labels and a legend, saved as a PNG. */
    static class Chart {
        static final int WIDTH = 800, HEIGHT = 500, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 55;

        static {
            System.setProperty("java.awt.headless", "true"); // draw without a screen
        }

        record Series(String name, double[] x, double[] y, Color color) {}

        final String title, xLabel, yLabel;
        final List<Series> series = new ArrayList<>();
        boolean logY;

        Chart(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        /** Adds a line; lines with the same name share one legend entry. */
        void add(String name, double[] x, double[] y, Color color) {
            series.add(new Series(name, x, y, color));
        }

        /** A logarithmic y axis: every factor of ten gets the same height. */
        void logY() {
            logY = true;
        }

        BufferedImage draw() {
            double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
            for (Series s : series) {
                for (double v : s.x) { x0 = Math.min(x0, v); x1 = Math.max(x1, v); }
                for (double v : s.y) { y0 = Math.min(y0, v); y1 = Math.max(y1, v); }
            }
            Axis xAxis = new Axis(x0, x1, LEFT, WIDTH - RIGHT, false);
            Axis yAxis = new Axis(y0, y1, HEIGHT - BOTTOM, TOP, logY);

            BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();

            // grid lines and tick labels
            for (double t : xAxis.ticks()) {
                int px = xAxis.pixel(t);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(px, TOP, px, HEIGHT - BOTTOM);
                g.setColor(Color.DARK_GRAY);
                String label = xAxis.format(t);
                g.drawString(label, px - fm.stringWidth(label) / 2, HEIGHT - BOTTOM + 18);
            }
            for (double t : yAxis.ticks()) {
                int py = yAxis.pixel(t);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(LEFT, py, WIDTH - RIGHT, py);
                g.setColor(Color.DARK_GRAY);
                String label = yAxis.format(t);
                g.drawString(label, LEFT - 8 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
            }
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);

            // the data, clipped to the plot area
            g.setClip(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
            for (int s = 0; s < series.size(); s++) {
                Series line = series.get(s);
                Path2D.Double path = new Path2D.Double();
                path.moveTo(xAxis.position(line.x[0]), yAxis.position(line.y[0]));
                for (int i = 1; i < line.x.length; i++) {
                    path.lineTo(xAxis.position(line.x[i]), yAxis.position(line.y[i]));
                }
                g.setColor(line.color);
                g.setStroke(new BasicStroke(1.8f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                g.draw(path);
            }
            g.setClip(null);

            // title, axis labels, legend
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(title, (WIDTH - g.getFontMetrics().stringWidth(title)) / 2, TOP - 14);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            fm = g.getFontMetrics();
            g.drawString(xLabel, LEFT + (WIDTH - LEFT - RIGHT - fm.stringWidth(xLabel)) / 2, HEIGHT - 14);
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.rotate(-Math.PI / 2);
            rotated.drawString(yLabel, -(TOP + (HEIGHT - TOP - BOTTOM + fm.stringWidth(yLabel)) / 2), 20);
            rotated.dispose();
            drawLegend(g, xAxis, yAxis);
            g.dispose();
            return image;
        }

        /** The legend, one entry per name, in the top corner where it hides fewer data points. */
        void drawLegend(Graphics2D g, Axis xAxis, Axis yAxis) {
            Map<String, Color> entries = new LinkedHashMap<>();
            for (Series s : series) entries.putIfAbsent(s.name, s.color);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            int width = 0;
            for (String name : entries.keySet()) width = Math.max(width, fm.stringWidth(name));
            int rowHeight = 20, boxWidth = width + 46, boxHeight = rowHeight * entries.size() + 8, y = TOP + 12;
            int left = LEFT + 12, right = WIDTH - RIGHT - 12 - boxWidth;
            int x = hidden(left, y, boxWidth, boxHeight, xAxis, yAxis) <= hidden(right, y, boxWidth, boxHeight, xAxis, yAxis)
                    ? left : right;
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.WHITE);
            g.fillRect(x, y, boxWidth, boxHeight);
            g.setColor(Color.GRAY);
            g.drawRect(x, y, boxWidth, boxHeight);
            int rowY = y + 14;
            for (Map.Entry<String, Color> entry : entries.entrySet()) {
                g.setColor(entry.getValue());
                g.setStroke(new BasicStroke(3));
                g.drawLine(x + 8, rowY, x + 30, rowY);
                g.setColor(Color.BLACK);
                g.drawString(entry.getKey(), x + 38, rowY + fm.getAscent() / 2 - 1);
                rowY += rowHeight;
            }
        }

        /** How many data points would fall inside a box at (x, y). */
        int hidden(int x, int y, int width, int height, Axis xAxis, Axis yAxis) {
            int count = 0;
            for (Series s : series) {
                for (int i = 0; i < s.x.length; i++) {
                    double px = xAxis.position(s.x[i]), py = yAxis.position(s.y[i]);
                    if (px >= x && px <= x + width && py >= y && py <= y + height) count++;
                }
            }
            return count;
        }

        /** Draws into a temporary file first, so a failure never leaves half a PNG behind. */
        void save(Path png) throws IOException {
            Path dir = png.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".chart", ".png");
            try {
                ImageIO.write(draw(), "png", tmp.toFile());
                Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * Maps data values to pixels, and picks round tick values: 1, 2 or 5 times a power of ten.
     * A log axis gives every factor of ten the same length.
     */
    record Axis(double min, double max, int fromPixel, int toPixel, boolean log) {
        Axis {
            if (max - min < 1e-12) { min -= 1; max += 1; }
            if (log) { // widen to round values, so that the ends carry ticks
                min = Math.max(Double.MIN_NORMAL, niceBelow(min));
                max = niceAbove(max);
            }
        }

        /** 1, 2 or 5 times 10^k. */
        static double nice(double m, int k) {
            return k >= 0 ? m * Math.pow(10, k) : m / Math.pow(10, -k);
        }

        /** The largest of 1, 2, 5, 10, 20, ... (times a power of ten) not above v. */
        static double niceBelow(double v) {
            int k = (int) Math.floor(Math.log10(v));
            for (double m : new double[] {5, 2, 1}) if (nice(m, k) <= v) return nice(m, k);
            return nice(1, k - 1);
        }

        /** The smallest of 1, 2, 5, 10, 20, ... (times a power of ten) not below v. */
        static double niceAbove(double v) {
            int k = (int) Math.floor(Math.log10(v));
            for (double m : new double[] {1, 2, 5}) if (nice(m, k) >= v) return nice(m, k);
            return nice(1, k + 1);
        }

        double position(double v) {
            double t = log ? Math.log10(v / min) / Math.log10(max / min) : (v - min) / (max - min);
            return fromPixel + t * (toPixel - fromPixel);
        }

        int pixel(double v) {
            return (int) Math.round(position(v));
        }

        double step() {
            double rough = (max - min) / 6;
            double power = Math.pow(10, Math.floor(Math.log10(rough)));
            for (double m : new double[] {1, 2, 5}) if (m * power >= rough) return m * power;
            return 10 * power;
        }

        List<Double> ticks() {
            List<Double> ticks = new ArrayList<>();
            if (log) { // 1, 2, 5, 10, 20, ... over up to three factors of ten; beyond, the powers of ten only
                double[] multiples = Math.log10(max / min) <= 3.01 ? new double[] {1, 2, 5} : new double[] {1};
                for (int k = (int) Math.floor(Math.log10(min)); k <= Math.ceil(Math.log10(max)); k++) {
                    for (double m : multiples) {
                        double t = nice(m, k);
                        if (t >= min * (1 - 1e-9) && t <= max * (1 + 1e-9)) ticks.add(t);
                    }
                }
                return ticks;
            }
            double step = step();
            for (double t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
                ticks.add(Math.abs(t) < step * 1e-9 ? 0 : t);
            }
            return ticks;
        }

        String format(double v) {
            if (log) return new java.math.BigDecimal(String.valueOf(v)).stripTrailingZeros().toPlainString();
            int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step()) - 1e-9));
            return String.format("%." + decimals + "f", v);
        }
    }
}
