import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lesson 16's checks: the topological order by its two promises (every Value once, after its
 * inputs), the chain rule on a graph put in order here by hand, and each operation's number and
 * local derivatives against Math and central differences; softplus at ordinary and extreme inputs.
 */
class AutogradCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("Value.visit", AutogradCheck::visit)
                .hole("Value.chainRule", AutogradCheck::chainRule)
                .hole("Value.times", () -> binary("times", 1.5, -2.5, (a, b) -> a.times(b), (a, b) -> a * b, "d(ab)/da = b, d(ab)/db = a"))
                .hole("Value.pow", AutogradCheck::pow)
                .hole("Value.tanh", () -> unary("tanh", a -> a.tanh(), Math::tanh, "1 - t^2, with t = tanh a"))
                .hole("Value.sigmoid", () -> unary("sigmoid", a -> a.sigmoid(), z -> 1 / (1 + Math.exp(-z)), "s(1 - s), with s = 1/(1 + e^-a)"))
                .hole("softplus", AutogradCheck::softplus)
                .verdicts;
    }

    static Autograd.Value leaf(double x) {
        return new Autograd.Value(x);
    }

    static void visit() {
        Autograd.Value a = leaf(2), b = leaf(-1);
        Autograd.Value c = a.plus(b), d = c.divide(a), e = d.plus(c).plus(a.exp()), f = e.minus(e.log());
        List<Autograd.Value> order = f.topologicalOrder();
        that(order.size() == 9, "the graph of f has 9 Values (a, b, c, d, e's two sums, exp a, log e, f), the order holds "
                + order.size() + " -- each Value once, however many Values use it");
        that(order.get(order.size() - 1) == f, "the last Value of the order should be the one you called it on");
        Set<Autograd.Value> before = new HashSet<>();
        for (Autograd.Value v : order) {
            for (Autograd.Value input : v.inputs) that(before.contains(input), "a Value (" + v.label + ") comes before one of its inputs -- visit the inputs first, then add v");
            that(before.add(v), "a Value (" + v.label + ") is in the order twice -- skip it when seen.add(v) is false");
        }
    }

    static void chainRule() {
        // first a chain, where nothing is shared and only the order matters: w = -e^x
        Autograd.Value x = leaf(0.5), u = x.exp(), w = u.negate();
        w.grad = 1;
        Autograd.Value.chainRule(new ArrayList<>(List.of(x, u, w)));
        near(-Math.exp(0.5), x.grad, "dw/dx for w = -e^x, x = 0.5", "walk the order from the last Value to the first, so that a grad is complete before it is passed on");
        Autograd.Value a = leaf(2), b = leaf(-1);
        Autograd.Value c = a.plus(b), d = c.divide(a), e = d.plus(c);
        e.grad = 1;
        Autograd.Value.chainRule(new ArrayList<>(List.of(a, b, c, d, e)));
        // e = (a + b)/a + (a + b): de/dc = 1/a + 1 = 1.5, de/da = de/dc - c/a^2 = 1.25, de/db = de/dc = 1.5
        near(1.5, c.grad, "de/dc for e = c/a + c, c = a + b, a = 2, b = -1", "c is used twice: add (+=) both shares, 1/a and 1");
        near(1.5, b.grad, "de/db", "b reaches e only through c: local 1 times c's grad");
        near(1.25, a.grad, "de/da", "from the last Value to the first, so that c's grad is complete before it is passed on to a");
    }

    interface Op2 {
        Autograd.Value apply(Autograd.Value a, Autograd.Value b);
    }

    interface Num2 {
        double apply(double a, double b);
    }

    interface Op1 {
        Autograd.Value apply(Autograd.Value a);
    }

    static void binary(String name, double a, double b, Op2 op, Num2 f, String hint) {
        Autograd.Value va = leaf(a), vb = leaf(b), out = op.apply(va, vb);
        near(f.apply(a, b), out.data, name + "(" + show(a) + ", " + show(b) + ")", "");
        that(out.inputs.length == 2 && out.inputs[0] == va && out.inputs[1] == vb, name + " should remember its two inputs, this first");
        near(slope(x -> f.apply(x, b), a), out.local[0], 1e-6, "d/da of " + name, hint);
        near(slope(x -> f.apply(a, x), b), out.local[1], 1e-6, "d/db of " + name, hint);
    }

    static void unary(String name, Op1 op, java.util.function.DoubleUnaryOperator f, String hint) {
        for (double a : new double[] {-2, -0.3, 0, 1.7}) {
            Autograd.Value va = leaf(a), out = op.apply(va);
            near(f.applyAsDouble(a), out.data, name + "(" + show(a) + ")", "");
            that(out.inputs.length == 1 && out.inputs[0] == va, name + " should remember its input");
            near(slope(f, a), out.local[0], 1e-6, "the local derivative of " + name + " at " + show(a), hint);
        }
    }

    static void pow() {
        for (double n : new double[] {2, 3, 0.5, -1}) {
            double a = 1.3;
            Autograd.Value va = leaf(a), out = va.pow(n);
            near(Math.pow(a, n), out.data, show(a) + "^" + show(n), "");
            that(out.inputs.length == 1 && out.inputs[0] == va, "pow should remember its input");
            near(slope(x -> Math.pow(x, n), a), out.local[0], 1e-6, "d(a^n)/da at a = 1.3, n = " + show(n), "n a^(n-1)");
        }
    }

    static void softplus() {
        for (double x : new double[] {-3, 0, 0.7, 5}) {
            Autograd.Value a = leaf(x), out = Autograd.softplus(a);
            near(Math.log(1 + Math.exp(x)), out.data, "softplus(" + show(x) + ")", "ln(1 + e^a), written as max(a, 0) + ln(1 + e^-|a|)");
            that(out.inputs.length == 1 && out.inputs[0] == a, "softplus should be one operation with a as its input (a.unary(...))");
            near(1 / (1 + Math.exp(-x)), out.local[0], "its local derivative at " + show(x), "sigmoid(a)");
        }
        Autograd.Value big = Autograd.softplus(leaf(800));
        near(800, big.data, "softplus(800)", "e^800 overflows: use max(a, 0) + ln(1 + e^-|a|)");
        near(1, big.local[0], "the slope at 800", "sigmoid(800) = 1");
    }
}
