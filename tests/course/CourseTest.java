import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The course check: what keeps twelve files one course. It reads the lessons as text (run from the
 * course's top folder, as make does) and fails when a carried class drifts from the lesson it
 * comes from without the header saying so, when the plumbing differs from lesson 01's (a lesson
 * that draws no chart leaves out the chart, and only that), or when a README leaves the common
 * skeleton or shows a path of the machine it was written on.
 */
class CourseTest {
    static final String LESSON_BANNER = "    // ---------------------------------------------------------------- the lesson";
    static final String CHART_BANNER =
            "    // ---------------------------------------------------------------- charts, in the lessons that draw one";
    static final Pattern PLUMBING_BANNER = Pattern.compile("^    // =+ plumbing$");
    static final Pattern NESTED_TYPE = Pattern.compile(
            "^    (?:(?:static|final|abstract|sealed|private|public)\\s+)*(?:class|record|enum|interface)\\s+(\\w+)");
    static final List<String> SKELETON = List.of("## The idea", "## The math", "## The code, in reading order",
            "## Expected output", "## Exercises", "## Practice", "## Tests");

    /** One lesson's source, split where the course's conventions split it. */
    record Lesson(String number, Path file, List<String> lines) {
        static Lesson of(Path dir) {
            try (Stream<Path> files = Files.list(dir)) {
                Path file = files.filter(p -> p.toString().endsWith(".java")).findFirst()
                        .orElseThrow(() -> new AssertionError(dir + " has no .java file"));
                return new Lesson(dir.getFileName().toString(), file, Files.readAllLines(file));
            } catch (IOException e) {
                throw new AssertionError("cannot read " + dir + ": " + e.getMessage());
            }
        }

        int plumbingStart() {
            for (int i = 0; i < lines.size(); i++) if (PLUMBING_BANNER.matcher(lines.get(i)).matches()) return i;
            throw new AssertionError(file + " has no plumbing banner (a line like '    // ===== plumbing')");
        }

        String plumbing() {
            return String.join("\n", lines.subList(plumbingStart(), lines.size()));
        }

        /** The Javadoc above the lesson's class: what is new, what is carried, what changed. */
        String header() {
            int classLine = classLine();
            int start = classLine;
            while (start > 0 && !lines.get(start).startsWith("/**")) start--;
            return String.join("\n", lines.subList(start, classLine));
        }

        int classLine() {
            for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith("public class ")) return i;
            throw new AssertionError(file + " has no public class");
        }

        /** The header's "Changed:" paragraph, which names every carried class this lesson changes. */
        String changed() {
            StringBuilder paragraph = new StringBuilder();
            boolean in = false;
            for (String line : header().split("\n")) {
                if (line.startsWith(" * Changed:")) in = true;
                else if (in && (line.strip().equals("*") || line.strip().equals("*/"))) break;
                if (in) paragraph.append(line).append('\n');
            }
            return paragraph.toString();
        }

        /** Nested types declared directly in the lesson's class, above the plumbing, by name. */
        Map<String, String> nestedTypes() {
            Map<String, String> types = new LinkedHashMap<>();
            int end = plumbingStart();
            for (int i = classLine() + 1; i < end; i++) {
                Matcher m = NESTED_TYPE.matcher(lines.get(i));
                if (!m.find()) continue;
                int last = i;
                if (!lines.get(i).endsWith("{}") && !lines.get(i).endsWith(";")) {
                    while (last < end && !lines.get(last).equals("    }")) last++;
                }
                types.put(m.group(1), String.join("\n", lines.subList(i, last + 1)));
                i = last;
            }
            return types;
        }
    }

    static List<Lesson> lessons() throws IOException {
        try (Stream<Path> dirs = Files.list(Path.of("lessons"))) {
            return dirs.filter(d -> d.getFileName().toString().matches("\\d\\d")).sorted().map(Lesson::of).toList();
        }
    }

    static Stream<String> numbers() throws IOException {
        return lessons().stream().map(Lesson::number);
    }

    static Lesson lesson(String number) throws IOException {
        return lessons().stream().filter(l -> l.number.equals(number)).findFirst().orElseThrow();
    }

    @Test
    void thereAreLessons() throws IOException {
        assertTrue(lessons().size() >= 2, "run from the course's top folder: " + Path.of("").toAbsolutePath());
    }

    /** Lesson 01's plumbing, without its chart: what a lesson that draws no chart carries. */
    static String withoutChart(String plumbing) {
        List<String> lines = new ArrayList<>(List.of(plumbing.split("\n")));
        int chart = lines.indexOf(CHART_BANNER);
        assertTrue(chart > 0, "lesson 01's plumbing has no line '" + CHART_BANNER.strip() + "'");
        List<String> base = new ArrayList<>(lines.subList(0, chart));
        while (base.get(base.size() - 1).isBlank()) base.remove(base.size() - 1);
        base.add("}");
        return String.join("\n", base);
    }

    @ParameterizedTest(name = "lesson {0}")
    @MethodSource("numbers")
    void plumbingIsTheSameAsLesson01s(String number) throws IOException {
        Lesson first = lessons().get(0), lesson = lesson(number);
        String full = first.plumbing(), plumbing = lesson.plumbing();
        if (plumbing.equals(full) || plumbing.equals(withoutChart(full))) return;
        String[] expected = (plumbing.contains(CHART_BANNER) ? full : withoutChart(full)).split("\n");
        String[] actual = plumbing.split("\n");
        for (int i = 0; i < Math.min(expected.length, actual.length); i++) {
            if (!expected[i].equals(actual[i])) {
                fail(lesson.file + " line " + (lesson.plumbingStart() + i + 1) + " differs from lesson 01's plumbing"
                        + " (line " + (first.plumbingStart() + i + 1) + "):\n  " + actual[i] + "\nexpected\n  " + expected[i]);
            }
        }
        fail(lesson.file + ": the plumbing has " + actual.length + " lines, lesson 01's " + expected.length);
    }

    @ParameterizedTest(name = "lesson {0}")
    @MethodSource("numbers")
    void carriedClassesAreUnchangedUnlessTheHeaderSaysWhy(String number) throws IOException {
        Lesson lesson = lesson(number);
        Map<String, String> origins = new LinkedHashMap<>(), from = new LinkedHashMap<>();
        for (Lesson earlier : lessons()) {
            if (earlier.number.compareTo(number) >= 0) break;
            earlier.nestedTypes().forEach((name, text) -> { origins.put(name, text); from.put(name, earlier.number); });
        }
        List<String> drifted = new ArrayList<>();
        String changed = lesson.changed();
        lesson.nestedTypes().forEach((name, text) -> {
            if (origins.containsKey(name) && !origins.get(name).equals(text)
                    && !Pattern.compile("\\b" + name + "\\b").matcher(changed).find()) {
                drifted.add(name + " (differs from lesson " + from.get(name) + "'s)");
            }
        });
        assertTrue(drifted.isEmpty(), lesson.file + ": carried classes changed without a word in the header's"
                + " 'Changed:' paragraph: " + drifted);
    }

    @ParameterizedTest(name = "lesson {0}")
    @MethodSource("numbers")
    void fileFollowsTheCourseLayout(String number) throws IOException {
        Lesson lesson = lesson(number);
        String header = lesson.header();
        for (String label : List.of(" * Lesson " + number + ": ", " * Follows: ", " * New here: ", " * Changed: ", " * Run: java lessons/")) {
            assertTrue(header.contains(label), lesson.file + ": the header has no '" + label.strip() + "' line");
        }
        int banner = lesson.lines.indexOf(LESSON_BANNER);
        assertTrue(banner > lesson.classLine() && banner < lesson.plumbingStart(),
                lesson.file + ": needs the banner line '" + LESSON_BANNER.strip() + "' between the concepts and main");
        String run = header.lines().filter(l -> l.startsWith(" * Run: ")).findFirst().orElseThrow().substring(8);
        int usage = lesson.lines.indexOf("    static final String USAGE = \"\"\"");
        assertTrue(usage > banner, lesson.file + ": USAGE should open the lesson part as a text block");
        assertEquals(run, lesson.lines.get(usage + 1).strip(), lesson.file + ": the header's Run line and USAGE differ");
    }

    /**
     * make compiles every lesson with one javac, into one folder, where a lesson could use another's
     * classes unnoticed; java lessons/NN/Name.java compiles the file alone. So does this check.
     */
    @ParameterizedTest(name = "lesson {0}")
    @MethodSource("numbers")
    void compilesAlone(String number) throws IOException {
        Lesson lesson = lesson(number);
        Path classes = Files.createTempDirectory("lesson " + number + " alone ");
        try {
            StringWriter errors = new StringWriter();
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, StandardCharsets.US_ASCII)) {
                boolean ok = javac.getTask(errors, files, null,
                        List.of("--release", "17", "-Xlint:all,-serial", "-Werror", "-proc:none", "-d", classes.toString()),
                        null, files.getJavaFileObjects(lesson.file)).call();
                assertTrue(ok, lesson.file + " does not compile on its own:\n" + errors);
            }
        } finally {
            try (Stream<Path> paths = Files.walk(classes)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @ParameterizedTest(name = "lesson {0}")
    @MethodSource("numbers")
    void readmeFollowsTheSkeleton(String number) throws IOException {
        Path readme = Path.of("lessons", number, "README.md");
        List<String> lines = Files.readAllLines(readme);
        int at = -1;
        for (String heading : SKELETON) {
            int next = lines.indexOf(heading);
            assertTrue(next > at, readme + ": needs the heading '" + heading + "' after '" + (at < 0 ? "the title" : lines.get(at)) + "'");
            at = next;
        }
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("Follows:")), readme + ": needs a 'Follows:' line crediting its tutorial");
    }

    @Test
    void noReadmeShowsAPathOfTheMachineItWasWrittenOn() throws IOException {
        String here = Path.of("").toAbsolutePath().toString();
        Pattern machine = Pattern.compile("(/home/|/root/|/tmp/|/work/|/Users/|C:\\\\)[^\\s`]*");
        List<Path> readmes = new ArrayList<>(List.of(Path.of("README.md"), Path.of("datasets", "README.md")));
        for (Lesson lesson : lessons()) readmes.add(lesson.file.resolveSibling("README.md"));
        for (Path readme : readmes) {
            List<String> lines = Files.readAllLines(readme);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = machine.matcher(lines.get(i));
                if (lines.get(i).contains(here) || m.find()) {
                    fail(readme + " line " + (i + 1) + " shows a path of this machine: " + lines.get(i).strip());
                }
            }
        }
    }
}
