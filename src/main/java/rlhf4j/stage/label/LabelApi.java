package rlhf4j.stage.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import rlhf4j.checkpoint.Json;

/**
 * The JSON API of the labeling page, under {@code /api/}. It speaks in display order (see {@link DisplayOrder}):
 * {@code responses} lists the answers as the page shows them and a {@code ranking} holds display indices, best
 * first; rankings are mapped to task indices before they reach the {@link RankingsJournal}, and back when an earlier
 * judgement is shown again.
 *
 * <ul>
 *   <li>{@code GET /api/next}: the first pending task in task order, {@code {"id", "index", "prompt", "responses",
 *       "done", "total"}}, or {@code {"done", "total", "finished": true}} when every task is settled;
 *   <li>{@code POST /api/rank} {@code {"id", "ranking": [display indices]}}: records the ranking (replacing an earlier
 *       one), durably, then answers {@code {"ok": true, "done", "total"}};
 *   <li>{@code POST /api/skip} {@code {"id"}}: records a skip; a ranked task keeps its ranking (the journal never
 *       drops a judgement), so on a task seen again "skip" means "leave it as it is";
 *   <li>{@code GET /api/item?id=}: one task as {@code /api/next} shows it plus {@code "state"} ({@code pending},
 *       {@code ranked}, {@code skipped}) and, when ranked, its {@code "ranking"} in display indices;
 *   <li>{@code GET /api/history}: the settled tasks in task order, {@code {"items": [{"id", "index", "state"}],
 *       "done", "total"}}, from which the page goes back.
 * </ul>
 *
 * A malformed request is 400 with {@code {"error": "..."}} and writes nothing; a failure to write the journal is 500
 * and is also told on the stage's output, since the person at the page may not be the one who can fix it.
 */
final class LabelApi implements HttpHandler {
    /** Rankings are a few numbers; anything this large is not a request from the page. */
    static final int MAX_BODY = 64 * 1024;
    /** How much of an oversized body is read anyway before the connection is dropped. */
    private static final long MAX_DRAIN = 1024 * 1024;

    private final List<LabelTask> tasks;
    private final Map<String, Integer> index = new LinkedHashMap<>();
    private final Map<String, DisplayOrder> orders = new LinkedHashMap<>();
    private final RankingsJournal journal;
    private final String labeler;
    private final Runnable changed;
    private final PrintStream out;

    /**
     * @param changed called after each recorded judgement or skip has been answered, so the labeler can check
     *     whether it is done
     */
    LabelApi(List<LabelTask> tasks, RankingsJournal journal, long seed, String labeler, Runnable changed,
            PrintStream out) {
        this.tasks = List.copyOf(tasks);
        for (int i = 0; i < this.tasks.size(); i++) {
            LabelTask t = this.tasks.get(i);
            if (index.putIfAbsent(t.id(), i) != null) {
                throw new IllegalArgumentException("two label tasks have the id " + t.id());
            }
            orders.put(t.id(), DisplayOrder.of(seed, t.id(), t.responses().size()));
        }
        this.journal = journal;
        this.labeler = labeler;
        this.changed = changed;
        this.out = out;
    }

    /** How many of the tasks the journal holds judged or skipped. */
    int done() {
        int n = 0;
        for (LabelTask t : tasks) {
            n += journal.settled(t.id()) ? 1 : 0;
        }
        return n;
    }

    boolean finished() {
        return done() == tasks.size();
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            String allowed = switch (path) {
                case "/api/next", "/api/item", "/api/history" -> "GET";
                case "/api/rank", "/api/skip" -> "POST";
                default -> null;
            };
            if (allowed == null) {
                Replies.error(ex, 404, "no such API: " + Replies.quote(path));
            } else if (!method.equals(allowed)) {
                Replies.wrongMethod(ex, allowed, true);
            } else {
                answer(ex, path);
            }
        } catch (BadRequest e) {
            Replies.error(ex, e.status, e.getMessage());
        } catch (RuntimeException e) {
            String message = "cannot record: " + (e.getMessage() == null ? e.toString() : e.getMessage());
            out.println("label: " + Replies.oneLine(message));
            Replies.error(ex, 500, message);
        } finally {
            ex.close();
        }
    }

    private void answer(HttpExchange ex, String path) throws IOException {
        switch (path) {
            case "/api/next" -> Replies.json(ex, 200, next());
            case "/api/item" -> Replies.json(ex, 200, item(ex));
            case "/api/history" -> Replies.json(ex, 200, history());
            case "/api/rank" -> {
                rank(body(ex));
                Replies.json(ex, 200, ok());
                changed.run();
            }
            case "/api/skip" -> {
                skip(body(ex));
                Replies.json(ex, 200, ok());
                changed.run();
            }
            default -> throw new IllegalStateException(path);
        }
    }

    private Map<String, Object> next() {
        for (LabelTask t : tasks) {
            if (!journal.settled(t.id())) {
                return show(t);
            }
        }
        Map<String, Object> m = progress();
        m.put("finished", true);
        return m;
    }

    private Map<String, Object> item(HttpExchange ex) {
        String id = TokenCheck.queryParameter(ex.getRequestURI().getRawQuery(), "id");
        if (id == null || id.isEmpty()) {
            throw new BadRequest(400, "give the task as /api/item?id=...");
        }
        Integer i = index.get(id);
        if (i == null) {
            throw new BadRequest(404, "no task has the id " + Replies.quote(id));
        }
        LabelTask t = tasks.get(i);
        Map<String, Object> m = show(t);
        m.put("state", state(id));
        Judgement j = journal.judgement(id);
        if (j != null && j.ranking() != null) {
            m.put("ranking", orders.get(id).toDisplay(j.ranking()));
        }
        return m;
    }

    private Map<String, Object> history() {
        List<Map<String, Object>> items = new ArrayList<>();
        for (LabelTask t : tasks) {
            if (journal.settled(t.id())) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", t.id());
                m.put("index", index.get(t.id()));
                m.put("state", state(t.id()));
                items.add(m);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("items", items);
        m.putAll(progress());
        return m;
    }

    private void rank(JsonNode body) {
        LabelTask task = task(body, Set.of("id", "ranking"));
        JsonNode r = body.get("ranking");
        if (r == null || !r.isArray()) {
            throw new BadRequest(400, "\"ranking\" must be an array of answer positions, best first, like [2, 0, 1]");
        }
        int[] shown = new int[r.size()];
        for (int i = 0; i < shown.length; i++) {
            JsonNode v = r.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new BadRequest(400, "\"ranking\" must hold whole numbers (answer positions), got " + v);
            }
            shown[i] = v.intValue();
        }
        String problem = Judgement.ranking(shown).problem(task.responses().size());
        if (problem != null) {
            throw new BadRequest(400, problem);
        }
        journal.record(task, Judgement.ranking(orders.get(task.id()).toTask(shown)), labeler);
    }

    private void skip(JsonNode body) {
        journal.skip(task(body, Set.of("id")).id());
    }

    /** The task a POST body names; the body may hold only {@code fields}. */
    private LabelTask task(JsonNode body, Set<String> fields) {
        if (!body.isObject()) {
            throw new BadRequest(400, "the body must be a JSON object like {\"id\": \"p000001\", ...}");
        }
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f)) {
                throw new BadRequest(400, "unknown field " + Replies.quote(f) + " (expected " + fields + ")");
            }
        }
        JsonNode id = body.get("id");
        if (id == null || !id.isTextual()) {
            throw new BadRequest(400, "\"id\" must be the task's id, a string");
        }
        Integer i = index.get(id.textValue());
        if (i == null) {
            throw new BadRequest(400, "no task has the id " + Replies.quote(id.textValue()));
        }
        return tasks.get(i);
    }

    private static JsonNode body(HttpExchange ex) throws IOException {
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                // read (and drop) a moderate excess, so the client gets the 400 instead of a reset connection;
                // read, not skip: the JDK 17 body stream's skip() bypasses its length limit and blocks
                byte[] sink = new byte[8192];
                long left = MAX_DRAIN;
                for (int n; left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0; ) {
                    left -= n;
                }
                throw new BadRequest(400, "the body is over " + MAX_BODY / 1024 + " kB");
            }
        }
        JsonNode node;
        try {
            node = Json.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new BadRequest(400, e.getMessage());
        }
        if (node == null || node.isMissingNode()) {
            throw new BadRequest(400, "the body is empty; send a JSON object like {\"id\": \"p000001\", ...}");
        }
        return node;
    }

    private Map<String, Object> show(LabelTask t) {
        DisplayOrder order = orders.get(t.id());
        List<String> responses = new ArrayList<>(order.size());
        for (int d = 0; d < order.size(); d++) {
            responses.add(t.responses().get(order.taskIndex(d)));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("index", index.get(t.id()));
        m.put("prompt", t.question());
        m.put("responses", responses);
        m.putAll(progress());
        return m;
    }

    private String state(String id) {
        return journal.judged(id) ? "ranked" : journal.skipped(id) ? "skipped" : "pending";
    }

    private Map<String, Object> progress() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("done", done());
        m.put("total", tasks.size());
        return m;
    }

    private Map<String, Object> ok() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", true);
        m.putAll(progress());
        return m;
    }

    /** A request the API refuses, with the status and the one-line message it answers. */
    private static final class BadRequest extends RuntimeException {
        final int status;

        BadRequest(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }
}
