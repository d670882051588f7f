package rlhf4j.stage.label;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import rlhf4j.checkpoint.Json;

/**
 * Test helper: a headless Chromium driven over the Chrome DevTools Protocol with nothing but the JDK (a
 * {@link WebSocket} and Jackson), so a browser test needs no WebDriver and no extra dependency. It starts the
 * browser with a throw-away profile, reads the DevTools address from its stderr, opens one page target on the
 * browser connection (flattened session) and offers what a person does: navigate, click at an element's centre with
 * real mouse events, press keys, and read the page with {@code Runtime.evaluate}. Every wait has a timeout;
 * {@link #close} kills the browser and its helper processes.
 */
final class Cdp implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
    private static final Map<String, Integer> KEY_CODES = Map.of("Enter", 13, "Backspace", 8, "Escape", 27);

    private final Process browser;
    private final ArrayDeque<String> log = new ArrayDeque<>();
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private WebSocket socket;
    private String session;

    /** The Chromium binary: {@code chromium} on the PATH, or Debian's {@code /usr/bin/chromium}. */
    static Optional<Path> chromium() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "chromium"))) {
                return Optional.of(Path.of(dir, "chromium"));
            }
        }
        Path debian = Path.of("/usr/bin/chromium");
        return Files.isExecutable(debian) ? Optional.of(debian) : Optional.empty();
    }

    private Cdp(Process browser) {
        this.browser = browser;
    }

    /** Starts {@code chromium} headless with the profile in {@code profile} and attaches to a blank page. */
    static Cdp launch(Path chromium, Path profile) throws Exception {
        Process p = new ProcessBuilder(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--window-size=1000,900", "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        Cdp cdp = new Cdp(p);
        try {
            cdp.connect();
        } catch (Exception | Error e) {
            cdp.close();
            throw e;
        }
        return cdp;
    }

    private void connect() throws Exception {
        CompletableFuture<URI> address = new CompletableFuture<>();
        Thread reader = new Thread(() -> readStderr(address), "chromium-stderr");
        reader.setDaemon(true);
        reader.start();
        URI ws;
        try {
            ws = address.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("chromium printed no DevTools address within " + TIMEOUT.toSeconds() + " s:\n"
                    + log());
        } catch (ExecutionException e) {
            throw new AssertionError("chromium exited before it listened:\n" + log(), e.getCause());
        }
        socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(TIMEOUT)
                .buildAsync(ws, new Listener()).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        String target = send(null, "Target.createTarget", Map.of("url", "about:blank")).get("targetId").textValue();
        session = send(null, "Target.attachToTarget", Map.of("targetId", target, "flatten", true))
                .get("sessionId").textValue();
        call("Page.enable", Map.of());
    }

    // Chromium writes its DevTools address to stderr; the reader keeps reading so the pipe never fills up.
    private void readStderr(CompletableFuture<URI> address) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(browser.getErrorStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                synchronized (log) {
                    log.addLast(line);
                    if (log.size() > 200) {
                        log.removeFirst();
                    }
                }
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    address.complete(URI.create(m.group(1)));
                }
            }
        } catch (IOException closed) {
            // the browser was killed
        }
        address.completeExceptionally(new IOException("chromium's stderr ended"));
    }

    /** The last lines chromium wrote to stderr, for failure messages. */
    String log() {
        synchronized (log) {
            return String.join("\n", log);
        }
    }

    /** A CDP command on the page; its {@code result}. */
    JsonNode call(String method, Map<String, ?> params) throws Exception {
        return send(session, method, params);
    }

    private JsonNode send(String sessionId, String method, Map<String, ?> params) throws Exception {
        long id = ids.incrementAndGet();
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("id", id);
        message.put("method", method);
        message.put("params", params);
        if (sessionId != null) {
            message.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        synchronized (this) {
            // the JDK WebSocket takes one message at a time
            socket.sendText(Json.line(message), true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        JsonNode reply;
        try {
            reply = answer.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(method + ": no answer from chromium within " + TIMEOUT.toSeconds() + " s");
        } finally {
            pending.remove(id);
        }
        if (reply.has("error")) {
            throw new AssertionError(method + " failed: " + reply.get("error"));
        }
        return reply.path("result");
    }

    /** The value of a JavaScript expression in the page (promises awaited, results as JSON). */
    JsonNode evaluate(String expression) throws Exception {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true,
                "awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new AssertionError("page script failed: " + r.get("exceptionDetails").path("exception")
                    .path("description").asText(r.get("exceptionDetails").toString()) + "\n  in: " + expression);
        }
        return r.path("result").path("value");
    }

    /** Polls {@code expression} until {@code ok} holds for its value; fails after {@link #TIMEOUT}. */
    JsonNode waitFor(String what, String expression, Predicate<JsonNode> ok) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        JsonNode value = null;
        while (System.nanoTime() < deadline) {
            value = evaluate(expression);
            if (ok.test(value)) {
                return value;
            }
            Thread.sleep(50); // a poll interval, not a synchronisation
        }
        throw new AssertionError("waited " + TIMEOUT.toSeconds() + " s for " + what + "; last value " + value
                + "\npage text:\n" + evaluate("document.body.innerText").asText());
    }

    /** Waits until {@code expression} is {@code true}. */
    void waitUntil(String what, String expression) throws Exception {
        waitFor(what, expression, JsonNode::asBoolean);
    }

    /** Opens {@code url} and waits until its document has loaded (Page.navigate answers before that). */
    void navigate(URI url) throws Exception {
        JsonNode r = call("Page.navigate", Map.of("url", url.toString()));
        if (r.has("errorText")) {
            throw new AssertionError("cannot open " + url + ": " + r.get("errorText").asText());
        }
        waitUntil("the page at " + url + " to load", "location.href === " + Json.line(url.toString())
                + " && document.readyState === 'complete'");
    }

    /** The viewport centre of the element {@code selector} matches, scrolled into view first. */
    double[] centre(String selector) throws Exception {
        JsonNode p = evaluate("(() => { const e = document.querySelector(" + Json.line(selector) + ");"
                + " if (!e) return null; e.scrollIntoView({block: 'center'});"
                + " const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()");
        if (!p.isArray()) {
            throw new AssertionError("no element matches " + selector);
        }
        return new double[] {p.get(0).doubleValue(), p.get(1).doubleValue()};
    }

    /** A left click, as the mouse does it (move, press, release), at the centre of {@code selector}. */
    void click(String selector) throws Exception {
        double[] at = centre(selector);
        mouse("mouseMoved", at, "none", 0, 0);
        mouse("mousePressed", at, "left", 1, 1);
        mouse("mouseReleased", at, "left", 0, 1);
    }

    void mouse(String type, double[] at, String button, int buttons, int clickCount) throws Exception {
        call("Input.dispatchMouseEvent", Map.of("type", type, "x", at[0], "y", at[1], "button", button,
                "buttons", buttons, "clickCount", clickCount));
    }

    /**
     * Drags the element {@code from} and drops it at {@code to} (a viewport point) with HTML5 drag and drop. Headless
     * Chromium starts no native drag session from mouse events alone, so the drag is intercepted
     * ({@code Input.setInterceptDrags}) and its data dispatched as drag events at the drop point, as DevTools-driven
     * browsers do it.
     */
    void drag(String from, double[] to) throws Exception {
        call("Input.setInterceptDrags", Map.of("enabled", true));
        int seen = events("Input.dragIntercepted").size();
        double[] start = centre(from);
        mouse("mouseMoved", start, "none", 0, 0);
        mouse("mousePressed", start, "left", 1, 1);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        // move in steps until chromium reports the drag it intercepted
        for (int step = 1; events("Input.dragIntercepted").size() == seen; step++) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("chromium started no drag from " + from);
            }
            double f = Math.min(1, step / 10.0);
            mouse("mouseMoved", new double[] {start[0] + (to[0] - start[0]) * f, start[1] + (to[1] - start[1]) * f},
                    "left", 1, 0);
            if (f == 1) {
                Thread.sleep(50); // a poll interval while the event arrives
            }
        }
        JsonNode data = events("Input.dragIntercepted").get(seen).path("params").path("data");
        for (String type : List.of("dragEnter", "dragOver", "drop")) {
            call("Input.dispatchDragEvent", Map.of("type", type, "x", to[0], "y", to[1], "data", data));
        }
        mouse("mouseReleased", to, "left", 0, 1);
        call("Input.setInterceptDrags", Map.of("enabled", false));
    }

    /** Presses and releases a key: a digit or letter, or {@code Enter}, {@code Backspace}, {@code Escape}. */
    void key(String key) throws Exception {
        Map<String, Object> down = new LinkedHashMap<>();
        down.put("type", "keyDown");
        down.put("key", key);
        if (key.length() == 1) {
            char c = key.charAt(0);
            down.put("code", Character.isDigit(c) ? "Digit" + c : "Key" + Character.toUpperCase(c));
            down.put("text", key);
            down.put("windowsVirtualKeyCode", (int) Character.toUpperCase(c));
        } else {
            int code = KEY_CODES.get(key);
            down.put("code", key);
            down.put("windowsVirtualKeyCode", code);
            if (key.equals("Enter")) {
                down.put("text", "\r");
            }
        }
        call("Input.dispatchKeyEvent", down);
        Map<String, Object> up = new LinkedHashMap<>(down);
        up.put("type", "keyUp");
        up.remove("text");
        call("Input.dispatchKeyEvent", up);
    }

    /** The events chromium sent so far whose method is {@code method}. */
    List<JsonNode> events(String method) {
        return events.stream().filter(e -> method.equals(e.path("method").textValue())).toList();
    }

    /** Kills the browser and every process it started, and waits for them. */
    @Override
    public void close() throws InterruptedException {
        if (socket != null) {
            socket.abort();
        }
        List<ProcessHandle> children = browser.descendants().toList();
        browser.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        browser.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        for (ProcessHandle c : children) {
            try {
                c.onExit().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // already gone, or not ours to wait for any longer
            }
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                JsonNode message = Json.parse(text.toString());
                text.setLength(0);
                if (message.has("id")) {
                    CompletableFuture<JsonNode> f = pending.get(message.get("id").longValue());
                    if (f != null) {
                        f.complete(message);
                    }
                } else {
                    events.add(message);
                }
            }
            ws.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            pending.values().forEach(f -> f.completeExceptionally(error));
        }
    }
}
