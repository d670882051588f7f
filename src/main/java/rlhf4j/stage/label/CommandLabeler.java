package rlhf4j.stage.label;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.eval.judge.JudgeProcess;
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
 * {@code judge.log} in the stage folder. The conversation itself, and its failures, are {@link JudgeProcess}'s; this
 * class turns tasks into questions and answers into recorded judgements.
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
        try (JudgeProcess judge = JudgeProcess.start(command, dir.resolve(LOG), timeoutSeconds, "label.command",
                "label.command_timeout")) {
            for (LabelTask task : pending) {
                Map<String, Object> question = new LinkedHashMap<>();
                question.put("prompt", task.question());
                question.put("responses", task.responses());
                question.put("reference", task.reference());
                JsonNode answer = judge.ask(task.id(), question, preemption);
                if (answer == null) {
                    return;                                  // preempted: what was judged is recorded
                }
                Judgement judgement;
                try {
                    judgement = Judgement.of(answer);
                } catch (IllegalArgumentException e) {
                    throw judge.malformedAnswer(e.getMessage());
                }
                String problem = judgement.problem(task.responses().size());
                if (problem != null) {
                    throw judge.wrongAnswer(problem);
                }
                journal.record(task, judgement, name());
            }
        }
    }
}
