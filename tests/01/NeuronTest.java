import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NeuronTest {
    @Test
    void workedExampleIsSigmoidOfThree() {
        Neuron neuron = new Neuron(new double[] {0, 1}, 0, Neuron.Activation.SIGMOID);
        // 0*2 + 1*3 + 0 = 3, and sigmoid(3) = 1 / (1 + e^-3)
        assertEquals(0.9525741268224334, neuron.forward(new double[] {2, 3}), 1e-12);
    }

    @Test
    void dotProductIsTheSumOfProducts() {
        assertEquals(1 * 4 - 2 * 5 + 3 * 6, Neuron.dot(new double[] {1, -2, 3}, new double[] {4, 5, 6}), 1e-12);
    }

    @Test
    void activationsHaveTheirTextbookValues() {
        assertAll(
                () -> assertEquals(0.5, Neuron.Activation.SIGMOID.apply(0), 1e-12),
                () -> assertEquals(1 - Neuron.Activation.SIGMOID.apply(2), Neuron.Activation.SIGMOID.apply(-2), 1e-12),
                () -> assertEquals(0.0, Neuron.Activation.SIGMOID.apply(-1000), 1e-12), // no NaN far out
                () -> assertEquals(Math.tanh(0.7), Neuron.Activation.TANH.apply(0.7), 1e-12),
                () -> assertEquals(0.0, Neuron.Activation.RELU.apply(-3), 1e-12),
                () -> assertEquals(3.0, Neuron.Activation.RELU.apply(3), 1e-12),
                () -> assertEquals(-0.03, Neuron.Activation.LEAKY_RELU.apply(-3), 1e-12),
                () -> assertEquals(3.0, Neuron.Activation.LEAKY_RELU.apply(3), 1e-12));
    }

    @Test
    void wrongSizedInputNamesBothSizes() {
        Neuron neuron = new Neuron(new double[] {0, 1}, 0, Neuron.Activation.SIGMOID);
        var e = assertThrows(IllegalArgumentException.class, () -> neuron.forward(new double[] {1, 2, 3}));
        assertTrue(e.getMessage().contains("2") && e.getMessage().contains("3"), e.getMessage());
    }

    @Test
    void sameSeedGivesTheSameNeuronAndTheNextDrawDiffers() {
        Random rng = new Random(42);
        Neuron a = Neuron.random(2, Neuron.Activation.SIGMOID, rng);
        Neuron b = Neuron.random(2, Neuron.Activation.SIGMOID, rng);
        Neuron again = Neuron.random(2, Neuron.Activation.SIGMOID, new Random(42));
        double[] x = {1, 2};
        assertEquals(a.forward(x), again.forward(x), 0.0);
        assertNotEquals(a.forward(x), b.forward(x));
        for (double w : a.weights) assertTrue(w >= -1 && w < 1, "weight " + w + " outside [-1, 1)");
    }

    @Test
    void exerciseOneWeightsComputeAndAndOr() {
        Neuron and = new Neuron(new double[] {10, 10}, -15, Neuron.Activation.SIGMOID);
        Neuron or = new Neuron(new double[] {10, 10}, -5, Neuron.Activation.SIGMOID);
        double[][] inputs = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
        boolean[] andTruth = {false, false, false, true};
        boolean[] orTruth = {false, true, true, true};
        for (int i = 0; i < 4; i++) {
            assertEquals(andTruth[i], and.forward(inputs[i]) > 0.5);
            assertEquals(orTruth[i], or.forward(inputs[i]) > 0.5);
        }
    }

    @Test
    void softplusIsStableAndMeetsReluFarFromZero() {
        assertEquals(Math.log(2), Neuron.softplus(0), 1e-12);
        assertEquals(1000.0, Neuron.softplus(1000), 1e-9); // e^1000 would overflow
        assertEquals(Math.log1p(Math.exp(-3)), Neuron.softplus(-3), 1e-12);
    }

    @Test
    void activationChartIsAReadablePng(@TempDir Path dir) throws Exception {
        Neuron.out = dir; // what --out does: the picture goes to a temporary folder, never to out/
        try {
            Neuron.activationChart().save("01-activations.png");
        } finally {
            Neuron.out = null;
        }
        LessonRun.assertPng(dir.resolve("01-activations.png"), 800, 500);
    }

    @Test
    void axisTicksAreRoundNumbers() {
        assertEquals(List.of("-10", "-8", "-6", "-4", "-2", "0", "2", "4", "6", "8", "10"),
                labels(Neuron.Chart.ticks(new double[] {-10, 10}, false)));
        assertEquals(List.of("-1.5", "-1", "-0.5", "0", "0.5", "1", "1.5", "2", "2.5", "3"),
                labels(Neuron.Chart.ticks(new double[] {-1.5, 3}, false))); // the chart's fixed y axis
        assertEquals(List.of("0.001", "0.01", "0.1", "1"), labels(Neuron.Chart.ticks(new double[] {0.001, 1}, true)));
    }

    static List<String> labels(List<Double> ticks) {
        return ticks.stream().map(Neuron.Chart::label).toList();
    }

    @Test
    void lessonRunsAndPrintsTheWorkedExample(@TempDir Path dir) throws Exception {
        Path pictures = dir.resolve("my pictures"); // a space in the path, as in many home folders
        LessonRun run = LessonRun.in(pictures, "Neuron");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("sigmoid(3.0) = 0.9525741268224334"), run.out());
        String plot = run.out().lines().filter(l -> l.contains("plot: ")).findFirst().orElseThrow();
        Path png = Path.of(plot.substring(plot.indexOf("plot: ") + 6)); // the rest of the line, spaces and all
        assertEquals(pictures.resolve("01-activations.png"), png);
        LessonRun.assertPng(png, 800, 500);
    }

    @Test
    void sameSeedSameOutput() {
        assertEquals(LessonRun.of("Neuron", "--seed", "7").out(), LessonRun.of("Neuron", "--seed", "7").out());
        assertNotEquals(LessonRun.of("Neuron", "--seed", "7").out(), LessonRun.of("Neuron", "--seed", "8").out());
    }

    @Test
    void exercisesRunAndSayWhatTheyShow() {
        assertTrue(LessonRun.of("Neuron", "--exercise", "1").out().contains("bias -15 gives AND"));
        assertTrue(LessonRun.of("Neuron", "--exercise", "2").out().contains("0.6931"));
        LessonRun unseeded = LessonRun.of("Neuron", "--exercise", "3");
        assertEquals(0, unseeded.exitCode(), unseeded.err());
        long seededLines = unseeded.out().lines().filter(l -> l.contains("[+0.4551, +0.3664]")).count();
        assertEquals(2, seededLines, unseeded.out()); // both seeded runs equal the lesson's neuron A
    }

    @Test
    void badFlagsAreOneLineUserErrors() {
        for (String[] args : new String[][] {{"--bogus"}, {"--exercise", "4294967297"}}) {
            LessonRun run = LessonRun.of("Neuron", args);
            assertTrue(run.isCleanUserError(), String.join(" ", args) + " gave exit " + run.exitCode() + ": " + run.err());
        }
    }

    @Test
    void helpPrintsTheUsageAndExitsWithZero() {
        LessonRun run = LessonRun.of("Neuron", "--help");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("usage: java lessons/01/Neuron.java [--seed N] [--exercise 1|2|3]"), run.out());
        assertTrue(run.out().contains("--exercise N") && run.out().contains("--out DIR"), run.out());
    }
}
