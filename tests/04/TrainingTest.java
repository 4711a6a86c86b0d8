import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingTest {
    static final double[][] X = Training.XOR_INPUTS, XOR = Training.XOR_TARGETS;

    static Training.NeuralNetwork xorNetwork(int hidden, long seed) {
        return Training.NeuralNetwork.random(new int[] {2, hidden, 1}, Training.Activation.SIGMOID, new Random(seed));
    }

    @Test
    void defaultSeedLearnsXorWithAMargin() {
        Training.NeuralNetwork net = xorNetwork(2, 42);
        double[] history = Training.train(net, X, XOR, 10_000, 0.5, 0);
        for (int i = 0; i < X.length; i++) {
            double o = net.forward(X[i])[0];
            assertEquals(XOR[i][0], o, 0.1, "XOR of " + X[i][0] + ", " + X[i][1]);
        }
        assertTrue(history[history.length - 1] < history[1] / 100);
    }

    /** history[e] is the total error after e epochs: history[0] before training, history[1] after one pass. */
    @Test
    void epochsCountFromOne() {
        Training.NeuralNetwork net = xorNetwork(2, 3), again = xorNetwork(2, 3);
        double untrained = Training.totalError(net, X, XOR);
        double[] history = Training.train(net, X, XOR, 2, 0.5, 0);
        assertEquals(3, history.length);
        assertEquals(untrained, history[0], 0.0);
        for (int i = 0; i < X.length; i++) again.backpropagate(X[i], XOR[i], 0.5);
        assertEquals(Training.totalError(again, X, XOR), history[1], 0.0);
        assertEquals(Training.totalError(net, X, XOR), history[2], 0.0);
    }

    @Test
    void moreHiddenNeuronsLearnXorFromMoreSeeds() {
        int two = Training.learnedWithHidden(2, 42, 10_000, 0.5), four = Training.learnedWithHidden(4, 42, 10_000, 0.5);
        assertEquals(14, two); // the lesson's seeds 42 to 61: six runs get stuck
        assertEquals(20, four);
    }

    @Test
    void aStuckRunIsDiagnosedAsSaturated() {
        Training.NeuralNetwork net = xorNetwork(2, 44); // one of the stuck seeds in the lesson's table
        double[] history = Training.train(net, X, XOR, 10_000, 0.5, 0);
        assertFalse(Training.learned(net, X, XOR));
        assertEquals(0.5, history[10_000], 0.01); // two inputs right, two answered about 0.5
        String diagnosis = Training.diagnose(net);
        assertTrue(diagnosis.contains("[1, 0] and [1, 1]") && diagnosis.contains("saturated"), diagnosis);
    }

    /** What step 1 prints for one seed, captured in this JVM. */
    static String stepOne(long seed) {
        return LessonRun.printed(() -> Training.learnXor(new Random(seed), 10_000, 0.5));
    }

    @Test
    void stepOneSaysStuckWhenStuckAndNamesTheGatesWhenLearned() {
        String stuck = stepOne(44);
        assertTrue(stuck.contains("STUCK") && !stuck.contains("learned XOR"), stuck);
        assertTrue(stuck.contains("epoch 10000  total error 0.5027"), stuck);
        String learned = stepOne(42);
        assertTrue(learned.contains("hidden neuron 1 is AND, hidden neuron 2 is NOR") && learned.contains("learned XOR"), learned);
        assertTrue(learned.contains("epoch     1  total error 1.0419"), learned);
        assertFalse(learned.contains("STUCK"), learned);
    }

    @Test
    void gatesAreReadFromTheFourHiddenOutputs() {
        double[][] hidden = {{0.1, 0.9}, {0.2, 0.1}, {0.3, 0.2}, {0.8, 0.0}}; // rows: inputs [0,0], [0,1], [1,0], [1,1]
        assertEquals("AND", Training.gate(hidden, 0));
        assertEquals("NOR", Training.gate(hidden, 1));
    }

    @Test
    void totalErrorIsTheSumOfSquaredErrors() {
        Training.Neuron constant = new Training.Neuron(new double[] {0, 0}, 0, Training.Activation.SIGMOID); // always 0.5
        Training.NeuralNetwork net = new Training.NeuralNetwork(new Training.Neuron[][] {{constant}});
        assertEquals(4 * 0.25, Training.totalError(net, X, XOR), 1e-12);
    }

    @Test
    void trainingIsReproducible() {
        Training.NeuralNetwork a = xorNetwork(2, 7), b = xorNetwork(2, 7);
        assertArrayEquals(Training.train(a, X, XOR, 200, 0.5, 0), Training.train(b, X, XOR, 200, 0.5, 0), 0.0);
    }

    @Test
    void andIsLearnedWithOneOutputAndOneHot() {
        Random rng = new Random(42);
        Training.NeuralNetwork single = Training.NeuralNetwork.random(new int[] {2, 2, 1}, Training.Activation.SIGMOID, rng);
        Training.train(single, X, Training.AND_TARGETS, 10_000, 0.5, 0);
        assertTrue(Training.learned(single, X, Training.AND_TARGETS));
        Training.NeuralNetwork oneHot = Training.NeuralNetwork.random(new int[] {2, 2, 2}, Training.Activation.SIGMOID, rng);
        Training.train(oneHot, X, Training.AND_ONE_HOT, 10_000, 0.5, 0);
        for (int i = 0; i < X.length; i++) {
            assertEquals(Training.argMax(Training.AND_ONE_HOT[i]), Training.argMax(oneHot.forward(X[i])));
        }
    }

    @Test
    void zeroWeightsKeepTheHiddenNeuronsTwins() {
        LessonRun run = LessonRun.of("Training", "--exercise", "3");
        assertEquals(0, run.exitCode(), run.err());
        var lines = run.out().lines().filter(l -> l.matches("\\s*hidden neuron \\d:.*")).map(l -> l.substring(l.indexOf(':'))).toList();
        assertEquals(2, lines.size());
        assertEquals(lines.get(0), lines.get(1));
        assertTrue(run.out().contains("identical, to the last bit"), run.out());
    }

    @Test
    void lessonRunsWritesItsChartWhereOutSaysAndTellsTheStuckSeedsStory(@TempDir Path dir) throws Exception {
        Path pictures = dir.resolve("my pictures");
        LessonRun run = LessonRun.in(pictures, "Training", "--seed", "44");
        assertEquals(0, run.exitCode(), run.err());
        String one = run.out().substring(run.out().indexOf("1. XOR"), run.out().indexOf("2. Twenty"));
        assertTrue(one.contains("STUCK") && !one.contains("learned XOR"), one);
        assertTrue(run.out().contains("2 hidden neurons: 14 of 20 seeds learned XOR"), run.out());
        assertTrue(run.out().contains("4 hidden neurons: 20 of 20 seeds learned XOR"), run.out());
        assertTrue(run.out().contains("Rows right: 4 of 4 with one output, 4 of 4 with one-hot."), run.out());
        String line = run.out().lines().filter(l -> l.contains("plot: ")).findFirst().orElseThrow();
        Path png = Path.of(line.substring(line.indexOf("plot: ") + 6)); // the rest of the line, spaces and all
        assertEquals(pictures.resolve("04-xor-seeds.png"), png);
        LessonRun.assertPng(png, 800, 500);
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        for (String[] args : new String[][] {{"--seed", "9223372036854775808"}, {"--rate", "NaN"},
            {"--epochs", "4294967297"}}) {
            LessonRun run = LessonRun.of("Training", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
        LessonRun help = LessonRun.of("Training", "--help");
        assertEquals(0, help.exitCode(), help.err());
        assertTrue(help.out().startsWith("usage: java lessons/04/Training.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3]"),
                help.out());
    }

    /** A leaky-ReLU network on inputs in the thousands, with a large step: the error overflows, and train says so instead of going on. */
    @Test
    void aDivergingRunStopsWithOneClearMessage() {
        double[][] big = {{0, 0}, {0, 1000}, {1000, 0}, {1000, 1000}};
        Training.NeuralNetwork net = Training.NeuralNetwork.random(new int[] {2, 4, 1}, Training.Activation.LEAKY_RELU, new Random(1));
        var e = org.junit.jupiter.api.Assertions.assertThrows(Training.UserError.class, () -> Training.train(net, big, XOR, 100, 1, 0));
        assertTrue(e.getMessage().matches("the loss became (Infinity|undefined) at epoch \\d+: the learning rate 1.0 is too large; try 0.1"),
                e.getMessage());
    }

    @Test
    void rateAndEpochsReachTheLesson() {
        LessonRun run = LessonRun.of("Training", "--rate", "2", "--epochs", "300");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("1. XOR with 2 hidden sigmoid neurons (learning rate 2.0, 300 epochs)"), run.out());
        assertTrue(run.out().contains("epoch   300  total error"), run.out());
        assertFalse(run.out().contains("NaN"), run.out());
    }
}
