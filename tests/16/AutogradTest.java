import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutogradTest {
    static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    // ------------------------------------------------------------ the operations

    @Test
    void everyOperationsGradientMatchesTheCentralDifference() {
        Random rng = new Random(7);
        assertEquals(12, Autograd.OPERATIONS.size());
        for (Autograd.Operation op : Autograd.OPERATIONS) {
            double worst = Autograd.worstOf(op, rng);
            assertTrue(worst < 1e-6, op.name() + ": largest relative difference " + worst);
        }
    }

    @Test
    void theCheckCatchesAWrongLocalDerivative() {
        // sin with a slope 1% too large: the same check must see it
        Autograd.Operation broken = new Autograd.Operation("sin a", (a, b) -> a.unary(Math.sin(a.data), "sin", 1.01 * Math.cos(a.data)), -1, 1);
        assertTrue(Autograd.worstOf(broken, new Random(7)) > 1e-3);
    }

    @Test
    void eachOperationsNumberAndLocalDerivativesByHand() {
        Autograd.Value a = new Autograd.Value(3), b = new Autograd.Value(-2);
        Autograd.Value t = a.times(b), q = a.divide(b), p = a.pow(3), s = b.sigmoid(), r = b.relu();
        assertEquals(-6, t.data);
        assertArrayEquals(new double[] {-2, 3}, t.local);
        assertEquals(-1.5, q.data);
        assertArrayEquals(new double[] {-0.5, -0.75}, q.local); // 1/b and -a/b^2
        assertEquals(27, p.data);
        assertArrayEquals(new double[] {27}, p.local); // 3 a^2
        assertEquals(sigmoid(-2), s.data);
        assertArrayEquals(new double[] {sigmoid(-2) * (1 - sigmoid(-2))}, s.local);
        assertEquals(0, r.data);
        assertArrayEquals(new double[] {0}, r.local);
        assertArrayEquals(new double[] {1 / 3.0}, a.log().local);
        assertArrayEquals(new double[] {Math.exp(3)}, a.exp().local);
        assertArrayEquals(new double[] {1 - Math.tanh(3) * Math.tanh(3)}, a.tanh().local);
        assertArrayEquals(new double[] {1, -1}, a.minus(b).local);
        assertArrayEquals(new double[] {-1}, a.negate().local);
        assertThrows(IllegalArgumentException.class, () -> new Autograd.Value(1, "x", new Autograd.Value[] {a}, new double[0]));
    }

    // ------------------------------------------------------------ sharing, order, backward twice

    @Test
    void aValueUsedTwiceGetsAShareFromEachUse() {
        Autograd.Value a = new Autograd.Value(3);
        a.plus(a).backward();
        assertEquals(2, a.grad); // with = instead of +=, 1
        Autograd.Value f = Autograd.squarePlus(a);
        f.backward();
        assertEquals(12, f.data);
        assertEquals(7, a.grad); // 2a + 1
        assertEquals(3, f.topologicalOrder().size(), "a, a*a and a*a + a, each once");
        // a shared inner Value: g = c*c + c with c = a*b: dg/da = (2c + 1) b
        Autograd.Value x = new Autograd.Value(1.5), y = new Autograd.Value(-2), c = x.times(y);
        Autograd.Value g = c.times(c).plus(c);
        g.backward();
        assertEquals((2 * -3.0 + 1) * -2, x.grad);
        assertEquals((2 * -3.0 + 1) * 1.5, y.grad);
    }

    @Test
    void theTopologicalOrderPutsEveryValueAfterItsInputsOnce() {
        Random rng = new Random(3);
        Autograd.Mlp net = new Autograd.Mlp(new int[] {2, 3, 1}, rng);
        Autograd.Value loss = net.loss(new double[][] {{0.5, -1}, {2, 0.25}}, new double[] {1, -1});
        List<Autograd.Value> order = loss.topologicalOrder();
        assertEquals(loss, order.get(order.size() - 1));
        Set<Autograd.Value> before = new HashSet<>();
        for (Autograd.Value v : order) {
            for (Autograd.Value input : v.inputs) assertTrue(before.contains(input), v.label + " comes before its input " + input.label);
            assertTrue(before.add(v), v.label + " is in the order twice");
        }
        assertTrue(before.containsAll(net.parameters()));
    }

    @Test
    void backwardTwiceGivesTheSameGradients() {
        Autograd.Mlp net = new Autograd.Mlp(new int[] {2, 4, 1}, new Random(5));
        Autograd.Value loss = net.loss(Autograd.XOR.x(), Autograd.XOR.t());
        loss.backward();
        double[] first = net.parameters().stream().mapToDouble(p -> p.grad).toArray();
        loss.backward();
        assertArrayEquals(first, net.parameters().stream().mapToDouble(p -> p.grad).toArray());
        // micrograd's backward, without zeroing: issue 53's numbers, a = 1 then 3
        Autograd.Value a = new Autograd.Value(3), b = new Autograd.Value(2), d = new Autograd.Value(1);
        Autograd.Value e = a.plus(b).times(d);
        Autograd.backwardWithoutZeroing(e);
        assertEquals(1, a.grad);
        Autograd.backwardWithoutZeroing(e);
        assertEquals(3, a.grad);
        assertEquals(10, d.grad);
        e.backward();
        assertEquals(1, a.grad);
        assertEquals(5, d.grad);
    }

    // ------------------------------------------------------------ the course's examples, exactly

    @Test
    void lesson02sWorkedExampleIsTheSameDouble() {
        assertEquals(0.7216325609518421, Autograd.lesson02Output().data); // assertEquals on doubles: the same bits
    }

    @Test
    void lesson03sNeuronGradientsAreTheHandDerivedOnes() {
        Autograd.Value[] n = Autograd.lesson03Neuron();
        n[0].backward();
        assertEquals(0.125, n[0].data);
        // lesson 03's step 1, worked out here: z = 0, y = 0.5, dE/dy = -0.5, y(1 - y) = 0.25, delta = -0.125
        double[] byHand = {-0.125, -0.25, -0.125, -0.125 * 0.5, -0.125 * -0.3};
        double[] lesson = Autograd.lesson03ByHand();
        for (int i = 0; i < 5; i++) {
            assertEquals(byHand[i], n[i + 1].grad, "gradient " + i);
            assertEquals(lesson[i], n[i + 1].grad, "gradient " + i);
        }
        assertEquals(-0.0625, n[4].grad);
        assertEquals(0.0375, n[5].grad);
    }

    @Test
    void theTutorialsExerciseFiveIsTheHandDerivedGradient() {
        Autograd.Value[] e = Autograd.exerciseFive();
        e[0].backward();
        // worked out here, as lesson 03's README does: h = sigmoid(0.5), o = sigmoid(0.5h + 0.5h)
        double h = sigmoid(0.5), z = 0.5 * h;
        z += 0.5 * h;
        double o = sigmoid(z), deltaO = (o - 1) * (o * (1 - o)), deltaH = deltaO * 0.5 * (h * (1 - h));
        double[] expected = {deltaH, deltaH, deltaH, deltaH, deltaO * h, deltaO * h, deltaO};
        double[] lesson = Autograd.exerciseFiveByHand();
        for (int i = 0; i < 7; i++) {
            assertEquals(expected[i], e[i + 1].grad, Autograd.EXERCISE_FIVE_NAMES[i]);
            assertEquals(lesson[i], e[i + 1].grad, Autograd.EXERCISE_FIVE_NAMES[i]);
        }
        assertEquals(0.6507776782147005, o);
        // lesson 03 prints the weights after one step of 0.8 to 12 decimals
        double[] printed = {0.507460558719, 0.007460558719, 0.507460558719, 0.007460558719, 0.539521881139, 0.539521881139, 0.063493113780};
        for (int i = 0; i < 7; i++) assertEquals(printed[i], e[i + 1].data - 0.8 * e[i + 1].grad, 5e-13, Autograd.EXERCISE_FIVE_NAMES[i]);
    }

    // ------------------------------------------------------------ the MLP

    @Test
    void theMlpLearnsXorTheSameWayFromTheSameSeed() {
        double[][] outputs = new double[2][4];
        for (int run = 0; run < 2; run++) {
            Autograd.Mlp net = new Autograd.Mlp(Autograd.XOR_SIZES, new Random(42));
            double[] losses = Autograd.train(net, Autograd.XOR, Autograd.XOR_EPOCHS, Autograd.XOR_RATE, false);
            assertTrue(losses[losses.length - 1] < losses[0] / 10, "loss " + losses[0] + " -> " + losses[losses.length - 1]);
            for (int s = 0; s < 4; s++) {
                outputs[run][s] = net.forward(Autograd.XOR.x()[s])[0].data;
                assertEquals(Autograd.XOR.t()[s], outputs[run][s], 0.2, "XOR of sample " + s);
            }
        }
        assertArrayEquals(outputs[0], outputs[1]); // the same bits
    }

    @Test
    void theMatrixCopyIsTheSameNetwork() {
        Random rng = new Random(11);
        Autograd.Points data = Autograd.moons(20, rng);
        Autograd.Mlp mlp = new Autograd.Mlp(new int[] {2, 5, 4, 1}, rng);
        Autograd.Network net = Autograd.asMatrices(mlp);
        Autograd.Matrix out = net.predict(data.inputs());
        for (int s = 0; s < 20; s++) assertEquals(mlp.forward(data.x()[s])[0].data, out.get(s, 0), 1e-14);
        assertTrue(Autograd.gradientGap(mlp, net, data) < 1e-14);
        assertEquals(mlp.loss(data.x(), data.t()).data, net.loss.loss(out, data.targets()), 1e-14);
        assertTrue(Autograd.networkGradientCheck(mlp, data, 10, rng) < 1e-6);
    }

    @Test
    void theMoonsAreTwoBalancedArcs() {
        Autograd.Points data = Autograd.moons(100, new Random(42));
        assertEquals(0, java.util.Arrays.stream(data.t()).sum()); // 50 of each
        for (int s = 0; s < 100; s++) {
            double[] p = data.x()[s];
            assertTrue(p[0] > Autograd.X_RANGE[0] && p[0] < Autograd.X_RANGE[1] && p[1] > Autograd.Y_RANGE[0] && p[1] < Autograd.Y_RANGE[1],
                    "point " + s + " is inside the picture");
        }
        assertArrayEquals(data.x()[7], Autograd.moons(100, new Random(42)).x()[7]);
    }

    @Test
    void aLossThatIsNoLongerANumberStopsWithOneLine() {
        // tanh keeps the outputs in [-1, 1], so no --rate (at most 10) makes the lesson's losses infinite; a target of 1e200 does
        Autograd.Mlp net = new Autograd.Mlp(new int[] {2, 3, 1}, new Random(1));
        Autograd.Points wide = new Autograd.Points(new double[][] {{1e3, -1e3}}, new double[] {1e200});
        assertThrows(Autograd.UserError.class, () -> Autograd.train(net, wide, 5, 10, false));
    }

    // ------------------------------------------------------------ exercises and the whole run

    static String printed(Runnable r) {
        return LessonRun.printed(r);
    }

    @Test
    void softplusAsOneOperationIsExactWhereTheComposedOneBreaks() {
        Autograd.Value a = new Autograd.Value(800), b = new Autograd.Value(800);
        Autograd.Value single = Autograd.softplus(a), composed = Autograd.softplusComposed(b);
        single.backward();
        composed.backward();
        assertEquals(800, single.data);
        assertEquals(1, a.grad);
        assertTrue(Double.isNaN(b.grad) && Double.isInfinite(composed.data));
        for (double x : new double[] {-3, 0, 0.7, 5}) {
            Autograd.Value v = new Autograd.Value(x), w = new Autograd.Value(x);
            Autograd.softplus(v).backward();
            Autograd.softplusComposed(w).backward();
            assertEquals(Math.log(1 + Math.exp(x)), Autograd.softplus(new Autograd.Value(x)).data, 1e-15);
            assertEquals(sigmoid(x), v.grad, 1e-15);
            assertEquals(w.grad, v.grad, 1e-15);
        }
        assertTrue(printed(Autograd::exerciseSoftplus).contains("The composed form breaks from a = 800"));
    }

    @Test
    void exerciseTwoShowsMicrogradsTrap() {
        String out = printed(Autograd::exerciseBackwardTwice);
        assertTrue(out.contains("micrograd's  call 2      3      3      2     10"), out);
        assertTrue(out.contains("backward()   call 2      1      1      1      5"), out);
    }

    @Test
    void theLessonRunsAndDrawsItsPictures(@TempDir Path folder) throws IOException {
        LessonRun run = LessonRun.in(folder, "Autograd", "--epochs", "5", "--seed", "3");
        assertEquals(0, run.exitCode(), run.err());
        String out = run.out();
        for (String line : List.of("All below 1e-6: every local derivative is right.",
                "lesson 02's 2-2-1 network on [2, 3]: o1 = 0.7216325609518421",
                "Every gradient is the same double as the hand-derived one",
                "d/da = 7, the same", "rate 0.5, 5 epochs", "learned: every output within")) {
            assertTrue(out.contains(line), "missing '" + line + "' in\n" + out);
        }
        assertTrue(out.contains("plot: " + folder.resolve("16-moons.png")), out);
        assertTrue(out.contains("graph: " + folder.resolve("16-neuron-graph.png")), out);
        LessonRun.assertPng(folder.resolve("16-moons.png"), 800, 500);
        LessonRun.assertPng(folder.resolve("16-neuron-graph.png"), 1200, 560);
        assertTrue(out.matches("(?s).*The Values take \\d+ times as long.*"), out);
        try (var files = Files.list(folder)) {
            assertEquals(2, files.count(), "two pictures, no temporary files left");
        }
    }

    @Test
    void aBadFlagIsOneLine() {
        LessonRun run = LessonRun.of("Autograd", "--epochs", "0");
        assertTrue(run.isCleanUserError(), run.err());
        assertTrue(run.err().startsWith("Autograd: --epochs takes a whole number from 1 to 10000"), run.err());
    }
}
