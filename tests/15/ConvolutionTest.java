import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvolutionTest {

    // ------------------------------------------------------------ the 4x4 example, by hand

    @Test
    void theHandExampleGivesTheNumbersWorkedOutInTheReadme() {
        Convolution.Conv2D layer = Convolution.handLayer();
        Convolution.Matrix y = layer.forward(Convolution.stroke());
        // kernel / = [[0, 1], [1, 0]]: Y[i][j] = X[i][j+1] + X[i+1][j], 2 on the anti-diagonal where the stroke is
        assertArrayEquals(new double[] {0, 0, 2, 0, 2, 0, 2, 0, 0}, Arrays.copyOf(y.data(), 9));
        // kernel \ = [[1, 0], [0, 1]]: Y[i][j] = X[i][j] + X[i+1][j+1], at most 1: it crosses the stroke once
        assertArrayEquals(new double[] {0, 1, 0, 1, 0, 1, 0, 1, 0}, Arrays.copyOfRange(y.data(), 9, 18));
        for (boolean direct : new boolean[] {true, false}) {
            layer.direct = direct;
            layer.forward(Convolution.stroke());
            Convolution.Matrix dX = layer.backward(Convolution.handGradient(), 0);
            // dK[a][b] = sum of X over the 3x3 window at (a, b): 2, 3 / 3, 2; kernel \ had dE/dY = 0
            assertArrayEquals(new double[] {2, 3, 3, 2, 0, 0, 0, 0}, layer.kernelGradient.data(), "direct " + direct);
            assertArrayEquals(new double[] {9, 0}, layer.biasGradient.data(), "direct " + direct);
            // dX[y][x] = [0 <= y <= 2 and 1 <= x <= 3] + [1 <= y <= 3 and 0 <= x <= 2], from K[0][1] and K[1][0]
            assertArrayEquals(new double[] {0, 1, 1, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 1, 1, 0}, dX.data(), "direct " + direct);
        }
    }

    // ------------------------------------------------------------ two implementations, one answer

    /** Forward and backward of a random layer on random data, by loops and by im2col: every number within 1e-12. */
    static void assertSameAnswers(int channels, int height, int width, int kernels, int k, int samples, Random rng) {
        Convolution.Volume in = new Convolution.Volume(channels, height, width);
        Convolution.Conv2D layer = new Convolution.Conv2D(in, k, Convolution.Matrix.random(kernels, channels * k * k, rng),
                Convolution.Matrix.random(1, kernels, rng));
        Convolution.Matrix x = Convolution.Matrix.random(samples, in.size(), rng), dY = Convolution.Matrix.random(samples, layer.out.size(), rng);
        Convolution.Matrix[] loops = Convolution.pass(layer, x, dY, true, false);
        Convolution.Matrix[] im2col = Convolution.pass(layer, x, dY, false, true);
        String what = in + ", " + kernels + " kernels " + k + "x" + k + ", " + samples + " samples";
        for (int m = 0; m < loops.length; m++) {
            assertEquals(loops[m].shape(), im2col[m].shape(), what);
            assertArrayEquals(loops[m].data(), im2col[m].data(), 1e-12, what + ", result " + m);
        }
        assertArrayEquals(loops[2].data(), im2col[2].data(), what + ": dE/dB added in the loops' order, bit for bit");
    }

    @Test
    void im2colEqualsTheLoopsOnRandomShapes() {
        Random rng = new Random(5);
        assertSameAnswers(1, 28, 28, 8, 5, 3, rng);   // the lesson's first layer
        assertSameAnswers(8, 12, 12, 16, 5, 2, rng);  // and its second
        for (int trial = 0; trial < 6; trial++) {     // odd sizes, batches that do not fill the last part
            int h = 2 + rng.nextInt(8), w = 2 + rng.nextInt(8), k = 1 + rng.nextInt(Math.min(h, w));
            assertSameAnswers(1 + rng.nextInt(4), h, w, 1 + rng.nextInt(4), k, 1 + rng.nextInt(2 * Convolution.PART + 2), rng);
        }
    }

    @Test
    void theProductEqualsMatrixMultiply() {
        Random rng = new Random(2);
        Convolution.Matrix a = Convolution.Matrix.random(5, 7, rng), b = Convolution.Matrix.random(7, 9, rng);
        a.data()[3] = 0; // a zero is skipped, as multiply skips it
        assertArrayEquals(a.multiply(b).data(), Convolution.product(a, b).data());
        assertThrows(IllegalArgumentException.class, () -> Convolution.product(a, a));
    }

    @Test
    void onEveryCoreOrOnOneTheSameNumbers() {
        Random rng = new Random(3);
        Convolution.Conv2D layer = Convolution.Conv2D.he(new Convolution.Volume(3, 9, 8), 4, 3, rng);
        Convolution.Matrix x = Convolution.Matrix.random(2 * Convolution.PART + 3, 3 * 9 * 8, rng);
        Convolution.Matrix dY = Convolution.Matrix.random(x.rows(), layer.out.size(), rng);
        Convolution.Matrix[] one = Convolution.pass(layer, x, dY, false, false), all = Convolution.pass(layer, x, dY, false, true);
        for (int m = 0; m < one.length; m++) assertArrayEquals(one[m].data(), all[m].data(), "result " + m); // exactly
    }

    @Test
    void theRaceComparesTheSameNumbersAndTimesBoth() {
        Convolution.Dataset digits = Convolution.load(Path.of("datasets", "mnist"), "train", Convolution.TIMED, 1, "x");
        Convolution.Race race = Convolution.race(digits, 42, 1);
        assertTrue(race.difference() < 1e-12, "loops against im2col: " + race.difference());
        assertTrue(race.direct() > 0 && race.oneThread() > 0 && race.allCores() > 0, race.toString());
    }

    // ------------------------------------------------------------ gradient checks

    @Test
    void conv2DMaxPoolAndASmallCnnPassTheGradientCheck() {
        Random rng = new Random(11);
        for (String what : new String[] {"Conv2D", "MaxPool", "a small CNN"}) {
            double worst = Convolution.gradientCheck(what, rng);
            assertTrue(worst < 1e-6, what + ": " + worst);
        }
    }

    @Test
    void conv2DPassesTheGradientCheckOnRandomShapesBothWays() {
        Random rng = new Random(8);
        for (int trial = 0; trial < 4; trial++) {
            int c = 1 + rng.nextInt(3), h = 3 + rng.nextInt(4), w = 3 + rng.nextInt(4), k = 1 + rng.nextInt(3), o = 1 + rng.nextInt(3);
            Convolution.Volume in = new Convolution.Volume(c, h, w);
            Convolution.Conv2D conv = Convolution.Conv2D.he(in, o, k, rng);
            conv.bias.data()[0] = 0.3; // a bias that is not 0, so that a forward that forgets it shows
            conv.direct = trial % 2 == 0;
            Convolution.Network net = new Convolution.Network();
            net.add(conv);
            net.add(new Convolution.ActivationLayer(Convolution.Activation.TANH));
            net.add(new Convolution.Flatten(conv.out));
            net.add(new Convolution.Dense(conv.out.size(), 3, rng));
            net.use(new Convolution.SoftmaxCrossEntropy());
            Convolution.Matrix y = new Convolution.Matrix(2, 3);
            y.data()[1] = y.data()[3] = 1;
            double worst = Convolution.gradientCheck(net, Convolution.Matrix.random(2, in.size(), rng), y);
            assertTrue(worst < 1e-6, in + " -> " + conv.out + " (direct " + conv.direct + "): " + worst);
        }
    }

    @Test
    void maxPoolRoutesTheGradientToTheArgMax() {
        Convolution.MaxPool pool = new Convolution.MaxPool(new Convolution.Volume(1, 2, 5)); // the odd fifth column is left out
        Convolution.Matrix x = Convolution.Matrix.of(new double[] {1, 5, 2, 0, 9, 3, 4, 8, 7, 9});
        Convolution.Matrix y = pool.forward(x);
        assertArrayEquals(new double[] {5, 8}, y.data()); // max of {1, 5, 3, 4} and of {2, 0, 8, 7}
        Convolution.Matrix dX = pool.backward(Convolution.Matrix.of(new double[] {10, 20}), 0);
        assertArrayEquals(new double[] {0, 10, 0, 0, 0, 0, 0, 20, 0, 0}, dX.data());
        Convolution.Matrix tied = Convolution.Matrix.of(new double[] {0, 0, 0, 0, 0, 0, 0, 0}); // zeros, as after a ReLU
        Convolution.MaxPool square = new Convolution.MaxPool(new Convolution.Volume(1, 2, 4));
        square.forward(tied);
        assertArrayEquals(new double[] {10, 0, 20, 0, 0, 0, 0, 0}, // a tie goes to the first of each block, in reading order
                square.backward(Convolution.Matrix.of(new double[] {10, 20}), 0).data());
    }

    @Test
    void flattenPassesNumbersAndGradientsThrough() {
        Convolution.Flatten flatten = new Convolution.Flatten(new Convolution.Volume(2, 2, 3));
        Convolution.Matrix x = Convolution.Matrix.random(2, 12, new Random(1));
        assertArrayEquals(x.data(), flatten.forward(x).data());
        assertArrayEquals(x.data(), flatten.backward(x, 0).data());
    }

    // ------------------------------------------------------------ shapes

    @Test
    void shapeErrorsNameBothShapes() {
        Convolution.Conv2D conv = Convolution.Conv2D.he(new Convolution.Volume(1, 28, 28), 8, 5, new Random(1));
        String message = assertThrows(IllegalArgumentException.class, () -> conv.forward(new Convolution.Matrix(2, 256))).getMessage();
        assertTrue(message.contains("1x28x28") && message.contains("2x256"), message);
        conv.forward(new Convolution.Matrix(2, 784));
        message = assertThrows(IllegalArgumentException.class, () -> conv.backward(new Convolution.Matrix(2, 100), 0)).getMessage();
        assertTrue(message.contains("8x24x24") && message.contains("2x100"), message);
        Convolution.MaxPool pool = new Convolution.MaxPool(new Convolution.Volume(8, 24, 24));
        message = assertThrows(IllegalArgumentException.class, () -> pool.forward(new Convolution.Matrix(1, 784))).getMessage();
        assertTrue(message.contains("8x24x24") && message.contains("1x784"), message);
        message = assertThrows(IllegalArgumentException.class, () -> new Convolution.Flatten(new Convolution.Volume(16, 4, 4))
                .forward(new Convolution.Matrix(3, 255))).getMessage();
        assertTrue(message.contains("16x4x4") && message.contains("3x255"), message);
        message = assertThrows(IllegalArgumentException.class, () -> new Convolution.Conv2D(new Convolution.Volume(2, 5, 5), 3,
                new Convolution.Matrix(4, 9), new Convolution.Matrix(1, 4))).getMessage();
        assertTrue(message.contains("2x5x5") && message.contains("4x9"), message);
        assertThrows(IllegalArgumentException.class, () -> new Convolution.Conv2D(new Convolution.Volume(1, 2, 2), 3,
                new Convolution.Matrix(1, 9), new Convolution.Matrix(1, 1)));
    }

    // ------------------------------------------------------------ saving and loading

    @Test
    void aSavedCnnLoadsBackBitForBitAndABrokenFileIsRefused(@TempDir Path dir) throws IOException {
        Convolution.Network net = Convolution.cnn(new Random(4));
        Path file = dir.resolve("cnn.jnn");
        Convolution.ModelFile.save(net, file);
        Convolution.Network back = Convolution.digitModel(file);
        assertEquals(Convolution.describe(net), Convolution.describe(back));
        Convolution.Matrix x = Convolution.Matrix.random(3, 784, new Random(5));
        assertArrayEquals(net.predict(x).data(), back.predict(x).data()); // exactly: doubles are written whole
        byte[] bytes = Files.readAllBytes(file);
        // the second layer's kind starts after the header (12 bytes) and the conv2d layer: "conv2d" (2 + 6 bytes),
        // its volume and k and kernel count (5 ints), 8 x 25 kernel weights and 8 biases (doubles)
        int second = 12 + 8 + 20 + 8 * (8 * 25 + 8);
        assertEquals("activation", new String(bytes, second + 2, 10, java.nio.charset.StandardCharsets.US_ASCII));
        Files.write(dir.resolve("truncated.jnn"), Arrays.copyOf(bytes, bytes.length / 2));
        ByteBuffer wrongVolume = ByteBuffer.wrap(bytes.clone());
        wrongVolume.putInt(12 + 8 + 4, 29); // the first convolution now reads 1x29x28 digits: its kernels no longer fit the bytes after
        Files.write(dir.resolve("wrong volume.jnn"), wrongVolume.array());
        for (String name : new String[] {"truncated.jnn", "wrong volume.jnn"}) {
            assertThrows(Convolution.UserError.class, () -> Convolution.digitModel(dir.resolve(name)), name);
        }
    }

    // ------------------------------------------------------------ training, and the whole lesson

    @Test
    void theSameSeedTrainsTheSameNetwork() {
        Path dir = Path.of("datasets", "mnist");
        Convolution.Dataset train = Convolution.load(dir, "train", 160, 1, "x"), test = Convolution.load(dir, "t10k", 60, 1, "x");
        Convolution.History[] runs = new Convolution.History[3];
        for (int i = 0; i < 3; i++) {
            long seed = i < 2 ? 7 : 8;
            runs[i] = Convolution.train(Convolution.cnn(new Random(seed)), train, test, 2, 0.002, new Random(seed + 1), () -> {});
        }
        assertArrayEquals(runs[0].loss(), runs[1].loss());
        assertArrayEquals(runs[0].accuracy(), runs[1].accuracy());
        assertFalse(Arrays.equals(runs[0].loss(), runs[2].loss()), "another seed, another run");
        assertTrue(runs[0].loss()[1] < runs[0].loss()[0], "the loss falls: " + Arrays.toString(runs[0].loss()));
    }

    @Test
    void aShortRunOfTheLessonPrintsItsStepsAndDrawsItsPictures(@TempDir Path dir, @TempDir Path pictures) throws IOException {
        LessonRun.copyFirst(dir, "train", 300);
        LessonRun.copyFirst(dir, "t10k", 100);
        LessonRun run = LessonRun.in(pictures, "Convolution", "--data-dir", dir.toString(), "--epochs", "1", "--seed", "3");
        assertEquals(0, run.exitCode(), run.err());
        for (String expected : new String[] {"0 0 2", "The kernel shaped like the stroke answers up to 2, the other up to 1",
            "300 training images, 100 held out", "backward holds", "held-out accuracy: "}) {
            assertTrue(run.out().contains(expected), expected + " missing:\n" + run.out());
        }
        assertFalse(run.out().contains("DISAGREE"), run.out());
        assertFalse(run.out().contains("lesson 13's best"), "another data set is not compared with lesson 13's mark:\n" + run.out());
        LessonRun.assertPng(pictures.resolve("15-filters.png"), 800, 300);
        LessonRun.assertPng(pictures.resolve("15-feature-maps.png"), 800, 900);
        LessonRun.assertPng(pictures.resolve("15-confusion.png"), 800, 500);
        assertTrue(Files.exists(pictures.resolve("15-mistakes.png")));
    }

    @Test
    void mistakesEndInOneLine() {
        for (String[] args : new String[][] {{"--epochs", "0"}, {"--exercise", "3"}}) {
            LessonRun run = LessonRun.of("Convolution", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + ": " + run.err());
        }
    }

    @Test
    void theExercisesPrintTheirConclusions() {
        String padding = LessonRun.printed(Convolution::exercisePadding), counting = LessonRun.printed(Convolution::exerciseCounting);
        assertTrue(padding.contains("the output is 1x4x4, the input's own size"), padding);
        assertTrue(padding.contains("cropping the gradient is padding's backward"), padding);
        // conv 1x28x28 -> 8x24x24: 8 * 25 + 8 = 208 parameters, 8 * 24 * 24 * 25 = 115200 multiply-adds
        assertTrue(counting.contains("208") && counting.contains("115200"), counting);
        assertTrue(counting.contains("84060"), counting); // 784*100 + 100 + 100*50 + 50 + 50*10 + 10
    }
}
