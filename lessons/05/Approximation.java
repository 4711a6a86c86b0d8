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
 * Lesson 05: a network as a universal function approximator.
 *
 * A 2-4-4-1 sigmoid network learns y = x1^2 + x2^2 from 35 random points. Trained on the raw
 * targets it fails where y > 1, because a sigmoid output never exceeds 1. Min-max-normalising
 * the targets into [0, 1], and mapping the outputs back, lets it follow y as far as the
 * training data reach, but no further.
 *
 * Follows: the UPM hands-on, section 4a "Neural networks as universal function approximators"; see
 * README.md for the authors.
 * New here: MinMax (fitted on the training targets: scale, unscale). In the lesson part: the 40x40
 * test grid and its error, LinearNeuron for exercise 1, heat maps.
 * Carried: Neuron, Activation and NeuralNetwork from lesson 03; error, errorGradient,
 * checkSameLength, train and totalError from lesson 04, unchanged.
 * Changed: nothing.
 *
 * Run: java lessons/05/Approximation.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3]
 */
public class Approximation {

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

    /** Min-max scaling fitted on the training targets: t' = (t - min) / (max - min), and back. */
    record MinMax(double min, double max) {
        static MinMax fit(double[][] targets) {
            double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
            for (double[] t : targets) {
                min = Math.min(min, t[0]);
                max = Math.max(max, t[0]);
            }
            if (max == min) throw new UserError("the target has the same value, " + min + ", in every training row: nothing to learn");
            return new MinMax(min, max);
        }

        double[][] scale(double[][] targets) {
            double[][] scaled = new double[targets.length][];
            for (int i = 0; i < targets.length; i++) scaled[i] = new double[] {(targets[i][0] - min) / (max - min)};
            return scaled;
        }

        double unscale(double v) {
            return min + v * (max - min);
        }
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/05/Approximation.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3]
              --seed N       seed of the 35 points and the starting weights (default 42)
              --rate X       the learning rate of the lesson's two networks (default 0.1)
              --epochs N     epochs of the lesson's two networks (default 4500)
              --exercise N   run exercise N of the README instead of the lesson""";

    static final int POINTS = 35, EPOCHS = 4500, PRINT_EVERY = 500;
    static final int[] SIZES = {2, 4, 4, 1};
    static final double LEARNING_RATE = 0.1;

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            double rate = flags.decimal("--rate", LEARNING_RATE, 1e-6, 100);
            int epochs = (int) flags.number("--epochs", EPOCHS, 1, 100_000);
            switch ((int) flags.number("--exercise", 0, 0, 3)) {
                case 1 -> exerciseLinearOutput(new Random(seed));
                case 2 -> exerciseTenDraws(new Random(seed));
                case 3 -> exerciseMorePoints(new Random(seed));
                default -> lesson(seed, epochs, rate);
            }
        } catch (UserError e) {
            System.err.println("Approximation: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(long seed, int epochs, double rate) {
        System.out.println("Lesson 05: a 2-4-4-1 sigmoid network learns y = x1^2 + x2^2 from 35 points");
        Random rng = new Random(seed);
        double[][] points = randomPoints(POINTS, rng);
        long weightSeed = rng.nextLong(); // both runs start from these weights: only the targets differ
        double[][] targets = targets(points);
        MinMax range = MinMax.fit(targets);

        System.out.println("\n1. The data: " + POINTS + " random points in [-1, 1]^2, target y = x1^2 + x2^2");
        System.out.printf("   training targets run from %.4f to %.4f; %d of %d are above 1%n",
                range.min(), range.max(), countAbove(targets, 1), POINTS);
        System.out.printf("   on the %dx%d test grid the target runs from %.4f to %.4f and is above 1 at %.1f%% of the points%n",
                GRID, GRID, min(TRUTH), max(TRUTH), 100.0 * fractionAbove(TRUTH, 1));

        System.out.println("\n2. Raw targets: " + epochs + " epochs, learning rate " + rate + ", one sample at a time");
        int printEvery = Math.max(1, epochs * PRINT_EVERY / EPOCHS); // every 500 of 4500 epochs
        Run raw = trainRaw(points, weightSeed, epochs, rate, printEvery);
        System.out.printf("   largest prediction on the grid: %.4f, yet the target reaches %.4f%n", max(raw.grid()), max(TRUTH));
        System.out.println("   The output neuron is a sigmoid, 1 / (1 + e^-z) < 1 for every z: it cannot say 2.");
        System.out.printf("   grid MSE: %.5f%n", raw.gridError());

        System.out.printf("%n3. Normalised targets: t' = (t - %.4f) / (%.4f - %.4f), min and max of the training targets%n",
                range.min(), range.max(), range.min());
        Run normalised = trainNormalised(points, weightSeed, epochs, rate, printEvery);
        System.out.printf("   after %d epochs: total error %.4f in t' units, %.4f in y's units (times %.4f^2)%n", epochs,
                normalised.trainingError() / Math.pow(range.max() - range.min(), 2), normalised.trainingError(),
                range.max() - range.min());
        System.out.printf("   outputs o mapped back with t = %.4f + o * %.4f; largest on the grid: %.4f%n",
                range.min(), range.max() - range.min(), max(normalised.grid()));
        System.out.printf("   grid MSE: %.5f (in the original units, like the raw run's)%n", normalised.gridError());

        System.out.printf("%n4. Where the error is: the grid split at %.4f, the largest training target%n", range.max());
        System.out.println("                                            share   raw MSE   normalised MSE");
        double[] inside = {meanSquaredError(raw.grid(), -Double.MAX_VALUE, range.max()),
            meanSquaredError(normalised.grid(), -Double.MAX_VALUE, range.max())};
        double[] beyond = {meanSquaredError(raw.grid(), range.max(), Double.MAX_VALUE),
            meanSquaredError(normalised.grid(), range.max(), Double.MAX_VALUE)};
        System.out.printf("   %-40s %3.0f%%   %7.5f   %7.5f%n", String.format("target up to %.4f (the data's range)", range.max()),
                100 * (1 - fractionAbove(TRUTH, range.max())), inside[0], inside[1]);
        System.out.printf("   %-40s %3.0f%%   %7.5f   %7.5f%n", String.format("target above %.4f (no data there)", range.max()),
                100 * fractionAbove(TRUTH, range.max()), beyond[0], beyond[1]);
        System.out.printf("   %-40s %3.0f%%   %7.5f   %7.5f%n", "the whole grid", 100.0, raw.gridError(), normalised.gridError());
        System.out.println("   " + verdict(raw.gridError(), normalised.gridError()));
        if (beyond[0] > inside[0] && beyond[1] > inside[1]) {
            System.out.printf("   Beyond the largest training target both networks miss more, %.1f and %.1f times as much as within it:%n",
                    beyond[0] / inside[0], beyond[1] / inside[1]);
        } else {
            System.out.println("   Beyond the largest training target there is still no data to learn from:");
        }
        System.out.printf("   mapped back, a sigmoid output stops at %.4f, the training maximum, as the raw one stops at 1.%n", range.max());
        System.out.println("   Exercise 1 removes that ceiling; exercise 3 adds points nearer the corners.");

        System.out.println("\nplot: " + savePng(heatMaps(raw, normalised, points).draw(), "05-approximation.png"));
    }

    /** Normalising's effect on the grid error, in words that follow the numbers. */
    static String verdict(double raw, double normalised) {
        if (normalised < raw) return String.format("Normalising cut the grid error %.1f-fold.", raw / normalised);
        return String.format("Here normalising did not help: its grid error is %.1f times the raw one's (see exercise 2).",
                normalised / raw);
    }

    /** Trains the 2-4-4-1 network on the raw targets y; its grid, and its total error after the last epoch. */
    static Run trainRaw(double[][] points, long weightSeed, int epochs, double rate, int printEvery) {
        NeuralNetwork net = NeuralNetwork.random(SIZES, Activation.SIGMOID, new Random(weightSeed));
        double[] history = train(net, points, targets(points), epochs, rate, printEvery);
        return Run.of(x -> net.forward(x)[0], history[epochs]);
    }

    /** Trains the same network on min-max-scaled targets; its grid and total error are mapped back to y's units. */
    static Run trainNormalised(double[][] points, long weightSeed, int epochs, double rate, int printEvery) {
        double[][] targets = targets(points);
        MinMax range = MinMax.fit(targets);
        NeuralNetwork net = NeuralNetwork.random(SIZES, Activation.SIGMOID, new Random(weightSeed));
        double[] history = train(net, points, range.scale(targets), epochs, rate, printEvery);
        double scale = (range.max() - range.min()) * (range.max() - range.min()); // errors in t' are errors in t over max - min
        return Run.of(x -> range.unscale(net.forward(x)[0]), history[epochs] * scale);
    }

    /** The function to approximate: y = x1^2 + x2^2, 0 at the centre, 2 in the corners. */
    static double quadratic(double[] x) {
        return x[0] * x[0] + x[1] * x[1];
    }

    /** n points drawn uniformly from the square [-1, 1]^2. */
    static double[][] randomPoints(int n, Random rng) {
        double[][] points = new double[n][];
        for (int i = 0; i < n; i++) points[i] = new double[] {2 * rng.nextDouble() - 1, 2 * rng.nextDouble() - 1};
        return points;
    }

    /** The targets y, one per point, each as a one-element row: the shape of the network's output. */
    static double[][] targets(double[][] points) {
        double[][] targets = new double[points.length][];
        for (int i = 0; i < points.length; i++) targets[i] = new double[] {quadratic(points[i])};
        return targets;
    }

    /** n evenly spaced values from -1 to 1, both ends included (NumPy's linspace). */
    static double[] linspace(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = -1 + 2.0 * i / (n - 1);
        return v;
    }

    /** Anything that maps a point (x1, x2) to a value: the true function or a trained network. */
    interface Model {
        double predict(double[] x);
    }

    static final int GRID = 40;

    /** The model's value at every point of the 40x40 test grid over [-1, 1]^2; row r holds x2 = linspace[r]. */
    static double[][] onGrid(Model model) {
        double[] axis = linspace(GRID);
        double[][] values = new double[GRID][GRID];
        for (int r = 0; r < GRID; r++) {
            for (int c = 0; c < GRID; c++) values[r][c] = model.predict(new double[] {axis[c], axis[r]});
        }
        return values;
    }

    static final double[][] TRUTH = onGrid(Approximation::quadratic);

    /** A trained network's values on the test grid, their mean squared error there, and its final total error. */
    record Run(double[][] grid, double gridError, double trainingError) {
        static Run of(Model model, double trainingError) {
            double[][] grid = onGrid(model);
            return new Run(grid, meanSquaredError(grid, -Double.MAX_VALUE, Double.MAX_VALUE), trainingError);
        }
    }

    /** Mean of (prediction - truth)^2 over the grid points whose true value lies in (from, to]. */
    static double meanSquaredError(double[][] predicted, double from, double to) {
        double sum = 0;
        int count = 0;
        for (int r = 0; r < GRID; r++) {
            for (int c = 0; c < GRID; c++) {
                if (TRUTH[r][c] <= from || TRUTH[r][c] > to) continue;
                sum += (predicted[r][c] - TRUTH[r][c]) * (predicted[r][c] - TRUTH[r][c]);
                count++;
            }
        }
        return sum / count;
    }

    static int countAbove(double[][] targets, double limit) {
        int count = 0;
        for (double[] t : targets) if (t[0] > limit) count++;
        return count;
    }

    static double fractionAbove(double[][] grid, double limit) {
        int count = 0;
        for (double[] row : grid) for (double v : row) if (v > limit) count++;
        return (double) count / (grid.length * grid[0].length);
    }

    static double min(double[][] grid) {
        double min = Double.MAX_VALUE;
        for (double[] row : grid) for (double v : row) min = Math.min(min, v);
        return min;
    }

    static double max(double[][] grid) {
        double max = -Double.MAX_VALUE;
        for (double[] row : grid) for (double v : row) max = Math.max(max, v);
        return max;
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: remove the cap instead of scaling around it: a linear output neuron on the raw targets. */
    static void exerciseLinearOutput(Random rng) {
        System.out.println("Exercise 1: the lesson's network and data, raw targets, but a linear output neuron");
        double[][] points = randomPoints(POINTS, rng);
        NeuralNetwork net = NeuralNetwork.random(SIZES, Activation.SIGMOID, new Random(rng.nextLong()));
        net.layers[2][0] = new LinearNeuron(net.layers[2][0]); // same weights, no squashing
        double[] history = train(net, points, targets(points), EPOCHS, LEARNING_RATE, 1500);
        Run linear = Run.of(x -> net.forward(x)[0], history[EPOCHS]);
        double largestTarget = MinMax.fit(targets(points)).max();
        System.out.printf("   output: linear, y = z; largest training target %.4f, largest prediction on the grid %.4f; grid MSE %.5f%n",
                largestTarget, max(linear.grid()), linear.gridError());
        System.out.println(max(linear.grid()) > largestTarget
                ? "   o = w.h + b has no ceiling: the network says more than any target it saw, towards the corners' 2."
                : "   o = w.h + b has no ceiling, yet this network stayed below its largest target.");
        System.out.println("   Regression networks usually end in a linear neuron for exactly this reason.");
    }

    /**
     * An output neuron without an activation, y = z, so f'(z) = 1. Lesson 03's Activation has no
     * such entry, so this neuron overrides the two methods that use its activation.
     */
    static class LinearNeuron extends Neuron {
        LinearNeuron(Neuron n) {
            super(n.weights, n.bias, n.activation); // the activation is never used
        }

        @Override
        double forward(double[] x) {
            super.forward(x); // checks the size and remembers x
            output = bias;
            for (int i = 0; i < weights.length; i++) output += weights[i] * x[i];
            return output;
        }

        @Override
        double[] backward(double outputGradient) {
            double[] inputGradients = new double[weights.length];
            for (int i = 0; i < weights.length; i++) {
                weightGradients[i] = outputGradient * inputs[i]; // dE/dz = dE/dy, as f'(z) = 1
                inputGradients[i] = outputGradient * weights[i];
            }
            biasGradient = outputGradient;
            return inputGradients;
        }
    }

    /** Exercise 2: is the default draw typical? Ten draws of points and weights, both ways. */
    static void exerciseTenDraws(Random rng) {
        System.out.println("Exercise 2: the lesson's comparison on ten draws of 35 points and starting weights");
        System.out.println("                          grid MSE           raw /        total error (y's units)");
        System.out.println("   draw  largest target   raw      normalised  normalised   raw      normalised");
        double[] ratios = new double[10];
        for (int draw = 0; draw < ratios.length; draw++) {
            double[][] points = randomPoints(POINTS, rng);
            long weightSeed = rng.nextLong();
            Run raw = trainRaw(points, weightSeed, EPOCHS, LEARNING_RATE, 0);
            Run normalised = trainNormalised(points, weightSeed, EPOCHS, LEARNING_RATE, 0);
            ratios[draw] = raw.gridError() / normalised.gridError();
            System.out.printf("   %4d  %14.4f   %7.5f  %7.5f  %10.2f   %7.4f  %7.4f%n", draw + 1, MinMax.fit(targets(points)).max(),
                    raw.gridError(), normalised.gridError(), ratios[draw], raw.trainingError(), normalised.trainingError());
        }
        System.out.printf("   normalised wins %d of 10 draws; median ratio %.2f%n", wins(ratios), median(ratios));
        System.out.println("   Draw 1 is the lesson's. Where normalising loses or barely wins, look at its total error:");
        System.out.println("   a high one means the run is still on a plateau after 4,500 epochs. One draw is an anecdote.");
    }

    static int wins(double[] ratios) {
        int count = 0;
        for (double r : ratios) if (r > 1) count++;
        return count;
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Exercise 3: more training points reach further into the corners. */
    static void exerciseMorePoints(Random rng) {
        System.out.println("Exercise 3: the lesson's 35 points, then 35 and 105 more, raw and normalised targets");
        double[][] first = randomPoints(POINTS, rng);
        long weightSeed = rng.nextLong();
        double[][] all = concat(first, randomPoints(4 * POINTS - POINTS, rng));
        System.out.println("   points  largest target   raw grid MSE   normalised grid MSE   raw / normalised");
        double[] rawErrors = new double[3], ratios = new double[3];
        int k = 0;
        for (int n : new int[] {POINTS, 2 * POINTS, 4 * POINTS}) {
            double[][] points = Arrays.copyOf(all, n);
            Run raw = trainRaw(points, weightSeed, EPOCHS, LEARNING_RATE, 0);
            Run normalised = trainNormalised(points, weightSeed, EPOCHS, LEARNING_RATE, 0);
            rawErrors[k] = raw.gridError();
            ratios[k++] = raw.gridError() / normalised.gridError();
            System.out.printf("   %6d  %14.4f   %12.5f   %19.5f   %16.2f%n", n, MinMax.fit(targets(points)).max(),
                    raw.gridError(), normalised.gridError(), raw.gridError() / normalised.gridError());
        }
        System.out.printf("   The raw network's grid MSE never falls below %.5f, the cost of stopping at 1 where y > 1;%n",
                cornerFloor());
        System.out.printf("   the normalised one reaches as far as the data do. Raw / normalised goes from %.2f to %.2f.%n",
                ratios[0], ratios[2]);
    }

    /** The least grid MSE any output below 1 can have: (y - 1)^2 at every grid point with y > 1, averaged. */
    static double cornerFloor() {
        double sum = 0;
        for (double[] row : TRUTH) for (double y : row) if (y > 1) sum += (y - 1) * (y - 1);
        return sum / (GRID * GRID);
    }

    static double[][] concat(double[][] a, double[][] b) {
        double[][] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    // ---------------------------------------------------------------- pictures

    static final String X1 = "x\u2081", X2 = "x\u2082", SQUARED = "\u00b2"; // subscripts and a square, in the PNG only

    static HeatMaps heatMaps(Run raw, Run normalised, double[][] points) {
        String title = "A 2-4-4-1 sigmoid network approximating y = " + X1 + SQUARED + " + " + X2 + SQUARED;
        HeatMaps maps = new HeatMaps(title, "y", points, targets(points));
        maps.add("true function", TRUTH);
        maps.add(String.format("raw targets: grid MSE %.4f", raw.gridError()), raw.grid());
        maps.add(String.format("normalised targets: grid MSE %.4f", normalised.gridError()), normalised.grid());
        return maps;
    }

    /**
     * Heat maps of functions on [-1, 1]^2, side by side on one shared colour scale, with a colour
     * bar and the training points marked (each filled with the colour of its true value).
     */
    static class HeatMaps {
        static final int WIDTH = 1200, HEIGHT = 460, LEFT = 60, TOP = 70, SIZE = 320, GAP = 50, BAR = 18;
        static final double[] AXIS_TICKS = {-1, -0.5, 0, 0.5, 1};

        record Panel(String title, double[][] values) {}

        final String title, valueLabel;
        final double[][] points, pointValues;
        final List<Panel> panels = new ArrayList<>();

        HeatMaps(String title, String valueLabel, double[][] points, double[][] pointValues) {
            this.title = title;
            this.valueLabel = valueLabel;
            this.points = points;
            this.pointValues = pointValues;
        }

        /** A panel: values[r][c] at x1 = linspace[c], x2 = linspace[r]. */
        void add(String title, double[][] values) {
            panels.add(new Panel(title, values));
        }

        /** Where value v lands between two pixels, when lo maps to from and hi to to. */
        static double pixel(double v, double lo, double hi, int from, int to) {
            return from + (v - lo) / (hi - lo) * (to - from);
        }

        BufferedImage draw() {
            double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
            for (Panel p : panels) {
                lo = Math.min(lo, min(p.values));
                hi = Math.max(hi, max(p.values));
            }
            List<Double> ticks = Chart.ticks(new double[] {lo, hi}, false);
            double step = ticks.size() > 1 ? ticks.get(1) - ticks.get(0) : 1; // widen the scale to round ticks at both ends
            lo = Math.floor(lo / step + 1e-9) * step;
            hi = Math.ceil(hi / step - 1e-9) * step;
            BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);

            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(title, (WIDTH - g.getFontMetrics().stringWidth(title)) / 2, 26);
            for (int p = 0; p < panels.size(); p++) drawPanel(g, panels.get(p), LEFT + p * (SIZE + GAP), lo, hi, p == 0);
            drawColourBar(g, LEFT + panels.size() * (SIZE + GAP) - GAP + 30, lo, hi);

            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.setColor(Color.DARK_GRAY);
            String note = "circles: the " + points.length + " training points, filled with their true value. One colour scale for all panels.";
            g.drawString(note, LEFT, HEIGHT - 12);
            g.dispose();
            return image;
        }

        void drawPanel(Graphics2D g, Panel panel, int left, double lo, double hi, boolean yLabel) {
            int n = panel.values.length;
            double half = 1.0 / (n - 1); // half the grid spacing: each value fills the square around its point
            double min = -1 - half, max = 1 + half;
            double[] grid = linspace(n);
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    int x0 = (int) Math.round(pixel(grid[c] - half, min, max, left, left + SIZE));
                    int x1 = (int) Math.round(pixel(grid[c] + half, min, max, left, left + SIZE));
                    int y0 = (int) Math.round(pixel(grid[r] + half, min, max, TOP + SIZE, TOP));
                    int y1 = (int) Math.round(pixel(grid[r] - half, min, max, TOP + SIZE, TOP));
                    g.setColor(colour((panel.values[r][c] - lo) / (hi - lo)));
                    g.fillRect(x0, y0, x1 - x0, y1 - y0);
                }
            }
            for (int i = 0; i < points.length; i++) {
                double px = pixel(points[i][0], min, max, left, left + SIZE), py = pixel(points[i][1], min, max, TOP + SIZE, TOP);
                Ellipse2D.Double dot = new Ellipse2D.Double(px - 5, py - 5, 10, 10);
                g.setColor(colour((pointValues[i][0] - lo) / (hi - lo)));
                g.fill(dot);
                g.setColor(Color.WHITE);
                g.setStroke(new BasicStroke(1.5f));
                g.draw(dot);
            }
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1));
            g.drawRect(left, TOP, SIZE, SIZE);

            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            for (double t : AXIS_TICKS) {
                int px = (int) Math.round(pixel(t, min, max, left, left + SIZE));
                int py = (int) Math.round(pixel(t, min, max, TOP + SIZE, TOP));
                String label = Chart.label(t);
                g.drawLine(px, TOP + SIZE, px, TOP + SIZE + 4);
                g.drawString(label, px - fm.stringWidth(label) / 2, TOP + SIZE + 18);
                g.drawLine(left - 4, py, left, py);
                g.drawString(label, left - 7 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            fm = g.getFontMetrics();
            g.drawString(X1, left + (SIZE - fm.stringWidth(X1)) / 2, TOP + SIZE + 38);
            if (yLabel) g.drawString(X2, left - 50, TOP + SIZE / 2);
            g.drawString(panel.title, left + (SIZE - fm.stringWidth(panel.title)) / 2, TOP - 10);
        }

        /** A vertical strip of the colour map with ticks: which colour means which value. */
        void drawColourBar(Graphics2D g, int left, double lo, double hi) {
            for (int py = TOP; py <= TOP + SIZE; py++) {
                g.setColor(colour(1 - (double) (py - TOP) / SIZE));
                g.drawLine(left, py, left + BAR, py);
            }
            g.setColor(Color.BLACK);
            g.drawRect(left, TOP, BAR, SIZE);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            for (double t : Chart.ticks(new double[] {lo, hi}, false)) {
                int py = (int) Math.round(pixel(t, lo, hi, TOP + SIZE, TOP));
                g.drawLine(left + BAR, py, left + BAR + 4, py);
                g.drawString(Chart.label(t), left + BAR + 7, py + fm.getAscent() / 2 - 1);
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            g.drawString(valueLabel, left, TOP - 10);
        }

        /** A viridis-like colour map: dark purple at 0, through blue and green, to yellow at 1. */
        static final Color[] VIRIDIS = {
            new Color(68, 1, 84), new Color(72, 40, 120), new Color(62, 74, 137), new Color(49, 104, 142),
            new Color(38, 130, 142), new Color(31, 158, 137), new Color(53, 183, 121), new Color(109, 205, 89),
            new Color(180, 222, 44), new Color(253, 231, 37)};

        static Color colour(double t) {
            double s = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
            int i = Math.min((int) s, VIRIDIS.length - 2);
            double f = s - i;
            Color a = VIRIDIS[i], b = VIRIDIS[i + 1];
            return new Color((int) Math.round(a.getRed() + f * (b.getRed() - a.getRed())),
                    (int) Math.round(a.getGreen() + f * (b.getGreen() - a.getGreen())),
                    (int) Math.round(a.getBlue() + f * (b.getBlue() - a.getBlue())));
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
