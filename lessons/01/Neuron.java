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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Lesson 01: one artificial neuron.
 *
 * A neuron weighs each input, adds the weighted inputs and a bias, and squashes the sum with
 * an activation function: y = f(w.x + b). The weights and the bias are what learning changes.
 *
 * Run: java lessons/01/Neuron.java [--seed N] [--exercise 1|2|3]
 */
public class Neuron {
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

    // ---------------------------------------------------------------- the lesson

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
        try {
            Options options = Options.parse(args);
            switch (options.exercise) {
                case 0 -> lesson(options.seed);
                case 1 -> exerciseLogicGates();
                case 2 -> exerciseSoftplus();
                case 3 -> exerciseUnseeded(options.seed);
                default -> throw new UserError("there is no exercise " + options.exercise
                        + "; try --exercise 1, 2 or 3");
            }
        } catch (UserError e) {
            System.err.println("Neuron: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(long seed) {
        System.out.println("Lesson 01: one neuron, y = f(w.x + b)");

        System.out.println("\n1. The worked example");
        Neuron neuron = new Neuron(new double[] {0, 1}, 0, Activation.SIGMOID);
        double[] x = {2, 3};
        double z = dot(neuron.weights, x) + neuron.bias;
        System.out.println("   weights " + Arrays.toString(neuron.weights) + ", bias "
                + neuron.bias + ", input " + Arrays.toString(x));
        StringBuilder sum = new StringBuilder("   w.x + b = ");
        for (int i = 0; i < x.length; i++) sum.append(neuron.weights[i]).append('*').append(x[i]).append(" + ");
        System.out.println(sum.append(neuron.bias).append(" = ").append(z));
        System.out.println("   " + neuron.activation.label + "(" + z + ") = " + neuron.forward(x));

        System.out.println("\n2. Activation functions: four ways to squash the same sum z");
        System.out.print("       z");
        for (Activation f : Activation.values()) System.out.printf("%12s", f.label);
        System.out.println();
        for (double zi : new double[] {-10, -2, -0.5, 0, 0.5, 2, 10}) {
            System.out.printf("   %5.1f", zi);
            for (Activation f : Activation.values()) System.out.printf("%12.4f", f.apply(zi));
            System.out.println();
        }
        Path png = outDir().resolve("01-activations.png");
        save(activationChart(), png);
        System.out.println("   plot: " + png);

        System.out.println("\n3. Random weights, and why a seed makes them repeatable");
        Random rng = new Random(seed);
        Neuron a = random(2, Activation.SIGMOID, rng);
        Neuron b = random(2, Activation.SIGMOID, rng);
        Neuron again = random(2, Activation.SIGMOID, new Random(seed));
        describe("neuron A", a);
        describe("neuron B", b);
        System.out.println("   A and B differ: B's weights are the next numbers the generator gave.");
        describe("A again", again);
        System.out.println("   A again equals A: a new Random(" + seed + ") replays the same numbers.");
        System.out.println("   Every lesson draws from one Random seeded with --seed N (default 42),");
        System.out.println("   so the same seed prints the same output, run after run.");
    }

    static void describe(String name, Neuron n) {
        System.out.printf("   %-9s weights [%+.4f, %+.4f], bias %+.4f:  [1, 2] -> %.6f   [1, -2] -> %.6f%n",
                name, n.weights[0], n.weights[1], n.bias,
                n.forward(new double[] {1, 2}), n.forward(new double[] {1, -2}));
    }

    /** The four activations over z in [-10, 10], on one chart. */
    static Chart activationChart() {
        int points = 401;
        double[] z = new double[points];
        for (int i = 0; i < points; i++) z[i] = -10 + 20.0 * i / (points - 1);
        Chart chart = new Chart("Activation functions", "z = w.x + b", "f(z)");
        for (Activation f : Activation.values()) {
            double[] y = new double[points];
            for (int i = 0; i < points; i++) y[i] = f.apply(z[i]);
            chart.add(f.label, z, y, f == Activation.LEAKY_RELU); // dashed: it covers ReLU for z > 0
        }
        chart.yRange(-1.5, 3); // ReLU climbs to 10; the interesting part is near zero
        return chart;
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: choose weights by hand so that one neuron computes AND, then OR. */
    static void exerciseLogicGates() {
        Neuron and = new Neuron(new double[] {10, 10}, -15, Activation.SIGMOID);
        Neuron or = new Neuron(new double[] {10, 10}, -5, Activation.SIGMOID);
        System.out.println("Exercise 1: weights [10, 10]; bias -15 gives AND, bias -5 gives OR");
        System.out.println("   x1  x2     AND       OR");
        for (double[] x : new double[][] {{0, 0}, {0, 1}, {1, 0}, {1, 1}}) {
            System.out.printf("   %2.0f  %2.0f  %.4f   %.4f%n", x[0], x[1], and.forward(x), or.forward(x));
        }
        System.out.println("   The bias is a threshold: AND needs both inputs (10 + 10 > 15),");
        System.out.println("   OR needs one (10 > 5). No single neuron can do XOR; lesson 04 shows why a hidden layer can.");
    }

    /** Exercise 2: softplus, ln(1 + e^z), a smooth ReLU. */
    static void exerciseSoftplus() {
        System.out.println("Exercise 2: softplus(z) = ln(1 + e^z), next to ReLU");
        System.out.println("       z    softplus        ReLU");
        for (double z : new double[] {-5, -2, 0, 2, 5}) {
            System.out.printf("   %5.1f  %10.4f  %10.4f%n", z, softplus(z), Activation.RELU.apply(z));
        }
        System.out.println("   Softplus is ReLU with the corner rounded off: far from 0 they agree,");
        System.out.println("   at 0 softplus is ln 2 = 0.6931, and its slope is sigmoid(z), never exactly 0.");
    }

    /** ln(1 + e^z), rearranged so that e^z never overflows for large z. */
    static double softplus(double z) {
        return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /** Exercise 3 (the tutorial's): unseeded neurons change every run; a seed fixes them. */
    static void exerciseUnseeded(long seed) {
        System.out.println("Exercise 3: the same code, run twice, with and without a seed");
        for (int run = 1; run <= 2; run++) {
            describe("run " + run, random(2, Activation.SIGMOID, new Random()));
        }
        System.out.println("   ^ new Random() takes a different seed every time: these two lines change on every run.");
        for (int run = 1; run <= 2; run++) {
            describe("run " + run, random(2, Activation.SIGMOID, new Random(seed)));
        }
        System.out.println("   ^ new Random(" + seed + ") starts the same sequence: identical, today and tomorrow.");
        System.out.println("   The Neuron class did not change; only the generator handed to it did.");
    }

    // ---------------------------------------------------------------- flags and errors

    static final String USAGE = "usage: java lessons/01/Neuron.java [--seed N] [--exercise 1|2|3]";

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
        static final Color[] PALETTE = {
            new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75)};
        static final int WIDTH = 800, HEIGHT = 500, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 55;

        static {
            System.setProperty("java.awt.headless", "true"); // draw without a screen
        }

        record Series(String name, double[] x, double[] y, boolean dashed) {}

        final String title, xLabel, yLabel;
        final List<Series> series = new ArrayList<>();
        Double yMin, yMax;

        Chart(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        void add(String name, double[] x, double[] y, boolean dashed) {
            series.add(new Series(name, x, y, dashed));
        }

        /** Fixes the y axis instead of fitting it to the data; points outside are clipped. */
        void yRange(double min, double max) {
            yMin = min;
            yMax = max;
        }

        BufferedImage draw() {
            double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
            for (Series s : series) {
                for (double v : s.x) { x0 = Math.min(x0, v); x1 = Math.max(x1, v); }
                for (double v : s.y) { y0 = Math.min(y0, v); y1 = Math.max(y1, v); }
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
                Path2D.Double path = new Path2D.Double();
                path.moveTo(xAxis.position(line.x[0]), yAxis.position(line.y[0]));
                for (int i = 1; i < line.x.length; i++) {
                    path.lineTo(xAxis.position(line.x[i]), yAxis.position(line.y[i]));
                }
                g.setColor(PALETTE[s % PALETTE.length]);
                g.setStroke(stroke(line.dashed));
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
                g.setColor(PALETTE[s % PALETTE.length]);
                g.setStroke(stroke(series.get(s).dashed));
                g.drawLine(x + 8, rowY, x + 30, rowY);
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

        static BasicStroke stroke(boolean dashed) {
            return dashed
                    ? new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {7, 5}, 0)
                    : new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
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
