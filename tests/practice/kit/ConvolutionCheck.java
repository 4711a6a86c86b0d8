import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/**
 * Lesson 15's checks: the loops of Conv2D against the 4x4 example worked by hand and against the
 * formulas written out here on a random layer of several channels; im2col entry by entry; max
 * pooling's backward against the arg-max worked by hand.
 */
class ConvolutionCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("Conv2D.forwardDirect", ConvolutionCheck::forward)
                .hole("Conv2D.backwardDirect", ConvolutionCheck::backward)
                .hole("Conv2D.im2col", ConvolutionCheck::im2col)
                .hole("MaxPool.backward", ConvolutionCheck::maxPool)
                .verdicts;
    }

    /** A random layer: 2 channels of 5x4 in, 3 kernels 2x2 (so 3 channels of 4x3 out), bias not 0. */
    static Convolution.Conv2D layer(Random rng) {
        Convolution.Conv2D layer = new Convolution.Conv2D(new Convolution.Volume(2, 5, 4), 2,
                Convolution.Matrix.random(3, 8, rng), Convolution.Matrix.random(1, 3, rng));
        layer.direct = true;
        return layer;
    }

    /** X[c][y][x] of sample n, and K[o][c][a][b], written out from the layouts the README gives. */
    static double x(Convolution.Matrix batch, int n, int c, int y, int x) {
        return batch.data()[n * 40 + (c * 5 + y) * 4 + x];
    }

    static void forward() {
        Convolution.Conv2D hand = Convolution.handLayer();
        hand.direct = true;
        Convolution.Matrix y = hand.forward(Convolution.stroke());
        that(y.rows() == 1 && y.cols() == 18, "the 4x4 example with two 2x2 kernels gives 1x18 (2 channels of 3x3), got " + y.shape());
        double[] expected = {0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0};
        for (int i = 0; i < 18; i++) near(expected[i], y.data()[i], "output " + i + " of the 4x4 example", "README: the 4x4 example");
        Random rng = new Random(3);
        Convolution.Conv2D layer = layer(rng);
        Convolution.Matrix in = Convolution.Matrix.random(2, 40, rng), out = layer.forward(in);
        for (int n = 0; n < 2; n++) for (int o = 0; o < 3; o++) for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) {
            double sum = layer.bias.data()[o];
            for (int c = 0; c < 2; c++) for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) {
                sum += x(in, n, c, i + a, j + b) * layer.kernels.get(o, (c * 2 + a) * 2 + b);
            }
            near(sum, out.data()[n * 36 + (o * 4 + i) * 3 + j], "Y[" + o + "][" + i + "][" + j + "] of sample " + n
                    + " (2 channels of 5x4, 3 kernels 2x2)", "B[o] + sum over c, a, b of X[c][i + a][j + b] K[o][c][a][b]; the bias too");
        }
    }

    static void backward() {
        Convolution.Conv2D hand = Convolution.handLayer();
        hand.direct = true;
        hand.input = Convolution.stroke();
        Convolution.Matrix dX = hand.backwardDirect(Convolution.handGradient());
        double[] dK = {2, 3, 3, 2, 0, 0, 0, 0}, dXs = {0, 1, 1, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 1, 1, 0};
        that(hand.kernelGradient != null && hand.biasGradient != null, "set kernelGradient and biasGradient");
        for (int i = 0; i < 8; i++) near(dK[i], hand.kernelGradient.data()[i], "dE/dK entry " + i + " of the 4x4 example", "the input correlated with dE/dY");
        near(9, hand.biasGradient.data()[0], "dE/dB of kernel / in the 4x4 example", "the sum of its nine dE/dY");
        for (int i = 0; i < 16; i++) near(dXs[i], dX.data()[i], "dE/dX entry " + i + " of the 4x4 example", "a full convolution of dE/dY with the kernel turned round");
        Random rng = new Random(4);
        Convolution.Conv2D layer = layer(rng);
        layer.input = Convolution.Matrix.random(2, 40, rng);
        Convolution.Matrix g = Convolution.Matrix.random(2, 36, rng), in = layer.input, back = layer.backwardDirect(g);
        for (int o = 0; o < 3; o++) for (int c = 0; c < 2; c++) for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) {
            double sum = 0;
            for (int n = 0; n < 2; n++) for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) sum += x(in, n, c, i + a, j + b) * g.data()[n * 36 + (o * 4 + i) * 3 + j];
            near(sum, layer.kernelGradient.get(o, (c * 2 + a) * 2 + b), "dE/dK[" + o + "][" + c + "][" + a + "][" + b + "] (random layer, 2 samples)",
                    "sum over samples n and outputs (i, j) of X[c][i + a][j + b] dY[o][i][j]");
        }
        for (int n = 0; n < 2; n++) for (int c = 0; c < 2; c++) for (int y = 0; y < 5; y++) for (int x = 0; x < 4; x++) {
            double sum = 0;
            for (int o = 0; o < 3; o++) for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) {
                if (y - a >= 0 && y - a < 4 && x - b >= 0 && x - b < 3) sum += g.data()[n * 36 + (o * 4 + y - a) * 3 + x - b] * layer.kernels.get(o, (c * 2 + a) * 2 + b);
            }
            near(sum, back.data()[n * 40 + (c * 5 + y) * 4 + x], "dE/dX[" + c + "][" + y + "][" + x + "] of sample " + n + " (random layer)",
                    "every output that pixel (y, x) fed, dY[o][y - a][x - b], times the kernel entry it met, K[o][c][a][b]");
        }
    }

    static void im2col() {
        Random rng = new Random(5);
        Convolution.Conv2D layer = layer(rng);
        Convolution.Matrix in = Convolution.Matrix.random(3, 40, rng), cols = layer.im2col(in, 1, 3);
        that(cols.rows() == 8 && cols.cols() == 24, "im2col of samples 1 and 2 (2 channels, 2x2 kernels, 4x3 outputs) should be 8x24, got " + cols.shape());
        for (int n = 1; n < 3; n++) for (int c = 0; c < 2; c++) for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) {
            near(x(in, n, c, i + a, j + b), cols.get((c * 2 + a) * 2 + b, (n - 1) * 12 + i * 3 + j), "im2col row (c " + c + ", a " + a + ", b " + b
                    + "), column (sample " + n + ", i " + i + ", j " + j + ")", "X_n[c][i + a][j + b]; samples from 'from' on, 12 columns each");
        }
    }

    static void maxPool() {
        Convolution.MaxPool pool = new Convolution.MaxPool(new Convolution.Volume(1, 2, 5));
        pool.forward(Convolution.Matrix.of(new double[] {1, 5, 2, 0, 9, 3, 4, 8, 7, 9}));
        Convolution.Matrix dX = pool.backward(Convolution.Matrix.of(new double[] {10, 20}), 0);
        double[] expected = {0, 10, 0, 0, 0, 0, 0, 20, 0, 0};
        that(dX.cols() == 10, "dE/dX of a 1x2x5 input should have 10 numbers, got " + dX.shape());
        for (int i = 0; i < 10; i++) {
            near(expected[i], dX.data()[i], "dE/dX entry " + i + " for [[1 5 2 0 9] [3 4 8 7 9]] and dE/dY [10 20]",
                    "all of dY goes to the arg-max (5, then 8); the other inputs get 0: " + Arrays.toString(expected));
        }
    }
}
