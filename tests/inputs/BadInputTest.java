import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every bad input a learner can give, tried on every lesson: each must end in one line on stderr,
 * exit code 2, no stack trace, and nothing written. The flag cases are generated from each
 * lesson's own USAGE and the ranges its main gives Flags.number and Flags.decimal, so a new flag
 * is tried without anyone remembering to add it; the data cases write broken files of each
 * format. A case runs the lesson in a fresh JVM, except one that Flags.parse alone refuses
 * (unknown, repeated or value-less flags) or a value Flags.number or .decimal refuses (not a
 * number, negative, zero), which is tried on the lesson's own parser in this JVM.
 */
class BadInputTest {
    static final Path WORK = temporaryFolder();
    static final ExecutorService RUNS = Executors.newFixedThreadPool(2); // each case is a JVM of its own
    static final Pattern FLAG = Pattern.compile("\\[(--[a-z-]+)( [^\\]]+)?\\]");
    static final Pattern RANGE = Pattern.compile("number\\(\"(--[a-z-]+)\",\\s*[^,]+,\\s*([^,]+),\\s*([^)]+)\\)");
    static final Pattern DECIMAL = Pattern.compile("decimal\\(\"(--[a-z-]+)\",\\s*[^,]+,\\s*([^,]+),\\s*([^)]+)\\)");

    /** One lesson: its main class, its source, and the flags its USAGE lists. */
    record Lesson(String number, String main, String source) {
        static List<Lesson> all() throws IOException {
            List<Lesson> lessons = new ArrayList<>();
            try (Stream<Path> dirs = Files.list(Path.of("lessons"))) {
                for (Path dir : dirs.filter(d -> d.getFileName().toString().matches("\\d\\d")).sorted().toList()) {
                    try (Stream<Path> files = Files.list(dir)) {
                        Path file = files.filter(p -> p.toString().endsWith(".java")).findFirst().orElseThrow();
                        String name = file.getFileName().toString().replace(".java", "");
                        lessons.add(new Lesson(dir.getFileName().toString(), name, Files.readString(file)));
                    }
                }
            }
            return lessons;
        }

        String synopsis() {
            int start = source.indexOf("static final String USAGE = \"\"\"");
            assertTrue(start >= 0, main + " has no USAGE text block");
            return source.substring(start).lines().skip(1).findFirst().orElseThrow().strip();
        }

        /** The flags of USAGE: name, and whether it takes a value. */
        List<String[]> flags() {
            List<String[]> flags = new ArrayList<>();
            Matcher m = FLAG.matcher(synopsis());
            while (m.find()) flags.add(new String[] {m.group(1), m.group(2) == null ? null : m.group(2).strip()});
            return flags;
        }

        /** The min and max arguments that main gives Flags.number (or .decimal) for this flag, as written. */
        String[] bounds(Pattern call, String flag) {
            Matcher m = call.matcher(source);
            while (m.find()) if (m.group(1).equals(flag)) return new String[] {m.group(2).strip(), m.group(3).strip()};
            return null;
        }

        /** [min, max] of a whole-number flag, or null where they are not plain numbers. */
        long[] range(String flag) {
            String[] b = bounds(RANGE, flag);
            try {
                return b == null ? null : new long[] {literal(b[0]), literal(b[1])};
            } catch (NumberFormatException e) {
                return null;
            }
        }

        /** [min, max] of a decimal flag, or null. */
        double[] decimalRange(String flag) {
            String[] b = bounds(DECIMAL, flag);
            try {
                return b == null ? null : new double[] {Double.parseDouble(b[0]), Double.parseDouble(b[1])};
            } catch (NumberFormatException e) {
                return null;
            }
        }

        static long literal(String text) {
            String t = text.strip().replace("_", "");
            if (t.equals("Long.MIN_VALUE")) return Long.MIN_VALUE;
            if (t.equals("Long.MAX_VALUE")) return Long.MAX_VALUE;
            if (t.equals("Integer.MAX_VALUE")) return Integer.MAX_VALUE;
            return Long.parseLong(t);
        }
    }

    /** What one run did. */
    record Run(int exit, String out, String err, List<Path> written) {}

    static Run run(String main, List<String> args) throws IOException, InterruptedException {
        Path out = Files.createTempDirectory(WORK, "out");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData",
                "-cp", System.getProperty("java.class.path"), main, "--out", out.toString()));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        process.getOutputStream().close();
        Path stdout = WORK.resolve("stdout-" + process.pid()), stderr = WORK.resolve("stderr-" + process.pid());
        Thread copier = new Thread(() -> copy(process.getInputStream(), stdout));
        copier.start();
        copy(process.getErrorStream(), stderr);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(main + " " + args + " did not end within 60 s");
        }
        copier.join();
        List<Path> written;
        try (Stream<Path> files = Files.walk(out)) {
            written = files.filter(Files::isRegularFile).toList();
        }
        return new Run(process.exitValue(), Files.readString(stdout), Files.readString(stderr), written);
    }

    static void copy(java.io.InputStream in, Path file) {
        try (in; OutputStream sink = Files.newOutputStream(file)) {
            in.transferTo(sink);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The promise: one line on stderr saying what to do, exit 2, no stack trace, nothing written. */
    static void assertCleanError(String main, List<String> args, Run run) throws IOException {
        String what = main + " " + String.join(" ", args) + "\nstdout: " + run.out + "\nstderr: " + run.err;
        assertEquals(2, run.exit, "exit code of " + what);
        assertEquals(1, run.err.strip().lines().count(), "one line on stderr from " + what);
        for (String bad : List.of("Exception", "\tat ", "NaN", "Infinity", "\uFEFF")) {
            if (bad.matches("NaN|Infinity") && given(args, bad)) continue; // quoting the user's own bad cell back is fine
            assertTrue(!run.err.contains(bad), "'" + bad.strip() + "' on stderr from " + what);
        }
        assertEquals(List.of(), run.written, "files written by " + what);
    }

    /** True when the word is in an argument or in a small file an argument names. */
    static boolean given(List<String> args, String word) throws IOException {
        for (String arg : args) {
            Path file = Path.of(arg);
            if (arg.contains(word) || Files.isRegularFile(file) && Files.size(file) < 1 << 20
                    && new String(Files.readAllBytes(file), StandardCharsets.UTF_8).contains(word)) {
                return true;
            }
        }
        return false;
    }

    /** A case that must fail cleanly; its run starts at once, two at a time, and the test waits for it. */
    static DynamicTest error(Lesson lesson, String... args) {
        List<String> list = Arrays.asList(args);
        Future<Run> run = RUNS.submit(() -> run(lesson.main, list));
        return dynamicTest(lesson.main + " " + String.join(" ", list), () -> assertCleanError(lesson.main, list, run.get()));
    }

    /**
     * A command line that Flags.parse itself must refuse (an unknown, repeated or value-less flag),
     * tried in this JVM on the lesson's own parser, the first thing its main runs: it must throw
     * the lesson's UserError with a one-line message. (The other cases show, per lesson, that main
     * turns a UserError into one line and exit 2.)
     */
    static DynamicTest parseError(Lesson lesson, String... args) {
        return dynamicTest(lesson.main + " " + String.join(" ", args), () -> {
            Method parse = Class.forName(lesson.main + "$Flags").getDeclaredMethod("parse", String[].class);
            parse.setAccessible(true);
            InvocationTargetException e = assertThrows(InvocationTargetException.class, () -> parse.invoke(null, (Object) args));
            String message = e.getCause().getMessage();
            assertEquals("UserError", e.getCause().getClass().getSimpleName(), String.valueOf(e.getCause()));
            assertEquals(1, message.lines().count(), message);
            assertTrue(!message.contains("Exception") && message.contains("usage: java lessons/"), message);
        });
    }

    /**
     * A value that the lesson's Flags.number (or .decimal, when min and max are doubles) must refuse
     * with the bounds its main gives, tried in this JVM: one UserError line naming the flag. (For
     * each flag one out-of-range value also runs the lesson, to show that main passes those bounds
     * and turns the UserError into one line and exit 2.)
     */
    static DynamicTest valueError(Lesson lesson, String name, Number min, Number max, String value) {
        return dynamicTest(lesson.main + " " + name + " " + value, () -> {
            Class<?> flags = Class.forName(lesson.main + "$Flags");
            Method parse = flags.getDeclaredMethod("parse", String[].class);
            parse.setAccessible(true);
            Object given = parse.invoke(null, (Object) new String[] {name, value});
            InvocationTargetException e;
            if (min instanceof Double) {
                Method decimal = flags.getDeclaredMethod("decimal", String.class, double.class, double.class, double.class);
                decimal.setAccessible(true);
                e = assertThrows(InvocationTargetException.class, () -> decimal.invoke(given, name, min, min, max));
            } else {
                Method number = flags.getDeclaredMethod("number", String.class, long.class, long.class, long.class);
                number.setAccessible(true);
                e = assertThrows(InvocationTargetException.class, () -> number.invoke(given, name, min, min, max));
            }
            String message = e.getCause().getMessage();
            assertEquals("UserError", e.getCause().getClass().getSimpleName(), String.valueOf(e.getCause()));
            assertEquals(1, message.lines().count(), message);
            assertTrue(message.startsWith(name + " ") && !message.contains("Exception"), message);
        });
    }

    @TestFactory
    Stream<DynamicTest> everyFlagRefusesBadValues() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Lesson lesson : Lesson.all()) {
            tests.add(parseError(lesson, "--no-such-flag"));
            tests.add(dynamicTest(lesson.main + " --help", () -> {
                Run run = run(lesson.main, List.of("--help"));
                assertEquals(0, run.exit, run.err);
                assertTrue(run.out.contains(lesson.synopsis()), run.out);
            }));
            for (String[] flag : lesson.flags()) {
                String name = flag[0];
                if (flag[1] == null) {
                    tests.add(parseError(lesson, name, name));
                    continue;
                }
                tests.add(parseError(lesson, name));
                long[] range = lesson.range(name);
                if (range != null) {
                    String valid = "" + Math.max(range[0], Math.min(range[1], 1));
                    tests.add(parseError(lesson, name, valid, name, valid));
                    tests.add(valueError(lesson, name, range[0], range[1], "abc")); // not a number
                    if (range[0] > -1) tests.add(valueError(lesson, name, range[0], range[1], "-1")); // negative
                    if (range[0] > 0) tests.add(valueError(lesson, name, range[0], range[1], "0")); // zero
                    // too large for an int (it would wrap round to 1), or for a long: run, so main's own bounds are tried
                    tests.add(error(lesson, name, range[1] < 4294967297L ? "4294967297" : "99999999999999999999"));
                } else if (lesson.decimalRange(name) != null) {
                    double[] r = lesson.decimalRange(name);
                    tests.add(parseError(lesson, name, "" + r[1], name, "" + r[1]));
                    for (String bad : List.of("abc", "NaN", "Infinity", "1e400", "" + (r[0] - 1e-9 - Math.abs(r[0])))) { // the last: zero or negative
                        tests.add(valueError(lesson, name, r[0], r[1], bad));
                    }
                    tests.add(error(lesson, name, "" + (r[1] * 2 + 1))); // run, so main's own bounds are tried
                } else if (!lesson.source.contains("number(\"" + name + "\"")) {
                    tests.add(error(lesson, name, WORK.resolve("no such file").toString()));
                    tests.add(parseError(lesson, name, "x", name, "y"));
                }
            }
        }
        return tests.stream();
    }

    /** Broken variants of a CSV file whose good first lines are given: each must be refused in one line. */
    static List<Path> brokenCsvs(String name, List<String> good) throws IOException {
        Path dir = Files.createDirectories(WORK.resolve(name));
        List<Path> files = new ArrayList<>();
        String header = good.get(0), firstCell = good.get(2).split("[,\\s]+")[0];
        files.add(write(dir, "empty.csv", ""));
        files.add(write(dir, "header only.csv", header + "\n"));
        files.add(write(dir, "bom and header only.csv", "\uFEFF" + header + "\n"));
        files.add(write(dir, "three rows.csv", String.join("\n", good.subList(0, 3)) + "\n"));
        List<String> cells = List.of("NaN", "Infinity", "1e200", "abc", "");
        for (int k = 0; k < cells.size(); k++) { // named by number: a message quotes the file's name
            List<String> lines = new ArrayList<>(good);
            lines.set(2, cells.get(k) + lines.get(2).substring(firstCell.length()));
            files.add(write(dir, "bad cell " + (k + 1) + ".csv", String.join("\n", lines) + "\n"));
        }
        List<String> extra = new ArrayList<>(good);
        extra.set(3, extra.get(3) + (extra.get(3).contains(",") ? ",7" : " 7"));
        files.add(write(dir, "a row too long.csv", String.join("\n", extra) + "\n"));
        List<String> shorter = new ArrayList<>(good);
        shorter.set(3, shorter.get(3).substring(0, shorter.get(3).lastIndexOf(shorter.get(3).contains(",") ? ',' : ' ')));
        files.add(write(dir, "a row too short.csv", String.join("\n", shorter) + "\n"));
        byte[] whole = ascii(String.join("\n", good) + "\n");
        Path gz = gzip(dir.resolve("whole.csv.gz"), whole);
        byte[] zipped = Files.readAllBytes(gz);
        files.add(write(dir, "truncated.csv.gz", Arrays.copyOf(zipped, zipped.length / 2)));
        byte[] noise = new byte[4096];
        new java.util.Random(42).nextBytes(noise);
        files.add(write(dir, "noise.csv", noise));
        files.add(Files.createDirectories(dir.resolve("a folder.csv")));
        if (Files.exists(Path.of("/dev/zero"))) files.add(Path.of("/dev/zero"));
        return files;
    }

    static Path write(Path dir, String name, String text) throws IOException {
        return write(dir, name, ascii(text));
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    static List<String> lines(Path file, int count) throws IOException {
        try (var in = file.toString().endsWith(".gz")
                ? new java.util.zip.GZIPInputStream(Files.newInputStream(file)) : Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().limit(count).toList();
        }
    }

    /** The CSV-reading lessons, each with broken variants of its own kind of file. */
    @TestFactory
    Stream<DynamicTest> everyCsvReaderRefusesBrokenFiles() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        List<String> numeric = new ArrayList<>(List.of("a,b,c,target"));
        java.util.Random rng = new java.util.Random(7);
        for (int i = 0; i < 60; i++) numeric.add(rng.nextInt(90) + 10 + "," + rng.nextInt(9) + "," + rng.nextInt(50) + "," + rng.nextInt(300));
        for (Lesson lesson : Lesson.all()) {
            if (!lesson.synopsis().contains("[--data ")) continue;
            List<String> good = switch (lesson.number) {
                case "07", "08" -> lines(Path.of("datasets", "iris.csv"), 60);
                case "10" -> lines(Path.of("datasets", "digits.csv.gz"), 60);
                default -> numeric;
            };
            for (Path file : brokenCsvs(lesson.number, good)) tests.add(error(lesson, "--data", file.toString()));
            if (lesson.number.equals("10")) {
                String twenty = String.join("\n", good.subList(0, 20)) + "\n";
                tests.add(error(lesson, "--data", write(WORK.resolve(lesson.number), "twenty rows.csv", twenty).toString()));
            }
        }
        return tests.stream();
    }

    static final String[] IDX = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};

    /** A folder of IDX files: the course's own, with one of them replaced by the given bytes (gzipped). */
    static Path idxFolder(String name, String replaced, byte[] content) throws IOException {
        Path dir = WORK.resolve("idx").resolve(name);
        if (Files.isDirectory(dir)) return dir; // made for an earlier lesson
        Files.createDirectories(dir);
        for (String file : IDX) {
            if (file.equals(replaced)) gzip(dir.resolve(file), content);
            else Files.copy(Path.of("datasets", "mnist", file), dir.resolve(file));
        }
        return dir;
    }

    /** An IDX header: magic (0, 0, type 8 = bytes, dimensions), then each dimension as a big-endian int. */
    static byte[] idx(int[] dims, int payload) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 4 * dims.length + payload);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.array();
    }

    @TestFactory
    Stream<DynamicTest> theIdxReaderRefusesBrokenFolders() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Lesson lesson : Lesson.all()) {
            if (!lesson.synopsis().contains("[--data-dir ")) continue;
            tests.add(error(lesson, "--data-dir", Files.createDirectories(WORK.resolve("idx").resolve("empty")).toString()));
            tests.add(error(lesson, "--data-dir", WORK.resolve("no such folder").toString()));
            tests.add(error(lesson, "--data-dir", idxFolder("bad magic", IDX[0], ascii("hello, not an IDX file")).toString()));
            tests.add(error(lesson, "--data-dir", idxFolder("no test images", IDX[2], idx(new int[] {0, 28, 28}, 0)).toString()));
            tests.add(error(lesson, "--data-dir", idxFolder("no test labels", IDX[3], idx(new int[] {0}, 0)).toString()));
            tests.add(error(lesson, "--data-dir", idxFolder("two test images", IDX[2], idx(new int[] {2, 28, 28}, 2 * 784)).toString()));
            tests.add(error(lesson, "--data-dir", idxFolder("no training images", IDX[0], idx(new int[] {0, 28, 28}, 0)).toString()));
            tests.add(error(lesson, "--data-dir", idxFolder("huge header", IDX[0], idx(new int[] {60000, 2000, 2000}, 1000)).toString()));
            tests.add(error(lesson, "--data-dir", idxFolder("short payload", IDX[0], idx(new int[] {8000, 28, 28}, 100)).toString()));
            tests.add(error(lesson, "--data-dir", idxFolder("label 200", IDX[3], labels(2000, 200)).toString()));
            tests.add(error(lesson, "--data-dir", idxFolder("counts differ", IDX[3], labels(1999, 3)).toString()));
        }
        return tests.stream();
    }

    /** A label file of n labels, all 3 except the first, which is first. */
    static byte[] labels(int n, int first) {
        byte[] bytes = idx(new int[] {n}, n);
        Arrays.fill(bytes, 8, bytes.length, (byte) 3);
        bytes[8] = (byte) first;
        return bytes;
    }

    @AfterAll
    static void removeWork() throws IOException {
        RUNS.shutdownNow();
        try (Stream<Path> paths = Files.walk(WORK)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static Path temporaryFolder() {
        try {
            return Files.createTempDirectory("bad inputs ");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Path gzip(Path file, byte[] bytes) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(bytes);
        }
        return file;
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
