import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Lesson 02: a network of neurons.
 *
 * A layer is a row of neurons that all read the same inputs. A network is a list of layers in
 * which each layer's outputs are the next layer's inputs. Pushing an input through every layer,
 * first to last, is the forward pass (feed-forward); its result is the network's prediction,
 * and the mean squared error says how far that prediction is from the answer we wanted.
 *
 * Follows: the UPM hands-on, section 3b "Create a neural network", and the 2-2-1 feed-forward
 * example and MSE of Ex10si0n's chapter 3 (after Victor Zhou); see README.md for the authors and link.
 * New here: NeuralNetwork (layers, random, forward) and mse.
 * Carried: Neuron and Activation from lesson 01, unchanged; Neuron is nested here, since this
 * file's top class is the lesson.
 * Changed: nothing.
 *
 * Run: java lessons/02/Network.java [--seed N] [--exercise 1|2|3]
 */
public class Network {

    /** One neuron: lesson 01's, nested in this lesson's class. y = f(w.x + b). */
    static class Neuron {
        final double[] weights;
        double bias;
        final Activation activation;

        Neuron(double[] weights, double bias, Activation activation) {
            this.weights = weights;
            this.bias = bias;
            this.activation = activation;
        }

        /** A neuron with weights and bias drawn uniformly from [-1, 1), as the tutorial does. */
        static Neuron random(int inputs, Activation activation, Random rng) {
            double[] weights = new double[inputs];
            for (int i = 0; i < inputs; i++) weights[i] = uniform(rng);
            return new Neuron(weights, uniform(rng), activation);
        }

        static double uniform(Random rng) {
            return 2 * rng.nextDouble() - 1;
        }

        /** y = f(w.x + b) */
        double forward(double[] inputs) {
            return activation.apply(dot(weights, inputs) + bias);
        }

        /** w.x = w1*x1 + w2*x2 + ... + wn*xn, written out as the loop it is. */
        static double dot(double[] w, double[] x) {
            if (w.length != x.length) {
                throw new IllegalArgumentException(
                        "expected " + w.length + " inputs, got " + x.length);
            }
            double sum = 0;
            for (int i = 0; i < w.length; i++) sum += w[i] * x[i];
            return sum;
        }
    }

    /** Activation functions: each turns the neuron's sum z into its output. */
    enum Activation {
        SIGMOID("sigmoid") {
            double apply(double z) { return 1 / (1 + Math.exp(-z)); }
        },
        TANH("tanh") {
            double apply(double z) { return Math.tanh(z); }
        },
        RELU("ReLU") {
            double apply(double z) { return Math.max(0, z); }
        },
        LEAKY_RELU("leaky ReLU") {
            double apply(double z) { return z > 0 ? z : 0.01 * z; }
        };

        final String label;

        Activation(String label) {
            this.label = label;
        }

        abstract double apply(double z);
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
    }

    /** Mean squared error: the average of (target - predicted)^2 over the outputs. */
    static double mse(double[] target, double[] predicted) {
        if (target.length != predicted.length) {
            throw new IllegalArgumentException("expected " + target.length
                    + " predictions (one per target), got " + predicted.length);
        }
        double sum = 0;
        for (int i = 0; i < target.length; i++) {
            double error = target[i] - predicted[i];
            sum += error * error;
        }
        return sum / target.length;
    }

    // ---------------------------------------------------------------- the lesson

    static final String USAGE = """
            java lessons/02/Network.java [--seed N] [--exercise 1|2|3]
              --seed N       seed of the random weights of step 1 and exercise 2 (default 42)
              --exercise N   run exercise N of the README instead of the lesson""";

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            switch ((int) flags.number("--exercise", 0, 0, 3)) {
                case 1 -> exerciseByHand();
                case 2 -> exerciseShapes(seed);
                case 3 -> exerciseNearMiss();
                default -> lesson(seed);
            }
        } catch (UserError e) {
            System.err.println("Network: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(long seed) {
        System.out.println("Lesson 02: a network is layers of neurons; each layer feeds the next");

        // hidden layer 1: 4 neurons, each reading the 2 inputs; hidden layer 2: 4 neurons, each
        // reading hidden layer 1's 4 outputs; output layer: 1 neuron, reading hidden layer 2's 4
        NeuralNetwork net = NeuralNetwork.random(new int[] {2, 4, 4, 1}, Activation.SIGMOID, new Random(seed));
        System.out.println("\n1. The tutorial's " + shape(net) + " network, random weights (seed " + seed + "), input [1, 2]");
        double[] input = {1, 2};
        double[] x = input;
        for (int k = 0; k < net.layers.length; k++) { // the tutorial's loop over the layers
            String name = k == net.layers.length - 1 ? "output layer" : "hidden layer " + (k + 1);
            System.out.printf("   -> %-14s reads %s%n", name, format(x));
            x = forwardLayer(net.layers[k], x);
            System.out.printf("   <- %-14s gives %s%n", name, format(x));
        }
        double[] byClass = net.forward(input);
        System.out.println("   The same in one call, NeuralNetwork.forward([1, 2]) = " + format(byClass));
        System.out.println("   Identical to the loop's output, to the last bit: " + Arrays.equals(x, byClass));
        Path png = savePng(diagram(net.layers, input, "The " + shape(net) + " network (seed " + seed + "), one forward pass"),
                "02-network.png");
        System.out.println("   diagram: " + png);

        System.out.println("\n2. The worked example: a 2-2-1 network, every neuron with weights [0, 1] and bias 0");
        NeuralNetwork tiny = workedExample();
        double[] hidden = forwardLayer(tiny.layers[0], new double[] {2, 3});
        double output = forwardLayer(tiny.layers[1], hidden)[0];
        System.out.println("   input [2, 3]");
        System.out.println("   h1 = sigmoid(0*2 + 1*3 + 0) = sigmoid(3) = " + hidden[0]);
        System.out.println("   h2 = sigmoid(0*2 + 1*3 + 0) = sigmoid(3) = " + hidden[1]);
        System.out.println("   o1 = sigmoid(0*h1 + 1*h2 + 0) = sigmoid(" + hidden[1] + ") = " + output);
        System.out.println("   The whole network in one call: forward([2, 3]) = "
                + Arrays.toString(tiny.forward(new double[] {2, 3})));

        System.out.println("\n3. Mean squared error: how far predictions are from targets");
        double[] target = {1, 0, 0, 1};
        double[] predicted = {0, 0, 0, 0};
        System.out.println("   targets " + Arrays.toString(target) + ", predictions " + Arrays.toString(predicted));
        System.out.println("   mse = ((1-0)^2 + (0-0)^2 + (0-0)^2 + (1-0)^2) / 4 = " + mse(target, predicted));
        System.out.printf("   Had we wanted 1 for [2, 3], the 2-2-1 network's MSE is (1 - %.4f)^2 = %.4f.%n",
                output, mse(new double[] {1}, new double[] {output}));
        System.out.println("   Training (lesson 03) means changing weights and biases to make this number small.");
    }

    /** One layer's forward pass: every neuron reads the same x and gives one number. */
    static double[] forwardLayer(Neuron[] layer, double[] x) {
        double[] out = new double[layer.length];
        for (int j = 0; j < layer.length; j++) out[j] = layer[j].forward(x);
        return out;
    }

    /** The tutorial's 2-2-1 network: h1, h2 and o1 all have weights [0, 1] and bias 0. */
    static NeuralNetwork workedExample() {
        Neuron[][] layers = new Neuron[][] {new Neuron[2], new Neuron[1]};
        for (Neuron[] layer : layers) {
            for (int j = 0; j < layer.length; j++) layer[j] = new Neuron(new double[] {0, 1}, 0, Activation.SIGMOID);
        }
        return new NeuralNetwork(layers);
    }

    /** "2-4-4-1": the number of inputs, then the size of each layer. */
    static String shape(NeuralNetwork net) {
        StringBuilder s = new StringBuilder().append(net.layers[0][0].weights.length);
        for (Neuron[] layer : net.layers) s.append('-').append(layer.length);
        return s.toString();
    }

    /** [0.090226, 0.617916]: six decimals are plenty to follow numbers from layer to layer. */
    static String format(double[] values) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) s.append(i == 0 ? "" : ", ").append(String.format("%.6f", values[i]));
        return s.append(']').toString();
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: the 2-2-1 network by hand, for an input where no calculator is needed until the end. */
    static void exerciseByHand() {
        System.out.println("Exercise 1: the 2-2-1 network (weights [0, 1], bias 0) by hand, for input [0, 0]");
        double h = Activation.SIGMOID.apply(0);
        System.out.println("   z  = 0*0 + 1*0 + 0 = 0 for h1 and for h2");
        System.out.println("   h1 = h2 = sigmoid(0) = 1 / (1 + e^0) = 1 / 2 = " + h);
        System.out.println("   z  = 0*h1 + 1*h2 + 0 = 0.5 for o1");
        System.out.printf("   o1 = sigmoid(0.5) = 1 / (1 + e^-0.5) = 1 / (1 + %.4f) = %.4f%n", Math.exp(-0.5), Activation.SIGMOID.apply(0.5));
        NeuralNetwork tiny = workedExample();
        for (double[] x : new double[][] {{0, 0}, {7, 0}, {-100, 0}}) {
            System.out.printf("   check: forward(%s) = %.4f%n", Arrays.toString(x), tiny.forward(x)[0]);
        }
        System.out.println("   x1 never matters: every neuron gives it weight 0, so [7, 0] and [-100, 0] look like [0, 0].");
    }

    /** Exercise 2: a 3-5-2 network, and how the number of parameters grows with the layers. */
    static void exerciseShapes(long seed) {
        Random rng = new Random(seed);
        System.out.println("Exercise 2: other shapes; every neuron has one weight per input plus one bias");
        NeuralNetwork net = NeuralNetwork.random(new int[] {3, 5, 2}, Activation.SIGMOID, rng);
        System.out.println("   3-5-2 on [1, 2, 3] -> " + format(net.forward(new double[] {1, 2, 3})) + ": two outputs");
        System.out.println("   shape              weights   biases   parameters");
        for (int[] sizes : new int[][] {{2, 2, 1}, {2, 4, 4, 1}, {3, 5, 2}, {784, 30, 10}, {784, 30, 30, 30, 10}, {784, 100, 10}}) {
            NeuralNetwork shaped = NeuralNetwork.random(sizes, Activation.SIGMOID, rng);
            int weights = 0, biases = 0;
            for (Neuron[] layer : shaped.layers) {
                for (Neuron n : layer) {
                    weights += n.weights.length;
                    biases++;
                }
            }
            System.out.printf("   %-16s %9d %8d %12d%n", shape(shaped), weights, biases, weights + biases);
        }
        System.out.println("   Between layers of sizes m and n sit m*n weights, a product: widening the hidden layer");
        System.out.println("   from 30 to 100 more than triples the count, two more layers of 30 add under 2,000.");
        System.out.println("   (784 inputs = the 28x28 pixels of a handwritten digit.)");
    }

    /** Exercise 3: a near miss everywhere against one confident mistake. */
    static void exerciseNearMiss() {
        double[] target = {1, 0, 0, 1};
        System.out.println("Exercise 3: the mean squared error of different predictions for targets " + Arrays.toString(target));
        double[][] guesses = {{0.9, 0.1, 0.2, 0.8}, {0.5, 0.5, 0.5, 0.5}, {0, 0, 0, 1}, {1, 0, 0, 0.5}, {0, 1, 1, 0}};
        String[] names = {"near miss", "undecided", "one confident mistake", "one half-miss", "all wrong"};
        for (int i = 0; i < guesses.length; i++) {
            System.out.printf("   %-22s %-22s mse %.4f%n", names[i], Arrays.toString(guesses[i]), mse(target, guesses[i]));
        }
        System.out.println("   Squaring makes big errors count more: one error of 1 costs as much as four errors of 0.5,");
        System.out.println("   and ten times as much as the near miss's four small ones (0.01 + 0.01 + 0.04 + 0.04).");
    }

    // ---------------------------------------------------------------- pictures

    static final Color POSITIVE = new Color(31, 119, 180), NEGATIVE = new Color(230, 110, 20);

    /**
     * The network as circles and lines: one column per layer, a line for every weight (blue
     * positive, orange negative, thicker for larger |w|), and in each circle the value that
     * neuron gives for this input, shaded from white (0) to green (1).
     */
    static BufferedImage diagram(Neuron[][] layers, double[] input, String title) {
        int width = 800, height = 500, radius = 25, top = 60, bottom = 410;
        double[][] values = new double[layers.length + 1][];
        values[0] = input;
        for (int k = 0; k < layers.length; k++) values[k + 1] = forwardLayer(layers[k], values[k]);
        int[][][] centres = new int[values.length][][]; // centres[column][node] = {x, y}
        for (int c = 0; c < values.length; c++) {
            centres[c] = new int[values[c].length][];
            for (int j = 0; j < values[c].length; j++) {
                centres[c][j] = new int[] {110 + c * 580 / (values.length - 1),
                        (top + bottom) / 2 + (int) Math.round((j - (values[c].length - 1) / 2.0) * 85)};
            }
        }

        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);

        for (int k = 0; k < layers.length; k++) { // the weights, under the circles
            for (int j = 0; j < layers[k].length; j++) {
                for (int i = 0; i < layers[k][j].weights.length; i++) {
                    double w = layers[k][j].weights[i];
                    g.setColor(w >= 0 ? POSITIVE : NEGATIVE);
                    g.setStroke(new BasicStroke((float) (0.5 + 4 * Math.abs(w))));
                    g.drawLine(centres[k][i][0], centres[k][i][1], centres[k + 1][j][0], centres[k + 1][j][1]);
                }
            }
        }
        g.setStroke(new BasicStroke(1.5f));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int c = 0; c < values.length; c++) { // the neurons, each with its output (and bias)
            for (int j = 0; j < values[c].length; j++) {
                int x = centres[c][j][0], y = centres[c][j][1];
                float shade = c == 0 ? 0 : (float) values[c][j];
                g.setColor(new Color(1 - 0.45f * shade, 1 - 0.15f * shade, 1 - 0.45f * shade));
                g.fillOval(x - radius, y - radius, 2 * radius, 2 * radius);
                g.setColor(Color.BLACK);
                g.drawOval(x - radius, y - radius, 2 * radius, 2 * radius);
                double v = values[c][j];
                centred(g, String.format(c == 0 && v == Math.rint(v) ? "%.0f" : "%.2f", v), x, y + 5);
                if (c > 0) { // the bias, on a white patch so that lines do not cross it
                    String bias = String.format("b %+.2f", layers[c - 1][j].bias);
                    int w = g.getFontMetrics().stringWidth(bias);
                    g.setColor(Color.WHITE);
                    g.fillRect(x - w / 2 - 2, y + radius + 3, w + 4, 16);
                    g.setColor(Color.DARK_GRAY);
                    centred(g, bias, x, y + radius + 15);
                }
            }
        }

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        centred(g, title, width / 2, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        for (int c = 0; c < values.length; c++) {
            String label = c == 0 ? "input" : c == values.length - 1 ? "output layer" : "hidden layer " + c;
            centred(g, label, centres[c][0][0], bottom + 35);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        int y = height - 22;
        g.setStroke(new BasicStroke(3));
        g.setColor(POSITIVE);
        g.drawLine(40, y - 4, 70, y - 4);
        g.setColor(NEGATIVE);
        g.drawLine(190, y - 4, 220, y - 4);
        g.setColor(Color.BLACK);
        g.drawString("positive weight", 78, y);
        g.drawString("negative weight", 228, y);
        g.drawString("thicker = larger |w|     circle: output, greener = nearer 1     b: bias", 350, y);
        g.dispose();
        return image;
    }

    static void centred(Graphics2D g, String text, int x, int baseline) {
        FontMetrics fm = g.getFontMetrics();
        g.drawString(text, x - fm.stringWidth(text) / 2, baseline);
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
}
