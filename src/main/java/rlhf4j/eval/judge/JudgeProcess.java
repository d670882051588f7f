package rlhf4j.eval.judge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import rlhf4j.checkpoint.Json;
import rlhf4j.config.ConfigException;
import rlhf4j.train.Preemption;

/**
 * A conversation with an external judge: {@code sh -c COMMAND} reads one JSON question a line on stdin, each with
 * an {@code "id"}, and answers each with one JSON line on stdout, which may echo that id. The label stage's command
 * labeler and GRPO's command reward both talk to their judges through this class, so that both catch the same
 * failures the same way: a judge that exits, answers nothing within the timeout, prints a line of over a megabyte,
 * prints a line before its question was asked or echoes another question's id is stopped and reported with a
 * one-line {@link ConfigException} that starts with the config key the command came from and quotes the judge's
 * exit status and last stderr line. Its stderr is appended to a log file, each start under a
 * {@code === <instant> sh -c COMMAND} header. Closing, or any failure, kills the judge and everything it started.
 */
public final class JudgeProcess implements AutoCloseable {
    private final Process process;
    private final OutputStream stdin;
    private final AnswerLines answers;
    private final Path log;
    private final int timeoutSeconds;
    private final String key;
    private final String timeoutKey;
    private int asked;
    private final String header; // the log line this start wrote before the judge's own stderr
    private String id;          // the last question's
    private String line;        // the last answer's text

    private JudgeProcess(Process process, Path log, String header, int timeoutSeconds, String key, String timeoutKey) {
        this.process = process;
        this.header = header;
        this.stdin = process.getOutputStream();
        this.answers = AnswerLines.start(process.getInputStream());
        this.log = log;
        this.timeoutSeconds = timeoutSeconds;
        this.key = key;
        this.timeoutKey = timeoutKey;
    }

    /**
     * Starts {@code sh -c command}.
     *
     * @param logFile        where the judge's stderr is appended (its folder is created when missing)
     * @param timeoutSeconds how long one answer may take before the judge is stopped and {@link #ask} fails
     * @param key            the config key holding the command, which every error message starts with
     *                       ({@code label.command}, {@code grpo.reward})
     * @param timeoutKey     the config key holding the timeout, named when an answer is late
     */
    public static JudgeProcess start(String command, Path logFile, int timeoutSeconds, String key, String timeoutKey) {
        try {
            if (logFile.getParent() != null) {
                Files.createDirectories(logFile.getParent());
            }
            // appended, never truncated: after a --resume the failed run's diagnostics are still there
            String header = "=== " + Instant.now() + " sh -c " + command;
            Files.writeString(logFile, header + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            Process process = new ProcessBuilder("sh", "-c", command)
                    .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
            return new JudgeProcess(process, logFile, header, timeoutSeconds, key, timeoutKey);
        } catch (IOException e) {
            throw new ConfigException(key + ": cannot start sh -c '" + command + "': " + e.getMessage());
        }
    }

    /**
     * Asks one question, {@code {"id": id, ...question}}, and waits for its answer: the parsed line (whatever JSON
     * it holds, a missing node for an empty line; an echoed {@code "id"} is checked here, the rest is the caller's to
     * judge), or {@code null} when a stop was requested before or while waiting.
     */
    public JsonNode ask(String id, Map<String, Object> question, Preemption preemption) {
        if (preemption.requested()) {
            return null;
        }
        asked++;
        this.id = id;
        this.line = null;
        if (answers.waiting()) {
            throw failure("printed a line no question asked for before " + question() + ": its answers would be "
                    + "matched to the wrong prompts; print one line per question (and echo its \"id\" to be sure)");
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.putAll(question);
        try {
            stdin.write((Json.line(row) + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            // a judge that exited: reported below as the answer that never came
        }
        AnswerLines.Line answer = answers.next(timeoutSeconds, preemption);
        if (answer.stopped()) {
            return null;
        }
        if (answer.timedOut()) {
            throw failure("gave no answer to " + question() + " within " + timeoutSeconds + " s (" + timeoutKey
                    + ") and was stopped");
        }
        if (answer.tooLong()) {
            throw failure("answered " + question() + " with a line of over " + AnswerLines.MAX_LINE / 1024 + " kB");
        }
        if (answer.text() == null) {
            throw failure("ended without answering " + question());
        }
        line = answer.text();
        JsonNode node;
        try {
            node = Json.parse(line);
            if (node == null) {
                node = MissingNode.getInstance();      // an empty line: null is kept for "stopped"
            }
        } catch (IllegalArgumentException e) {
            throw stopped(key + ": answer " + asked + " is not JSON: " + shorten(line));
        }
        if (node.has("id") && !id.equals(node.path("id").asText(null))) {
            throw stopped(key + ": answer " + asked + " is for \"id\" " + shorten(node.get("id").toString())
                    + ", but question " + asked + " was " + id + ": the judge's answers are out of step with its questions");
        }
        return node;
    }

    /** How many questions were asked so far (the last one's number). */
    public int asked() {
        return asked;
    }

    /**
     * Refuses the last answer for its shape (not the object expected, a missing list): stops the judge and returns
     * the error to throw, {@code KEY: answer N: what, got LINE}.
     */
    public ConfigException malformedAnswer(String what) {
        return stopped(key + ": answer " + asked + ": " + what + ", got " + shorten(line == null ? "" : line));
    }

    /**
     * Refuses the last answer for its values (too few scores, a non-finite one): stops the judge and returns the
     * error to throw, {@code KEY: answer N (ID): problem}.
     */
    public ConfigException wrongAnswer(String problem) {
        return stopped(key + ": answer " + asked + idNote() + ": " + problem);
    }

    /** Ends the judge and everything it started (a shell's children too), at once. */
    @Override
    public void close() {
        try {
            stdin.close();
        } catch (IOException e) {
            // a judge that already exited cannot be told it is done; it is killed below either way
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private String question() {
        return "question " + asked + idNote();
    }

    /** The question's id in parentheses, unless it is just the question's number again. */
    private String idNote() {
        return id == null || id.equals(Integer.toString(asked)) ? "" : " (" + id + ")";
    }

    private ConfigException stopped(String message) {
        close();
        return new ConfigException(message);
    }

    /** A failure of the judge itself: its exit status when it has exited, and its last stderr line. */
    private ConfigException failure(String what) {
        String status = "";
        try {
            if (process.waitFor(2, TimeUnit.SECONDS)) {
                status = ", exit status " + process.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String last;
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            String lastLine = lines.isEmpty() ? header : lines.get(lines.size() - 1);
            last = lastLine.equals(header) ? "; it printed nothing on stderr"    // the header is ours, not the judge's
                    : "; its last stderr line: " + shorten(lastLine);
        } catch (IOException | UncheckedIOException e) {
            last = "";
        }
        return stopped(key + ": the judge " + what + status + last + " (stderr in " + log + ")");
    }

    private static String shorten(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
