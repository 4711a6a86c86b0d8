import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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
 * Run: java lessons/05/Approximation.java [--seed N] [--exercise 1|2|3] [--readme-figures]
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
        SIGMOID("sigmoid") {
            double apply(double z) { return 1 / (1 + Math.exp(-z)); }
            double derivative(double y) { return y * (1 - y); }
        },
        LINEAR("linear") {
            double apply(double z) { return z; }
            double derivative(double y) { return 1; }
        };

        final String label;

        Activation(String label) {
            this.label = label;
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
     * Trains with one update per example, in order, and prints the total error sum(t - o)^2 over
     * all examples every printEvery epochs (0: never). Returns the total error after each epoch.
     */
    static double[] train(NeuralNetwork net, double[][] inputs, double[][] targets,
            int epochs, double learningRate, int printEvery) {
        double[] history = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (int i = 0; i < inputs.length; i++) net.backpropagate(inputs[i], targets[i], learningRate);
            history[epoch] = totalError(net, inputs, targets);
            if (printEvery > 0 && epoch % printEvery == 0) {
                System.out.printf("   epoch %5d  total error %.4f%n", epoch, history[epoch]);
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

    // ---------------------------------------------------------------- the function, its data and the grid

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

    /** Min-max scaling fitted on the training targets: t' = (t - min) / (max - min), and back. */
    record MinMax(double min, double max) {
        static MinMax fit(double[][] targets) {
            double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
            for (double[] t : targets) {
                min = Math.min(min, t[0]);
                max = Math.max(max, t[0]);
            }
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

    /** A trained network's values on the test grid, their mean squared error there, and its final training error. */
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

    // ---------------------------------------------------------------- the lesson

    static final int POINTS = 35, EPOCHS = 4500, PRINT_EVERY = 500;
    static final int[] SIZES = {2, 4, 4, 1};
    static final double LEARNING_RATE = 0.1;

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
        try {
            Options options = Options.parse(args);
            switch (options.exercise) {
                case 0 -> lesson(options);
                case 1 -> exerciseLinearOutput(new Random(options.seed));
                case 2 -> exerciseTenDraws(new Random(options.seed));
                case 3 -> exerciseMorePoints(new Random(options.seed));
                default -> throw new UserError("there is no exercise " + options.exercise + "; try --exercise 1, 2 or 3");
            }
        } catch (UserError e) {
            System.err.println("Approximation: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(Options options) {
        System.out.println("Lesson 05: a 2-4-4-1 sigmoid network learns y = x1^2 + x2^2 from 35 points");
        Random rng = new Random(options.seed);
        double[][] points = randomPoints(POINTS, rng);
        long weightSeed = rng.nextLong(); // both runs start from these weights: only the targets differ
        double[][] targets = targets(points);
        MinMax range = MinMax.fit(targets);

        System.out.println("\n1. The data: " + POINTS + " random points in [-1, 1]^2, target y = x1^2 + x2^2");
        System.out.printf("   training targets run from %.4f to %.4f; %d of %d are above 1%n",
                range.min, range.max, countAbove(targets, 1), POINTS);
        System.out.printf("   on the %dx%d test grid the target runs from %.4f to %.4f and is above 1 at %.1f%% of the points%n",
                GRID, GRID, min(TRUTH), max(TRUTH), 100.0 * fractionAbove(TRUTH, 1));

        System.out.println("\n2. Raw targets: " + EPOCHS + " epochs, learning rate " + LEARNING_RATE + ", one sample at a time");
        Run raw = trainRaw(points, weightSeed, PRINT_EVERY);
        System.out.printf("   after %d epochs: total error %.4f%n", EPOCHS, raw.trainingError);
        System.out.printf("   largest prediction on the grid: %.4f, yet the target reaches %.4f%n", max(raw.grid), max(TRUTH));
        System.out.println("   The output neuron is a sigmoid, 1 / (1 + e^-z) < 1 for every z: it cannot say 2.");
        System.out.printf("   grid MSE: %.5f%n", raw.gridError);

        System.out.printf("%n3. Normalised targets: t' = (t - %.4f) / (%.4f - %.4f), min and max of the training targets%n",
                range.min, range.max, range.min);
        Run normalised = trainNormalised(points, weightSeed, PRINT_EVERY);
        System.out.printf("   after %d epochs: total error %.4f, or %.4f in y's units (times %.4f^2)%n", EPOCHS,
                normalised.trainingError / Math.pow(range.max - range.min, 2), normalised.trainingError, range.max - range.min);
        System.out.printf("   outputs o mapped back with t = %.4f + o * %.4f; largest on the grid: %.4f%n",
                range.min, range.max - range.min, max(normalised.grid));
        System.out.printf("   grid MSE: %.5f (in the original units, like the raw run's)%n", normalised.gridError);

        System.out.printf("%n4. Where the error is: the grid split at %.4f, the largest training target%n", range.max);
        System.out.println("                                            share   raw MSE   normalised MSE");
        System.out.printf("   %-40s %3.0f%%   %7.5f   %7.5f%n", String.format("target up to %.4f (the data's range)", range.max),
                100 * (1 - fractionAbove(TRUTH, range.max)), meanSquaredError(raw.grid, -Double.MAX_VALUE, range.max),
                meanSquaredError(normalised.grid, -Double.MAX_VALUE, range.max));
        System.out.printf("   %-40s %3.0f%%   %7.5f   %7.5f%n", String.format("target above %.4f (no data there)", range.max),
                100 * fractionAbove(TRUTH, range.max), meanSquaredError(raw.grid, range.max, Double.MAX_VALUE),
                meanSquaredError(normalised.grid, range.max, Double.MAX_VALUE));
        System.out.printf("   %-40s %3.0f%%   %7.5f   %7.5f%n", "the whole grid", 100.0, raw.gridError, normalised.gridError);
        System.out.printf("   Normalising cut the grid error %.1f-fold. Beyond the largest training target neither network%n",
                raw.gridError / normalised.gridError);
        System.out.println("   follows: mapped back, a sigmoid output stops at the training maximum, as the raw one stops at 1.");
        System.out.println("   Exercise 1 removes that ceiling; exercise 3 gives the network points nearer the corners.");

        HeatMaps chart = chart(raw, normalised, points);
        Path png = outDir().resolve("05-approximation.png");
        save(chart, png);
        System.out.println("\nplot: " + png);
        if (options.readmeFigures) {
            Path figure = lessonDir().resolve("approximation.png");
            save(chart, figure);
            System.out.println("README figure: " + figure);
        }
    }

    /** Trains the 2-4-4-1 network on the raw targets y and returns its grid. */
    static Run trainRaw(double[][] points, long weightSeed, int printEvery) {
        NeuralNetwork net = NeuralNetwork.random(SIZES, Activation.SIGMOID, new Random(weightSeed));
        double[] history = train(net, points, targets(points), EPOCHS, LEARNING_RATE, printEvery);
        return Run.of(x -> net.forward(x)[0], history[EPOCHS - 1]);
    }

    /** Trains the same network on min-max-scaled targets; its grid and training error are mapped back to y's units. */
    static Run trainNormalised(double[][] points, long weightSeed, int printEvery) {
        double[][] targets = targets(points);
        MinMax range = MinMax.fit(targets);
        NeuralNetwork net = NeuralNetwork.random(SIZES, Activation.SIGMOID, new Random(weightSeed));
        double[] history = train(net, points, range.scale(targets), EPOCHS, LEARNING_RATE, printEvery);
        double scale = (range.max - range.min) * (range.max - range.min); // errors in t' are errors in t divided by max - min
        return Run.of(x -> range.unscale(net.forward(x)[0]), history[EPOCHS - 1] * scale);
    }

    static final String X1 = "x\u2081", X2 = "x\u2082", SQUARED = "\u00b2"; // subscripts and a square, in the PNG only

    static HeatMaps chart(Run raw, Run normalised, double[][] points) {
        String title = "A 2-4-4-1 sigmoid network approximating y = " + X1 + SQUARED + " + " + X2 + SQUARED;
        HeatMaps chart = new HeatMaps(title, "y", points, targets(points));
        chart.add("true function", TRUTH);
        chart.add(String.format("raw targets: grid MSE %.4f", raw.gridError), raw.grid);
        chart.add(String.format("normalised targets: grid MSE %.4f", normalised.gridError), normalised.grid);
        return chart;
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
        Neuron out = net.layers[2][0];
        net.layers[2][0] = new Neuron(out.weights, out.bias, Activation.LINEAR); // same weights, no squashing
        double[] history = train(net, points, targets(points), EPOCHS, LEARNING_RATE, 1500);
        Run linear = Run.of(x -> net.forward(x)[0], history[EPOCHS - 1]);
        System.out.printf("   output: %s; largest prediction on the grid %.4f; grid MSE %.5f%n",
                net.layers[2][0].activation.label, max(linear.grid), linear.gridError);
        System.out.println("   o = w.h + b has no ceiling: the network can say 2, and the corners come out closer.");
        System.out.println("   Regression networks usually end in a linear neuron for exactly this reason.");
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
            Run raw = trainRaw(points, weightSeed, 0), normalised = trainNormalised(points, weightSeed, 0);
            ratios[draw] = raw.gridError / normalised.gridError;
            System.out.printf("   %4d  %14.4f   %7.5f  %7.5f  %10.2f   %7.4f  %7.4f%n", draw + 1, MinMax.fit(targets(points)).max,
                    raw.gridError, normalised.gridError, ratios[draw], raw.trainingError, normalised.trainingError);
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
        for (int n : new int[] {POINTS, 2 * POINTS, 4 * POINTS}) {
            double[][] points = Arrays.copyOf(all, n);
            Run raw = trainRaw(points, weightSeed, 0), normalised = trainNormalised(points, weightSeed, 0);
            System.out.printf("   %6d  %14.4f   %12.5f   %19.5f   %16.2f%n", n, MinMax.fit(targets(points)).max,
                    raw.gridError, normalised.gridError, raw.gridError / normalised.gridError);
        }
        System.out.println("   The raw network is stuck below 1 however much data it sees; the normalised one");
        System.out.println("   reaches as far as the data do, so its lead grows as the points reach into the corners.");
    }

    static double[][] concat(double[][] a, double[][] b) {
        double[][] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    // ---------------------------------------------------------------- flags and errors

    static final String USAGE = "usage: java lessons/05/Approximation.java [--seed N] [--exercise 1|2|3] [--readme-figures]";

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    record Options(long seed, int exercise, boolean readmeFigures) {
        static Options parse(String[] args) {
            long seed = 42;
            int exercise = 0;
            boolean readmeFigures = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = number(args, ++i, "--seed");
                    case "--exercise" -> exercise = (int) number(args, ++i, "--exercise");
                    case "--readme-figures" -> readmeFigures = true;
                    default -> throw new UserError("unknown flag '" + args[i] + "'; " + USAGE);
                }
            }
            return new Options(seed, exercise, readmeFigures);
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

    /** The course's top folder: the nearest folder, from here upwards, that holds datasets/. */
    static Path courseRoot() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("datasets"))) return p;
        }
        return here;
    }

    static Path outDir() {
        return courseRoot().resolve("out");
    }

    /** This lesson's folder, where --readme-figures puts the picture its README shows. */
    static Path lessonDir() {
        return courseRoot().resolve("lessons").resolve("05");
    }

    /** Writes the chart, or says in one line why it could not. */
    static void save(HeatMaps chart, Path png) {
        try {
            chart.save(png);
        } catch (IOException e) {
            throw new UserError("could not write " + png + ": " + e.getMessage());
        }
    }

    /**
     * Heat maps of functions on [-1, 1]^2, side by side on one shared colour scale, with a colour
     * bar and the training points marked (each filled with the colour of its true value).
     */
    static class HeatMaps {
        static final int WIDTH = 1200, HEIGHT = 460, LEFT = 60, TOP = 70, SIZE = 320, GAP = 50, BAR = 18;

        static {
            System.setProperty("java.awt.headless", "true"); // draw without a screen
        }

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

        BufferedImage draw() {
            double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
            for (Panel p : panels) {
                lo = Math.min(lo, min(p.values));
                hi = Math.max(hi, max(p.values));
            }
            double step = new Axis(lo, hi, 0, SIZE).step(); // widen the scale to round ticks at both ends
            lo = Math.floor(lo / step) * step;
            hi = Math.ceil(hi / step) * step;
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
            Axis x = new Axis(-1 - half, 1 + half, left, left + SIZE);
            Axis y = new Axis(-1 - half, 1 + half, TOP + SIZE, TOP);
            double[] grid = linspace(n);
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    int x0 = x.pixel(grid[c] - half), x1 = x.pixel(grid[c] + half);
                    int y0 = y.pixel(grid[r] + half), y1 = y.pixel(grid[r] - half);
                    g.setColor(colour((panel.values[r][c] - lo) / (hi - lo)));
                    g.fillRect(x0, y0, x1 - x0, y1 - y0);
                }
            }
            for (int i = 0; i < points.length; i++) {
                Ellipse2D.Double dot = new Ellipse2D.Double(x.position(points[i][0]) - 5, y.position(points[i][1]) - 5, 10, 10);
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
            for (double t : x.ticks()) {
                int px = x.pixel(t);
                g.drawLine(px, TOP + SIZE, px, TOP + SIZE + 4);
                String label = x.format(t);
                g.drawString(label, px - fm.stringWidth(label) / 2, TOP + SIZE + 18);
            }
            for (double t : y.ticks()) {
                int py = y.pixel(t);
                g.drawLine(left - 4, py, left, py);
                String label = y.format(t);
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
            Axis axis = new Axis(lo, hi, TOP + SIZE, TOP);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            for (double t : axis.ticks()) {
                int py = axis.pixel(t);
                g.drawLine(left + BAR, py, left + BAR + 4, py);
                g.drawString(axis.format(t), left + BAR + 7, py + fm.getAscent() / 2 - 1);
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

    /** Maps data values to pixels, and picks round tick values (1, 2 or 5 times a power of ten). */
    record Axis(double min, double max, int fromPixel, int toPixel) {
        Axis {
            if (max - min < 1e-12) { min -= 1; max += 1; }
        }

        double position(double v) {
            return fromPixel + (v - min) / (max - min) * (toPixel - fromPixel);
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
            double step = step();
            List<Double> ticks = new ArrayList<>();
            for (double t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
                ticks.add(Math.abs(t) < step * 1e-9 ? 0 : t);
            }
            return ticks;
        }

        String format(double v) {
            int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step()) - 1e-9));
            return String.format("%." + decimals + "f", v);
        }
    }
}
