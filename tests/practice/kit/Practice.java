import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Practice mode: the learner writes the network, the course checks it.
 *
 *   java tests/practice/kit/Practice.java new 03 [--force]   copy lesson 03 to practice/03/, key methods emptied
 *   java tests/practice/kit/Practice.java check 03           compile practice/03/ and check it, hole by hole
 *
 * The holes of lesson NN are listed in lessons/NN/practice.txt, one a line:
 *   Class.method | README section that explains it | a one-line hint
 * ("method" alone means a method of the lesson's own class; "method(double[][], double[])" picks
 * one overload by its parameter types). A hole's body becomes a throw that points to the README.
 * The checks of lesson NN are tests/practice/kit/NameCheck.java, compiled beside the learner's copy with
 * tests/practice/kit/Checks.java; NameCheck.verdicts() gives "ok", "not done yet" or what went wrong, per hole.
 */
public class Practice {
    static final String NOT_DONE = "not done yet";

    /** One hole: the method to empty, the README section that explains it, and a hint. */
    record Hole(String name, String section, String hint) {
        /** The holes listed in a lesson's practice.txt (blank lines and # comments skipped). */
        static List<Hole> read(Path list) {
            List<Hole> holes = new ArrayList<>();
            for (String line : lines(list)) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] parts = line.split("\\s*\\|\\s*", 3); // a hint may hold a | of its own
                if (parts.length != 3 || parts[1].contains("\"") || parts[1].contains("\\")) {
                    throw new IllegalArgumentException(list + ": expected 'Class.method | section | hint', got: " + line);
                }
                holes.add(new Hole(parts[0].strip(), parts[1], parts[2].strip()));
            }
            return holes;
        }

        /** The method's name: what the stub, the report and the checks call this hole. */
        String method() {
            String head = name.contains("(") ? name.substring(0, name.indexOf('(')) : name;
            return head.substring(head.lastIndexOf('.') + 1);
        }

        String owner() {
            String head = name.contains("(") ? name.substring(0, name.indexOf('(')) : name;
            return head.contains(".") ? head.substring(0, head.lastIndexOf('.')) : null;
        }

        String stub() {
            return "throw new UnsupportedOperationException(\"" + NOT_DONE + ": write " + name.replace("\"", "")
                    + ", see README.md \\\"" + section + "\\\"\");";
        }
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        boolean force = args.length == 3 && args[2].equals("--force");
        if (args.length < 2 || !args[1].matches("\\d\\d") || args.length > (force ? 3 : 2)
                || !(args[0].equals("new") || args[0].equals("check"))) {
            System.err.println("usage: java tests/practice/kit/Practice.java new NN [--force] | check NN");
            System.exit(2);
        }
        Path lessons = Path.of("lessons"), practice = Path.of("practice");
        if (!Files.isDirectory(lessons.resolve(args[1]))) {
            System.err.println("there is no lesson " + args[1] + " (the lessons are in lessons/, run make from the course's top folder)");
            System.exit(2);
        }
        int code = args[0].equals("new") ? create(lessons, practice, args[1], force, System.out)
                : check(lessons, practice, args[1], System.out);
        System.exit(code); // a check that never finished may still be running
    }

    // ---------------------------------------------------------------- new: the learner's copy

    /** Writes practice/NN/Name.java with every hole emptied; never over an existing copy unless forced. */
    static int create(Path lessons, Path practice, String number, boolean force, PrintStream out) {
        Path lesson = lessonFile(lessons, number);
        Path copy = practice.resolve(number).resolve(lesson.getFileName());
        if (Files.exists(copy) && !force) {
            out.println(copy + " exists and holds your work: edit it and run make check-" + number
                    + ", or start over with make practice-" + number + " FORCE=1");
            return 2;
        }
        List<Hole> holes = Hole.read(lessons.resolve(number).resolve("practice.txt"));
        String text = "// Your practice copy of lesson " + number + ": write the methods that throw \"" + NOT_DONE
                + "\",\n// then run make check-" + number + ". Start over with make practice-" + number + " FORCE=1.\n"
                + stub(read(lesson), holes);
        try {
            Files.createDirectories(copy.getParent());
            Files.writeString(copy, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            out.println("could not write " + copy + " (" + e.getMessage() + ")");
            return 2;
        }
        out.println("wrote " + copy + " with " + holes.size() + " methods for you to write:");
        for (Hole hole : holes) out.println("  " + hole.name + "  (README: \"" + hole.section + "\")");
        out.println("edit it, then run make check-" + number);
        return 0;
    }

    static Path lessonFile(Path lessons, String number) {
        try (Stream<Path> files = Files.list(lessons.resolve(number))) {
            return files.filter(p -> p.toString().endsWith(".java")).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("lesson " + number + " has no .java file"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The source with each hole's body replaced by a throw that names it. */
    static String stub(String source, List<Hole> holes) {
        String masked = mask(source);
        List<int[]> bodies = new ArrayList<>(); // {open brace, close brace, hole}
        for (int h = 0; h < holes.size(); h++) {
            int[] braces = body(masked, holes.get(h));
            bodies.add(new int[] {braces[0], braces[1], h});
        }
        bodies.sort(Comparator.comparingInt((int[] b) -> b[0]).reversed()); // from the end, so offsets stay valid
        StringBuilder text = new StringBuilder(source);
        for (int[] b : bodies) {
            String indent = indentOf(source, b[0]);
            text.replace(b[0], b[1] + 1, "{\n" + indent + "    " + holes.get(b[2]).stub() + "\n" + indent + "}");
        }
        return text.toString();
    }

    /** The opening and closing braces of the hole's method body. */
    static int[] body(String masked, Hole hole) {
        int[] scope = scope(masked, hole.owner());
        String types = hole.name.contains("(") ? types(hole.name.substring(hole.name.indexOf('(') + 1, hole.name.lastIndexOf(')'))) : null;
        Matcher m = Pattern.compile("\\b" + Pattern.quote(hole.method()) + "\\s*\\(").matcher(masked);
        List<int[]> found = new ArrayList<>();
        for (m.region(scope[0] + 1, scope[1]); m.find(); ) {
            int open = m.end() - 1, close = matching(masked, open);
            if (depth(masked, scope[0], m.start()) != 1 || precededByDotOrNew(masked, m.start())) continue;
            if (types != null && !types.equals(types(masked.substring(open + 1, close).replaceAll("\\s+\\w+\\s*(,|$)", "$1")))) continue;
            Matcher rest = Pattern.compile("\\G\\s*(throws[\\w\\s.,]+)?\\{").matcher(masked);
            if (!rest.find(close + 1)) continue; // a call or an abstract method, not a body
            int brace = rest.end() - 1;
            found.add(new int[] {brace, matching(masked, brace)});
        }
        if (found.size() != 1) {
            throw new IllegalArgumentException("practice.txt: '" + hole.name + "' matches " + found.size()
                    + " method bodies; name exactly one (Class.method, or Class.method(ParameterType, ...))");
        }
        return found.get(0);
    }

    /** "double[][] , double[]" as "double[][],double[]": parameter types without spaces. */
    static String types(String list) {
        return list.replaceAll("\\s", "");
    }

    /** The braces of the owner's body: the lesson's public class, then each named type or enum constant in turn. */
    static int[] scope(String masked, String owner) {
        Matcher top = Pattern.compile("public\\s+class\\s+\\w+").matcher(masked);
        if (!top.find()) throw new IllegalArgumentException("the lesson has no public class");
        int open = masked.indexOf('{', top.end());
        int[] scope = {open, matching(masked, open)};
        if (owner != null) for (String name : owner.split("\\.")) scope = member(masked, scope, name);
        return scope;
    }

    /** The body of the type called name anywhere in scope, or else of the enum constant called name directly in it. */
    static int[] member(String masked, int[] scope, String name) {
        Matcher type = Pattern.compile("\\b(class|enum|record|interface)\\s+" + Pattern.quote(name) + "\\b").matcher(masked);
        if (type.region(scope[0], scope[1]).find()) {
            int open = masked.indexOf('{', type.end());
            return new int[] {open, matching(masked, open)};
        }
        Matcher constant = Pattern.compile("\\b" + Pattern.quote(name) + "\\s*(\\([^)]*\\))?\\s*\\{").matcher(masked);
        for (constant.region(scope[0] + 1, scope[1]); constant.find(); ) {
            if (depth(masked, scope[0], constant.start()) == 1) return new int[] {constant.end() - 1, matching(masked, constant.end() - 1)};
        }
        throw new IllegalArgumentException("practice.txt: no type or enum constant " + name + " in the lesson");
    }

    /** How deep in braces position at is, counting from the brace at from (which opens depth 1). */
    static int depth(String masked, int from, int at) {
        int depth = 0;
        for (int i = from; i < at; i++) {
            if (masked.charAt(i) == '{') depth++;
            else if (masked.charAt(i) == '}') depth--;
        }
        return depth;
    }

    static boolean precededByDotOrNew(String masked, int at) {
        String before = masked.substring(0, at).stripTrailing();
        return before.endsWith(".") || before.endsWith("new");
    }

    /** The index of the bracket that closes the one at open. */
    static int matching(String masked, int open) {
        char o = masked.charAt(open), c = o == '{' ? '}' : ')';
        int depth = 0;
        for (int i = open; i < masked.length(); i++) {
            if (masked.charAt(i) == o) depth++;
            else if (masked.charAt(i) == c && --depth == 0) return i;
        }
        throw new IllegalArgumentException("unbalanced " + o + " at offset " + open);
    }

    static String indentOf(String source, int at) {
        int start = source.lastIndexOf('\n', at) + 1, end = start;
        while (end < source.length() && source.charAt(end) == ' ') end++;
        return source.substring(start, end);
    }

    /** The source with comments, strings and characters blanked, so that their braces do not count. */
    static String mask(String source) {
        char[] c = source.toCharArray();
        for (int i = 0; i < c.length; ) {
            int end;
            if (source.startsWith("//", i)) end = source.indexOf('\n', i);
            else if (source.startsWith("/*", i)) end = source.indexOf("*/", i + 2) + 2;
            else if (source.startsWith("\"\"\"", i)) end = closing(source, i + 3, "\"\"\"") + 3;
            else if (c[i] == '"' || c[i] == '\'') end = closing(source, i + 1, String.valueOf(c[i])) + 1;
            else {
                i++;
                continue;
            }
            if (end <= i) end = c.length; // unclosed: to the end
            for (int k = i; k < end; k++) if (c[k] != '\n') c[k] = ' ';
            i = end;
        }
        return new String(c);
    }

    /** Where the literal that started before from closes: the next quote not escaped by a backslash. */
    static int closing(String source, int from, String quote) {
        for (int i = from; i < source.length(); i++) {
            if (source.charAt(i) == '\\') i++;
            else if (source.startsWith(quote, i)) return i;
        }
        return source.length();
    }

    // ---------------------------------------------------------------- check: the report

    /** Compiles the learner's copy with the checks and prints one line per hole; 0 only when all are done. */
    static int check(Path lessons, Path practice, String number, PrintStream out) {
        Path lesson = lessonFile(lessons, number);
        Path copy = practice.resolve(number).resolve(lesson.getFileName());
        if (!Files.exists(copy)) {
            out.println("there is no practice copy of lesson " + number + " yet: run make practice-" + number + " first");
            return 2;
        }
        List<Hole> holes = Hole.read(lessons.resolve(number).resolve("practice.txt"));
        Path classes = null;
        try {
            classes = Files.createTempDirectory("practice-" + number + "-");
            String errors = compile(List.of(copy, kit(lesson, "Checks"), kit(lesson, checkName(lesson))), classes);
            if (!errors.isEmpty()) {
                out.print(errors);
                out.println(copy + " does not compile yet: fix the lines above (keep every method's name and"
                        + " parameters), then run make check-" + number + " again");
                return 1;
            }
            return report(holes, verdicts(classes, checkName(lesson)), out);
        } catch (IOException e) {
            out.println("could not compile " + copy + " (" + e.getMessage() + ")");
            return 2;
        } finally {
            if (classes != null) delete(classes);
        }
    }

    /** tests/practice/kit/Name.java, beside this file. */
    static Path kit(Path lesson, String name) {
        return lesson.getParent().getParent().resolveSibling("tests").resolve("practice").resolve("kit").resolve(name + ".java");
    }

    static String checkName(Path lesson) {
        return lesson.getFileName().toString().replace(".java", "") + "Check";
    }

    /** "name: verdict" per hole, a README pointer after each miss, then "N of M done". */
    static int report(List<Hole> holes, Map<String, String> verdicts, PrintStream out) {
        int done = 0;
        for (Hole hole : holes) {
            String verdict = verdicts.getOrDefault(hole.name, "no check for this hole (a bug in the course)");
            boolean ok = verdict.equals("ok");
            if (ok) done++;
            String pointer = ok || verdict.startsWith(NOT_DONE) ? "" : " (README: \"" + hole.section + "\")";
            out.println(hole.name + ": " + verdict + pointer);
        }
        out.println(done + " of " + holes.size() + " done");
        return done == holes.size() ? 0 : 1;
    }

    /** Compiles the files into classes with the JDK's own compiler; returns the errors as javac prints them. */
    static String compile(List<Path> files, Path classes) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) throw new IOException("this Java has no compiler: run it with a JDK, not a JRE");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager manager = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            Iterable<? extends JavaFileObject> units = manager.getJavaFileObjectsFromPaths(files);
            List<String> options = List.of("--release", "17", "-nowarn", "-proc:none", "-d", classes.toString(), "-cp", classes.toString());
            javac.getTask(null, manager, diagnostics, options, null, units).call();
        }
        StringBuilder errors = new StringBuilder();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) continue;
            String file = d.getSource() == null ? "" : Path.of(d.getSource().toUri()).getFileName().toString();
            errors.append(file).append(':').append(d.getLineNumber()).append(": ").append(d.getMessage(Locale.ROOT)).append('\n');
        }
        return errors.toString();
    }

    /** Loads NameCheck from the compiled classes with a class loader of its own and asks it for its verdicts. */
    @SuppressWarnings("unchecked")
    static Map<String, String> verdicts(Path classes, String checkClass) {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, Practice.class.getClassLoader())) {
            var method = loader.loadClass(checkClass).getDeclaredMethod("verdicts");
            method.setAccessible(true); // the checks, like the lessons, are package-private
            return (Map<String, String>) method.invoke(null);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(checkClass + " failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | MalformedURLException e) {
            throw new IllegalStateException("cannot run " + checkClass + ": " + e, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> lines(Path file) {
        return List.of(read(file).split("\n"));
    }

    static void delete(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder left behind is harmless
        }
    }
}
