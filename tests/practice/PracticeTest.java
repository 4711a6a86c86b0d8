import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Practice mode (tests/practice/kit/): for every lesson with a practice.txt, its checks must pass on the
 * lesson's own code and say "not done yet" for every hole of the stubbed copy. All lessons are
 * compiled in two passes in this JVM (the lessons as they are, then their stubbed copies, each with
 * the checks), into a temporary folder; each check runs in a class loader of its own.
 */
class PracticeTest {
    static final Path LESSONS = Path.of("lessons"), KIT = Path.of("tests", "practice", "kit");
    static Path temporary, solutions, stubs;

    static List<String> practised() throws IOException {
        try (Stream<Path> dirs = Files.list(LESSONS)) {
            return dirs.filter(d -> Files.exists(d.resolve("practice.txt")))
                    .map(d -> d.getFileName().toString()).sorted().toList();
        }
    }

    static List<Practice.Hole> holes(String number) {
        return Practice.Hole.read(LESSONS.resolve(number).resolve("practice.txt"));
    }

    static String checkClass(String number) {
        return Practice.checkName(Practice.lessonFile(LESSONS, number));
    }

    @BeforeAll
    static void compileLessonsAndStubbedCopies() throws IOException {
        temporary = Files.createTempDirectory("practice test ");
        solutions = Files.createDirectory(temporary.resolve("solutions"));
        stubs = Files.createDirectory(temporary.resolve("stubs"));
        List<Path> lessons = new ArrayList<>(List.of(KIT.resolve("Checks.java"))), copies = new ArrayList<>(lessons);
        for (String number : practised()) {
            Path lesson = Practice.lessonFile(LESSONS, number), copy = temporary.resolve(number).resolve(lesson.getFileName());
            Files.createDirectories(copy.getParent());
            Files.writeString(copy, Practice.stub(Files.readString(lesson), holes(number)));
            Path check = KIT.resolve(checkClass(number) + ".java");
            lessons.addAll(List.of(lesson, check));
            copies.addAll(List.of(copy, check));
        }
        assertEquals("", Practice.compile(lessons, solutions), "the lessons with their checks do not compile");
        assertEquals("", Practice.compile(copies, stubs), "the stubbed copies do not compile");
    }

    @AfterAll
    static void removeTemporaryFolder() {
        Practice.delete(temporary);
    }

    @Test
    void someLessonsHaveHoles() throws IOException {
        assertTrue(practised().contains("01"), "run from the course's top folder: lessons/01/practice.txt is missing");
    }

    @ParameterizedTest(name = "lesson {0}")
    @MethodSource("practised")
    void everyCheckPassesOnTheLessonsOwnCode(String number) {
        Map<String, String> verdicts = Practice.verdicts(solutions, checkClass(number));
        assertEquals(holes(number).stream().map(Practice.Hole::name).toList(), List.copyOf(verdicts.keySet()),
                checkClass(number) + " should check the holes of practice.txt, in its order");
        verdicts.forEach((hole, verdict) -> assertEquals("ok", verdict, "lesson " + number + ", " + hole));
    }

    @ParameterizedTest(name = "lesson {0}")
    @MethodSource("practised")
    void everyHoleOfTheStubbedCopyIsNotDoneYet(String number) {
        Map<String, String> verdicts = Practice.verdicts(stubs, checkClass(number));
        assertEquals(holes(number).size(), verdicts.size());
        verdicts.forEach((hole, verdict) -> assertTrue(verdict.startsWith("not done yet"),
                "lesson " + number + ", " + hole + " on its stub: " + verdict));
    }

    @ParameterizedTest(name = "lesson {0}")
    @MethodSource("practised")
    void eachHoleIsOneStubPointingAtASectionOfTheReadme(String number) throws IOException {
        List<Practice.Hole> holes = holes(number);
        assertTrue(holes.size() >= 3, "lesson " + number + " should have at least three holes, has " + holes.size());
        String lesson = Files.readString(Practice.lessonFile(LESSONS, number));
        String copy = Practice.stub(lesson, holes);
        assertEquals(holes.size(), copy.split("not done yet: write ", -1).length - 1, "one stub per hole");
        assertTrue(!lesson.contains("not done yet"), "the lesson itself carries no practice markers");
        List<String> readme = Files.readAllLines(LESSONS.resolve(number).resolve("README.md"));
        for (Practice.Hole hole : holes) {
            assertTrue(readme.stream().anyMatch(l -> l.matches("#+ " + java.util.regex.Pattern.quote(hole.section()))),
                    "lesson " + number + ": README has no heading '" + hole.section() + "' for " + hole.name());
        }
        int practice = readme.indexOf("## Practice"), tests = readme.indexOf("## Tests");
        assertTrue(practice > 0 && practice < tests, "lesson " + number + ": README needs '## Practice' just before '## Tests'");
        String section = String.join("\n", readme.subList(practice, tests));
        assertTrue(section.contains("make practice-" + number) && section.contains("make check-" + number),
                "lesson " + number + ": the Practice section should give the commands");
        for (Practice.Hole hole : holes) {
            assertTrue(section.contains("`" + hole.name() + "`"), "lesson " + number + ": the Practice section does not name " + hole.name());
        }
    }

    @Test
    void newRefusesToOverwriteAndForceStartsOver() throws IOException {
        Path practice = temporary.resolve("practice");
        Output first = new Output(), again = new Output(), forced = new Output();
        assertEquals(0, Practice.create(LESSONS, practice, "01", false, first.stream));
        Path copy = practice.resolve("01").resolve(Practice.lessonFile(LESSONS, "01").getFileName());
        Files.writeString(copy, "my work");
        assertEquals(2, Practice.create(LESSONS, practice, "01", false, again.stream));
        assertEquals(1, again.text().strip().lines().count(), "a refusal is one line: " + again.text());
        assertEquals("my work", Files.readString(copy), "a refusal leaves the learner's copy alone");
        assertEquals(0, Practice.create(LESSONS, practice, "01", true, forced.stream));
        assertTrue(Files.readString(copy).contains("not done yet: write "), "FORCE starts over from the stubbed lesson");
    }

    @Test
    void checkWithoutACopySaysRunPracticeFirst() {
        Output out = new Output();
        assertEquals(2, Practice.check(LESSONS, temporary.resolve("nothing here"), "01", out.stream));
        assertEquals("there is no practice copy of lesson 01 yet: run make practice-01 first", out.text().strip());
    }

    @Test
    void checkReportsEveryHoleOfAFreshCopyAsNotDoneYet() throws IOException {
        Path practice = temporary.resolve("fresh");
        Practice.create(LESSONS, practice, "01", false, new Output().stream);
        Output out = new Output();
        assertEquals(1, Practice.check(LESSONS, practice, "01", out.stream));
        List<String> lines = out.text().lines().toList();
        List<Practice.Hole> holes = holes("01");
        for (int i = 0; i < holes.size(); i++) assertEquals(holes.get(i).name() + ": not done yet", lines.get(i));
        assertEquals("0 of " + holes.size() + " done", lines.get(lines.size() - 1));
        assertEquals(holes.size() + 1, lines.size(), "one line per hole and the count, no stack trace: " + out.text());
    }

    @Test
    void theKitIsPlainAscii() throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> kit = Files.list(KIT)) {
            kit.forEach(files::add);
        }
        for (String number : practised()) files.add(LESSONS.resolve(number).resolve("practice.txt"));
        for (Path file : files) {
            String text = Files.readString(file);
            assertTrue(text.chars().allMatch(c -> c < 128), file + " should be plain ASCII (its text ends up in .java files)");
        }
    }

    /** What a command printed, as text. */
    static class Output {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
