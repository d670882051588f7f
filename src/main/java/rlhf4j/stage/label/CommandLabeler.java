package rlhf4j.stage.label;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.checkpoint.Json;
import rlhf4j.config.ConfigException;
import rlhf4j.train.Preemption;

/**
 * An external judge (a grammar checker, an LLM judge): {@code label.command} runs under {@code sh -c}, reads one
 * JSON object a line on stdin, {@code {"id", "prompt", "responses", "reference"}} ({@code prompt} is the last user
 * message, {@code reference} null when there is none), and answers each with one line, {@code {"ranking": [...]}}
 * (indices best first) or {@code {"scores": [...]}}, which may echo the question's {@code "id"}. Each answer is
 * recorded before the next question is asked; a judge that exits early, answers something malformed, answers out
 * of step (a line before its question, an echoed id of another question), takes longer than
 * {@code label.command_timeout} or prints a line of over a megabyte stops the stage with a one-line error, the
 * judge and its children are killed, and what was ranked before stays. Its stderr is appended to
 * {@code judge.log} in the stage folder.
 */
public final class CommandLabeler implements Labeler {
    public static final String LOG = "judge.log";
    private final String command;
    private final Path dir;
    private final int timeoutSeconds;

    /** @param timeoutSeconds how long one answer may take before the judge is stopped and the stage fails */
    public CommandLabeler(String command, Path dir, int timeoutSeconds) {
        this.command = command;
        this.dir = dir;
        this.timeoutSeconds = timeoutSeconds;
    }

    @Override
    public String name() {
        return "command";
    }

    @Override
    public void label(List<LabelTask> tasks, RankingsJournal journal, Preemption preemption, PrintStream out) {
        List<LabelTask> pending = tasks.stream().filter(t -> !journal.settled(t.id())).toList();
        if (pending.isEmpty()) {
            return;
        }
        Path log = dir.resolve(LOG);
        Process process;
        try {
            // appended, never truncated: after a --resume the failed run's diagnostics are still there
            Files.writeString(log, "=== " + java.time.Instant.now() + " sh -c " + command + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = new ProcessBuilder("sh", "-c", command)
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new ConfigException("label.command: cannot start sh -c '" + command + "': " + e.getMessage());
        }
        AnswerLines answers = AnswerLines.start(process.getInputStream());
        try (BufferedWriter in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(),
                StandardCharsets.UTF_8))) {
            int asked = 0;
            for (LabelTask task : pending) {
                if (preemption.requested()) {
                    return;
                }
                if (answers.waiting()) {
                    throw failure(process, log, "printed a line no question asked for before question " + (asked + 1)
                            + " (" + task.id() + "): its answers would be matched to the wrong prompts; print one line "
                            + "per question (and echo its \"id\" to be sure)");
                }
                Map<String, Object> question = new LinkedHashMap<>();
                question.put("id", task.id());
                question.put("prompt", task.question());
                question.put("responses", task.responses());
                question.put("reference", task.reference());
                try {
                    in.write(Json.line(question));
                    in.newLine();
                    in.flush();
                } catch (IOException e) {
                    // a judge that exited: reported below as the answer that never came
                }
                asked++;
                AnswerLines.Line answer = answers.next(timeoutSeconds, preemption);
                if (answer.stopped()) {
                    return;                                  // preempted: what was judged is recorded
                }
                if (answer.timedOut()) {
                    throw failure(process, log, "gave no answer to question " + asked + " (" + task.id() + ") within "
                            + timeoutSeconds + " s (label.command_timeout) and was stopped");
                }
                if (answer.tooLong()) {
                    throw failure(process, log, "answered question " + asked + " (" + task.id() + ") with a line of "
                            + "over " + AnswerLines.MAX_LINE / 1024 + " kB");
                }
                if (answer.text() == null) {
                    throw failure(process, log, "ended without answering question " + asked + " (" + task.id() + ")");
                }
                Judgement judgement = parse(answer.text(), asked, task.id());
                String problem = judgement.problem(task.responses().size());
                if (problem != null) {
                    throw new ConfigException("label.command: answer " + asked + " (" + task.id() + "): " + problem);
                }
                journal.record(task, judgement, name());
            }
        } catch (IOException e) {
            throw failure(process, log, "cannot talk to it: " + e.getMessage());
        } finally {
            stop(process);
        }
    }

    /** Ends the judge and everything it started (a shell's children too), at once. */
    private static void stop(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static Judgement parse(String line, int n, String id) {
        JsonNode node;
        try {
            node = Json.parse(line);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("label.command: answer " + n + " is not JSON: " + shorten(line));
        }
        if (node != null && node.has("id") && !id.equals(node.path("id").asText(null))) {
            throw new ConfigException("label.command: answer " + n + " is for \"id\" " + shorten(node.get("id").toString())
                    + ", but question " + n + " was " + id + ": the judge's answers are out of step with its questions");
        }
        try {
            return Judgement.of(node);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("label.command: answer " + n + ": " + e.getMessage() + ", got " + shorten(line));
        }
    }

    private static ConfigException failure(Process process, Path log, String what) {
        String status = "";
        try {
            if (process.waitFor(2, java.util.concurrent.TimeUnit.SECONDS)) {
                status = ", exit status " + process.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String last = "";
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            last = lines.isEmpty() ? "" : "; its last stderr line: " + shorten(lines.get(lines.size() - 1));
        } catch (IOException | java.io.UncheckedIOException e) {
            last = "";
        }
        return new ConfigException("label.command: the judge " + what + status + last + " (stderr in " + log + ")");
    }

    private static String shorten(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
