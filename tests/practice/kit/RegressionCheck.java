import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** Lesson 06's checks: the split, standardisation fitted on the training rows only, R^2, least squares and exercise 1's shift. */
class RegressionCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("split", RegressionCheck::split)
                .hole("Standardiser.fit", RegressionCheck::fit)
                .hole("Standardiser.apply", RegressionCheck::apply)
                .hole("Scaled.of", RegressionCheck::scaledOf)
                .hole("rSquared", RegressionCheck::rSquared)
                .hole("leastSquares(double[][], double[])", RegressionCheck::leastSquares)
                .hole("shift", RegressionCheck::shift)
                .verdicts;
    }

    static final String[] NAMES = {"a", "b"};

    /** 20 rows: x = (i, i^2 / 10), y = i. */
    static Regression.Dataset rows() {
        double[][] x = new double[20][];
        double[] y = new double[20];
        for (int i = 0; i < 20; i++) {
            x[i] = new double[] {i, i * i / 10.0};
            y[i] = i;
        }
        return new Regression.Dataset("twenty rows", NAMES, x, y);
    }

    static void split() {
        Regression.Split s = Regression.split(rows(), new Random(3));
        that(s.trainX().length == 16 && s.trainY().length == 16 && s.testX().length == 4 && s.testY().length == 4,
                "20 rows should split into 16 to train on and 4 to test on");
        Set<Double> seen = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            that(s.trainX()[i][0] == s.trainY()[i], "a training row lost its own target -- move x and y together");
            seen.add(s.trainY()[i]);
        }
        for (int i = 0; i < 4; i++) seen.add(s.testY()[i]);
        that(seen.size() == 20, "the split should hold every row exactly once, holds " + seen.size() + " different rows");
        Regression.Split again = Regression.split(rows(), new Random(3));
        that(Arrays.equals(s.testY(), again.testY()), "two splits with new Random(3) differ -- shuffle with the rng you are given");
        double[] inOrder = {16, 17, 18, 19};
        that(!Arrays.equals(s.testY(), inOrder), "the test rows are the last four in order -- shuffle first");
    }

    static void fit() {
        double[][] x = {{1, 10}, {2, 10}, {3, 40}};
        Regression.Standardiser s = Regression.Standardiser.fit(x, NAMES);
        near(2, s.mean()[0], "the mean of column 1 (1, 2, 3)", "");
        near(20, s.mean()[1], "the mean of column 2 (10, 10, 40)", "");
        near(Math.sqrt(2.0 / 3), s.std()[0], "the standard deviation of column 1", "divide the sum of squares by n, not n - 1");
        near(Math.sqrt(200), s.std()[1], "the standard deviation of column 2", "");
        try {
            Regression.Standardiser.fit(new double[][] {{1, 5}, {2, 5}}, NAMES);
        } catch (Regression.UserError e) {
            return;
        }
        throw new Miss("a column that is 5 in every row should throw a UserError naming it, not divide by a zero deviation");
    }

    static void apply() {
        Regression.Standardiser s = new Regression.Standardiser(new double[] {2, 20}, new double[] {0.5, 10});
        double[][] x = {{1, 10}, {3, 40}};
        double[][] scaled = s.apply(x);
        near(-2, scaled[0][0], "(1 - 2) / 0.5", "(x - mean) / std");
        near(2, scaled[1][1], "(40 - 20) / 10", "");
        that(x[0][0] == 1, "apply changed the caller's rows -- make a new array");
    }

    static void scaledOf() {
        Regression.Dataset all = rows(); // the split made here, so that this check does not need split
        Regression.Split s = new Regression.Split(Arrays.copyOfRange(all.x(), 4, 20), Arrays.copyOfRange(all.y(), 4, 20),
                Arrays.copyOf(all.x(), 4), Arrays.copyOf(all.y(), 4));
        Regression.Scaled d = Regression.Scaled.of(s, NAMES);
        double mean = 0;
        for (double[] row : s.trainX()) mean += row[0] / s.trainX().length;
        near(mean, d.scaler().mean()[0], "the scaler's mean of column 1, over the 16 training rows", "fit on the training rows only: the test rows are the future");
        double low = Arrays.stream(s.trainY()).min().orElseThrow();
        near(low, d.range().min(), "the target range's m, the smallest training target", "fit the MinMax on the training targets only");
        near((s.testX()[0][1] - d.scaler().mean()[1]) / d.scaler().std()[1], d.testX()[0][1], "the first test row's column 2, standardised",
                "apply the training rows' scaler to the test rows");
        double sum = 0;
        for (double[] row : d.trainX()) sum += row[1];
        near(0, sum / d.trainX().length, 1e-9, "the mean of the standardised training column 2", "");
    }

    static void rSquared() {
        double[] actual = {1, 2, 3, 4};
        near(1, Regression.rSquared(actual.clone(), actual), "R^2 of perfect predictions", "");
        near(0, Regression.rSquared(new double[] {2.5, 2.5, 2.5, 2.5}, actual), "R^2 of predicting the mean", "");
        near(1 - 2.0 / 5, Regression.rSquared(new double[] {2, 2, 3, 3}, actual), "R^2 of [2, 2, 3, 3] against [1, 2, 3, 4]", "1 - (1 + 0 + 0 + 1) / 5");
        try {
            Regression.rSquared(new double[] {1, 2}, new double[] {3, 3});
        } catch (Regression.UserError e) {
            return;
        }
        throw new Miss("R^2 of a constant target is 0 / 0: throw a UserError");
    }

    static void leastSquares() {
        double[][] x = new double[12][];
        double[] y = new double[12];
        for (int i = 0; i < 12; i++) {
            x[i] = new double[] {i % 5, i * 0.3 - (i % 3)};
            y[i] = 1 + 2 * x[i][0] - 3 * x[i][1];
        }
        double[] beta = Regression.leastSquares(x, y);
        that(beta.length == 3, "beta should hold the intercept and one weight per feature, 3 numbers, holds " + beta.length);
        near(1, beta[0], 1e-8, "the intercept of y = 1 + 2 x1 - 3 x2", "beta[0] multiplies the column of ones");
        near(-3, beta[2], 1e-8, "the weight of x2 in y = 1 + 2 x1 - 3 x2", "");
        Regression.Dataset d = Regression.diabetes();
        double[] b = Regression.leastSquares(d.x(), d.y());
        double[] predicted = new double[d.y().length];
        double mean = Arrays.stream(d.y()).average().orElseThrow(), residual = 0, total = 0;
        for (int i = 0; i < predicted.length; i++) {
            predicted[i] = b[0];
            for (int j = 0; j < d.x()[i].length; j++) predicted[i] += b[j + 1] * d.x()[i][j];
            residual += Math.pow(d.y()[i] - predicted[i], 2);
            total += Math.pow(d.y()[i] - mean, 2);
        }
        near(0.51774842222035, 1 - residual / total, 1e-10, "R^2 of least squares on all 442 diabetes rows (NumPy's lstsq)", "");
    }

    static void shift() {
        Regression.Standardiser all = new Regression.Standardiser(new double[] {5, 1}, new double[] {1, 1});
        Regression.Standardiser train = new Regression.Standardiser(new double[] {4, 1.5}, new double[] {2, 0.25});
        near(0.5, Regression.shift(all, train, 0), "the shift of column 1 (means 5 and 4, training std 2)", "|all mean - training mean| / training std");
        near(2, Regression.shift(all, train, 1), "the shift of column 2 (means 1 and 1.5, training std 0.25)", "a distance: never negative");
    }
}
