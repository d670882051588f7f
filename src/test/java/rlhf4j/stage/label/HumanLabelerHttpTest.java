package rlhf4j.stage.label;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.Json;
import rlhf4j.config.ConfigException;
import rlhf4j.train.Preemption;

/** The human labeler's HTTP API, driven with the JDK's HTTP client: access, answers, errors, durability, stop. */
class HumanLabelerHttpTest {
    private static final List<LabelTask> TASKS = LabelSession.tasks();
    private static final Pattern ANNOUNCEMENT = Pattern.compile("label: rank the answers at "
            + "http://127\\.0\\.0\\.1:\\d+/\\?token=[A-Za-z0-9_-]{22}  \\((\\d) of 3 done; Ctrl-C stops, "
            + "everything ranked is saved\\)\n");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

    private HttpResponse<String> send(LabelSession s, String method, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.at(path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("X-Token", token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode ok(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        return Json.parse(r.body());
    }

    private JsonNode get(LabelSession s, String path) throws Exception {
        return ok(send(s, "GET", path, s.token, null));
    }

    private JsonNode post(LabelSession s, String path, Object body) throws Exception {
        return ok(send(s, "POST", path, s.token, Json.line(body)));
    }

    private static Map<String, Object> ranking(String id, int... displayRanking) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("ranking", displayRanking);
        return m;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.textValue()));
        return out;
    }

    /** The task ranking a person means who ranks the displayed answers {@code displayRanking}, found by text. */
    private static int[] taskRanking(LabelTask task, List<String> displayed, int... displayRanking) {
        int[] r = new int[displayRanking.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = task.responses().indexOf(displayed.get(displayRanking[i]));
        }
        return r;
    }

    /** The journal rows on disk, by id, in file order. */
    private Map<String, JsonNode> rows() throws IOException {
        Map<String, JsonNode> rows = new LinkedHashMap<>();
        Path f = dir.resolve(RankingsJournal.RANKINGS);
        if (Files.exists(f)) {
            for (String line : Files.readAllLines(f)) {
                JsonNode n = Json.parse(line);
                assertFalse(rows.containsKey(n.get("id").textValue()), "one row per prompt: " + line);
                rows.put(n.get("id").textValue(), n);
            }
        }
        return rows;
    }

    private static int[] ints(JsonNode array) {
        int[] r = new int[array.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = array.get(i).intValue();
        }
        return r;
    }

    private String files() throws IOException {
        StringBuilder s = new StringBuilder();
        for (String name : List.of(RankingsJournal.RANKINGS, RankingsJournal.SKIPPED)) {
            Path f = dir.resolve(name);
            s.append(name).append(':').append(Files.exists(f) ? Files.readString(f) : "<none>").append('\n');
        }
        return s.toString();
    }

    private void assertRefused(LabelSession s) {
        assertThrows(IOException.class, () -> send(s, "GET", "/api/next", s.token, null),
                "the server is stopped once label() has returned");
    }

    @Test
    void servesRanksSkipsRevisitsAndEnds() throws Exception {
        try (LabelSession s = LabelSession.start(TASKS, RankingsJournal.open(dir))) {
            var announced = ANNOUNCEMENT.matcher(s.output());
            assertTrue(announced.matches(), "one line with the address: " + s.output());
            assertEquals("0", announced.group(1));
            assertTrue(s.output().contains(s.page.toString()));

            // no token, a wrong token of the same length and one of another length: 403, whatever the request
            String sameLength = (s.token.charAt(0) == 'A' ? "B" : "A") + s.token.substring(1);
            String valid = Json.line(ranking("p000000", 0, 1, 2, 3));
            for (String token : new String[] {null, sameLength, s.token + "x", ""}) {
                assertEquals(403, send(s, "GET", "/", token, null).statusCode());
                assertEquals(403, send(s, "GET", "/api/next", token, null).statusCode());
                HttpResponse<String> r = send(s, "POST", "/api/rank", token, valid);
                assertEquals(403, r.statusCode());
                assertTrue(Json.parse(r.body()).path("error").isTextual(), r.body());
                assertEquals(403, send(s, "POST", "/api/skip", token, "{\"id\":\"p000001\"}").statusCode());
            }
            assertEquals(403, send(s, "GET", "/api/next?token=" + sameLength, null, null).statusCode());
            assertFalse(Files.exists(dir.resolve(RankingsJournal.RANKINGS)), "refused requests write nothing");
            assertFalse(Files.exists(dir.resolve(RankingsJournal.SKIPPED)));

            // the page, with the token in the address as printed, or in the header
            HttpResponse<String> page = send(s, "GET", "/?token=" + s.token, null, null);
            assertEquals(200, page.statusCode());
            assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
            assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"));
            assertTrue(page.body().contains("<title>rlhf4j: rank the answers</title>"));
            assertEquals(200, send(s, "GET", "/", s.token, null).statusCode());
            assertEquals(200, send(s, "GET", "/api/next?token=" + s.token, null, null).statusCode());

            // unknown paths 404, wrong methods 405
            assertEquals(404, send(s, "GET", "/favicon.ico", s.token, null).statusCode());
            assertEquals(404, send(s, "GET", "/api/nope", s.token, null).statusCode());
            HttpResponse<String> wrong = send(s, "GET", "/api/rank", s.token, null);
            assertEquals(405, wrong.statusCode());
            assertEquals("POST", wrong.headers().firstValue("Allow").orElse(""));
            assertEquals(405, send(s, "POST", "/api/next", s.token, "{}").statusCode());
            assertEquals(405, send(s, "DELETE", "/", s.token, null).statusCode());

            // the first task, its answers in display order
            JsonNode first = get(s, "/api/next");
            assertEquals("p000000", first.get("id").textValue());
            assertEquals("She go to school every day.", first.get("prompt").textValue(), "the last user message");
            assertEquals(0, first.get("done").intValue());
            assertEquals(3, first.get("total").intValue());
            assertFalse(first.has("reference"), "the reference answer is not shown to the person");
            List<String> shown = strings(first.get("responses"));
            assertEquals(new HashSet<>(TASKS.get(0).responses()), new HashSet<>(shown));

            // malformed bodies: 400 with a one-line message, nothing written
            String before = files();
            List<String> bad = List.of(
                    "{\"id\": \"p000000\", \"ranking\": [0, 1",
                    "",
                    "[0, 1, 2, 3]",
                    "{\"id\": \"p000000\", \"ranking\": [0, 0, 1, 2]}",
                    "{\"id\": \"p000000\", \"ranking\": [0, 1, 2, 4]}",
                    "{\"id\": \"p000000\", \"ranking\": [0, 1, 2, -1]}",
                    "{\"id\": \"p000000\", \"ranking\": [0, 1, 2]}",
                    "{\"id\": \"p999999\", \"ranking\": [0, 1, 2, 3]}",
                    "{\"id\": \"p000000\"}",
                    "{\"ranking\": [0, 1, 2, 3]}",
                    "{\"id\": 0, \"ranking\": [0, 1, 2, 3]}",
                    "{\"id\": \"p000000\", \"ranking\": \"0123\"}",
                    "{\"id\": \"p000000\", \"ranking\": [0, 1, 2, \"3\"]}",
                    "{\"id\": \"p000000\", \"ranking\": [0, 1, 2, 3.0]}",
                    "{\"id\": \"p000000\", \"ranking\": [0, 1, 2, 3], \"scores\": [1, 2, 3, 4]}",
                    // a valid object then junk, two objects, a key given twice: never half-read
                    "{\"id\": \"p000000\", \"ranking\": [0, 1, 2, 3]} junk",
                    "{\"id\": \"p000000\", \"ranking\": [0, 1, 2, 3]}{\"id\": \"p000000\", \"ranking\": [3, 2, 1, 0]}",
                    "{\"id\": \"p000000\", \"ranking\": [3, 2, 1, 0], \"ranking\": [0, 1, 2, 3]}",
                    "{\"id\": \"p000000\", \"ranking\": [0, 1, 2, 3], \"pad\": \"" + "x".repeat(70_000) + "\"}");
            for (String body : bad) {
                HttpResponse<String> r = send(s, "POST", "/api/rank", s.token, body);
                String what = body.length() > 100 ? body.substring(0, 100) + "..." : body;
                assertEquals(400, r.statusCode(), what + " -> " + r.body());
                String error = Json.parse(r.body()).path("error").textValue();
                assertTrue(error != null && !error.isBlank() && !error.contains("\n"), r.body());
                assertEquals(before, files(), "nothing written for " + what);
            }
            for (String body : List.of("{\"id\": \"nope\"}", "{}", "{\"id\": \"p000001\", \"why\": 1}", "null")) {
                assertEquals(400, send(s, "POST", "/api/skip", s.token, body).statusCode(), body);
                assertEquals(before, files());
            }
            assertTrue(send(s, "POST", "/api/rank", s.token, "{\"id\": \"p000000\", \"ranking\": [0, 0, 1, 2]}")
                    .body().contains("permutation"));

            // a valid ranking in display indices is on disk, in task indices, before the 200 arrives
            int[] display = {2, 0, 3, 1};
            JsonNode answer = post(s, "/api/rank", ranking("p000000", display));
            assertTrue(answer.get("ok").booleanValue());
            assertEquals(1, answer.get("done").intValue());
            JsonNode row = rows().get("p000000");
            int[] expected = taskRanking(TASKS.get(0), shown, display);
            assertArrayEquals(expected, ints(row.get("ranking")));
            assertEquals(TASKS.get(0).responses(), strings(row.get("responses")), "the task's own order on disk");
            assertEquals("human", row.get("labeler").textValue());

            // skip the second
            JsonNode second = get(s, "/api/next");
            assertEquals("p000001", second.get("id").textValue());
            assertEquals("They was happy <b>& loud</b>.", second.get("prompt").textValue());
            assertEquals(2, post(s, "/api/skip", Map.of("id", "p000001")).get("done").intValue());
            assertTrue(Files.readString(dir.resolve(RankingsJournal.SKIPPED)).contains("\"p000001\""));
            assertEquals("p000002", get(s, "/api/next").get("id").textValue());

            // history and going back: the first as shown before, with its ranking in display indices
            JsonNode history = get(s, "/api/history");
            assertEquals(2, history.get("items").size());
            assertEquals("p000000", history.get("items").get(0).get("id").textValue());
            assertEquals("ranked", history.get("items").get(0).get("state").textValue());
            assertEquals(0, history.get("items").get(0).get("index").intValue());
            assertEquals("p000001", history.get("items").get(1).get("id").textValue());
            assertEquals("skipped", history.get("items").get(1).get("state").textValue());
            JsonNode again = get(s, "/api/item?id=p000000");
            assertEquals(shown, strings(again.get("responses")), "the same display order on every request");
            assertArrayEquals(display, ints(again.get("ranking")));
            assertEquals("skipped", get(s, "/api/item?id=p000001").get("state").textValue());
            assertFalse(get(s, "/api/item?id=p000001").has("ranking"));
            assertEquals(404, send(s, "GET", "/api/item?id=p999999", s.token, null).statusCode());
            assertEquals(400, send(s, "GET", "/api/item", s.token, null).statusCode());

            // change the first judgement: still one row per prompt, with the new ranking
            int[] changed = {1, 3, 0, 2};
            assertEquals(2, post(s, "/api/rank", ranking("p000000", changed)).get("done").intValue());
            Map<String, JsonNode> rows = rows();
            assertEquals(List.of("p000000"), List.copyOf(rows.keySet()));
            assertArrayEquals(taskRanking(TASKS.get(0), shown, changed), ints(rows.get("p000000").get("ranking")));
            assertArrayEquals(changed, ints(get(s, "/api/item?id=p000000").get("ranking")));
            // skipping a ranked task keeps its ranking
            post(s, "/api/skip", Map.of("id", "p000000"));
            assertArrayEquals(taskRanking(TASKS.get(0), shown, changed), ints(rows().get("p000000").get("ranking")));

            // the last one: every task settled, label() returns by itself and the server is gone
            assertFalse(s.ended());
            List<String> third = strings(get(s, "/api/next").get("responses"));
            JsonNode last = post(s, "/api/rank", ranking("p000002", 1, 2, 0));
            assertEquals(3, last.get("done").intValue());
            assertEquals(3, last.get("total").intValue());
            s.awaitEnd();
            assertArrayEquals(taskRanking(TASKS.get(2), third, 1, 2, 0), ints(rows().get("p000002").get("ranking")));
            assertTrue(s.output().endsWith("label: all 3 done (2 ranked, 1 skipped)\n"), s.output());
            assertRefused(s);
        }
    }

    @Test
    void aStopKeepsWhatWasRankedAndARestartAsksOnlyTheRest() throws Exception {
        List<String> shownFirst;
        String firstToken;
        try (LabelSession s = LabelSession.start(TASKS, RankingsJournal.open(dir))) {
            firstToken = s.token;
            shownFirst = strings(get(s, "/api/next").get("responses"));
            post(s, "/api/rank", ranking("p000000", 3, 2, 1, 0));
            post(s, "/api/skip", Map.of("id", "p000001"));
            assertFalse(s.ended());
            s.preemption.request();
            s.awaitEnd();
            assertTrue(s.output().endsWith("label: stopped at 2 of 3 done (1 ranked, 1 skipped); "
                    + "--resume continues\n"), s.output());
            assertRefused(s);
        }
        assertArrayEquals(taskRanking(TASKS.get(0), shownFirst, 3, 2, 1, 0), ints(rows().get("p000000").get("ranking")));

        try (LabelSession s = LabelSession.start(TASKS, RankingsJournal.open(dir))) {
            var announced = ANNOUNCEMENT.matcher(s.output());
            assertTrue(announced.matches(), s.output());
            assertEquals("2", announced.group(1));
            assertNotEquals(firstToken, s.token, "a fresh token for every session");
            assertEquals(403, send(s, "GET", "/api/next", firstToken, null).statusCode());
            JsonNode next = get(s, "/api/next");
            assertEquals("p000002", next.get("id").textValue(), "only the pending task is asked");
            assertEquals(2, next.get("done").intValue());
            JsonNode earlier = get(s, "/api/item?id=p000000");
            assertEquals(shownFirst, strings(earlier.get("responses")), "the display order survives a restart");
            assertArrayEquals(new int[] {3, 2, 1, 0}, ints(earlier.get("ranking")));
            post(s, "/api/rank", ranking("p000002", 0, 1, 2));
            s.awaitEnd();
            assertTrue(s.output().endsWith("label: all 3 done (2 ranked, 1 skipped)\n"), s.output());
        }
        assertEquals(List.of("p000000", "p000002"), List.copyOf(rows().keySet()));
    }

    /**
     * Connections that send half a request, with or without the token, neither freeze the page for others nor stay
     * open: the page answers at once beside 12 of them, and the server hangs up on each within its request limit.
     */
    @Test
    void stalledConnectionsNeitherFreezeThePageNorStayOpen() throws Exception {
        try (LabelSession s = LabelSession.start(TASKS, RankingsJournal.open(dir))) {
            java.util.List<java.net.Socket> stalled = new java.util.ArrayList<>();
            try {
                int port = s.page.getPort();
                for (int i = 0; i < 8; i++) {                 // headers never finished, no token
                    stalled.add(open(port, "GET /api/next HTTP/1.1\r\nHost: x\r\n"));
                }
                for (int i = 0; i < 4; i++) {                 // authenticated POSTs whose bodies never come
                    stalled.add(open(port, "POST /api/rank HTTP/1.1\r\nHost: x\r\nX-Token: " + s.token
                            + "\r\nContent-Length: 100\r\n\r\n{\"id\""));
                }
                HttpRequest next = HttpRequest.newBuilder(s.at("/api/next")).timeout(Duration.ofSeconds(5))
                        .header("X-Token", s.token).GET().build();
                assertEquals(200, http.send(next, HttpResponse.BodyHandlers.ofString()).statusCode(),
                        "the page answers beside the stalled connections");
                long deadline = System.nanoTime() + Duration.ofSeconds(HumanLabeler.REQUEST_SECONDS + 20).toNanos();
                for (java.net.Socket k : stalled) {
                    k.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                    int got;
                    try {
                        got = k.getInputStream().read();
                    } catch (IOException e) {
                        got = -1;                                  // reset by the server: closed too
                    }
                    assertEquals(-1, got, "the server hung up on a stalled connection");
                }
            } finally {
                for (java.net.Socket k : stalled) {
                    k.close();
                }
            }
            s.preemption.request();
            s.awaitEnd();
        }
    }

    /** Past 48 exchanges at once (of 64 threads) a request is refused at once with 503 and Retry-After. */
    @Test
    void underOverloadARequestIsRefusedCleanlyAtOnce() throws Exception {
        try (LabelSession s = LabelSession.start(TASKS, RankingsJournal.open(dir))) {
            HttpResponse<String> busy = null;
            // The server cuts a request off after REQUEST_SECONDS, so the 48 slow POSTs must all be inside their
            // handlers within that time; on a loaded machine (a CI run once took over 5 s to start them) an attempt
            // can miss it, and is made again with fresh connections.
            for (int attempt = 0; attempt < 3 && (busy == null || busy.statusCode() != 503); attempt++) {
                java.util.List<java.net.Socket> slow = new java.util.ArrayList<>();
                try {
                    for (int i = 0; i < 48; i++) {            // 48 authenticated POSTs whose bodies are still coming
                        slow.add(open(s.page.getPort(), "POST /api/rank HTTP/1.1\r\nHost: x\r\nX-Token: " + s.token
                                + "\r\nContent-Length: 100\r\n\r\n{"));
                    }
                    long deadline = System.nanoTime()
                            + Duration.ofSeconds(HumanLabeler.REQUEST_SECONDS - 2).toNanos();
                    while (System.nanoTime() < deadline) {
                        busy = http.send(HttpRequest.newBuilder(s.at("/api/next")).timeout(Duration.ofSeconds(30))
                                .header("X-Token", s.token).GET().build(), HttpResponse.BodyHandlers.ofString());
                        if (busy.statusCode() == 503) {
                            break;
                        }
                        Thread.sleep(50);
                    }
                } finally {
                    for (java.net.Socket k : slow) {
                        k.close();
                    }
                }
            }
            assertEquals(503, busy.statusCode(), busy.body());
            assertEquals("1", busy.headers().firstValue("Retry-After").orElse(""));
            assertTrue(busy.body().contains("busy"), busy.body());
            s.preemption.request();
            s.awaitEnd();
        }
    }

    private static java.net.Socket open(int port, String partial) throws IOException {
        java.net.Socket k = new java.net.Socket("127.0.0.1", port);
        k.getOutputStream().write(partial.getBytes(StandardCharsets.UTF_8));
        k.getOutputStream().flush();
        return k;
    }

    @Test
    void nothingPendingReturnsAtOnce() throws Exception {
        RankingsJournal journal = RankingsJournal.open(dir);
        journal.record(TASKS.get(0), Judgement.ranking(0, 1, 2, 3), "human");
        journal.skip("p000001");
        journal.record(TASKS.get(2), Judgement.ranking(2, 1, 0), "human");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<URI> announced = new ArrayList<>();
        new HumanLabeler("127.0.0.1", 0, 1, announced::add).label(TASKS, journal, Preemption.none(),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertEquals("label: nothing to rank (3 of 3 done)\n", bytes.toString(StandardCharsets.UTF_8));
        assertEquals(List.of(), announced);
    }

    @Test
    void aPortInUseIsAConfigError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            HumanLabeler labeler = new HumanLabeler("127.0.0.1", taken.getLocalPort(), 1);
            ConfigException e = assertThrows(ConfigException.class, () -> labeler.label(TASKS,
                    RankingsJournal.open(dir), Preemption.none(), new PrintStream(new ByteArrayOutputStream())));
            assertTrue(e.getMessage().startsWith("label.host/label.port: cannot listen on 127.0.0.1:"
                    + taken.getLocalPort()), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
        assertThrows(ConfigException.class, () -> new HumanLabeler("127.0.0.1", 70000, 1));
    }
}
