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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Lesson 07: classification.
 *
 * To sort flowers into three species, give the network one output neuron per species and
 * teach it to light up the right one: the target for a versicolor is [0, 1, 0] ("one-hot").
 * The predicted species is the output that lights up most (arg-max).
 *
 * Follows: the UPM hands-on, section 4c "Neural networks for classification tasks"; see README.md
 * for the authors.
 * New here: oneHot, argMax, thresholdedMatches (the tutorial's test), confusionMatrix and Accuracy.
 * Carried: Neuron, Activation and NeuralNetwork from lesson 03; error, errorGradient,
 * checkSameLength, train and totalError from lesson 04; Standardiser and Table (the checked CSV
 * reader, which readDataset reads through) from lesson 06, unchanged.
 * Changed: Dataset and Split are not lesson 06's: a row here has a class index where lesson 06's
 * had a number to predict, and a Split holds two Datasets, so that each part keeps its labels and
 * class names.
 *
 * Run: java lessons/07/Classification.java [--seed N] [--data FILE.csv] [--rate X] [--epochs N] [--exercise 1|2|3]
 */
public class Classification {

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

    /** The tutorial's test: right only if every output, cut at 0.5, equals the one-hot target. */
    static boolean thresholdedMatches(double[] output, int label) {
        for (int i = 0; i < output.length; i++) if ((output[i] > 0.5) != (i == label)) return false;
        return true;
    }

    /** counts[true class][predicted class], prediction by arg-max. */
    static int[][] confusionMatrix(NeuralNetwork network, double[][] inputs, int[] labels, int classes) {
        int[][] counts = new int[classes][classes];
        for (int s = 0; s < inputs.length; s++) counts[labels[s]][argMax(network.forward(inputs[s]))]++;
        return counts;
    }

    /** Accuracy both ways: by arg-max, and the tutorial's all-outputs-thresholded. */
    record Accuracy(double byArgMax, double thresholded) {
        static Accuracy of(NeuralNetwork network, double[][] inputs, int[] labels) {
            int rightByArgMax = 0, rightThresholded = 0;
            for (int s = 0; s < inputs.length; s++) {
                double[] output = network.forward(inputs[s]);
                if (argMax(output) == labels[s]) rightByArgMax++;
                if (thresholdedMatches(output, labels[s])) rightThresholded++;
            }
            return new Accuracy((double) rightByArgMax / inputs.length, (double) rightThresholded / inputs.length);
        }
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/07/Classification.java [--seed N] [--data FILE.csv] [--rate X] [--epochs N] [--exercise 1|2|3]
              --seed N          seed of the split and the starting weights (default 42)
              --data FILE.csv   rows in the format of datasets/iris.csv (default: that file)
              --rate X          the learning rate of the lesson's network (default 0.1)
              --epochs N        epochs of the lesson's network (default 1000)
              --exercise N      run exercise N of the README instead of the lesson""";

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            int exercise = (int) flags.number("--exercise", 0, 0, 3);
            double rate = flags.decimal("--rate", Experiment.LEARNING_RATE, 1e-6, 100);
            int epochs = (int) flags.number("--epochs", Experiment.EPOCHS, 1, 100_000);
            String file = flags.given.get("--data");
            Dataset data = readDataset(file != null ? Path.of(file) : courseDir().resolve("datasets").resolve("iris.csv"));
            switch (exercise) {
                case 1 -> exerciseUnsure(data, new Random(seed));
                case 2 -> exerciseRawFeatures(data, new Random(seed));
                case 3 -> exerciseTenSplits(data, seed);
                default -> lesson(data, new Random(seed), epochs, rate);
            }
        } catch (UserError e) {
            System.err.println("Classification: " + e.getMessage());
            System.exit(2);
        }
    }

    /**
     * The lesson's recipe, up to training: split, standardise with the training rows'
     * statistics, and a features-4-classes sigmoid network with random weights, all from rng.
     */
    record Experiment(Split split, Standardiser scaler, double[][] trainX, double[][] testX, NeuralNetwork network) {
        static final int HIDDEN = 4, EPOCHS = 1000;
        static final double LEARNING_RATE = 0.1;

        static Experiment prepare(Dataset data, Random rng) {
            Split split = Classification.split(data, rng);
            Standardiser scaler = Standardiser.fit(split.train().features(), featureNames(data));
            double[][] trainX = scaler.apply(split.train().features()), testX = scaler.apply(split.test().features());
            int[] sizes = {trainX[0].length, HIDDEN, data.classes()};
            return new Experiment(split, scaler, trainX, testX, NeuralNetwork.random(sizes, Activation.SIGMOID, rng));
        }

        /** Trains the network for the given epochs and returns the total error, as train does. */
        double[] train(int epochs, double learningRate, int printEvery) {
            return Classification.train(network, trainX, split.train().oneHotTargets(), epochs, learningRate, printEvery);
        }

        Accuracy trainAccuracy() {
            return Accuracy.of(network, trainX, split.train().labels());
        }

        Accuracy testAccuracy() {
            return Accuracy.of(network, testX, split.test().labels());
        }
    }

    static void lesson(Dataset data, Random rng, int epochs, double rate) {
        System.out.println("Lesson 07: classification, one output neuron per class");

        System.out.println("\n1. The data: " + data.size() + " rows of " + data.features()[0].length
                + " features from " + Path.of(data.source()).getFileName());
        int[] perClass = new int[data.classes()];
        for (int label : data.labels()) perClass[label]++;
        for (int c = 0; c < data.classes(); c++) {
            System.out.printf("   class %d %-12s %3d rows, one-hot target %s%n", c, data.classNames()[c], perClass[c],
                    format(oneHot(c, data.classes()), "%.0f"));
        }

        System.out.println("\n2. Split 80/20 with the seeded generator, then standardise with the training rows' statistics");
        Experiment run = Experiment.prepare(data, rng);
        System.out.println("   " + run.split().train().size() + " rows to train on, "
                + run.split().test().size() + " to test on, never seen in training");
        for (int j = 0; j < run.scaler().mean().length; j++) {
            System.out.printf("   %-14s mean %7.3f  std %6.3f%n", featureName(data, j), run.scaler().mean()[j], run.scaler().std()[j]);
        }

        System.out.printf("%n3. Train a %d-%d-%d sigmoid network: %,d epochs, learning rate %s, one example at a time%n",
                data.features()[0].length, Experiment.HIDDEN, data.classes(), epochs, rate);
        double[] history = run.train(epochs, rate, Math.max(1, epochs / 10));
        System.out.printf("   after %,d epochs: total error %.4f%n", epochs, history[epochs]);

        System.out.println("\n4. Accuracy, two ways");
        Accuracy train = run.trainAccuracy(), test = run.testAccuracy();
        System.out.println("                       by arg-max   every output right (tutorial)");
        System.out.printf("   training rows        %6.2f%%      %6.2f%%%n", 100 * train.byArgMax(), 100 * train.thresholded());
        System.out.printf("   test rows            %6.2f%%      %6.2f%%%n", 100 * test.byArgMax(), 100 * test.thresholded());

        System.out.println("\n5. Confusion matrix of the test rows (rows: true class, columns: predicted by arg-max)");
        printConfusion(confusionMatrix(run.network(), run.testX(), run.split().test().labels(), data.classes()), data.classNames());
        printDoubtful(run);

        System.out.println("\nplot: " + lossChart(history).save("07-loss.png"));
        System.out.println("plot: " + flowerChart(data, run).save("07-flowers.png"));
    }

    static void printConfusion(int[][] counts, String[] names) {
        int width = 10;
        for (String name : names) width = Math.max(width, name.length() + 2);
        System.out.printf("   %-" + width + "s", "");
        for (String name : names) System.out.printf("%" + width + "s", name);
        System.out.println();
        for (int t = 0; t < counts.length; t++) {
            System.out.printf("   %-" + width + "s", names[t]);
            for (int p = 0; p < counts.length; p++) System.out.printf("%" + width + "d", counts[t][p]);
            System.out.println();
        }
    }

    /** The test rows that arg-max gets wrong, or that the tutorial's thresholded test rejects. */
    static void printDoubtful(Experiment run) {
        Dataset test = run.split().test();
        String[] names = test.classNames();
        System.out.println("\n   Test rows that either measure counts as wrong:");
        int shown = 0;
        for (int s = 0; s < test.size(); s++) {
            double[] output = run.network().forward(run.testX()[s]);
            int label = test.labels()[s], predicted = argMax(output);
            if (predicted == label && thresholdedMatches(output, label)) continue;
            System.out.printf("   %s  outputs %s  true %-10s arg-max %-10s %s%n", format(test.features()[s], "%.1f"),
                    format(output, "%.3f"), names[label], names[predicted],
                    predicted != label ? "wrong" : "right by arg-max, but not every output is on the right side of 0.5");
            shown++;
        }
        if (shown == 0) System.out.println("   none");
    }

    static String[] featureNames(Dataset data) {
        String[] names = new String[data.features()[0].length];
        for (int j = 0; j < names.length; j++) names[j] = featureName(data, j);
        return names;
    }

    static String featureName(Dataset data, int j) {
        boolean iris = data.features()[0].length == IRIS_FEATURES.length && data.classNames()[0].equals("setosa");
        return iris ? IRIS_FEATURES[j] : "feature " + (j + 1);
    }

    static String format(double[] values, String format) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) s.append(i > 0 ? ", " : "").append(String.format(format, values[i]));
        return s.append(']').toString();
    }

    static Chart lossChart(double[] history) {
        double[] epochs = new double[history.length];
        for (int e = 0; e < epochs.length; e++) epochs[e] = e; // history[0] is before training
        Chart chart = new Chart("Training: total error per epoch", "epoch", "total error: sum of (t - o)^2 over the training rows");
        chart.add("training rows", epochs, history, Chart.Style.LINE);
        chart.yRange = new double[] {0, history[0] * 1.05};
        return chart;
    }

    /** Every flower by its last two features, coloured by true class; the ones arg-max gets wrong are ringed. */
    static Chart flowerChart(Dataset data, Experiment run) {
        int a = data.features()[0].length - 2, b = a + 1;
        Chart chart = new Chart("What the network gets wrong", featureName(data, a) + (a == 2 ? " (cm)" : ""),
                featureName(data, b) + (b == 3 ? " (cm)" : ""));
        for (int c = 0; c < data.classes(); c++) {
            List<double[]> members = new ArrayList<>();
            for (int s = 0; s < data.size(); s++) if (data.labels()[s] == c) members.add(data.features()[s]);
            chart.add(data.classNames()[c], column(members, a), column(members, b), Chart.Style.DOTS);
        }
        chart.add("wrong, training row", wrong(run.split().train(), run.trainX(), run.network(), a),
                wrong(run.split().train(), run.trainX(), run.network(), b), Chart.Style.RINGS);
        chart.add("wrong, test row", wrong(run.split().test(), run.testX(), run.network(), a),
                wrong(run.split().test(), run.testX(), run.network(), b), Chart.Style.RINGS);
        return chart;
    }

    static double[] column(List<double[]> rows, int j) {
        double[] values = new double[rows.size()];
        for (int i = 0; i < values.length; i++) values[i] = rows.get(i)[j];
        return values;
    }

    /** Feature j (in the file's units) of the rows the network classifies wrongly by arg-max. */
    static double[] wrong(Dataset rows, double[][] standardised, NeuralNetwork network, int j) {
        List<double[]> wrong = new ArrayList<>();
        for (int s = 0; s < rows.size(); s++) {
            if (argMax(network.forward(standardised[s])) != rows.labels()[s]) wrong.add(rows.features()[s]);
        }
        return column(wrong, j);
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: how far apart are the two accuracies over training, and why. */
    static void exerciseUnsure(Dataset data, Random rng) {
        System.out.println("Exercise 1: the two accuracies on the test rows, while the network trains");
        Experiment run = Experiment.prepare(data, rng);
        System.out.println("   epoch   by arg-max   every output right   no output above 0.5   two or more above 0.5");
        int done = 0;
        for (int epochs : new int[] {0, 10, 30, 100, 300, 1000}) {
            run.train(epochs - done, Experiment.LEARNING_RATE, 0);
            done = epochs;
            int none = 0, several = 0;
            for (double[] x : run.testX()) {
                int on = 0;
                for (double o : run.network().forward(x)) if (o > 0.5) on++;
                if (on == 0) none++;
                if (on > 1) several++;
            }
            Accuracy test = run.testAccuracy();
            System.out.printf("   %5d      %6.2f%%          %6.2f%%              %2d                    %2d%n",
                    epochs, 100 * test.byArgMax(), 100 * test.thresholded(), none, several);
        }
        System.out.println("   Arg-max always names a class; the tutorial's test also demands that exactly the right");
        System.out.println("   output be above 0.5. Untrained, outputs near the middle put several classes above 0.5;");
        System.out.println("   then the network turns outputs down before it turns the right one up, and rows with");
        System.out.println("   no output above 0.5 count as wrong even when arg-max is already right.");
    }

    /** Exercise 2: the same network, from the same starting weights, on the raw features. */
    static void exerciseRawFeatures(Dataset data, Random rng) {
        System.out.println("Exercise 2: train on raw features (cm) instead of standardised ones");
        Experiment standardised = Experiment.prepare(data, rng);
        Split split = standardised.split();
        Experiment raw = new Experiment(split, null, split.train().features(), split.test().features(),
                copy(standardised.network()));
        System.out.println("                  total error after epoch        test accuracy");
        System.out.println("                  10        100       1000       by arg-max");
        for (Experiment run : new Experiment[] {standardised, raw}) {
            double[] history = run.train(Experiment.EPOCHS, Experiment.LEARNING_RATE, 0);
            System.out.printf("   %-13s %7.3f   %7.3f   %7.3f      %6.2f%%%n", run == raw ? "raw" : "standardised",
                    history[10], history[100], history[1000], 100 * run.testAccuracy().byArgMax());
        }
        System.out.println("   Raw sepal lengths are around 6: with weights up to 1 in size, a hidden neuron's sum starts far");
        System.out.println("   from 0, where the sigmoid is flat and learns slowly, and the features with the largest");
        System.out.println("   numbers dominate until the weights shrink to fit them. Standardised features all start");
        System.out.println("   near 0 with a spread of 1, where the sigmoid is steepest.");
    }

    static NeuralNetwork copy(NeuralNetwork network) {
        Neuron[][] layers = new Neuron[network.layers.length][];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new Neuron[network.layers[l].length];
            for (int j = 0; j < layers[l].length; j++) {
                Neuron n = network.layers[l][j];
                layers[l][j] = new Neuron(n.weights.clone(), n.bias, n.activation);
            }
        }
        return new NeuralNetwork(layers);
    }

    /** Exercise 3: the same recipe on ten different splits. */
    static void exerciseTenSplits(Dataset data, long seed) {
        System.out.println("Exercise 3: the lesson's recipe with seeds " + seed + " to " + (seed + 9));
        double sum = 0, sumSquares = 0, worst = 1, best = 0;
        for (int k = 0; k < 10; k++) {
            long s = seed + k; // past Long.MAX_VALUE it wraps round, which is still a seed
            Experiment run = Experiment.prepare(data, new Random(s));
            run.train(Experiment.EPOCHS, Experiment.LEARNING_RATE, 0);
            double accuracy = run.testAccuracy().byArgMax();
            System.out.printf("   seed %3d  test accuracy by arg-max %6.2f%%  (%d of %d wrong)%n", s, 100 * accuracy,
                    Math.round((1 - accuracy) * run.split().test().size()), run.split().test().size());
            sum += accuracy;
            sumSquares += accuracy * accuracy;
            worst = Math.min(worst, accuracy);
            best = Math.max(best, accuracy);
        }
        double mean = sum / 10, spread = Math.sqrt(Math.max(0, (sumSquares - 10 * mean * mean) / 9));
        System.out.printf("   mean %.2f%%, standard deviation %.2f points, from %.2f%% to %.2f%%%n",
                100 * mean, 100 * spread, 100 * worst, 100 * best);
        int testRows = (int) Math.ceil(data.size() * 0.2);
        System.out.printf("   With %d test rows, one row is %.2f points. A single split's accuracy is a noisy%n",
                testRows, 100.0 / testRows);
        System.out.println("   measurement: compare recipes over several seeds, not on one lucky split.");
    }

    // ---------------------------------------------------------------- reading the data

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

    static final String[] IRIS_FEATURES = {"sepal length", "sepal width", "petal length", "petal width"};

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

    /** Training and test rows, kept apart so that the test rows judge data the network never saw. */
    record Split(Dataset train, Dataset test) {}

    /**
     * Shuffles the row numbers with rng and puts the first 20% (rounded up) aside for testing,
     * as scikit-learn's train_test_split(test_size=0.2) does.
     */
    static Split split(Dataset data, Random rng) {
        int n = data.size(), testSize = (int) Math.ceil(n * 0.2);
        if (n - testSize < 2) {
            throw new UserError(data.source() + " has " + n + " rows; an 80/20 split needs at least 3"
                    + " (2 to train on, so that features have a spread, and 1 to test)");
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        shuffle(order, rng);
        int[] test = new int[testSize], train = new int[n - testSize];
        System.arraycopy(order, 0, test, 0, testSize);
        System.arraycopy(order, testSize, train, 0, n - testSize);
        return new Split(data.rows(train), data.rows(test));
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
