package rlhf4j.stage.label;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import rlhf4j.checkpoint.Json;
import rlhf4j.io.AtomicFile;
import rlhf4j.io.DataException;
import rlhf4j.tokenizer.Message;

/**
 * The label stage's judgements on disk, durable one at a time: {@code rankings.jsonl} holds one row per judged
 * prompt in the ranking-file format ({@code prompt}, {@code responses}, {@code ranking} or {@code scores}) plus
 * {@code id}, {@code reference} and {@code labeler}; {@code skipped.jsonl} the ids a person skipped. A new
 * judgement is appended and forced to disk before {@link #record} returns; a changed one rewrites the file
 * atomically, so the file never holds two rows for one prompt. A row cut short by a kill (no final newline) is
 * dropped on open. Thread-safe: the human labeler records from its HTTP threads.
 */
public final class RankingsJournal {
    public static final String RANKINGS = "rankings.jsonl";
    public static final String SKIPPED = "skipped.jsonl";

    private final Path file;
    private final Path skippedFile;
    private final Map<String, Object> rows = new LinkedHashMap<>();
    private final Map<String, Judgement> judgements = new LinkedHashMap<>();
    private final Set<String> skipped = new LinkedHashSet<>();
    private final int droppedPartial;

    private RankingsJournal(Path dir) {
        this.file = dir.resolve(RANKINGS);
        this.skippedFile = dir.resolve(SKIPPED);
        int dropped = 0;
        for (Path f : List.of(file, skippedFile)) {
            dropped += dropPartialLine(f) ? 1 : 0;
        }
        this.droppedPartial = dropped;
        readRankings();
        readSkipped();
    }

    /** The journal of a label stage folder: what an earlier run recorded there, or nothing. */
    public static RankingsJournal open(Path dir) {
        try {                                              // a kill during a re-rank's rewrite leaves these behind
            AtomicFile.removeLeftovers(dir.resolve(RANKINGS));
            AtomicFile.removeLeftovers(dir.resolve(SKIPPED));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot tidy " + dir, e);
        }
        return new RankingsJournal(dir);
    }

    public Path file() {
        return file;
    }

    /** Rows cut short by a kill and dropped on open (0 or more). */
    public int droppedPartial() {
        return droppedPartial;
    }

    public synchronized boolean judged(String id) {
        return judgements.containsKey(id);
    }

    public synchronized boolean skipped(String id) {
        return skipped.contains(id);
    }

    /** Judged or skipped: nothing more to ask about it. */
    public synchronized boolean settled(String id) {
        return judgements.containsKey(id) || skipped.contains(id);
    }

    /** The recorded judgement of {@code id}, or {@code null}. */
    public synchronized Judgement judgement(String id) {
        return judgements.get(id);
    }

    public synchronized int judgedCount() {
        return judgements.size();
    }

    public synchronized int skippedCount() {
        return skipped.size();
    }

    /**
     * Records {@code labeler}'s judgement of {@code task}, durably. A second judgement of the same task replaces
     * the first (and un-skips it). An invalid judgement is an {@link IllegalArgumentException} and writes nothing.
     */
    public synchronized void record(LabelTask task, Judgement judgement, String labeler) {
        String problem = judgement.problem(task.responses().size());
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        Map<String, Object> row = row(task, judgement, labeler);
        boolean replace = judgements.containsKey(task.id());
        rows.put(task.id(), row);
        judgements.put(task.id(), judgement);
        try {
            if (replace) {
                StringBuilder text = new StringBuilder();
                rows.values().forEach(r -> text.append(Json.line(r)).append('\n'));
                AtomicFile.write(file, text.toString().getBytes(StandardCharsets.UTF_8));
            } else {
                append(file, Json.line(row));
            }
            if (skipped.remove(task.id())) {
                rewriteSkipped();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Records that a person skipped {@code id} (a later judgement replaces the skip). */
    public synchronized void skip(String id) {
        if (judgements.containsKey(id) || !skipped.add(id)) {
            return;
        }
        try {
            append(skippedFile, Json.line(Map.of("id", id)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + skippedFile, e);
        }
    }

    private static Map<String, Object> row(LabelTask task, Judgement judgement, String labeler) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", task.id());
        row.put("prompt", Message.toJson(task.prompt()));
        row.put("responses", task.responses());
        if (judgement.ranking() != null) {
            row.put("ranking", judgement.ranking());
        } else {
            row.put("scores", judgement.scores());
        }
        if (task.reference() != null) {
            row.put("reference", task.reference());
        }
        row.put("labeler", labeler);
        return row;
    }

    private void rewriteSkipped() throws IOException {
        StringBuilder text = new StringBuilder();
        skipped.forEach(id -> text.append(Json.line(Map.of("id", id))).append('\n'));
        AtomicFile.write(skippedFile, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void append(Path target, String line) throws IOException {
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer buf = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
    }

    /**
     * Repairs a final line without its newline: a complete judgement (a kill between the row and its newline, or a
     * file edited by hand) gets its newline and stays; anything else is a write a kill cut short and is cut off.
     * True when a partial line was dropped.
     */
    private static boolean dropPartialLine(Path f) {
        try {
            if (!Files.isRegularFile(f) || Files.size(f) == 0) {
                return false;
            }
            byte[] bytes = Files.readAllBytes(f);
            if (bytes[bytes.length - 1] == '\n') {
                return false;
            }
            int keep = bytes.length;
            while (keep > 0 && bytes[keep - 1] != '\n') {
                keep--;
            }
            String last = new String(bytes, keep, bytes.length - keep, StandardCharsets.UTF_8);
            if (complete(last)) {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                    ch.write(ByteBuffer.wrap(new byte[] {'\n'}));
                    ch.force(true);
                }
                return false;
            }
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.truncate(keep);
                ch.force(true);
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot repair " + f, e);
        }
    }

    /** Whether a line is a whole journal row: one JSON object with its id (and, for a ranking, a valid judgement). */
    private static boolean complete(String line) {
        try {
            JsonNode node = Json.parse(line);
            if (node == null || !node.isObject() || !node.path("id").isTextual()) {
                return false;
            }
            if (node.has("ranking") || node.has("scores")) {
                Judgement.of(node);
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private List<JsonNode> lines(Path f) {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.isRegularFile(f)) {
            return out;
        }
        try {
            List<String> text = Files.readAllLines(f, StandardCharsets.UTF_8);
            for (int i = 0; i < text.size(); i++) {
                if (text.get(i).isBlank()) {
                    continue;
                }
                JsonNode node = Json.parse(text.get(i));
                if (!node.path("id").isTextual()) {
                    throw new DataException(f, i + 1, "a label journal row needs its \"id\"");
                }
                out.add(node);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        } catch (IllegalArgumentException e) {
            throw new DataException(f, "cannot read the label journal: " + e.getMessage());
        }
        return out;
    }

    private void readRankings() {
        for (JsonNode node : lines(file)) {
            String id = node.get("id").textValue();
            Judgement j;
            try {
                j = Judgement.of(node);
            } catch (IllegalArgumentException e) {
                throw new DataException(file, "the judgement of " + id + " in the label journal: " + e.getMessage());
            }
            rows.put(id, node);
            judgements.put(id, j);
        }
    }

    private void readSkipped() {
        for (JsonNode node : lines(skippedFile)) {
            skipped.add(node.get("id").textValue());
        }
        skipped.removeAll(judgements.keySet());
    }
}
