package rlhf4j.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.checkpoint.Json;
import rlhf4j.data.PromptExample;
import rlhf4j.io.AtomicFile;
import rlhf4j.tokenizer.Message;

/**
 * Every answer of an evaluation as JSONL ({@code ./train eval --answers FILE}), so any tool can read or rescore
 * them: one object a line with {@code prompt} (the user's text, or the list of turns for a multi-turn prompt),
 * {@code reference} (null when there is none), {@code answer}, and the per-answer scores the evaluation computed.
 * The file is replaced atomically.
 */
public final class AnswersFile {
    /** One line: the prompt, its reference, the model's answer and its scores in column order. */
    public record Row(List<Message> prompt, String reference, String answer, Map<String, Object> scores) {}

    private AnswersFile() {}

    public static void write(Path file, List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        for (Row r : rows) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("prompt", r.prompt().size() == 1 ? r.prompt().get(0).content() : r.prompt());
            line.put("reference", r.reference());
            line.put("answer", r.answer());
            line.putAll(r.scores());
            sb.append(Json.line(line)).append('\n');
        }
        try {
            AtomicFile.write(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The rows of generation answers (exact match and chrF per answer). */
    public static List<Row> of(List<GenerationEval.Answer> answers) {
        return answers.stream().map(a -> new Row(a.item().prompt(), a.item().reference(), a.output(),
                scores("exact", a.exact(), "chrf", a.chrF()))).toList();
    }

    private static Map<String, Object> scores(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    /**
     * The rows of a judged comparison: the checkpoint's answer (the last system) with each judge's score, and every
     * other system's answer and scores under its name.
     */
    public static List<Row> ofJudged(List<PromptExample> prompts, JudgedComparison.Result result) {
        List<String> names = List.copyOf(result.answers().keySet());
        String own = names.get(names.size() - 1);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            Map<String, Object> s = new LinkedHashMap<>();
            for (String name : names) {
                Map<String, Object> target = s;
                if (!name.equals(own)) {
                    target = new LinkedHashMap<>();
                    target.put("answer", result.answers().get(name).get(i));
                }
                for (Map.Entry<String, double[]> e : result.scores().get(name).scores().entrySet()) {
                    target.put(e.getKey(), e.getValue()[i]);
                }
                if (!name.equals(own)) {
                    s.put(name, target);
                }
            }
            rows.add(new Row(prompts.get(i).prompt(), prompts.get(i).reference(), result.answers().get(own).get(i), s));
        }
        return rows;
    }

    /** The rows of a policy evaluation (reward and KL per answer; exact match and chrF where there is a reference). */
    public static List<Row> ofPolicy(List<PolicyEval.Answer> answers) {
        return answers.stream().map(a -> {
            Map<String, Object> s = a.prompt().reference() == null ? scores("reward", a.reward(), "kl", a.kl())
                    : scores("reward", a.reward(), "kl", a.kl(), "exact", a.exact(), "chrf", a.chrF());
            return new Row(a.prompt().prompt(), a.prompt().reference(), a.output(), s);
        }).toList();
    }
}
