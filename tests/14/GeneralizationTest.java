import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneralizationTest {
    @TempDir
    static Path shared;
    static Generalization.Network model; // trained once for the class: 2 epochs on 3,000 images
    static Path modelFile, seven, one;

    @BeforeAll
    static void trainAModelAndDrawTwoDigits() throws IOException {
        Generalization.Dataset data = Generalization.load(Path.of("datasets", "mnist"), "train", 3000, 1, "x");
        Random rng = new Random(42);
        model = Generalization.network(rng, 0);
        Generalization.train(model, data, data.rows(Generalization.range(0, 200)), 2, Generalization.SHIFTS, rng, () -> {});
        modelFile = shared.resolve("digits.jnn");
        Generalization.ModelFile.save(model, modelFile);
        seven = shared.resolve("seven.png");
        one = shared.resolve("one.gif");
        ImageIO.write(drawnSeven(false), "png", seven.toFile());
        ImageIO.write(drawnOne(), "gif", one.toFile());
    }

    /** A "7" as a learner might draw it: a thick bar and a long slant, 200x240; dark on light, or (inverted) light on dark. */
    static BufferedImage drawnSeven(boolean inverted) {
        return drawn(200, 240, 24, inverted ? Color.BLACK : Color.WHITE, inverted ? Color.WHITE : Color.BLACK,
                g -> { g.drawLine(45, 45, 155, 45); g.drawLine(155, 45, 85, 205); });
    }

    /** A "1": one thick, slightly slanted stroke, light on dark, 90x160. */
    static BufferedImage drawnOne() {
        return drawn(90, 160, 14, Color.BLACK, Color.WHITE, g -> g.drawLine(50, 22, 42, 138));
    }

    static BufferedImage drawn(int w, int h, float stroke, Color paper, Color ink, Consumer<Graphics2D> strokes) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(paper);
        g.fillRect(0, 0, w, h);
        g.setColor(ink);
        g.setStroke(new BasicStroke(stroke, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        strokes.accept(g);
        g.dispose();
        return image;
    }

    static int read(BufferedImage image) {
        double[] digit = Generalization.mnistDigit(image);
        Generalization.Matrix scores = model.predict(new Generalization.Matrix(1, 784, digit));
        return Generalization.argMax(scores.data());
    }

    // ------------------------------------------------------------ dropout

    @Test
    void dropoutKeepsTheExpectationInTrainingAndIsOffInEvaluation() {
        Generalization.Dropout dropout = new Generalization.Dropout(0.3, new Random(5));
        Generalization.Matrix x = new Generalization.Matrix(200, 500).map(v -> 2);
        assertArrayEquals(x.data(), dropout.forward(x).data(), "a new layer is in evaluation mode");
        dropout.training(true);
        Generalization.Matrix y = dropout.forward(x);
        long zeros = Arrays.stream(y.data()).filter(v -> v == 0).count();
        assertEquals(0.3, zeros / 1e5, 0.01, "the fraction dropped");
        assertEquals(2, y.sum() / 1e5, 0.02, "the mean is the input's: kept values are scaled by 1 / (1 - p)");
        assertTrue(Arrays.stream(y.data()).allMatch(v -> v == 0 || Math.abs(v - 2 / 0.7) < 1e-12));
        Generalization.Matrix g = new Generalization.Matrix(200, 500).map(v -> 1), back = dropout.backward(g, 0);
        for (int i = 0; i < y.size(); i++) assertEquals(y.data()[i] / 2, back.data()[i], 1e-12, "dE/dX = dE/dY * mask");
        Generalization.Network net = new Generalization.Network();
        net.add(dropout);
        net.training(false); // the network's switch reaches its layers
        assertArrayEquals(x.data(), net.predict(x).data());
        assertArrayEquals(g.data(), dropout.backward(g, 0).data());
    }

    // ------------------------------------------------------------ L2

    @Test
    void theL2TermIsTheSlopeOfThePenalty() {
        assertTrue(Generalization.l2GradientCheck(new Random(3)) < 1e-6);
        Generalization.Dense d = new Generalization.Dense(Generalization.Matrix.of(new double[] {1, -2}, new double[] {0.5, 3}),
                Generalization.Matrix.of(new double[] {7, 7}));
        d.weightGradient = new Generalization.Matrix(2, 2);
        Generalization.Network net = new Generalization.Network();
        net.add(d);
        Generalization.addWeightDecay(net, 0.1);
        assertArrayEquals(new double[] {0.1, -0.2, 0.05, 0.3}, d.weightGradient.data(), 1e-15);
        assertEquals(0.1 / 2 * (1 + 4 + 0.25 + 9), Generalization.weightPenalty(net, 0.1), 1e-15, "the biases are not in it");
    }

    @Test
    void hiddenSetsTheWidthsOfBothHiddenLayers() {
        int before = Generalization.hidden;
        try {
            Generalization.hidden = 256;
            Generalization.Network net = Generalization.network(new Random(1), 0.1);
            List<String> shapes = new ArrayList<>();
            for (Generalization.Layer layer : net.layers) {
                if (layer instanceof Generalization.Dense d) shapes.add(d.weights.rows() + "x" + d.weights.cols());
            }
            assertEquals(List.of("784x256", "256x128", "128x10"), shapes);
        } finally {
            Generalization.hidden = before;
        }
    }

    // ------------------------------------------------------------ early stopping

    @Test
    void earlyStoppingRestoresTheBestEpochsWeights() {
        Generalization.Network net = Generalization.network(new Random(1), 0);
        Generalization.Dense first = (Generalization.Dense) net.layers.get(0);
        Generalization.EarlyStopping stopping = new Generalization.EarlyStopping(2);
        double[] accuracies = {50, 60, 60, 55};
        double[] atBest = null;
        for (int epoch = 1; epoch <= 4; epoch++) {
            Arrays.fill(first.weights.data(), epoch); // the "training" of this epoch
            boolean stop = stopping.update(net, accuracies[epoch - 1], epoch);
            if (epoch == 2) atBest = first.weights.data().clone();
            assertEquals(epoch == 4, stop, "stop after 2 epochs without a better one, at epoch " + epoch);
        }
        assertEquals(2, stopping.bestEpoch, "a tie (epoch 3) is not an improvement");
        stopping.restoreBest(net);
        assertArrayEquals(atBest, first.weights.data());
    }

    @Test
    void trainingWithEarlyStoppingEndsWithTheKeptEpochsWeights() {
        Generalization.Dataset data = Generalization.load(Path.of("datasets", "mnist"), "train", 400, 1, "x");
        Generalization.Dataset train = data.rows(Generalization.range(0, 300)), validation = data.rows(Generalization.range(300, 400));
        Random rng = new Random(9);
        Generalization.Network net = Generalization.network(rng, 0.2);
        Generalization.Curves c = Generalization.train(net, train, validation, 12, new Generalization.Regime("t", false, 0.2, 1e-3, 2), rng, () -> {});
        double best = Arrays.stream(c.validationAccuracy()).max().orElseThrow();
        assertEquals(best, c.validationAccuracy()[c.kept() - 1]);
        assertEquals(best, Generalization.score(net, validation).accuracy(), "the network holds the best epoch's weights");
        assertTrue(c.epochs() - c.kept() == 2 || c.epochs() == 12, "it stops 2 epochs after the best, or at the end");
    }

    @Test
    void theRefitTrainsEachChosenSeedOnAllTheImagesFromTheSameStart() {
        Generalization.Dataset all = Generalization.load(Path.of("datasets", "mnist"), "train", 300, 1, "x");
        Generalization.Dataset validation = all.rows(Generalization.range(250, 300));
        Generalization.Regime regime = Generalization.ALL;
        double[] none = new double[3];
        Generalization.Curves stopped = new Generalization.Curves(none, none, none, none, 1, 0); // early stopping kept epoch 1
        List<Generalization.Trained> chosen = List.of(new Generalization.Trained(regime, 5, stopped, null),
                new Generalization.Trained(regime, 6, stopped, null));
        List<Generalization.Trained> refits = Generalization.refit(chosen, all, validation, 3);
        for (int s = 0; s < 2; s++) {
            assertEquals(5 + s, refits.get(s).seed());
            assertEquals(3, refits.get(s).curves().epochs(), "the whole schedule");
            assertEquals(0, refits.get(s).regime().patience(), "nothing left to stop on");
        }
        Random rng = new Random(6); // the same start, all 300 images, the same techniques
        Generalization.Network net = Generalization.network(rng, regime.dropout());
        Generalization.train(net, all, validation, 3, new Generalization.Regime("x", true, regime.dropout(), regime.lambda(), 0), rng, () -> {});
        assertArrayEquals(net.predict(validation.x()).data(), refits.get(1).net().predict(validation.x()).data());
    }

    // ------------------------------------------------------------ the model file

    @Test
    void saveAndLoadAreExactBitForBit(@TempDir Path dir) throws IOException {
        Random rng = new Random(4);
        Generalization.Network net = Generalization.network(rng, 0.25);
        Path file = dir.resolve("m.jnn");
        Generalization.ModelFile.save(net, file);
        Generalization.Network back = Generalization.ModelFile.load(file, new Random(0));
        Generalization.Matrix x = Generalization.Matrix.random(5, 784, rng);
        assertArrayEquals(net.predict(x).data(), back.predict(x).data(), 0.0);
        assertEquals(List.of("Dense", "ActivationLayer", "Dropout", "Dense", "ActivationLayer", "Dropout", "Dense"),
                back.layers.stream().map(l -> l.getClass().getSimpleName()).toList());
        assertEquals(0.25, ((Generalization.Dropout) back.layers.get(2)).rate);
        Path again = dir.resolve("again.jnn");
        Generalization.ModelFile.save(back, again);
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file left behind");
        }
    }

    /** A model file written by hand: header, then the layers as given. */
    interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    static byte[] file(int magic, int version, int layers, Writer body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        out.writeInt(version);
        out.writeInt(layers);
        body.write(out);
        return bytes.toByteArray();
    }

    static void dense(DataOutputStream out, int in, int outs, double value) throws IOException {
        out.writeUTF("dense");
        out.writeInt(in);
        out.writeInt(outs);
        for (int i = 0; i < in * outs + outs; i++) out.writeDouble(value);
    }

    static String refusal(Path dir, String name, byte[] content) throws IOException {
        Path file = Files.write(dir.resolve(name), content);
        Generalization.UserError e = assertThrows(Generalization.UserError.class, () -> Generalization.ModelFile.load(file, new Random(0)));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void everyDamagedModelIsRefusedInOneLine(@TempDir Path dir) throws IOException {
        int magic = Generalization.ModelFile.MAGIC;
        byte[] good = Files.readAllBytes(modelFile);
        for (int cut : new int[] {0, 3, 10, 20, good.length / 2, good.length - 1}) {
            assertTrue(refusal(dir, "cut" + cut + ".jnn", Arrays.copyOf(good, cut)).contains("truncated"), "cut at " + cut);
        }
        byte[] flipped = good.clone();
        flipped[0] ^= 0x20;
        assertTrue(refusal(dir, "magic.jnn", flipped).contains("magic word"));
        assertTrue(refusal(dir, "version.jnn", file(magic, 2, 1, out -> dense(out, 2, 2, 1))).contains("version 2"));
        assertTrue(refusal(dir, "kind.jnn", file(magic, 1, 1, out -> out.writeUTF("conv2d"))).contains("'conv2d'"));
        assertTrue(refusal(dir, "joins.jnn", file(magic, 1, 2, out -> { dense(out, 4, 3, 1); dense(out, 5, 2, 1); }))
                .contains("takes 5 numbers, but the layers before it give 3"));
        assertTrue(refusal(dir, "nan.jnn", file(magic, 1, 1, out -> dense(out, 2, 2, Double.NaN))).contains("NaN"));
        assertTrue(refusal(dir, "inf.jnn", file(magic, 1, 1, out -> dense(out, 2, 2, Double.NEGATIVE_INFINITY))).contains("Infinity"));
        assertTrue(refusal(dir, "huge.jnn", file(magic, 1, 1, out -> { out.writeUTF("dense"); out.writeInt(1 << 30); out.writeInt(1 << 30); }))
                .contains("truncated"));
        assertTrue(refusal(dir, "zero.jnn", file(magic, 1, 1, out -> dense(out, 0, 2, 1))).contains("damaged"));
        assertTrue(refusal(dir, "no layers.jnn", file(magic, 1, 0, out -> {})).contains("0 layers"));
        assertTrue(refusal(dir, "extra.jnn", file(magic, 1, 1, out -> { dense(out, 2, 2, 1); out.writeByte(0); })).contains("follow"));
        assertTrue(refusal(dir, "rate.jnn", file(magic, 1, 2, out -> { dense(out, 2, 2, 1); out.writeUTF("dropout"); out.writeDouble(1); }))
                .contains("dropout rate"));
        assertTrue(refusal(dir, "activation.jnn", file(magic, 1, 2, out -> { dense(out, 2, 2, 1); out.writeUTF("activation"); out.writeUTF("SWISH"); }))
                .contains("SWISH"));
        Path small = Files.write(dir.resolve("small.jnn"), file(magic, 1, 1, out -> dense(out, 3, 10, 0.5)));
        Generalization.Network wrong = Generalization.ModelFile.load(small, new Random(0)); // a good file, for other data
        assertThrows(Generalization.UserError.class, () -> Generalization.requireMnistShape(wrong, small));
        assertThrows(Generalization.UserError.class, () -> Generalization.ModelFile.load(dir, new Random(0)), "a folder");
    }

    // ------------------------------------------------------------ your own digit

    @Test
    void aDrawnDigitIsMadeTheWayMnistWas() {
        double[] digit = Generalization.mnistDigit(drawnSeven(false));
        double mass = 0, mx = 0, my = 0;
        int left = 28, right = -1, top = 28, bottom = -1;
        for (int i = 0; i < 784; i++) {
            int x = i % 28, y = i / 28;
            mass += digit[i];
            mx += digit[i] * (x + 0.5);
            my += digit[i] * (y + 0.5);
            if (digit[i] > 0.1) { left = Math.min(left, x); right = Math.max(right, x); top = Math.min(top, y); bottom = Math.max(bottom, y); }
        }
        assertEquals(14, mx / mass, 0.5, "centre of mass, across");
        assertEquals(14, my / mass, 0.5, "centre of mass, down");
        assertEquals(20, bottom - top + 1, 1, "the longer side (the height) fills the 20-pixel box");
        assertTrue(right - left + 1 < 20, "the shape is kept: narrower than tall");
        assertEquals(1, Arrays.stream(digit).max().orElseThrow(), 1e-9, "the strongest ink is 1");
        assertTrue(digit[0] == 0 && digit[783] == 0, "the corners are background, 0");
        assertArrayEquals(digit, Generalization.mnistDigit(drawnSeven(true)), 1e-12, "light on dark reads as dark on light");
        assertNull(Generalization.mnistDigit(drawn(50, 50, 1, Color.WHITE, Color.WHITE, g -> {})), "a blank picture holds no digit");
        assertArrayEquals(new double[] {1, 1, 0.5, 0}, Generalization.resample(new double[] {1, 1, 1, 1, 1, 0, 0, 0}, 4), 1e-15);
        assertArrayEquals(new double[] {1, 1, 0.5, 0.5}, Generalization.resample(new double[] {1, 0.5}, 4), 1e-15);
    }

    @Test
    void theModelReadsADrawnSevenAndOne() throws IOException {
        assertEquals(7, read(ImageIO.read(seven.toFile())));
        assertEquals(1, read(ImageIO.read(one.toFile())));
        assertEquals(7, read(drawnSeven(true)), "light on dark too");
    }

    @Test
    void predictFromTheCommandLine(@TempDir Path pictures) throws IOException {
        LessonRun run = LessonRun.in(pictures, "Generalization", "--load", modelFile.toString(), "--predict", seven.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("it reads a 7"), run.out());
        assertEquals(10, run.out().lines().filter(l -> l.matches("   \\d +\\d+\\.\\d\\d% #*")).count(), run.out());
        BufferedImage seen = ImageIO.read(pictures.resolve("14-seen.png").toFile());
        assertEquals(280, seen.getWidth());
        LessonRun cut = LessonRun.of("Generalization", "--load", Files.write(pictures.resolve("cut.jnn"),
                Arrays.copyOf(Files.readAllBytes(modelFile), 5000)).toString(), "--predict", seven.toString());
        assertTrue(cut.isCleanUserError(), cut.err());
        assertTrue(cut.err().contains("truncated"), cut.err());
    }

    @Test
    void picturesThatAreNoDigitsAreRefused(@TempDir Path dir) throws IOException {
        Path blank = dir.resolve("blank.png"), text = Files.writeString(dir.resolve("note.png"), "not a picture");
        ImageIO.write(drawn(40, 30, 1, Color.GRAY, Color.GRAY, g -> {}), "png", blank.toFile());
        for (Path p : new Path[] {blank, text, dir, dir.resolve("missing.png")}) {
            Generalization.UserError e = assertThrows(Generalization.UserError.class, () -> Generalization.predict(model, p));
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
        assertNotNull(Generalization.readImage(seven));
    }

    // ------------------------------------------------------------ the whole lesson, short

    @Test
    void aShortRunSavesAModelThatLoadsBackExactly(@TempDir Path dir, @TempDir Path pictures) throws IOException {
        LessonRun.copyFirst(dir, "train", 400);
        LessonRun.copyFirst(dir, "t10k", 200);
        Path saved = pictures.resolve("models").resolve("short.jnn");
        LessonRun run = LessonRun.in(pictures, "Generalization", "--data-dir", dir.toString(), "--epochs", "2", "--save", saved.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("350 images to train on, the next 50 to validate on"), run.out());
        assertTrue(run.out().contains("the derivation holds") && run.out().contains("returns the input untouched"), run.out());
        assertTrue(run.out().contains("the same, bit for bit"), run.out());
        assertFalse(run.out().contains("lesson 12"), "another data set is not compared with lesson 12's mark");
        assertTrue(Files.size(saved) > 600_000);
        LessonRun.assertPng(pictures.resolve("14-learning-curves.png"), 800, 1000);
    }
}
