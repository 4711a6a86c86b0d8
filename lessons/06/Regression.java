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
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Lesson 06: regression.
 *
 * A 10-8-1 sigmoid network predicts how diabetes progresses from ten measurements of a patient.
 * The new idea is where the scaling comes from: each feature's mean and standard deviation, and
 * the target's min and max, are fitted on the training rows only, so that the test rows stay
 * unseen. The predictions, mapped back to the target's units, are judged against least squares.
 *
 * Follows: the UPM hands-on, section 4b "Neural networks for regression tasks", and its exercise 7;
 * see README.md for the authors.
 * New here: Standardiser (fitted on the training rows, applied to any rows), Scaled and asRows. In
 * the lesson part: least squares and R^2 as the yardstick; Table, a CSV reader that checks every
 * cell and names the file, line and column of a bad one (lessons 07 and 08 carry it).
 * Carried: Neuron, Activation and NeuralNetwork from lesson 03; error, errorGradient,
 * checkSameLength, train and totalError from lesson 04; MinMax from lesson 05, unchanged.
 * Changed: nothing.
 *
 * Run: java lessons/06/Regression.java [--seed N] [--data FILE.csv] [--rows N] [--rate X] [--epochs N] [--exercise 1|2|3]
 */
public class Regression {

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

    /** A split ready for training: features standardised and targets min-max scaled, both fitted on the training rows only. */
    record Scaled(Split split, Standardiser scaler, double[][] trainX, double[][] testX, MinMax range) {
        static Scaled of(Split s, String[] names) {
            Standardiser scaler = Standardiser.fit(s.trainX(), names);
            return new Scaled(s, scaler, scaler.apply(s.trainX()), scaler.apply(s.testX()), MinMax.fit(asRows(s.trainY())));
        }
    }

    /** Targets as one-element rows: the shape of the network's output, and what MinMax scales. */
    static double[][] asRows(double[] y) {
        double[][] rows = new double[y.length][];
        for (int i = 0; i < y.length; i++) rows[i] = new double[] {y[i]};
        return rows;
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/06/Regression.java [--seed N] [--data FILE.csv] [--rows N] [--rate X] [--epochs N] [--exercise 1|2|3]
              --seed N          seed of the split and the starting weights (default 42)
              --data FILE.csv   your own numeric table: every column a feature, the last the target
                                (default: the diabetes data in datasets/)
              --rows N          use only the first N rows (default: all)
              --rate X          the learning rate of step 2; step 4 uses a tenth of it (default 0.03)
              --epochs N        epochs of every network in the lesson (default 3000)
              --exercise N      run exercise N of the README instead of the lesson""";

    static final int HIDDEN = 8, EPOCHS = 3000;
    static final double LEARNING_RATE = 0.03, SMALLER_RATE = 0.003;
    static final int DRAWS = 5;

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            int exercise = (int) flags.number("--exercise", 0, 0, 3);
            int rows = (int) flags.number("--rows", Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
            double rate = flags.decimal("--rate", LEARNING_RATE, 1e-6, 100);
            int epochs = (int) flags.number("--epochs", EPOCHS, 1, 100_000);
            String file = flags.given.get("--data");
            Dataset data = (file == null ? diabetes() : readCsv(Path.of(file))).head(rows);
            switch (exercise) {
                case 1 -> exerciseLeak(data, new Random(seed));
                case 2 -> exerciseEarlyStopping(data, new Random(seed));
                case 3 -> exerciseBiggerNetworks(data, new Random(seed));
                default -> lesson(data, seed, epochs, rate);
            }
        } catch (UserError e) {
            System.err.println("Regression: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(Dataset data, long seed, int epochs, double rate) {
        int features = data.features().length;
        int[] sizes = {features, HIDDEN, 1};
        Random rng = new Random(seed);
        Scaled d = Scaled.of(split(data, rng), data.features());
        long weightSeed = rng.nextLong(); // both networks start from these weights
        System.out.printf("Lesson 06: regression on %s, %d rows, %d features%n", data.name(), data.y().length, features);
        System.out.printf("%n1. A seeded shuffle: %d rows to train on, %d to test on. Fitted on the training rows only:%n",
                d.trainX().length, d.testX().length);
        System.out.println("   each feature's mean and standard deviation, x' = (x - mean) / std, and the target's");
        System.out.printf("   min %s and max %s, t' = (t - min) / (max - min). The test rows play the unseen future.%n",
                number(d.range().min()), number(d.range().max()));

        System.out.printf("%n2. The tutorial's network: %d-%d-1 sigmoid, learning rate %s, %d epochs, one row at a time%n",
                features, HIDDEN, rate, epochs);
        Predictions tutorial = network(d, sizes, weightSeed, epochs, rate, Math.max(1, epochs / 6));
        Predictions line = leastSquares(d);

        System.out.println("\n3. Scores in the target's own units (R^2: 1 is perfect, 0 is no better than the mean)");
        System.out.println("                                       train R^2    test MSE   test R^2");
        score("the training rows' mean", mean(d), d.split());
        score("least squares (a flat plane)", line, d.split());
        score("network, learning rate " + rate, tutorial, d.split());
        compare("the network", tutorial, line, d.split());

        double smaller = rate / 10;
        System.out.printf("%n4. A variant, not the tutorial's: learning rate %s (ten times smaller), %d starting draws, averaged%n",
                smaller, DRAWS);
        System.out.println("                                       train R^2    test MSE   test R^2");
        long[] seeds = new long[DRAWS];
        for (int k = 0; k < DRAWS; k++) seeds[k] = k == 0 ? weightSeed : rng.nextLong();
        // five independent networks: trained side by side on the machine's cores, printed in order
        Predictions[] nets = IntStream.range(0, DRAWS).parallel()
                .mapToObj(k -> network(d, sizes, seeds[k], epochs, smaller, 0)).toArray(Predictions[]::new);
        for (int k = 0; k < DRAWS; k++) score("network, draw " + (k + 1) + (k == 0 ? " (step 2's weights)" : ""), nets[k], d.split());
        Predictions average = average(nets);
        score("the average of the " + DRAWS + " networks", average, d.split());
        compare("the average", average, line, d.split());

        System.out.println("\nplot: " + predictedVsActual(d.split().testY(), line, tutorial, average, data.name(), rate).save("06-regression.png"));
    }

    /** The mean of several models' predictions, row by row. */
    static Predictions average(Predictions[] models) {
        double[] train = new double[models[0].train().length], test = new double[models[0].test().length];
        for (Predictions m : models) {
            for (int i = 0; i < train.length; i++) train[i] += m.train()[i] / models.length;
            for (int i = 0; i < test.length; i++) test[i] += m.test()[i] / models.length;
        }
        return new Predictions(train, test);
    }

    static void score(String name, Predictions p, Split s) {
        System.out.printf("   %-35s %10.4f %11.2f %10.4f%n", name, rSquared(p.train(), s.trainY()),
                meanSquaredError(p.test(), s.testY()), rSquared(p.test(), s.testY()));
    }

    /** A network against least squares on both parts of the data, and what the difference means. */
    static void compare(String name, Predictions net, Predictions line, Split s) {
        double train = rSquared(net.train(), s.trainY()) - rSquared(line.train(), s.trainY());
        double test = rSquared(net.test(), s.testY()) - rSquared(line.test(), s.testY());
        System.out.printf("   %s against least squares: R^2 %+.4f on the training rows, %+.4f on the test rows.%n", name, train, test);
        System.out.println("   " + verdict(train, test));
    }

    /** What a network's R^2 lead over least squares, on the training rows and on the test rows, says. */
    static String verdict(double train, double test) {
        if (test >= -0.05) return "On the test rows that is within 0.05 of least squares, or better.";
        if (train > 0) return "Better on the rows it trained on, worse on new ones: it has learned noise. That is overfitting.";
        return "Worse on both: it has not yet learned what a flat plane can (more epochs? another learning rate?).";
    }

    /** 25 rather than 25.0, and 3.2581 as it is. */
    static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }

    static final String R2 = "R\u00b2"; // a real superscript in the PNG; the terminal gets plain R^2

    /** Each test row's prediction against its true value, for three models; on the line y = x a prediction is perfect. */
    static Chart predictedVsActual(double[] actual, Predictions line, Predictions tutorial, Predictions average, String name,
            double rate) {
        double lo = min(actual), hi = max(actual);
        for (Predictions p : new Predictions[] {line, tutorial, average}) {
            lo = Math.min(lo, min(p.test()));
            hi = Math.max(hi, max(p.test()));
        }
        Chart chart = new Chart("Predicted vs actual: " + name + ", " + actual.length + " test rows", "actual", "predicted");
        chart.add("y = x, a perfect prediction", new double[] {lo, hi}, new double[] {lo, hi}, Chart.Style.LINE);
        chart.add(String.format("least squares, %s %.3f", R2, rSquared(line.test(), actual)), actual, line.test(), Chart.Style.DOTS);
        chart.add(String.format("network, rate %s, %s %.3f", rate, R2, rSquared(tutorial.test(), actual)),
                actual, tutorial.test(), Chart.Style.DOTS);
        chart.add(String.format("average of %d networks, rate %s, %s %.3f", DRAWS, rate / 10, R2,
                rSquared(average.test(), actual)), actual, average.test(), Chart.Style.DOTS);
        chart.yRange = new double[] {lo, hi};
        return chart;
    }

    static double min(double[] v) {
        double min = Double.MAX_VALUE;
        for (double x : v) min = Math.min(min, x);
        return min;
    }

    static double max(double[] v) {
        double max = -Double.MAX_VALUE;
        for (double x : v) max = Math.max(max, x);
        return max;
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: the tutorial's scaling, fitted on every row and then again on the training rows. */
    static void exerciseLeak(Dataset data, Random rng) {
        Split s = split(data, rng);
        long weightSeed = rng.nextLong();
        System.out.printf("Exercise 1: the tutorial's scaling, fitted on all %d rows, then again on the %d training rows%n",
                data.y.length, s.trainY.length);
        Standardiser all = Standardiser.fit(data.x, data.features), train = Standardiser.fit(s.trainX, data.features);
        double[][] once = all.apply(s.trainX); // the training rows, scaled with every row's statistics
        double[][] twice = Standardiser.fit(once, data.features).apply(once);
        System.out.printf("   twice-scaled training features against ours: largest difference %.1e%n",
                largestDifference(twice, train.apply(s.trainX)));
        System.out.println("   Standardising twice is one standardisation: the second scaler undoes the first and applies");
        System.out.println("   the training rows' own mean and std. Here the tutorial's second scaler repairs its first.");

        int worst = 0; // the feature whose mean moves most, in training standard deviations
        for (int c = 0; c < data.features.length; c++) {
            if (shift(all, train, c) > shift(all, train, worst)) worst = c;
        }
        System.out.println("   Scaled only once, on all rows, the test rows' statistics leak into the training data.");
        System.out.printf("   The largest shift: '%s' averages %.4f over all rows, %.4f over the training rows (%.3f std).%n",
                data.features[worst], all.mean[worst], train.mean[worst], shift(all, train, worst));
        MinMax allTargets = MinMax.fit(asRows(data.y)), trainTargets = MinMax.fit(asRows(s.trainY));
        System.out.printf("   Targets: min and max %s and %s over all rows, %s and %s over the training rows.%n",
                number(allTargets.min), number(allTargets.max), number(trainTargets.min), number(trainTargets.max));
        int[] sizes = {data.features.length, HIDDEN, 1};
        Scaled leaky = new Scaled(s, all, once, all.apply(s.testX), allTargets);
        double right = rSquared(network(Scaled.of(s, data.features), sizes, weightSeed, EPOCHS, LEARNING_RATE, 0).test, s.testY);
        double leaked = rSquared(network(leaky, sizes, weightSeed, EPOCHS, LEARNING_RATE, 0).test, s.testY);
        System.out.printf("   Network (rate %s), test R^2: scaled with the training rows %.4f, once with all rows %.4f.%n",
                LEARNING_RATE, right, leaked);
    }

    /** How far all rows' mean of column c lies from the training rows' mean, in training standard deviations. */
    static double shift(Standardiser all, Standardiser train, int c) {
        return Math.abs(all.mean[c] - train.mean[c]) / train.std[c];
    }

    static double largestDifference(double[][] a, double[][] b) {
        double largest = 0;
        for (int i = 0; i < a.length; i++) {
            for (int c = 0; c < a[i].length; c++) largest = Math.max(largest, Math.abs(a[i][c] - b[i][c]));
        }
        return largest;
    }

    /** Exercise 2: early stopping, with the stopping epoch chosen on validation rows, never on the test rows. */
    static void exerciseEarlyStopping(Dataset data, Random rng) {
        int needed = minimumRowsToValidate(data.features.length);
        if (data.y.length < needed) {
            throw new UserError(data.name + " has " + data.y.length + " data rows; exercise 2 sets a fifth of the training rows"
                    + " aside to validate, so with " + data.features.length + " features it needs at least " + needed
                    + " (least squares must keep more training rows than unknowns)");
        }
        Split s = split(data, rng);
        long weightSeed = rng.nextLong();
        int validation = testRows(s.trainY.length), fit = s.trainY.length - validation;
        System.out.printf("Exercise 2: early stopping. Of the %d training rows, %d train and %d validate (the test rows wait).%n",
                s.trainY.length, fit, validation);
        Split inner = new Split(Arrays.copyOf(s.trainX, fit), Arrays.copyOf(s.trainY, fit), s.testX, s.testY);
        double[][] validationX = Arrays.copyOfRange(s.trainX, fit, s.trainX.length);
        double[] validationY = Arrays.copyOfRange(s.trainY, fit, s.trainY.length);
        Scaled d = Scaled.of(inner, data.features);
        double[][] scaledValidation = d.scaler.apply(validationX);
        NeuralNetwork net = NeuralNetwork.random(new int[] {data.features.length, HIDDEN, 1}, Activation.SIGMOID, new Random(weightSeed));
        double[][] targets = d.range.scale(asRows(inner.trainY));
        double best = Double.MAX_VALUE;
        int bestEpoch = 0;
        double[] testAtBest = null;
        for (int epoch = 1; epoch <= EPOCHS; epoch++) {
            train(net, d.trainX, targets, 1, LEARNING_RATE, 0);
            double error = meanSquaredError(predict(net, scaledValidation, d.range), validationY);
            if (error < best) { // the test predictions are only kept, never looked at, until the end
                best = error;
                bestEpoch = epoch;
                testAtBest = predict(net, d.testX, d.range);
            }
        }
        double line = rSquared(leastSquares(d).test, s.testY);
        System.out.printf("   validation MSE is lowest after epoch %d of %d: %.2f (R^2 %.4f)%n", bestEpoch, EPOCHS, best,
                1 - best / variance(validationY));
        System.out.printf("   the network as it was then, on the test rows: R^2 %.4f; after all %d epochs: %.4f%n",
                rSquared(testAtBest, s.testY), EPOCHS, rSquared(predict(net, d.testX, d.range), s.testY));
        System.out.printf("   least squares on the same %d rows: test R^2 %.4f%n", fit, line);
    }

    /** Exercise 3 (the tutorial's exercise 7): bigger networks, at the variant's learning rate. */
    static void exerciseBiggerNetworks(Dataset data, Random rng) {
        Scaled d = Scaled.of(split(data, rng), data.features);
        long weightSeed = rng.nextLong();
        int f = data.features.length;
        System.out.printf("Exercise 3: more neurons, learning rate %s, %d epochs, step 2's seed for the weights%n", SMALLER_RATE, EPOCHS);
        System.out.println("   network      parameters   train R^2   test R^2");
        for (int[] sizes : new int[][] {{f, HIDDEN, 1}, {f, 2 * HIDDEN, 1}, {f, HIDDEN, HIDDEN, 1}}) {
            Predictions p = network(d, sizes, weightSeed, EPOCHS, SMALLER_RATE, 0);
            System.out.printf("   %-12s %10d %11.4f %10.4f%n", shape(sizes), parameters(sizes),
                    rSquared(p.train, d.split.trainY), rSquared(p.test, d.split.testY));
        }
        System.out.printf("   least squares                %11.4f %10.4f%n",
                rSquared(leastSquares(d).train, d.split.trainY), rSquared(leastSquares(d).test, d.split.testY));
    }

    static String shape(int[] sizes) {
        StringBuilder s = new StringBuilder();
        for (int size : sizes) s.append(s.length() == 0 ? "" : "-").append(size);
        return s.toString();
    }

    /** Every weight and bias: (inputs + 1) per neuron. */
    static int parameters(int[] sizes) {
        int count = 0;
        for (int l = 1; l < sizes.length; l++) count += (sizes[l - 1] + 1) * sizes[l];
        return count;
    }

    // ---------------------------------------------------------------- the models and their scores

    /** A model's predictions for the training rows and for the test rows, in the target's own units. */
    record Predictions(double[] train, double[] test) {}

    /** Trains a sigmoid network from the given starting weights and predicts every row, mapped back to the target's units. */
    static Predictions network(Scaled d, int[] sizes, long weightSeed, int epochs, double learningRate, int printEvery) {
        NeuralNetwork net = NeuralNetwork.random(sizes, Activation.SIGMOID, new Random(weightSeed));
        train(net, d.trainX, d.range.scale(asRows(d.split.trainY)), epochs, learningRate, printEvery);
        return new Predictions(predict(net, d.trainX, d.range), predict(net, d.testX, d.range));
    }

    static double[] predict(NeuralNetwork net, double[][] x, MinMax range) {
        double[] predicted = new double[x.length];
        for (int i = 0; i < x.length; i++) predicted[i] = range.unscale(net.forward(x[i])[0]);
        return predicted;
    }

    /** Ordinary least squares on the same standardised features: the straight-line baseline. */
    static Predictions leastSquares(Scaled d) {
        double[] beta = leastSquares(d.trainX, d.split.trainY);
        return new Predictions(predictLinear(beta, d.trainX), predictLinear(beta, d.testX));
    }

    /** The simplest baseline of all: predict the training rows' mean for everyone. */
    static Predictions mean(Scaled d) {
        double mean = 0;
        for (double v : d.split.trainY) mean += v / d.split.trainY.length;
        double[] train = new double[d.trainX.length], test = new double[d.testX.length];
        Arrays.fill(train, mean);
        Arrays.fill(test, mean);
        return new Predictions(train, test);
    }

    /** The mean squared distance of the values from their mean. */
    static double variance(double[] v) {
        double mean = 0, sum = 0;
        for (double x : v) mean += x / v.length;
        for (double x : v) sum += (x - mean) * (x - mean);
        return sum / v.length;
    }

    static double meanSquaredError(double[] predicted, double[] actual) {
        double sum = 0;
        for (int i = 0; i < actual.length; i++) sum += (predicted[i] - actual[i]) * (predicted[i] - actual[i]);
        return sum / actual.length;
    }

    /** R^2 = 1 - SS_res / SS_tot: the share of the targets' variance around their mean that the predictions explain. */
    static double rSquared(double[] predicted, double[] actual) {
        double mean = 0;
        for (double v : actual) mean += v / actual.length;
        double residual = 0, total = 0;
        for (int i = 0; i < actual.length; i++) {
            residual += (actual[i] - predicted[i]) * (actual[i] - predicted[i]);
            total += (actual[i] - mean) * (actual[i] - mean);
        }
        if (total == 0) throw new UserError("every test row has the same target, so R^2 is undefined; use more rows");
        return 1 - residual / total;
    }

    /**
     * Ordinary least squares with an intercept: the beta that minimises sum (y - X beta)^2, where
     * X has a column of ones in front. It solves the normal equations (X^T X) beta = X^T y by a
     * Cholesky factorisation, X^T X = L L^T, then two triangular solves.
     */
    static double[] leastSquares(double[][] x, double[] y) {
        int p = x[0].length + 1;
        if (x.length <= p) {
            throw new UserError("least squares has " + x.length + " rows for " + p + " unknowns (" + (p - 1)
                    + " features and the intercept): it needs more rows than unknowns; use more rows");
        }
        double[][] a = new double[p][p];
        double[] b = new double[p];
        for (int i = 0; i < x.length; i++) {
            double[] row = withOne(x[i]);
            for (int j = 0; j < p; j++) {
                b[j] += row[j] * y[i];
                for (int k = 0; k < p; k++) a[j][k] += row[j] * row[k];
            }
        }
        double[][] l = new double[p][p];
        for (int j = 0; j < p; j++) {
            for (int k = 0; k <= j; k++) {
                double sum = a[j][k];
                for (int m = 0; m < k; m++) sum -= l[j][m] * l[k][m];
                if (j != k) {
                    l[j][k] = sum / l[k][k];
                } else if (sum > 1e-10 * a[j][j]) {
                    l[j][j] = Math.sqrt(sum);
                } else {
                    throw new UserError("least squares has no unique solution: some feature columns are combinations"
                            + " of others (a duplicated column, say); remove them");
                }
            }
        }
        double[] z = new double[p], beta = new double[p];
        for (int j = 0; j < p; j++) { // L z = b
            double sum = b[j];
            for (int m = 0; m < j; m++) sum -= l[j][m] * z[m];
            z[j] = sum / l[j][j];
        }
        for (int j = p - 1; j >= 0; j--) { // L^T beta = z
            double sum = z[j];
            for (int m = j + 1; m < p; m++) sum -= l[m][j] * beta[m];
            beta[j] = sum / l[j][j];
        }
        return beta;
    }

    /** (1, x1, ..., xn): the 1 multiplies the intercept. */
    static double[] withOne(double[] x) {
        double[] row = new double[x.length + 1];
        row[0] = 1;
        System.arraycopy(x, 0, row, 1, x.length);
        return row;
    }

    static double[] predictLinear(double[] beta, double[][] x) {
        double[] predicted = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double[] row = withOne(x[i]);
            for (int j = 0; j < beta.length; j++) predicted[i] += beta[j] * row[j];
        }
        return predicted;
    }

    // ---------------------------------------------------------------- reading the data

    /** A numeric table: the feature columns, the target column, and the names of the features. */
    record Dataset(String name, String[] features, double[][] x, double[] y) {
        /** The first n rows, as the tutorial's data[:250]. */
        Dataset head(int n) {
            if (n >= y.length) return this;
            return new Dataset(name + ", first " + n + " rows", features, Arrays.copyOf(x, n), Arrays.copyOf(y, n));
        }
    }

    /** The training rows and the test rows of a dataset. */
    record Split(double[][] trainX, double[] trainY, double[][] testX, double[] testY) {}

    /** A seeded shuffle, then the first 80% of the rows to train on and the rest to test on. */
    static Split split(Dataset data, Random rng) {
        checkRows(data);
        int n = data.y.length, train = n - testRows(n);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) order.add(i);
        Collections.shuffle(order, rng);
        double[][] trainX = new double[train][], testX = new double[n - train][];
        double[] trainY = new double[train], testY = new double[n - train];
        for (int k = 0; k < n; k++) {
            int row = order.get(k);
            if (k < train) {
                trainX[k] = data.x[row];
                trainY[k] = data.y[row];
            } else {
                testX[k - train] = data.x[row];
                testY[k - train] = data.y[row];
            }
        }
        return new Split(trainX, trainY, testX, testY);
    }

    /** 20% of the rows, rounded up (as scikit-learn's train_test_split does). */
    static int testRows(int n) {
        return (int) Math.ceil(0.2 * n);
    }

    /** The diabetes data of datasets/: two gzipped files, ten features and the target, row by row. */
    static Dataset diabetes() {
        Path dir = courseDir().resolve("datasets");
        Table features = Table.read(dir.resolve("diabetes_data_raw.csv.gz"));
        Table target = Table.read(dir.resolve("diabetes_target.csv.gz"));
        if (features.rows.length != target.rows.length) {
            throw new UserError(features.file + " has " + features.rows.length + " rows but " + target.file + " has "
                    + target.rows.length + "; they must match row by row");
        }
        double[] y = new double[target.rows.length];
        for (int i = 0; i < y.length; i++) y[i] = target.rows[i][0];
        return new Dataset("the diabetes data", DIABETES_FEATURES, features.rows, y);
    }

    static final String[] DIABETES_FEATURES = {"age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"};

    /** Any numeric CSV: every column but the last is a feature, the last is the target. */
    static Dataset readCsv(Path file) {
        Table table = Table.read(file);
        int columns = table.rows[0].length;
        if (columns < 2) throw new UserError(file + " has one column; it needs at least one feature and the target (the last column)");
        int n = table.rows.length;
        double[][] x = new double[n][];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Arrays.copyOf(table.rows[i], columns - 1);
            y[i] = table.rows[i][columns - 1];
        }
        String[] names = new String[columns - 1];
        for (int c = 0; c < names.length; c++) names[c] = table.header != null ? table.header[c] : "column " + (c + 1);
        return new Dataset(file.getFileName().toString(), names, x, y);
    }

    /** Enough rows for the split: 2 to test on, and more training rows than least squares has unknowns. */
    static void checkRows(Dataset data) {
        int needed = minimumRows(data.features.length);
        if (data.y.length < needed) {
            throw new UserError(data.name + " has " + data.y.length + " data rows; an 80/20 split with "
                    + data.features.length + " features needs at least " + needed);
        }
    }

    static int minimumRows(int features) {
        int n = 2;
        while (testRows(n) < 2 || n - testRows(n) < features + 2) n++;
        return n;
    }

    /** Enough rows for exercise 2, which splits the training rows again: the rows left to fit still outnumber the unknowns. */
    static int minimumRowsToValidate(int features) {
        int n = minimumRows(features);
        while (n - testRows(n) - testRows(n - testRows(n)) < features + 2) n++;
        return n;
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
