import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpeedyTest {
    static final Path DIGITS_FILE = Speedy.courseDir().resolve("datasets").resolve("digits.csv.gz");

    @AfterEach
    void plainLoopsOneThreadPerCore() {
        Speedy.fast = false;
        Speedy.FastMatmul.threads = Runtime.getRuntime().availableProcessors();
    }

    @Test
    void batchedBackwardMatchesCentralDifferencesForSeveralBatchSizes() {
        Random rng = new Random(1);
        for (int rows : new int[] {1, 3, 16}) {
            Speedy.SpeedyNetwork net = Speedy.SpeedyNetwork.lecun(new int[] {5, 4, 3}, rng);
            Speedy.Matrix x = Speedy.random(rows, 5, rng), t = Speedy.random(rows, 3, rng);
            double gap = Speedy.gradientCheck(net, x, t);
            assertTrue(gap < 1e-6, "batch of " + rows + ": relative gap " + gap);
        }
    }

    @Test
    void speedyTakesTheSameStepAsThePerNeuronNetwork() {
        Random rng = new Random(2);
        Speedy.SpeedyNetwork speedy = Speedy.SpeedyNetwork.lecun(new int[] {64, 32, 10}, rng);
        Speedy.NeuralNetwork neurons = Speedy.perNeuronCopy(speedy);
        Speedy.Matrix x = Speedy.random(1, 64, rng), t = new Speedy.Matrix(1, 10);
        t.data[7] = 1;
        double[] expected = neurons.forward(Speedy.row(x, 0));
        double[] actual = speedy.forward(x).data;
        double squaresNeurons = 0;
        for (int k = 0; k < 10; k++) {
            assertEquals(expected[k], actual[k], 1e-12, "output " + k);
            squaresNeurons += (t.data[k] - expected[k]) * (t.data[k] - expected[k]);
        }
        double squaresSpeedy = speedy.backpropagate(x, t, 0.5);
        neurons.backpropagate(Speedy.row(x, 0), Speedy.row(t, 0), 0.5);
        assertEquals(squaresNeurons, squaresSpeedy, 1e-12);
        assertTrue(Speedy.weightGap(speedy, neurons) < 1e-12, "weights differ by " + Speedy.weightGap(speedy, neurons));
        // the step moved the weights, so the comparison above compared something
        assertTrue(Speedy.weightGap(speedy, Speedy.perNeuronCopy(Speedy.SpeedyNetwork.lecun(new int[] {64, 32, 10}, new Random(2)))) > 1e-6);
    }

    @Test
    void trainingFromTheSameStartFollowsThePerNeuronNetworkWithBatchesOfOne() {
        // a batch of one is a single step: both networks must stay together, epoch after epoch
        Random rng = new Random(8);
        Speedy.Matrix x = Speedy.random(12, 4, rng), t = Speedy.random(12, 3, rng);
        Speedy.SpeedyNetwork speedy = Speedy.SpeedyNetwork.lecun(new int[] {4, 5, 3}, rng);
        Speedy.NeuralNetwork neurons = Speedy.perNeuronCopy(speedy);
        double[] a = speedy.train(x, t, 5, 1, 0.3, new Random(9));
        double[] b = Speedy.trainPerNeuron(neurons, x, t, 5, 0.3, new Random(9), new double[5]);
        assertArrayEquals(b, a, 1e-12);
        assertTrue(Speedy.weightGap(speedy, neurons) < 1e-12, "weights differ by " + Speedy.weightGap(speedy, neurons));
    }

    @Test
    void trainReturnsTheMeanSquaredErrorOfEachEpoch() {
        // learning rate 0 and one batch of everything: the epoch's MSE is the total error / (examples x outputs)
        Random rng = new Random(10);
        Speedy.Matrix x = Speedy.random(6, 3, rng), t = Speedy.random(6, 2, rng);
        Speedy.SpeedyNetwork net = Speedy.SpeedyNetwork.lecun(new int[] {3, 4, 2}, rng);
        double total = 2 * Speedy.error(net, x, t);
        assertEquals(total / 12, net.train(x, t, 1, 6, 0.0, new Random(1))[0], 1e-15);
    }

    /** The reference: C(i,j) = fma over k = 0, 1, ... in order, the sequence FastMatmul promises. */
    static double[] fmaReference(Speedy.Matrix a, Speedy.Matrix b) {
        double[] c = new double[a.rows * b.cols];
        for (int i = 0; i < a.rows; i++) {
            for (int j = 0; j < b.cols; j++) {
                double sum = 0;
                for (int k = 0; k < a.cols; k++) sum = Math.fma(a.get(i, k), b.get(k, j), sum);
                c[i * b.cols + j] = sum;
            }
        }
        return c;
    }

    @Test
    void fastKernelAgreesWithThePlainLoopAndKeepsItsOrderOfAdditions() {
        Random rng = new Random(3);
        // odd sizes reach every tail: rows not a multiple of 4, k not of 3, columns past a block of 256, narrow products
        int[][] shapes = {{1, 1, 1}, {5, 7, 3}, {16, 64, 32}, {64, 16, 32}, {16, 10, 32}, {16, 32, 10}, {32, 16, 10},
            {13, 32, 10}, {3, 2, 32}, {5, 256, 32}, {6, 257, 10}, {9, 130, 70}, {7, 300, 300}, {10, 4, 257}};
        for (int[] s : shapes) {
            Speedy.Matrix a = Speedy.random(s[0], s[1], rng), b = Speedy.random(s[1], s[2], rng);
            Speedy.Matrix fast = new Speedy.Matrix(s[0], s[2]), plain = new Speedy.Matrix(s[0], s[2]);
            Speedy.FastMatmul.multiply(a, b, fast);
            Speedy.multiply(a, b, plain);
            Speedy.fast = true;
            Speedy.Matrix viaFlag = new Speedy.Matrix(s[0], s[2]);
            Speedy.multiply(a, b, viaFlag); // --fast: the layers' multiply hands the product to FastMatmul
            Speedy.fast = false;
            assertArrayEquals(fast.data, viaFlag.data, 0.0);
            String shape = s[0] + "x" + s[1] + "x" + s[2];
            for (int i = 0; i < fast.data.length; i++) assertEquals(plain.data[i], fast.data[i], 1e-12 * s[1], shape + " element " + i);
            assertArrayEquals(fmaReference(a, b), fast.data, 0.0, shape);
        }
    }

    @Test
    void theNarrowKernelReadsTheTransposeInPlaceAndLeavesOtherShapesAlone() {
        Random rng = new Random(15);
        for (int[] s : new int[][] {{64, 16, 32}, {32, 16, 10}, {7, 13, 32}, {5, 3, 10}, {4, 256, 32}}) {
            Speedy.Matrix x = Speedy.random(s[1], s[0], rng), b = Speedy.random(s[1], s[2], rng); // X^T is s[0] x s[1]
            Speedy.Matrix xt = new Speedy.Matrix(s[0], s[1]), c = new Speedy.Matrix(s[0], s[2]);
            Speedy.transpose(x, xt);
            assertTrue(Speedy.FastMatmul.multiplyNarrow(x, true, b, c));
            assertArrayEquals(fmaReference(xt, b), c.data, 0.0, Arrays.toString(s));
        }
        for (int[] s : new int[][] {{4, 5, 33}, {4, 257, 32}, {4, 5, 64}}) {
            Speedy.Matrix a = Speedy.random(s[0], s[1], rng), b = Speedy.random(s[1], s[2], rng), c = new Speedy.Matrix(s[0], s[2]);
            assertTrue(!Speedy.FastMatmul.multiplyNarrow(a, false, b, c), Arrays.toString(s));
            assertTrue(Arrays.stream(c.data).allMatch(v -> v == 0), "left C as it was");
        }
        var e = assertThrows(IllegalArgumentException.class,
                () -> Speedy.FastMatmul.multiplyNarrow(new Speedy.Matrix(3, 4), true, new Speedy.Matrix(4, 32), new Speedy.Matrix(4, 32)));
        assertTrue(e.getMessage().contains("transpose of 3x4") && e.getMessage().contains("4x32"), e.getMessage());
    }

    @Test
    void theFastSigmoidIsWithin2e14OfTheExactOneOverTheWholeRange() {
        double worst = 0;
        for (int i = 0; i <= 2_000_000; i++) {
            double z = -45 + 90.0 * i / 2_000_000, exact = 1 / (1 + Math.exp(-z));
            worst = Math.max(worst, Math.abs(Speedy.FastSigmoid.sigmoid(z) - exact) / exact);
        }
        assertTrue(worst < 2e-14 && worst > 0, "largest relative error " + worst);
        for (double z : new double[] {-50, -100, -745, Double.NEGATIVE_INFINITY}) {
            assertTrue(Speedy.FastSigmoid.sigmoid(z) - 1 / (1 + Math.exp(-z)) < 3e-20, "at " + z);
        }
        for (double z : new double[] {45.5, 46, 700, Double.POSITIVE_INFINITY}) assertEquals(1.0, Speedy.FastSigmoid.sigmoid(z), 0.0);
        assertTrue(Double.isNaN(Speedy.FastSigmoid.sigmoid(Double.NaN)), "NaN stays NaN, so a diverged loss is still caught");
    }

    @Test
    void theFastPathTrainsTheDigitsToTheSameNumbersAsThePlainLoops() {
        Speedy.Split split = Speedy.split(Speedy.DIGITS.read(DIGITS_FILE), new Random(42));
        double[][] mse = new double[2][];
        double[] accuracy = new double[2];
        Speedy.SpeedyNetwork[] nets = new Speedy.SpeedyNetwork[2];
        for (int run = 0; run < 2; run++) {
            Speedy.fast = run == 1;
            nets[run] = Speedy.SpeedyNetwork.lecun(new int[] {64, 32, 10}, new Random(42));
            mse[run] = nets[run].train(split.train().x(), split.train().oneHot(), 20, 16, 0.01, new Random(42));
            accuracy[run] = Speedy.accuracy(nets[run], split.test());
        }
        assertArrayEquals(mse[0], mse[1], 1e-9);
        assertEquals(accuracy[0], accuracy[1], 1e-9);
        for (int l = 0; l < 2; l++) assertArrayEquals(nets[0].layers[l].weights.data, nets[1].layers[l].weights.data, 1e-9);
        assertTrue(!Arrays.equals(mse[0], mse[1]), "the two paths round differently: this compared two computations");
    }


    @Test
    void exerciseTwosLoopsComputeTheSameProduct() {
        Random rng = new Random(11);
        Speedy.Matrix a = Speedy.random(9, 70, rng), b = Speedy.random(70, 33, rng);
        Speedy.Matrix plain = new Speedy.Matrix(9, 33), ijk = new Speedy.Matrix(9, 33);
        Speedy.multiply(a, b, plain);
        Speedy.multiplyIjk(a, b, ijk);
        assertArrayEquals(plain.data, ijk.data, 1e-12);
        assertTrue(Arrays.stream(plain.data).anyMatch(v -> v != 0));
    }

    @Test
    void trainingWithFastMatmulIsIdenticalForOneTwoAndThreeThreads() {
        Random rng = new Random(12);
        Speedy.Matrix x = Speedy.random(130, 300, rng), t = Speedy.random(130, 80, rng);
        Speedy.fast = true;
        double[][] runs = new double[3][];
        Speedy.SpeedyNetwork[] nets = new Speedy.SpeedyNetwork[3];
        for (int threads = 1; threads <= 3; threads++) {
            Speedy.FastMatmul.threads = threads;
            nets[threads - 1] = Speedy.SpeedyNetwork.lecun(new int[] {300, 100, 80}, new Random(13));
            runs[threads - 1] = nets[threads - 1].train(x, t, 2, 130, 0.01, new Random(14)); // one batch of 130: products worth splitting
        }
        assertArrayEquals(runs[0], runs[1], 0.0);
        assertArrayEquals(runs[0], runs[2], 0.0);
        assertArrayEquals(nets[0].layers[0].weights.data, nets[2].layers[0].weights.data, 0.0);
    }

    @Test
    void oneAndTwoThreadsGiveIdenticalProducts() {
        Random rng = new Random(4);
        Speedy.Matrix a = Speedy.random(130, 300, rng), b = Speedy.random(300, 300, rng); // big enough to split
        Speedy.Matrix one = new Speedy.Matrix(130, 300), two = new Speedy.Matrix(130, 300), three = new Speedy.Matrix(130, 300);
        Speedy.FastMatmul.threads = 1;
        Speedy.FastMatmul.multiply(a, b, one);
        Speedy.FastMatmul.threads = 2;
        Speedy.FastMatmul.multiply(a, b, two);
        Speedy.FastMatmul.threads = 3;
        Speedy.FastMatmul.multiply(a, b, three);
        assertArrayEquals(one.data, two.data, 0.0);
        assertArrayEquals(one.data, three.data, 0.0);
    }

    @Test
    void workersRunEveryPartOnceAndPassOnAHelpersFailure() {
        Speedy.Workers workers = Speedy.Workers.of(3);
        int[] runs = new int[3];
        for (int task = 0; task < 1000; task++) workers.run((part, parts) -> runs[part]++);
        assertArrayEquals(new int[] {1000, 1000, 1000}, runs);
        var e = assertThrows(IllegalStateException.class, () -> workers.run((part, parts) -> {
            if (part == 2) throw new ArithmeticException("part 2 broke");
        }));
        assertTrue(e.getMessage().contains("part 2 broke"), e.getMessage());
        workers.run((part, parts) -> runs[part]++); // still working afterwards
        assertArrayEquals(new int[] {1001, 1001, 1001}, runs);
    }

    @Test
    void shapeMismatchNamesBothShapes() {
        Speedy.Matrix a = new Speedy.Matrix(2, 3), b = new Speedy.Matrix(4, 5);
        var e = assertThrows(IllegalArgumentException.class, () -> Speedy.FastMatmul.multiply(a, b, new Speedy.Matrix(2, 5)));
        assertTrue(e.getMessage().contains("2x3") && e.getMessage().contains("4x5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Speedy.multiply(a, b, new Speedy.Matrix(2, 5)));
        assertTrue(e.getMessage().contains("2x3") && e.getMessage().contains("4x5"), e.getMessage());
        Speedy.Layer layer = new Speedy.Layer(3, 2, Speedy.Activation.SIGMOID);
        e = assertThrows(IllegalArgumentException.class, () -> layer.forward(new Speedy.Matrix(4, 5)));
        assertTrue(e.getMessage().contains("3") && e.getMessage().contains("4x5"), e.getMessage());
    }

    @Test
    void layerComputesTheWorkedExample() {
        Speedy.Layer layer = new Speedy.Layer(3, 2, Speedy.Activation.SIGMOID);
        System.arraycopy(new double[] {0.2, -0.5, 0.4, 0.1, -0.3, 0.8}, 0, layer.weights.data, 0, 6);
        layer.biases[0] = 0.1;
        Speedy.Matrix x = new Speedy.Matrix(1, 3);
        System.arraycopy(new double[] {1, 2, 3}, 0, x.data, 0, 3);
        assertEquals(1 / (1 + Math.exp(-0.2)), layer.forward(x).get(0, 0), 1e-12); // 0.2 + 0.8 - 0.9 + 0.1
    }

    @Test
    void shortDigitsRunLearns() {
        Speedy.Split split = Speedy.split(Speedy.DIGITS.read(DIGITS_FILE), new Random(42));
        assertEquals(1437, split.train().size());
        assertEquals(360, split.test().size());
        Speedy.SpeedyNetwork net = Speedy.SpeedyNetwork.lecun(new int[] {64, 32, 10}, new Random(42));
        double[] loss = net.train(split.train().x(), split.train().oneHot(), 30, 16, 0.01, new Random(42));
        assertTrue(loss[29] < loss[0] / 3, "loss went from " + loss[0] + " to " + loss[29]);
        double accuracy = Speedy.accuracy(net, split.test());
        assertTrue(accuracy > 0.85, "test accuracy " + accuracy);
    }

    @Test
    void trainingAllocatesNothingPerBatch() {
        Speedy.Split split = Speedy.split(Speedy.DIGITS.read(DIGITS_FILE), new Random(5));
        Speedy.Matrix x = split.train().x(), t = split.train().oneHot();
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (boolean fast : new boolean[] {false, true}) {
            Speedy.fast = fast;
            long[] bytes = new long[2];
            int[] epochs = {2, 12};
            for (int run = 0; run < 2; run++) {
                Speedy.SpeedyNetwork net = Speedy.SpeedyNetwork.lecun(new int[] {64, 32, 10}, new Random(5));
                net.train(x, t, 1, 16, 0.01, new Random(5)); // the layers' arrays are made in the first epoch
                long before = threads.getCurrentThreadAllocatedBytes();
                net.train(x, t, epochs[run], 16, 0.01, new Random(5));
                bytes[run] = threads.getCurrentThreadAllocatedBytes() - before;
            }
            // 10 more epochs are 900 more batches (the last of each smaller); only the per-epoch history may grow
            assertTrue(bytes[1] - bytes[0] < 2_000, "fast " + fast + ": 10 more epochs allocated " + (bytes[1] - bytes[0]) + " more bytes");
        }
    }

    @Test
    void sameSeedSameTraining() {
        Speedy.Split split = Speedy.split(Speedy.DIGITS.read(DIGITS_FILE), new Random(7));
        double[][] runs = new double[2][];
        for (int run = 0; run < 2; run++) {
            Speedy.SpeedyNetwork net = Speedy.SpeedyNetwork.lecun(new int[] {64, 32, 10}, new Random(7));
            runs[run] = net.train(split.train().x(), split.train().oneHot(), 3, 16, 0.01, new Random(7));
        }
        assertArrayEquals(runs[0], runs[1], 0.0);
    }

    @Test
    void lessonRunsAndComparesBothNetworks(@TempDir Path dir) throws Exception {
        Path pictures = dir.resolve("my pictures");
        LessonRun run = LessonRun.in(pictures, "Speedy");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("A(0,0)") && run.out().contains("0.549834"), run.out());
        assertTrue(run.out().contains("Both below 1e-12") && run.out().contains("All below 1e-6"), run.out());
        for (String task : new String[] {"XOR 2-2-1", "Iris 4-4-3", "digits 64-32-10"}) {
            assertTrue(run.out().lines().anyMatch(l -> l.startsWith("   " + task + " ") && l.endsWith("x")), task + " row missing:\n" + run.out());
        }
        String plot = run.out().lines().filter(l -> l.startsWith("   plot: ")).findFirst().orElseThrow().substring("   plot: ".length());
        Path png = pictures.resolve("09-per-neuron-vs-speedy.png");
        assertEquals(png.toString(), plot);
        LessonRun.assertPng(png, 800, 500);
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        for (String[] args : new String[][] {{"--threads", "257"}, {"--fast", "--fast"}, {"--rate", "NaN"},
            {"--rate", "0.5", "--exercise", "1"}, {"--epochs", "5", "--bench"}}) {
            LessonRun run = LessonRun.of("Speedy", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
    }

    @Test
    void malformedDataIsAUserErrorNamingLineAndColumn(@TempDir Path dir) throws Exception {
        Speedy.LabelledCsv format = new Speedy.LabelledCsv("datasets/test.csv", 2, 0, 16, true, 3, false);
        String[][] cases = { // the file's text, and what the message must say
            {"1,2,0\n4,5\n", "line 2 has 2 fields, expected 3"},
            {"1,2,0\n17,1,1\n", "line 2, column 1: '17' should be a whole number from 0 to 16"},
            {"1,2,0\n1,2.5,1\n", "line 2, column 2: '2.5' should be a whole number from 0 to 16"},
            {"1,2,3\n", "line 1, column 3: '3' should be a whole number from 0 to 2"},
            {"NaN,2,0\n", "line 1, column 1: the value is not a finite number"},
            {"1,-Infinity,0\n", "line 1, column 2: the value is not a finite number"},
            {"1e200,2,0\n", "line 1, column 1: '1e200' should be"},
            {"1,2,0\n1,x\u0007y,0\n", "line 2, column 2: 'x?y' is not a number"},
            {"1,,0\n", "line 1, column 2: the cell is empty"},
            {"\n \n", "holds no examples"}};
        for (String[] c : cases) {
            Path file = Files.writeString(dir.resolve("bad.csv"), c[0]);
            var e = assertThrows(Speedy.UserError.class, () -> format.read(file), c[0]);
            assertTrue(e.getMessage().startsWith(file + " ") && e.getMessage().contains(c[1]), e.getMessage());
            assertTrue(!e.getMessage().contains("NaN") && !e.getMessage().contains("Infinity"), e.getMessage());
        }
        var e = assertThrows(Speedy.UserError.class, () -> Speedy.DIGITS.read(dir.resolve("missing.csv.gz")));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void theReaderSkipsAByteOrderMarkAndAHeader(@TempDir Path dir) throws Exception {
        Speedy.LabelledCsv format = new Speedy.LabelledCsv("datasets/test.csv", 2, 0, 100, false, 3, true);
        Path file = Files.writeString(dir.resolve("bom.csv"), "\uFEFFa,b,class\r\n5.1,3.5,0\r\n\r\n4.9,3,2\r\n");
        Speedy.Dataset data = format.read(file);
        assertArrayEquals(new double[] {5.1, 3.5, 4.9, 3}, data.x().data, 0.0);
        assertArrayEquals(new int[] {0, 2}, data.labels());
        assertEquals(150, Speedy.IRIS.read(Speedy.courseDir().resolve("datasets").resolve("iris.csv")).size());
    }

    @Test
    void filesThatAreNotTextOrNeverEndAreRefusedBeforeTheyFillTheMemory(@TempDir Path dir) throws Exception {
        byte[] noise = new byte[4096];
        new Random(42).nextBytes(noise);
        byte[] zipped;
        var bytes = new java.io.ByteArrayOutputStream();
        try (var gz = new java.util.zip.GZIPOutputStream(bytes)) {
            byte[] ones = new byte[1 << 20];
            Arrays.fill(ones, (byte) '1');
            for (int mb = 0; mb < 17; mb++) gz.write(ones); // 17 MB of text in a .gz of a few KB
        }
        zipped = bytes.toByteArray();
        Object[][] cases = {
            {Files.write(dir.resolve("noise.csv"), noise), "holds bytes that are not text"},
            {Files.write(dir.resolve("bomb.csv.gz"), zipped), "more than 16 MB of text"},
            {Files.write(dir.resolve("cut.csv.gz"), Arrays.copyOf(zipped, zipped.length / 2)), "the .gz is cut short"},
            {Files.writeString(dir.resolve("plain.csv.gz"), "1,2,0\n"), "is not a working gzip file"},
            {Files.createDirectory(dir.resolve("folder.csv")), "is a folder"},
            {Path.of("/dev/zero"), "is not a regular file"}};
        for (Object[] c : cases) {
            Path file = (Path) c[0];
            if (!Files.exists(file)) continue; // no /dev/zero here
            var e = assertThrows(Speedy.UserError.class, () -> Speedy.DIGITS.read(file), file.toString());
            assertTrue(e.getMessage().contains((String) c[1]), e.getMessage());
        }
    }

    @Test
    void rateAndEpochsSetEveryTaskOfStepFourOrNone() {
        for (Speedy.Task task : Speedy.tutorialTasks(new Random(1), 0.3, 7)) {
            assertEquals(7, task.epochs(), task.name());
            assertEquals(0.3, task.learningRate(), 0.0, task.name());
        }
        List<Speedy.Task> own = Speedy.tutorialTasks(new Random(1), null, null);
        assertEquals(List.of(10000, 1000, 20), own.stream().map(Speedy.Task::epochs).toList());
        assertEquals(List.of(0.5, 0.1, 0.01), own.stream().map(Speedy.Task::learningRate).toList());
    }

    @Test
    void aLossThatIsNoLongerANumberStopsTheTraining() {
        // sigmoid outputs keep the MSE below 1 at any rate; leaky ReLU outputs have no ceiling, and at rate 5 they blow up
        Random rng = new Random(15);
        Speedy.Matrix x = Speedy.random(8, 3, rng), t = Speedy.random(8, 2, rng);
        Speedy.SpeedyNetwork relu = new Speedy.SpeedyNetwork(Speedy.Layer.lecun(3, 4, Speedy.Activation.LEAKY_RELU, rng),
                Speedy.Layer.lecun(4, 2, Speedy.Activation.LEAKY_RELU, rng));
        var e = assertThrows(Speedy.UserError.class, () -> relu.train(x, t, 1000, 8, 5, rng));
        assertTrue(e.getMessage().matches("the loss became (undefined|Infinity) at epoch \\d+: the learning rate 5.0 is too large; try 0.5"), e.getMessage());
        Speedy.NeuralNetwork neurons = Speedy.NeuralNetwork.random(new int[] {3, 4, 2}, Speedy.Activation.LEAKY_RELU, rng);
        e = assertThrows(Speedy.UserError.class, () -> Speedy.trainPerNeuron(neurons, x, t, 1000, 5, rng, new double[1000]));
        assertTrue(e.getMessage().contains("the learning rate 5.0 is too large"), e.getMessage());
        Speedy.SpeedyNetwork calm = new Speedy.SpeedyNetwork(Speedy.Layer.lecun(3, 4, Speedy.Activation.LEAKY_RELU, new Random(15)),
                Speedy.Layer.lecun(4, 2, Speedy.Activation.LEAKY_RELU, new Random(16)));
        assertEquals(1000, calm.train(x, t, 1000, 8, 0.05, rng).length); // a small rate trains on
    }
}
