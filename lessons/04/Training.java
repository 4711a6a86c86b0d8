import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * Run: java lessons/04/Training.java [--seed N] [--exercise 1|2|3]
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

    /** The sigmoid and its derivative written from its output y (lesson 03 has the others). */
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

    // ---------------------------------------------------------------- the lesson

    static final double[][] XOR_INPUTS = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    static final double[][] XOR_TARGETS = {{0}, {1}, {1}, {0}};

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
        try {
            Options options = Options.parse(args);
            switch (options.exercise) {
                case 0 -> lesson(options.seed);
                case 1 -> exerciseFourOutputs(new Random(options.seed));
                case 2 -> exerciseLearningRates(options.seed);
                case 3 -> exerciseZeroWeights();
                default -> throw new UserError("there is no exercise " + options.exercise + "; try --exercise 1, 2 or 3");
            }
        } catch (UserError e) {
            System.err.println("Training: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(long seed) {
        System.out.println("Lesson 04: the training loop");
        learnXor(new Random(seed));
        manySeeds(seed);
        learnAnd(new Random(seed));
    }

    /** Step 1: XOR with 2 hidden sigmoid neurons, 10,000 epochs of per-example updates. */
    static void learnXor(Random rng) {
        System.out.println("\n1. XOR with 2 hidden sigmoid neurons (learning rate 0.5, 10,000 epochs)");
        NeuralNetwork net = NeuralNetwork.random(new int[] {2, 2, 1}, Activation.SIGMOID, rng);
        train(net, XOR_INPUTS, XOR_TARGETS, 10_000, 0.5, 1000);
        System.out.println("   x1 x2  XOR   network   hidden neurons");
        for (int i = 0; i < XOR_INPUTS.length; i++) {
            double o = net.forward(XOR_INPUTS[i])[0];
            System.out.printf("    %.0f  %.0f   %.0f    %.4f    %s%n", XOR_INPUTS[i][0], XOR_INPUTS[i][1],
                    XOR_TARGETS[i][0], o, point(outputs(net.layers[0])));
        }
        System.out.println("   Each hidden neuron has learned a simpler function of x1 and x2;");
        System.out.println("   the output neuron combines the two into XOR.");
    }


    /** Learned: every output on the right side of 0.5. */
    static boolean learned(NeuralNetwork net, double[][] inputs, double[][] targets) {
        for (int i = 0; i < inputs.length; i++) {
            if (Math.abs(net.forward(inputs[i])[0] - targets[i][0]) >= 0.5) return false;
        }
        return true;
    }

    /** Step 2: the same training from 20 seeds, with 2 and then 4 hidden neurons. */
    static void manySeeds(long seed) {
        System.out.println("\n2. Twenty seeds: does XOR always work?");
        Chart chart = new Chart("XOR, 2 hidden neurons, 20 seeds", "epoch", "total error (log scale)");
        chart.logY();
        int learnedCount = 0;
        for (long s = seed; s < seed + 20; s++) {
            NeuralNetwork net = NeuralNetwork.random(new int[] {2, 2, 1}, Activation.SIGMOID, new Random(s));
            double[] history = train(net, XOR_INPUTS, XOR_TARGETS, 10_000, 0.5, 0);
            boolean ok = learned(net, XOR_INPUTS, XOR_TARGETS);
            if (ok) learnedCount++;
            System.out.printf("   seed %3d  total error %.4f  %s%n", s, history[history.length - 1], ok ? "learned" : "STUCK");
            if (!ok) System.out.println(diagnose(net));
            chart.add(ok ? "learned XOR" : "stuck", epochs(history.length), history, ok ? BLUE : RED);
        }
        System.out.printf("   2 hidden neurons: %d of 20 seeds learned XOR%n", learnedCount);
        Path png = outDir().resolve("04-xor-seeds.png");
        save(chart, png);
        System.out.println("   plot: " + png);
        System.out.printf("   4 hidden neurons: %d of 20 seeds learned XOR%n", learnedWithHidden(4, seed));
        System.out.println("   With more hidden neurons it is unlikely that every one of them saturates on the same");
        System.out.println("   pair of inputs, so some neuron always keeps the two apart and the gradient can use it.");
    }

    static int learnedWithHidden(int hidden, long seed) {
        int count = 0;
        for (long s = seed; s < seed + 20; s++) {
            NeuralNetwork net = NeuralNetwork.random(new int[] {2, hidden, 1}, Activation.SIGMOID, new Random(s));
            train(net, XOR_INPUTS, XOR_TARGETS, 10_000, 0.5, 0);
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
        for (double y : hidden[a]) slope = Math.max(slope, y * (1 - y));
        for (double y : hidden[b]) slope = Math.max(slope, y * (1 - y));
        return String.format("             inputs %s and %s (targets %.0f and %.0f) both reach the hidden layer as about %s,%n"
                + "             so the output says %.2f and %.2f; the hidden neurons are saturated there (slope at most %.1e)",
                bits(XOR_INPUTS[a]), bits(XOR_INPUTS[b]), XOR_TARGETS[a][0], XOR_TARGETS[b][0], point(hidden[a]),
                net.forward(XOR_INPUTS[a])[0], net.forward(XOR_INPUTS[b])[0], slope);
    }

    static double[] outputs(Neuron[] layer) {
        double[] y = new double[layer.length];
        for (int j = 0; j < layer.length; j++) y[j] = layer[j].output;
        return y;
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

    static double[] epochs(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = i + 1;
        return x;
    }

    static final double[][] AND_TARGETS = {{0}, {0}, {0}, {1}};
    static final double[][] AND_ONE_HOT = {{1, 0}, {1, 0}, {1, 0}, {0, 1}}; // [false, true]

    /** Step 3: the tutorial's exercise 6, AND, first with one output, then one-hot with two. */
    static void learnAnd(Random rng) {
        System.out.println("\n3. AND (the tutorial's exercise 6), with one output and then one-hot");
        NeuralNetwork single = NeuralNetwork.random(new int[] {2, 2, 1}, Activation.SIGMOID, rng);
        train(single, XOR_INPUTS, AND_TARGETS, 10_000, 0.5, 0);
        NeuralNetwork oneHot = NeuralNetwork.random(new int[] {2, 2, 2}, Activation.SIGMOID, rng);
        train(oneHot, XOR_INPUTS, AND_ONE_HOT, 10_000, 0.5, 0);
        System.out.println("   x1 x2  AND   one output   one-hot [false, true]   arg-max");
        for (int i = 0; i < XOR_INPUTS.length; i++) {
            double[] o = oneHot.forward(XOR_INPUTS[i]);
            System.out.printf("    %.0f  %.0f   %.0f     %.4f        [%.4f, %.4f]        %s%n", XOR_INPUTS[i][0], XOR_INPUTS[i][1],
                    AND_TARGETS[i][0], single.forward(XOR_INPUTS[i])[0], o[0], o[1], o[1] > o[0] ? "true" : "false");
        }
        System.out.println("   One-hot gives each class its own output neuron; the answer is the one that fires most.");
        System.out.println("   The tutorial asks for 4 outputs, but AND has 2 classes: see --exercise 1 for that reading.");
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
        for (int i = 0; i < XOR_INPUTS.length; i++) {
            double[] o = net.forward(XOR_INPUTS[i]);
            int row = argMax(o);
            System.out.printf("   %s -> [%.3f, %.3f, %.3f, %.3f]  row %d wins, so AND = %d%n",
                    bits(XOR_INPUTS[i]), o[0], o[1], o[2], o[3], row + 1, row == 3 ? 1 : 0);
        }
        System.out.println("   The network learns to name the row; AND is then 'row 4 won'. It works, but it learns");
        System.out.println("   four classes to answer a two-class question: the 2-output one-hot of step 3 is the right shape.");
    }

    static int argMax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** Exercise 2: the learning rate decides how many seeds learn XOR, and how fast. */
    static void exerciseLearningRates(long seed) {
        System.out.println("Exercise 2: XOR with 2 hidden neurons, 20 seeds, four learning rates");
        System.out.println("   rate   learned   median epochs needed to reach total error < 0.05 (runs that learned)");
        for (double rate : new double[] {0.1, 0.5, 2, 8}) {
            int count = 0;
            List<Integer> epochs = new ArrayList<>();
            for (long s = seed; s < seed + 20; s++) {
                NeuralNetwork net = NeuralNetwork.random(new int[] {2, 2, 1}, Activation.SIGMOID, new Random(s));
                double[] history = train(net, XOR_INPUTS, XOR_TARGETS, 10_000, rate, 0);
                if (!learned(net, XOR_INPUTS, XOR_TARGETS)) continue;
                count++;
                int e = 0;
                while (e < history.length && history[e] >= 0.05) e++;
                if (e < history.length) epochs.add(e + 1);
            }
            System.out.printf("   %4.1f   %2d/20     %s%n", rate, count, epochs.isEmpty() ? "-" : String.format("%.0f", median(epochs)));
        }
        System.out.println("   Bigger steps reach a small error far sooner, yet about a quarter of the seeds get stuck");
        System.out.println("   at every rate: whether a run saturates depends mostly on where it starts.");
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
        System.out.println("   Both hidden neurons start equal, get equal gradients and so stay equal: the layer");
        System.out.println("   behaves like one neuron, and one neuron cannot do XOR. Random starts break the symmetry.");
    }

    static final String USAGE = "usage: java lessons/04/Training.java [--seed N] [--exercise 1|2|3]";

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    record Options(long seed, int exercise) {
        static Options parse(String[] args) {
            long seed = 42;
            int exercise = 0;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = number(args, ++i, "--seed");
                    case "--exercise" -> exercise = (int) number(args, ++i, "--exercise");
                    default -> throw new UserError("unknown flag '" + args[i] + "'; " + USAGE);
                }
            }
            return new Options(seed, exercise);
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

    /** out/ in the course's top folder (found by walking up to the folder holding datasets/). */
    static Path outDir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("datasets"))) return p.resolve("out");
        }
        return here.resolve("out");
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

        /** The legend, one entry per name, in the corner where it hides the fewest data points. */
        void drawLegend(Graphics2D g, Axis xAxis, Axis yAxis) {
            Map<String, Color> entries = new LinkedHashMap<>();
            for (Series s : series) entries.putIfAbsent(s.name, s.color);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            int width = 0;
            for (String name : entries.keySet()) width = Math.max(width, fm.stringWidth(name));
            int rowHeight = 20, boxWidth = width + 46, boxHeight = rowHeight * entries.size() + 8;
            int x = 0, y = 0, fewest = Integer.MAX_VALUE;
            for (int cx : new int[] {LEFT + 12, WIDTH - RIGHT - 12 - boxWidth}) {
                for (int cy : new int[] {TOP + 12, HEIGHT - BOTTOM - 12 - boxHeight}) {
                    int covered = hidden(cx, cy, boxWidth, boxHeight, xAxis, yAxis);
                    if (covered < fewest) { fewest = covered; x = cx; y = cy; }
                }
            }
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
     * Maps data values to pixels, and picks round tick values: 1, 2 or 5 times a power of ten,
     * or on a log axis the powers of ten themselves.
     */
    record Axis(double min, double max, int fromPixel, int toPixel, boolean log) {
        Axis {
            if (max - min < 1e-12) { min -= 1; max += 1; }
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
            if (log) {
                for (int k = (int) Math.ceil(Math.log10(min)); k <= Math.floor(Math.log10(max)); k++) ticks.add(Math.pow(10, k));
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
