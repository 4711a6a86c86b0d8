import java.util.Arrays;
import java.util.Map;

/** Lesson 10's checks: reading digits by arg-max, accuracy, the confusion matrix, the mistakes, one-hot targets, picking rows. */
class DigitsCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("predict", DigitsCheck::predict)
                .hole("accuracy", DigitsCheck::accuracy)
                .hole("confusion", DigitsCheck::confusion)
                .hole("mistakes", DigitsCheck::mistakes)
                .hole("Dataset.oneHot", DigitsCheck::oneHot)
                .hole("Dataset.rows", DigitsCheck::rows)
                .verdicts;
    }

    static final int[] LABELS = {3, 3, 7, 0, 9, 1};
    static final int[] READ = {3, 8, 7, 0, 4, 1};

    /** A one-layer network whose output j for input x is sigmoid(x_j), so it reads each row as the arg-max of its inputs. */
    static void predict() {
        Digits.Layer layer = new Digits.Layer(10, 10, Digits.Activation.SIGMOID);
        for (int j = 0; j < 10; j++) layer.weights.data[j * 10 + j] = 1;
        Digits.SpeedyNetwork net = new Digits.SpeedyNetwork(layer);
        Digits.Matrix x = new Digits.Matrix(3, 10);
        x.data[2] = 5; // row 0 reads 2
        x.data[10 + 9] = 1; // row 1 reads 9
        x.data[20 + 0] = -1; // row 2: every output 0.5 but the first: reads 1, the first of the largest
        int[] digits = Digits.predict(net, x);
        that(Arrays.equals(digits, new int[] {2, 9, 1}), "the digits read should be [2, 9, 1] (the arg-max of each row, the first of equal ones), got " + Arrays.toString(digits));
    }

    static void accuracy() {
        near(4.0 / 6, Digits.accuracy(READ, LABELS), "the accuracy of reading 4 of 6 digits right", "a share, from 0 to 1; divide as doubles");
        near(1, Digits.accuracy(LABELS, LABELS), "the accuracy of reading every digit right", "");
    }

    static void confusion() {
        int[][] counts = Digits.confusion(READ, LABELS);
        that(counts.length == 10 && counts[0].length == 10, "the confusion matrix should be 10 x 10");
        that(counts[3][3] == 1 && counts[3][8] == 1 && counts[9][4] == 1 && counts[7][7] == 1,
                "a 3 read as 8 goes in row 3 (the true digit), column 8 (the digit read)");
        int total = 0;
        for (int[] row : counts) for (int c : row) total += c;
        that(total == 6, "the confusion matrix should count each of the 6 images once, counts " + total);
    }

    static void mistakes() {
        that(Arrays.equals(Digits.mistakes(READ, LABELS), new int[] {1, 4}), "the images read wrong are 1 and 4, got "
                + Arrays.toString(Digits.mistakes(READ, LABELS)));
        that(Digits.mistakes(LABELS, LABELS).length == 0, "no mistakes when every digit is read right");
    }

    static Digits.Dataset data() {
        Digits.Matrix x = new Digits.Matrix(4, 2);
        for (int i = 0; i < 8; i++) x.data[i] = i;
        return new Digits.Dataset(x, new int[] {2, 0, 1, 2}, 3);
    }

    static void oneHot() {
        Digits.Matrix t = data().oneHot();
        that(t.rows == 4 && t.cols == 3, "one row per image and one column per class: 4 x 3, got " + t.shape());
        that(Arrays.equals(t.data, new double[] {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}), "labels 2, 0, 1, 2 should give rows [0 0 1], [1 0 0], [0 1 0], [0 0 1]");
    }

    static void rows() {
        Digits.Dataset picked = data().rows(new int[] {3, 1});
        that(picked.size() == 2 && Arrays.equals(picked.labels(), new int[] {2, 0}), "rows(3, 1) should hold the labels 2 and 0, in that order");
        that(Arrays.equals(Arrays.copyOf(picked.x().data, 4), new double[] {6, 7, 2, 3}) && picked.x().cols == 2,
                "rows(3, 1) should hold the pixels of row 3 and then row 1");
        that(picked.classes() == 3, "the picked rows keep the number of classes");
    }
}
