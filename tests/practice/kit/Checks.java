import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * What every lesson's checks share, compiled beside the learner's copy: run one check per hole and
 * turn what happened into a verdict a learner can act on: "ok", "not done yet", or what was
 * expected and what came instead.
 */
class Checks {
    static final long SECONDS = 20; // a check that takes longer is stuck in a loop

    /** A check that found a wrong value; its message is the verdict. */
    static class Miss extends RuntimeException {
        Miss(String message) {
            super(message, null, false, false);
        }
    }

    /** A piece of a check that may throw anything, as the learner's code may. */
    interface Step {
        void run() throws Exception;
    }

    final Map<String, String> verdicts = new LinkedHashMap<>();

    Checks hole(String name, Step check) {
        verdicts.put(name, verdict(name, check));
        return this;
    }

    /** Runs the check on a thread of its own, so that a loop that never ends cannot stop the report. */
    static String verdict(String name, Step check) {
        Throwable[] thrown = new Throwable[1];
        Thread thread = new Thread(() -> {
            try {
                check.run();
            } catch (Throwable e) {
                thrown[0] = e;
            }
        });
        thread.setDaemon(true);
        thread.start();
        try {
            thread.join(SECONDS * 1000);
        } catch (InterruptedException e) {
            return "interrupted";
        }
        if (thread.isAlive()) return "did not finish in " + SECONDS + " s: is there a loop that never ends?";
        if (thrown[0] == null) return "ok";
        if (thrown[0] instanceof Miss) return thrown[0].getMessage();
        String stub = notDone(thrown[0]);
        if (stub != null) return stub.equals(name) ? "not done yet" : "not done yet (it needs " + stub + " first)";
        Throwable e = thrown[0];
        StackTraceElement at = e.getStackTrace().length > 0 ? e.getStackTrace()[0] : null;
        return "threw " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")")
                + (at == null ? "" : " at line " + at.getLineNumber() + " of " + at.getFileName());
    }

    /** The hole whose stub threw, if the cause of e is a "not done yet" stub; else null. */
    static String notDone(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (t instanceof UnsupportedOperationException && m != null && m.startsWith("not done yet: write ")) {
                return m.substring("not done yet: write ".length(), m.indexOf(", see README"));
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- expectations

    /** Fails with "what: expected e, got a -- hint" unless a is within 1e-9 of e (relative to its size). */
    static void near(double expected, double actual, String what, String hint) {
        near(expected, actual, 1e-9, what, hint);
    }

    static void near(double expected, double actual, double tolerance, String what, String hint) {
        if (!(Math.abs(expected - actual) <= tolerance * Math.max(1, Math.abs(expected)))) {
            throw new Miss(what + ": expected " + show(expected) + ", got " + show(actual) + (hint.isEmpty() ? "" : " -- " + hint));
        }
    }

    static void that(boolean condition, String message) {
        if (!condition) throw new Miss(message);
    }

    /** Fails unless running step throws IllegalArgumentException. */
    static void refuses(Step step, String message) {
        try {
            step.run();
        } catch (IllegalArgumentException e) {
            return;
        } catch (Exception e) {
            if (notDone(e) != null) throw new IllegalStateException(e);
            throw new Miss(message + " (it threw " + e.getClass().getSimpleName() + ")");
        }
        throw new Miss(message);
    }

    /** (f(x + h) - f(x - h)) / 2h: the slope of f at x, without calculus. */
    static double slope(DoubleUnaryOperator f, double x) {
        double h = 1e-6;
        return (f.applyAsDouble(x + h) - f.applyAsDouble(x - h)) / (2 * h);
    }

    static String show(double v) {
        return Double.isFinite(v) && v != 0 && Math.abs(v) < 1e7 ? String.format("%.10f", v).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "") : "" + v;
    }
}
