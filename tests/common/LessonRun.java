import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Test support shared by every lesson's tests: runs a lesson's main in a fresh JVM, as a learner
 * would from the course's top folder, and captures its exit code and what it printed.
 * Pictures go to a temporary folder (--out), never to the learner's out/.
 */
record LessonRun(int exitCode, String out, String err) {

    /** The folder every run of this test JVM writes its pictures to; removed when the JVM ends. */
    static final Path PICTURES = temporaryFolder();

    static LessonRun of(String mainClass, String... args) {
        return in(PICTURES, mainClass, args);
    }

    /** Runs the lesson with --out folder, so a test can look at exactly what one run wrote. */
    static LessonRun in(Path folder, String mainClass, String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        command.addAll(List.of("--out", folder.toString()));
        try {
            Process process = new ProcessBuilder(command).start();
            process.getOutputStream().close();
            var out = process.getInputStream().readAllBytes();
            var err = process.getErrorStream().readAllBytes();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(mainClass + " did not finish within 120 s");
            }
            return new LessonRun(process.exitValue(),
                    new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("could not run " + mainClass + ": " + e, e);
        }
    }

    /** The first n images and labels of a split ("train" or "t10k") of the course's MNIST, written as plain IDX files into dir. */
    static void copyFirst(Path dir, String split, int n) throws IOException {
        Path from = Path.of("datasets", "mnist");
        for (String kind : new String[] {"images-idx3-ubyte", "labels-idx1-ubyte"}) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(from.resolve(split + "-" + kind + ".gz")));
                    OutputStream out = Files.newOutputStream(dir.resolve(split + "-" + kind))) {
                boolean images = kind.startsWith("images");
                ByteBuffer header = ByteBuffer.wrap(in.readNBytes(images ? 16 : 8));
                header.putInt(4, n);
                out.write(header.array());
                out.write(in.readNBytes(n * (images ? 784 : 1)));
            }
        }
    }

    /** The captures of the threads that are capturing; see printed. */
    static final ThreadLocal<ByteArrayOutputStream> CAPTURES = new ThreadLocal<>();
    static final PrintStream STDOUT = System.out, ROUTER = new PrintStream(new OutputStream() {
        public void write(int b) throws IOException {
            sink().write(b);
        }

        public void write(byte[] bytes, int offset, int length) throws IOException {
            sink().write(bytes, offset, length);
        }

        OutputStream sink() {
            ByteArrayOutputStream capture = CAPTURES.get();
            return capture != null ? capture : STDOUT;
        }
    }, true, StandardCharsets.UTF_8);

    /**
     * What the code prints on System.out from this thread, captured instead of shown. make runs two
     * test classes at a time in one JVM, so System.out is not swapped per call (the other class's
     * printing would land in this capture): it is swapped once, for a stream that gives each
     * thread's printing to that thread's capture, or to the real stdout when it has none.
     */
    static String printed(Runnable code) {
        System.setOut(ROUTER);
        ByteArrayOutputStream capture = new ByteArrayOutputStream();
        CAPTURES.set(capture);
        try {
            code.run();
        } finally {
            ROUTER.flush();
            CAPTURES.remove();
        }
        return capture.toString(StandardCharsets.UTF_8);
    }

    static Path temporaryFolder() {
        try {
            Path folder = Files.createTempDirectory("course pictures "); // a space, as in many home folders
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(folder)));
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder left behind is harmless
        }
    }

    /** True when the run failed the way a user error should: exit 2, one line on stderr, no stack trace. */
    boolean isCleanUserError() {
        return exitCode == 2 && err.strip().lines().count() == 1
                && !err.contains("Exception") && !err.contains("\tat ");
    }

    /** Fails unless the PNG reads back at the given size and is not blank. */
    static void assertPng(Path png, int width, int height) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        if (image == null) throw new AssertionError(png + " is not a readable image");
        if (image.getWidth() != width || image.getHeight() != height) {
            throw new AssertionError(png + " is " + image.getWidth() + "x" + image.getHeight()
                    + ", expected " + width + "x" + height);
        }
        if (colours(png) <= 50) throw new AssertionError(png + " looks blank");
    }

    /** Number of distinct colours in a PNG: a blank image has one. */
    static int colours(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) seen.add(image.getRGB(x, y));
        }
        return seen.size();
    }
}
