import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PlaygroundTest {
    static Playground.Server server;
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static Playground.Setup setup(String changes) {
        Map<String, String> settings = Playground.form(Playground.Setup.DEFAULT);
        settings.putAll(Playground.form(changes));
        return Playground.Setup.parse(settings);
    }

    @BeforeAll
    static void startServer() {
        server = Playground.Server.start(setup("dataset=xor"), 0); // port 0: a free one, on 127.0.0.1
    }

    @AfterAll
    static void stopServer() {
        server.stop();
    }

    // ---------------------------------------------------------------- the training core

    /** Every Dense layer's weights, then its bias, in one list of arrays. */
    static List<double[]> parameters(Playground.Network net) {
        List<double[]> all = new ArrayList<>();
        for (Playground.Layer layer : net.layers) {
            if (layer instanceof Playground.Dense d) {
                all.add(d.weights.data());
                all.add(d.bias.data());
            }
        }
        return all;
    }

    /**
     * The playground's network against lesson 13's, built by hand from the carried classes with the
     * same random numbers in the same order (points, split, weights, then each epoch's order).
     * With SGD an epoch is Network.fit over that epoch's order; with Adam, backward at rate 0 and
     * lesson 13's step. The weights must be the same to the last bit.
     */
    static void assertSameAsLesson13(String optimizer) {
        Playground.Session session = new Playground.Session(setup("dataset=xor&shape=3&batch=7&rate=0.05&seed=5&optimizer=" + optimizer));
        for (int e = 0; e < 3; e++) session.epoch();
        Random rng = new Random(5);
        List<double[]> all = Playground.points("xor", Playground.SAMPLES, 0, rng);
        int[] split = Playground.identity(all.size());
        Playground.shuffle(split, rng);
        List<double[]> train = new ArrayList<>();
        for (int i = 0; i < all.size() / 2; i++) train.add(all.get(split[i]));
        Playground.Network net = new Playground.Network();
        net.add(Playground.glorotUniform(2, 3, rng));
        net.add(new Playground.ActivationLayer(Playground.Activation.TANH));
        net.add(Playground.glorotUniform(3, 2, rng));
        net.use(new Playground.SoftmaxCrossEntropy());
        List<Playground.Optimizer> adams = new ArrayList<>();
        for (int i = 0; i < 4; i++) adams.add(new Playground.Adam(0.05));
        int[] order = Playground.identity(train.size());
        for (int e = 0; e < 3; e++) {
            Playground.shuffle(order, rng);
            List<double[]> shuffled = new ArrayList<>();
            for (int i : order) shuffled.add(train.get(i));
            Playground.Matrix x = Playground.expand(shuffled, List.of("x1", "x2")), t = Playground.targets(shuffled, 2);
            if (optimizer.equals("sgd")) {
                net.fit(x, t, 1, 0.05, 7);
                continue;
            }
            for (int from = 0; from < x.rows(); from += 7) {
                int to = Math.min(from + 7, x.rows());
                net.backward(net.predict(x.rows(from, to)), t.rows(from, to), 0);
                Playground.step(net, adams);
            }
        }
        List<double[]> expected = parameters(net), actual = parameters(session.net);
        for (int i = 0; i < expected.size(); i++) assertArrayEquals(expected.get(i), actual.get(i), 0, optimizer + ", parameter array " + i);
        assertEquals(3, session.epoch);
    }

    @Test
    void sgdTrainingIsLesson13sNetworkFit() {
        assertSameAsLesson13("sgd");
    }

    @Test
    void adamTrainingIsLesson13sAdam() {
        assertSameAsLesson13("adam");
    }

    @Test
    void gradientsOfBothLossesMatchCentralDifferences() {
        for (String data : List.of("spiral3", "reg-gauss")) { // (x1^2 up to 36 saturates tanh: differences of 1e-5 then say little)
            Playground.Session s = new Playground.Session(setup("dataset=" + data + "&features=x1,x2,sinx1,sinx2&shape=3,2"));
            Playground.Matrix x = s.trainX.rows(0, 5), t = s.trainT.rows(0, 5);
            assertTrue(Playground.gradientCheck(s.net, x, t) < 1e-6, data);
        }
    }

    @Test
    void xorIsLearnedAndTheLossCurveIsKept() {
        Playground.Session s = new Playground.Session(setup("dataset=xor&rate=0.1"));
        double start = s.testLoss;
        for (int e = 0; e < 60; e++) s.epoch();
        assertTrue(s.testLoss < start / 3, start + " -> " + s.testLoss);
        assertTrue(s.accuracy(s.testX, s.test) > 0.9, "" + s.accuracy(s.testX, s.test));
        assertEquals(61, s.history.size());
        assertEquals(60, s.history.get(60)[0]);
    }

    @Test
    void aLongHistoryKeepsEveryOtherPoint() {
        Playground.Session s = new Playground.Session(setup("dataset=gauss&shape="));
        for (int e = 0; e < Playground.HISTORY; e++) s.epoch();
        assertEquals(2, s.stride);
        assertEquals(Playground.HISTORY / 2 + 1, s.history.size());
        for (int i = 0; i < s.history.size(); i++) assertEquals(2 * i, s.history.get(i)[0]);
    }

    @Test
    void dataSetsHaveTheirClassesAndStayInTheSquare() {
        for (String name : Playground.DATASETS) {
            List<double[]> points = Playground.points(name, Playground.SAMPLES, 0.5, new Random(1));
            int classes = Playground.classes(name);
            assertTrue(points.size() >= Playground.SAMPLES - 2, name);
            for (double[] p : points) {
                boolean cloud = name.equals("gauss"); // a Gaussian cloud has no edge
                assertTrue(cloud || Math.abs(p[0]) < 6.5 && Math.abs(p[1]) < 6.5, name + " " + p[0] + ", " + p[1]);
                assertTrue(classes == 0 ? Math.abs(p[2]) <= 1.8 : p[2] == Math.rint(p[2]) && p[2] >= 0 && p[2] < classes, name + " label " + p[2]);
            }
        }
        for (double[] p : Playground.points("xor", 100, 0, new Random(2))) assertEquals(p[0] * p[1] > 0 ? 1 : 0, p[2]);
        for (double[] p : Playground.points("circle", 100, 0, new Random(2))) assertEquals(Math.hypot(p[0], p[1]) < 2.5 ? 1 : 0, p[2]);
    }

    @Test
    void featuresAreExpandedColumnByColumn() {
        Playground.Matrix x = Playground.expand(List.of(new double[] {2, -3, 0}, new double[] {0.5, 1, 1}), Playground.FEATURES);
        assertArrayEquals(new double[] {2, -3, 4, 9, -6, Math.sin(2), Math.sin(-3), 0.5, 1, 0.25, 1, 0.5, Math.sin(0.5), Math.sin(1)}, x.data(), 1e-15);
    }

    @Test
    void penaltiesPullTowardsZero() {
        assertEquals(0.3, Playground.penaltySlope("L2", 0.1, 3), 1e-15);
        assertEquals(-0.1, Playground.penaltySlope("L1", 0.1, -3), 1e-15);
        assertEquals(0, Playground.penaltySlope("none", 0.1, 3));
    }

    @Test
    void aSetupReadsBackFromItsForm() {
        Playground.Setup s = setup("dataset=spiral3&shape=8,8,2&features=x1,sinx2&optimizer=adam&rate=0.003&reg=L1&regrate=0.001&seed=7");
        assertEquals(s, Playground.Setup.parse(Playground.form(s.form())));
        assertEquals(List.of(), setup("shape=").shape());
    }

    @Test
    void badSettingsAreRefusedInOneLine() {
        for (String bad : List.of("dataset=moon", "noise=abc", "noise=51", "ratio=5", "seed=-1", "rate=0", "rate=NaN", "batch=0",
                "shape=17", "shape=1,1,1,1,1,1,1,1,1", "shape=4,,2", "features=", "features=x1,x1", "activation=linear",
                "optimizer=lbfgs", "reg=L3", "regrate=11", "colour=red")) {
            Playground.UserError e = assertThrows(Playground.UserError.class, () -> setup(bad), bad);
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
        Map<String, String> missing = Playground.form(Playground.Setup.DEFAULT);
        missing.remove("rate");
        assertEquals("missing setting 'rate'", assertThrows(Playground.UserError.class, () -> Playground.Setup.parse(missing)).getMessage());
        assertThrows(Playground.UserError.class, () -> Playground.form("a=1&a=2"));
        assertThrows(Playground.UserError.class, () -> Playground.form("a=%zz"));
    }

    @Test
    void aPortInUseIsAUserError() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThrows(Playground.UserError.class, () -> Playground.Server.start(setup(""), taken.getLocalPort()));
        }
    }

    @Test
    void dropoutDropsOnlyWhileTraining() {
        Playground.Session s = new Playground.Session(setup("dataset=xor&dropout=0.5&rate=0.1"));
        assertEquals(2, s.net.layers.stream().filter(l -> l instanceof Playground.Dropout).count(), "one after each hidden layer");
        double start = s.trainLoss;
        for (int e = 0; e < 30; e++) s.epoch();
        assertArrayEquals(s.net.predict(s.testX).data(), s.net.predict(s.testX).data(), 0, "after an epoch the network is whole again");
        assertTrue(s.trainLoss < start, start + " -> " + s.trainLoss);
    }

    // ---------------------------------------------------------------- the server, over HTTP

    static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** A number or word from a JSON answer: "key":value. */
    static String field(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(\"[^\"]*\"|[^,\\]}]*)").matcher(json);
        assertTrue(m.find(), key + " in " + json.substring(0, Math.min(200, json.length())));
        return m.group(1);
    }

    @Test
    void everyEndpointAnswers() throws Exception {
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
        assertTrue(page.body().contains("<canvas id=\"map\"") && page.body().contains("<canvas id=\"net\""));
        assertTrue(!page.body().contains("src=") && !page.body().contains("http://") && !page.body().contains("https://"), "nothing from elsewhere");

        String fresh = post("/setup", "dataset=spiral3&noise=10&ratio=60&seed=3&features=x1,x2&shape=5&activation=relu&dropout=0&optimizer=adam"
                + "&rate=0.01&batch=10&reg=L2&regrate=0.001").body();
        assertEquals("0", field(fresh, "epoch"));
        assertEquals("3", field(fresh, "classes"));
        assertEquals(3, fresh.split("\\],\"maps\"")[0].split("\"output\":")[1].split("\\],\\[").length, "three output channels");
        String version = field(fresh, "version");
        String stepped = post("/control", "action=step").body();
        assertEquals("1", field(stepped, "epoch"));
        String retuned = post("/setup", "dataset=spiral3&noise=10&ratio=60&seed=3&features=x1,x2&shape=5&activation=relu&dropout=0&optimizer=adam"
                + "&rate=0.03&batch=20&reg=none&regrate=0").body();
        assertEquals("1", field(retuned, "epoch"), "a new rate goes on with the same network");
        assertEquals(version, field(retuned, "version"));

        String points = get("/points").body();
        assertEquals(version, field(points, "version"));
        String csv = get("/data.csv").body();
        assertEquals("x1,x2,label,set", csv.lines().findFirst().orElseThrow());
        assertEquals(498, csv.lines().count() - 1, "spiral3: 3 arms of 166");
        assertEquals(299, csv.lines().filter(l -> l.endsWith(",train")).count() + 1, "60% of 498, rounded down");

        assertEquals("true", field(post("/control", "action=play").body(), "playing"));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (Integer.parseInt(field(get("/state").body(), "epoch")) < 3 && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(Integer.parseInt(field(get("/state").body(), "epoch")) >= 3, "training while playing");
        assertEquals("false", field(post("/control", "action=pause").body(), "playing"));
        String reset = post("/control", "action=reset").body();
        assertEquals("0", field(reset, "epoch"));
        assertNotEquals(version, field(reset, "version"));
        assertEquals(field(fresh, "trainLoss"), field(reset, "trainLoss"), "the same seed, the same start");
    }

    @Test
    void theModelFileReadsBackWithLesson14sLoader() throws Exception {
        post("/setup", Playground.Setup.DEFAULT.replace("circle", "xor").replace("dropout=0", "dropout=0.2"));
        post("/control", "action=step");
        HttpResponse<byte[]> r = CLIENT.send(HttpRequest.newBuilder(uri("/model")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        Path file = Files.createTempFile("playground ", ".jnn");
        try {
            Files.write(file, r.body());
            Playground.Network loaded = Playground.ModelFile.load(file, new Random(1));
            assertEquals(7, loaded.layers.size(), "dense, tanh, dropout, dense, tanh, dropout, dense");
            assertTrue(loaded.layers.get(2) instanceof Playground.Dropout);
            Playground.Session trained = new Playground.Session(setup("dataset=xor&dropout=0.2"));
            trained.epoch(); // the same seed and setup: the same weights as the server's after one step
            List<double[]> expected = parameters(trained.net), actual = parameters(loaded);
            for (int i = 0; i < expected.size(); i++) assertArrayEquals(expected.get(i), actual.get(i), 0, "parameter array " + i);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void everyBadRequestGetsItsStatusAndOneLine() throws Exception {
        String good = Playground.Setup.DEFAULT;
        Map<String, Integer> cases = Map.of(
                "dataset=moon", 400, "noise=abc", 400, "noise=99", 400, "shape=1,2,3,4,5,6,7,8,9", 400, "batch=", 400);
        for (var c : cases.entrySet()) {
            String body = good.replaceAll(c.getKey().split("=")[0] + "=[^&]*", c.getKey());
            HttpResponse<String> r = post("/setup", body);
            assertEquals(c.getValue(), r.statusCode(), c.getKey() + ": " + r.body());
            assertEquals(1, r.body().lines().count(), r.body());
        }
        assertEquals("missing setting 'seed'", post("/setup", good.replace("&seed=42", "")).body());
        assertEquals(400, post("/setup", good + "&colour=red").statusCode());
        assertEquals(400, post("/setup", "not a form").statusCode());
        assertEquals(400, post("/control", "action=fly").statusCode());
        assertEquals(400, post("/control", "").statusCode());
        assertEquals(413, post("/setup", "x".repeat(Playground.MAX_BODY + 1)).statusCode());
        assertEquals(413, post("/setup", "x".repeat(1 << 20)).statusCode());
        try { // beyond 2 MiB the server stops reading and closes the connection: a 413 or a broken pipe
            assertEquals(413, post("/setup", "x".repeat(3 << 20)).statusCode());
        } catch (IOException e) {
            // the connection was closed while the client was still sending
        }
        assertEquals(404, get("/nothing/here").statusCode());
        assertEquals(404, get("/../etc/passwd").statusCode());
        assertEquals(405, get("/setup").statusCode());
        assertEquals(405, post("/state", "").statusCode());
        assertEquals(200, get("/state").statusCode(), "still serving");
    }

    @Test
    void anotherSitesPageAndAnotherHostNameAreRefused() throws Exception {
        HttpResponse<String> posted = CLIENT.send(HttpRequest.newBuilder(uri("/control")).header("Origin", "http://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString("action=play")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, posted.statusCode(), posted.body());
        assertEquals("false", field(get("/state").body(), "playing"));
        try (Socket socket = new Socket(java.net.InetAddress.getLoopbackAddress(), server.port())) { // DNS rebinding: another name, the same address
            socket.getOutputStream().write("GET /state HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
        }
    }

    /** Clients that promise a body and never send it hold every handler, until the server drops them (MAX_REQUEST_SECONDS). */
    @Test
    void clientsThatStopSendingAreDropped() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < Playground.HANDLERS; i++) {
                Socket socket = new Socket(java.net.InetAddress.getLoopbackAddress(), server.port());
                socket.getOutputStream().write(("POST /control HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                        + "\r\nContent-Length: 100\r\n\r\nac").getBytes(StandardCharsets.US_ASCII));
                stalled.add(socket);
            }
            Thread.sleep(300);
            long start = System.nanoTime();
            assertEquals(200, get("/state").statusCode());
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(seconds < Playground.MAX_REQUEST_SECONDS + 5, "answered after " + seconds + " s");
        } finally {
            for (Socket socket : stalled) socket.close();
        }
    }

    static final int CLIENTS = 32, REQUESTS = 20; // 640 requests: 50 each would cost 4 s of CPU, mostly the JIT's

    @Test
    void thirtyTwoClientsOfTwentyRequestsAreAllAnswered() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<Integer>> answered = new ArrayList<>();
        String[] paths = {"/state", "/points", "/state", "/data.csv", "/"};
        try {
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                answered.add(clients.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < REQUESTS; i++) {
                        HttpResponse<String> r = i % 10 == 9 ? post("/control", "action=pause") : get(paths[(client + i) % paths.length]);
                        if (r.statusCode() == 200) ok++;
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> f : answered) ok += f.get(60, TimeUnit.SECONDS);
            assertEquals(CLIENTS * REQUESTS, ok);
        } finally {
            clients.shutdownNow();
        }
        assertEquals(200, get("/state").statusCode());
    }

    // ---------------------------------------------------------------- a real browser

    /**
     * Chromium, headless, loads the page with play=1 on XOR; the page writes its numbers into the
     * body's data- attributes, and the equations of the neuron pinned by neuron=1.0 into its panel.
     */
    @Test
    void inChromiumTheLossFallsOnXorAndTheMapChanges() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        assumeTrue(Files.isExecutable(chromium), "no /usr/bin/chromium: install Debian's chromium package to run the browser test");
        Path profile = Files.createTempDirectory("chromium profile ");
        try {
            Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--user-data-dir=" + profile, "--virtual-time-budget=3000", "--dump-dom",
                    "http://127.0.0.1:" + server.port() + "/#dataset=xor&rate=0.1&seed=9&play=1&neuron=1.0")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium did not finish");
            Matcher body = Pattern.compile("<body([^>]*)>").matcher(dom);
            assertTrue(body.find(), dom);
            double epoch = attribute(body.group(1), "epoch"), first = attribute(body.group(1), "first-loss");
            double loss = attribute(body.group(1), "train-loss"), change = attribute(body.group(1), "map-change");
            assertTrue(epoch >= 5, "epochs trained in the page: " + epoch);
            assertTrue(loss < first / 2, "the loss fell from " + first + " to " + loss);
            assertTrue(change > 0.05, "the heat map changed by " + change + " on average");
            Matcher math = Pattern.compile("<div id=\"math\"[^>]*>([^<]*)</div>").matcher(dom); // the pinned neuron's equations
            assertTrue(math.find(), dom);
            for (String line : List.of("a1.0 = tanh(z)", "(1 - a1.0^2)", "dE/dw from x2 = ", "w = w - 0.1 g")) {
                assertTrue(math.group(1).contains(line), line + " in " + math.group(1));
            }
        } finally {
            post("/control", "action=pause");
            LessonRun.delete(profile);
        }
    }

    static double attribute(String attributes, String name) {
        Matcher m = Pattern.compile("data-" + name + "=\"([^\"]*)\"").matcher(attributes);
        assertTrue(m.find(), name + " in " + attributes);
        return Double.parseDouble(m.group(1));
    }

    // ---------------------------------------------------------------- the lesson, as a learner runs it

    @Test
    void withoutThePageItPrintsTheLosses() {
        LessonRun run = LessonRun.of("Playground", "--steps", "40", "--setup", "dataset=xor&rate=0.1");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("The test loss fell from"), run.out());
        assertTrue(run.out().contains("#dataset=xor&noise=0&ratio=50&seed=42&"), run.out());
    }
}
