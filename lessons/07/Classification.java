import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Lesson 07: classification.
 *
 * To sort flowers into three species, give the network one output neuron per species and
 * teach it to light up the right one: the target for a versicolor is [0, 1, 0] ("one-hot").
 * The predicted species is the output that lights up most.
 *
 * Run: java lessons/07/Classification.java [--seed N] [--data FILE.csv] [--exercise 1|2|3] [--readme-figures]
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

    /** The one activation this lesson uses, with its derivative written in terms of its output y = f(z). */
    enum Activation {
        SIGMOID {
            double apply(double z) { return 1 / (1 + Math.exp(-z)); }
            double derivative(double y) { return y * (1 - y); }
        };

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

    // ---------------------------------------------------------------- classification

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

    // ---------------------------------------------------------------- data

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
     * and then one line per row, the features followed by the class index (0, 1, ...).
     * Anything else is a UserError naming the file, the line and the column.
     */
    static Dataset readDataset(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UserError("cannot read " + file + (Files.exists(file) ? ": " + e.getMessage() : ": no such file")
                    + "; pass --data FILE.csv in the format of datasets/iris.csv");
        }
        if (lines.isEmpty() || lines.get(0).isBlank()) throw new UserError(file + " is empty; " + HEADER_HELP);
        String[] header = lines.get(0).split(",", -1);
        if (header.length < 4) throw new UserError(file + " line 1: " + HEADER_HELP);
        int rows = count(header[0], file), columns = count(header[1], file);
        String[] classNames = new String[header.length - 2];
        for (int c = 0; c < classNames.length; c++) classNames[c] = header[c + 2].strip();

        List<double[]> features = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int line = 2; line <= lines.size(); line++) {
            String text = lines.get(line - 1);
            if (text.isBlank()) continue;
            String[] cells = text.split(",", -1);
            if (cells.length != columns + 1) {
                throw new UserError(file + " line " + line + " has " + cells.length + " fields, expected "
                        + (columns + 1) + " (" + columns + " features and the class index, as the header says)");
            }
            double[] x = new double[columns];
            for (int c = 0; c < columns; c++) x[c] = number(cells[c], file, line, c + 1);
            double label = number(cells[columns], file, line, columns + 1);
            if (label != Math.rint(label) || label < 0 || label >= classNames.length) {
                throw new UserError(file + " line " + line + ", column " + (columns + 1) + ": class index '"
                        + cells[columns].strip() + "' should be a whole number from 0 to " + (classNames.length - 1)
                        + " (" + String.join(", ", classNames) + ")");
            }
            features.add(x);
            labels.add((int) label);
        }
        if (features.size() != rows) {
            throw new UserError(file + ": the header says " + rows + " rows but the file has " + features.size()
                    + "; fix the first number of line 1");
        }
        return new Dataset(file.toString(), features.toArray(new double[0][]),
                labels.stream().mapToInt(Integer::intValue).toArray(), classNames);
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
        throw new UserError(file + " line 1: '" + cell.strip() + "' should be a whole number of at least 2; " + HEADER_HELP);
    }

    static double number(String cell, Path file, int line, int column) {
        try {
            double v = Double.parseDouble(cell.strip());
            if (Double.isFinite(v)) return v;
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new UserError(file + " line " + line + ", column " + column + ": '" + cell.strip() + "' is not a number");
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

    /** x' = (x - mean) / std per feature, with the mean and std of the TRAINING rows only. */
    record Standardiser(double[] mean, double[] std) {
        static Standardiser fit(Dataset train) {
            int n = train.size(), k = train.features()[0].length;
            double[] mean = new double[k], std = new double[k];
            for (double[] x : train.features()) for (int j = 0; j < k; j++) mean[j] += x[j] / n;
            for (double[] x : train.features()) for (int j = 0; j < k; j++) std[j] += (x[j] - mean[j]) * (x[j] - mean[j]) / n;
            for (int j = 0; j < k; j++) {
                std[j] = Math.sqrt(std[j]);
                if (std[j] < 1e-12) { // dividing by 0 would turn every value of this feature into NaN
                    throw new UserError(train.source() + ": column " + (j + 1) + " has the same value, "
                            + train.features()[0][j] + ", in every training row, so it cannot be standardised"
                            + " (standard deviation 0); remove the column or use data where it varies");
                }
            }
            return new Standardiser(mean, std);
        }

        double[][] apply(double[][] rows) {
            double[][] out = new double[rows.length][];
            for (int s = 0; s < rows.length; s++) {
                out[s] = new double[rows[s].length];
                for (int j = 0; j < rows[s].length; j++) out[s][j] = (rows[s][j] - mean[j]) / std[j];
            }
            return out;
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
            Standardiser scaler = Standardiser.fit(split.train());
            double[][] trainX = scaler.apply(split.train().features()), testX = scaler.apply(split.test().features());
            int[] sizes = {trainX[0].length, HIDDEN, data.classes()};
            return new Experiment(split, scaler, trainX, testX, NeuralNetwork.random(sizes, Activation.SIGMOID, rng));
        }

        /** Trains the network for the given epochs and returns the total error, as train does. */
        double[] train(int epochs, int printEvery) {
            return Classification.train(network, trainX, split.train().oneHotTargets(), epochs, LEARNING_RATE, printEvery);
        }

        Accuracy trainAccuracy() {
            return Accuracy.of(network, trainX, split.train().labels());
        }

        Accuracy testAccuracy() {
            return Accuracy.of(network, testX, split.test().labels());
        }
    }

    // ---------------------------------------------------------------- the lesson

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
        try {
            Options options = Options.parse(args);
            Dataset data = readDataset(options.data);
            switch (options.exercise) {
                case 0 -> lesson(data, new Random(options.seed), options.readmeFigures);
                case 1 -> exerciseUnsure(data, new Random(options.seed));
                case 2 -> exerciseRawFeatures(data, new Random(options.seed));
                case 3 -> exerciseTenSplits(data, options.seed);
                default -> throw new UserError("there is no exercise " + options.exercise + "; try --exercise 1, 2 or 3");
            }
        } catch (UserError e) {
            System.err.println("Classification: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(Dataset data, Random rng, boolean readmeFigures) {
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

        System.out.printf("%n3. Train a %d-%d-%d sigmoid network: %,d epochs, learning rate %.1f, one example at a time%n",
                data.features()[0].length, Experiment.HIDDEN, data.classes(), Experiment.EPOCHS, Experiment.LEARNING_RATE);
        double[] history = run.train(Experiment.EPOCHS, 100);
        System.out.printf("   after %,d epochs: total error %.4f%n", Experiment.EPOCHS, history[Experiment.EPOCHS - 1]);

        System.out.println("\n4. Accuracy, two ways");
        Accuracy train = run.trainAccuracy(), test = run.testAccuracy();
        System.out.println("                       by arg-max   every output right (tutorial)");
        System.out.printf("   training rows        %6.2f%%      %6.2f%%%n", 100 * train.byArgMax(), 100 * train.thresholded());
        System.out.printf("   test rows            %6.2f%%      %6.2f%%%n", 100 * test.byArgMax(), 100 * test.thresholded());

        System.out.println("\n5. Confusion matrix of the test rows (rows: true class, columns: predicted by arg-max)");
        printConfusion(confusionMatrix(run.network(), run.testX(), run.split().test().labels(), data.classes()), data.classNames());
        printDoubtful(run);

        Path lossPng = outDir().resolve("07-loss.png"), flowersPng = outDir().resolve("07-flowers.png");
        Chart flowers = flowerChart(data, run);
        save(lossChart(history).draw(), lossPng);
        save(flowers.draw(), flowersPng);
        System.out.println("\n   plot: " + lossPng);
        System.out.println("   plot: " + flowersPng);
        if (readmeFigures) save(flowers.draw(), lessonDir().resolve("flowers.png"));
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
        for (int e = 0; e < epochs.length; e++) epochs[e] = e + 1;
        Chart chart = new Chart("Training: total error per epoch", "epoch", "total error: sum of (t - o)^2 over the training rows");
        chart.add("training rows", epochs, history, Style.LINE);
        chart.yRange(0, history[0] * 1.05);
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
            chart.add(data.classNames()[c], column(members, a), column(members, b), Style.DOTS);
        }
        chart.add("wrong, training row", wrong(run.split().train(), run.trainX(), run.network(), a),
                wrong(run.split().train(), run.trainX(), run.network(), b), Style.RINGS);
        chart.add("wrong, test row", wrong(run.split().test(), run.testX(), run.network(), a),
                wrong(run.split().test(), run.testX(), run.network(), b), Style.RINGS);
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
            run.train(epochs - done, 0);
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
            double[] history = run.train(Experiment.EPOCHS, 0);
            System.out.printf("   %-13s %7.3f   %7.3f   %7.3f      %6.2f%%%n", run == raw ? "raw" : "standardised",
                    history[9], history[99], history[999], 100 * run.testAccuracy().byArgMax());
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
        for (long s = seed; s < seed + 10; s++) {
            Experiment run = Experiment.prepare(data, new Random(s));
            run.train(Experiment.EPOCHS, 0);
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

    // ---------------------------------------------------------------- flags and errors

    static final String USAGE =
            "usage: java lessons/07/Classification.java [--seed N] [--data FILE.csv] [--exercise 1|2|3] [--readme-figures]";

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    record Options(long seed, Path data, int exercise, boolean readmeFigures) {
        static Options parse(String[] args) {
            long seed = 42;
            Path data = courseRoot().resolve("datasets").resolve("iris.csv");
            int exercise = 0;
            boolean readmeFigures = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = number(args, ++i, "--seed");
                    case "--data" -> data = Path.of(value(args, ++i, "--data", "a file name"));
                    case "--exercise" -> exercise = (int) number(args, ++i, "--exercise");
                    case "--readme-figures" -> readmeFigures = true;
                    default -> throw new UserError("unknown flag '" + args[i] + "'; " + USAGE);
                }
            }
            return new Options(seed, data, exercise, readmeFigures);
        }

        static String value(String[] args, int i, String flag, String what) {
            if (i >= args.length) throw new UserError(flag + " needs " + what + "; " + USAGE);
            return args[i];
        }

        static long number(String[] args, int i, String flag) {
            String text = value(args, i, flag, "a number");
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new UserError(flag + " needs a whole number, not '" + text + "'; " + USAGE);
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
        return courseRoot().resolve("lessons").resolve("07");
    }

    /** Writes into a temporary file first, so a failure never leaves half a PNG behind. */
    static void save(BufferedImage image, Path png) {
        try {
            Path dir = png.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + png.getFileName(), ".tmp");
            try {
                ImageIO.write(image, "png", tmp.toFile());
                Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UserError("could not write " + png + ": " + e.getMessage());
        }
    }

    /** How a series is drawn: joined by a line, or as separate points (filled dots or open rings). */
    enum Style { LINE, DOTS, RINGS }

    /** A chart drawn with java.awt: axes, ticks, labels and a legend. */
    static class Chart {
        static final Color[] PALETTE = {
            new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75)};
        static final int WIDTH = 800, HEIGHT = 500, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 55;

        static {
            System.setProperty("java.awt.headless", "true"); // draw without a screen
        }

        record Series(String name, double[] x, double[] y, Style style) {}

        final String title, xLabel, yLabel;
        final List<Series> series = new ArrayList<>();
        Double yMin, yMax;

        Chart(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        void add(String name, double[] x, double[] y, Style style) {
            series.add(new Series(name, x, y, style));
        }

        /** Fixes the y axis instead of fitting it to the data; points outside are clipped. */
        void yRange(double min, double max) {
            yMin = min;
            yMax = max;
        }

        BufferedImage draw() {
            double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
            boolean points = false;
            for (Series s : series) {
                for (double v : s.x) { x0 = Math.min(x0, v); x1 = Math.max(x1, v); }
                for (double v : s.y) { y0 = Math.min(y0, v); y1 = Math.max(y1, v); }
                points |= s.style != Style.LINE;
            }
            if (points) { // a margin, so that no dot sits on the frame
                double dx = (x1 - x0) * 0.04, dy = (y1 - y0) * 0.04;
                x0 -= dx; x1 += dx; y0 -= dy; y1 += dy;
            }
            if (yMin != null) { y0 = yMin; y1 = yMax; }
            Axis xAxis = new Axis(x0, x1, LEFT, WIDTH - RIGHT);
            Axis yAxis = new Axis(y0, y1, HEIGHT - BOTTOM, TOP);

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
                g.setColor(PALETTE[s % PALETTE.length]);
                if (line.style == Style.LINE) {
                    Path2D.Double path = new Path2D.Double();
                    path.moveTo(xAxis.position(line.x[0]), yAxis.position(line.y[0]));
                    for (int i = 1; i < line.x.length; i++) {
                        path.lineTo(xAxis.position(line.x[i]), yAxis.position(line.y[i]));
                    }
                    g.setStroke(new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                    g.draw(path);
                } else {
                    for (int i = 0; i < line.x.length; i++) {
                        marker(g, line.style, xAxis.position(line.x[i]), yAxis.position(line.y[i]));
                    }
                }
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

        /** A filled dot, or an open ring large enough to circle a dot. */
        static void marker(Graphics2D g, Style style, double x, double y) {
            if (style == Style.DOTS) {
                g.fill(new Ellipse2D.Double(x - 4, y - 4, 8, 8));
            } else {
                g.setStroke(new BasicStroke(2f));
                g.draw(new Ellipse2D.Double(x - 8, y - 8, 16, 16));
            }
        }

        /** The legend, in the top corner where it hides fewer data points. */
        void drawLegend(Graphics2D g, Axis xAxis, Axis yAxis) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            int width = 0;
            for (Series s : series) width = Math.max(width, fm.stringWidth(s.name));
            int rowHeight = 20, boxWidth = width + 46, boxHeight = rowHeight * series.size() + 8, y = TOP + 12;
            int left = LEFT + 12, right = WIDTH - RIGHT - 12 - boxWidth;
            int x = hidden(left, y, boxWidth, boxHeight, xAxis, yAxis) <= hidden(right, y, boxWidth, boxHeight, xAxis, yAxis)
                    ? left : right;
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.WHITE);
            g.fillRect(x, y, boxWidth, boxHeight);
            g.setColor(Color.GRAY);
            g.drawRect(x, y, boxWidth, boxHeight);
            for (int s = 0; s < series.size(); s++) {
                int rowY = y + 14 + s * rowHeight;
                Style style = series.get(s).style;
                g.setColor(PALETTE[s % PALETTE.length]);
                if (style == Style.LINE) {
                    g.setStroke(new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                    g.drawLine(x + 8, rowY, x + 30, rowY);
                } else {
                    marker(g, style, x + 19, rowY);
                }
                g.setColor(Color.BLACK);
                g.drawString(series.get(s).name, x + 38, rowY + fm.getAscent() / 2 - 1);
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
