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
 * Lesson 01: one neuron.
 *
 * A neuron weighs each input, adds the weighted inputs and a bias, and squashes the sum with
 * an activation function: y = f(w.x + b). The weights and the bias are what learning changes.
 *
 * Follows: the UPM hands-on, section 3a "a single artificial neuron" (its exercises 1-3), and the
 * neuron of Ex10si0n's chapter 3 (after Victor Zhou); see README.md for the authors and link.
 * New here: Neuron (weights, bias, forward, dot, random) and the Activation enum (sigmoid, tanh,
 * ReLU, leaky ReLU, each with apply and label).
 * Carried: nothing; this is the first lesson.
 * Changed: nothing.
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

    static final String USAGE = """
            java lessons/01/Neuron.java [--seed N] [--exercise 1|2|3]
              --seed N       seed of the random weights in step 3 (default 42)
              --exercise N   run exercise N of the README instead of the lesson""";

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            switch ((int) flags.number("--exercise", 0, 0, 3)) {
                case 1 -> exerciseLogicGates();
                case 2 -> exerciseSoftplus();
                case 3 -> exerciseUnseeded(seed);
                default -> lesson(seed);
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
        System.out.println("   plot: " + activationChart().save("01-activations.png"));

        System.out.println("\n3. Random weights, and why a seed makes them repeatable");
        Random rng = new Random(seed);
        Neuron a = random(2, Activation.SIGMOID, rng);
        Neuron b = random(2, Activation.SIGMOID, rng);
        Neuron again = random(2, Activation.SIGMOID, new Random(seed));
        describe("neuron A", a);
        describe("neuron B", b);
        System.out.println(same(a, b) ? "   A and B are equal: B was drawn from the same numbers as A."
                : "   A and B differ: B's weights are the next numbers the generator gave.");
        describe("A again", again);
        System.out.println(same(a, again) ? "   A again equals A: a new Random(" + seed + ") replays the same numbers."
                : "   A again differs from A: the generator did not start over.");
        System.out.println("   Every lesson draws from one Random seeded with --seed N (default 42),");
        System.out.println("   so the same seed prints the same output, run after run.");
    }

    static void describe(String name, Neuron n) {
        System.out.printf("   %-9s weights [%+.4f, %+.4f], bias %+.4f:  [1, 2] -> %.6f   [1, -2] -> %.6f%n",
                name, n.weights[0], n.weights[1], n.bias,
                n.forward(new double[] {1, 2}), n.forward(new double[] {1, -2}));
    }

    static boolean same(Neuron p, Neuron q) {
        return Arrays.equals(p.weights, q.weights) && p.bias == q.bias;
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
            chart.add(f.label, z, y, f == Activation.LEAKY_RELU ? Chart.Style.DASHED : Chart.Style.LINE); // it covers ReLU for z > 0
        }
        chart.yRange = new double[] {-1.5, 3}; // ReLU climbs to 10; the interesting part is near zero
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
