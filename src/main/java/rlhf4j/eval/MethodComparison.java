package rlhf4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.io.AtomicFile;

/**
 * Every alignment method of a run (PPO, DPO, GRPO) judged together on the test prompts, from what each stage's test
 * evaluation wrote ({@code test_answers.jsonl}: every answer with every judge's score; {@code test_metrics.json}: the
 * figures): one {@link GoldEval} over SFT, SFT best-of-K and each method, so their means, differences and win rates
 * against SFT come with intervals from the same resamples, and each method's cost beside them — its training time
 * and what it needs before it (rankings, a reward model). No model runs: the stages sampled with per-prompt seeds, so
 * SFT's answers are the same in every stage's file; a method whose prompts or SFT answers differ from the first one's
 * (another test file, another {@code test_prompts}) is left out with a note. Writes {@code <run>/comparison.json} and
 * {@code <run>/comparison_answers.jsonl}.
 */
public final class MethodComparison {
    public static final String FILE = "comparison.json";
    public static final String ANSWERS = "comparison_answers.jsonl";

    private MethodComparison() {}

    /** One stage's test evaluation as it wrote it. */
    private record Stage(String method, Path dir, JsonNode metrics, List<JsonNode> answers) {
        JsonNode gold() {
            return metrics.path("gold");
        }
    }

    /**
     * Compares the {@code methods} of {@code runDir} that finished a test evaluation; empty when none did.
     *
     * @return the comparison, also written to {@link #FILE}
     */
    public static Optional<GoldEval> write(Path runDir, List<String> methods, long seed, PrintStream out) {
        List<Stage> stages = new ArrayList<>();
        for (String method : methods) {
            read(runDir.resolve(method), method).ifPresent(stages::add);
        }
        if (stages.isEmpty()) {
            return Optional.empty();
        }
        Stage first = stages.get(0);
        String baseline = first.gold().path("baseline").asText();
        List<Stage> kept = new ArrayList<>();
        for (Stage s : stages) {
            String problem = mismatch(first, s, baseline);
            if (problem == null) {
                kept.add(s);
            } else {
                out.printf("note: %s is left out of the comparison: %s%n", s.method(), problem);
            }
        }
        List<String> measures = strings(first.gold().path("measures"));
        List<String> judges = strings(first.gold().path("judges"));
        Map<String, GoldEval.PerPrompt> systems = new LinkedHashMap<>();
        Map<String, Map<String, Double>> figures = new LinkedHashMap<>();
        for (Stage s : kept) {
            for (String system : systemsOf(s.answers().get(0))) {
                if (!systems.containsKey(system)) {
                    systems.put(system, perPrompt(s.answers(), system, measures));
                    figures.put(system, numbers(s.gold().path("figures").path(system)));
                }
            }
        }
        GoldEval gold = GoldEval.of(systems, judges, baseline, figures, seed);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("methods", costs(runDir, kept));
        json.put("decoding", first.metrics().path("decoding").asText());
        json.put("decoding_described", first.metrics().path("decoding_described").asText());
        json.put("gold", gold.toMap());
        json.put("answers_file", ANSWERS);
        kept.stream().filter(s -> s.metrics().has("best_of_curve")).findFirst()
                .ifPresent(s -> json.put("best_of_curve", s.metrics().get("best_of_curve")));
        try {
            Json.write(runDir.resolve(FILE), json);
            writeAnswers(runDir.resolve(ANSWERS), kept, List.copyOf(systems.keySet()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the comparison into " + runDir, e);
        }
        return Optional.of(gold);
    }

    private static Optional<Stage> read(Path dir, String method) {
        Path metrics = dir.resolve(StageCheckpoint.TEST_METRICS);
        Path answers = dir.resolve(PolicyTestEval.ANSWERS);
        if (!Files.isRegularFile(metrics) || !Files.isRegularFile(answers)) {
            return Optional.empty();
        }
        try {
            JsonNode m = Json.readTree(metrics);
            List<JsonNode> rows = new ArrayList<>();
            try (BufferedReader r = Files.newBufferedReader(answers, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    rows.add(Json.parse(line));
                }
            }
            if (!m.path("gold").isObject() || rows.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Stage(method, dir, m, rows));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Why {@code s} cannot be compared with {@code first} (other prompts, other SFT answers), or null. */
    private static String mismatch(Stage first, Stage s, String baseline) {
        if (!baseline.equals(s.gold().path("baseline").asText())) {
            return "its answers were decoded otherwise (" + s.gold().path("baseline").asText() + ", not " + baseline + ")";
        }
        if (!strings(first.gold().path("measures")).equals(strings(s.gold().path("measures")))) {
            return "other judges scored it";
        }
        if (s.answers().size() != first.answers().size()) {
            return s.answers().size() + " test prompts, not " + first.answers().size();
        }
        for (int i = 0; i < s.answers().size(); i++) {
            JsonNode a = first.answers().get(i);
            JsonNode b = s.answers().get(i);
            if (!a.path("prompt").equals(b.path("prompt"))
                    || !a.path(baseline).path("answer").equals(b.path(baseline).path("answer"))) {
                return "test prompt " + (i + 1) + " or SFT's answer to it differs from " + first.method() + "'s";
            }
        }
        return null;
    }

    /** The systems of an answers line: its object-valued fields, in order. */
    private static List<String> systemsOf(JsonNode line) {
        List<String> out = new ArrayList<>();
        line.fieldNames().forEachRemaining(f -> {
            if (line.path(f).isObject()) {
                out.add(f);
            }
        });
        return out;
    }

    private static GoldEval.PerPrompt perPrompt(List<JsonNode> rows, String system, List<String> measures) {
        Map<String, double[]> scores = new LinkedHashMap<>();
        for (String m : measures) {
            double[] x = new double[rows.size()];                                                 // [n]
            for (int i = 0; i < x.length; i++) {
                x[i] = rows.get(i).path(system).path(m).asDouble(Double.NaN);
            }
            scores.put(m, x);
        }
        return new GoldEval.PerPrompt(scores);
    }

    /**
     * What each method cost: its training time and steps ({@code trainer_state.json}), and the stages it needs first
     * with theirs: every method needs SFT; DPO the rankings; PPO, and GRPO rewarded by the reward model, the rankings
     * and the reward model.
     */
    private static Map<String, Object> costs(Path runDir, List<Stage> stages) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Stage s : stages) {
            JsonNode state = state(s.dir());
            String source = state.path("reward_source").asText("");
            boolean program = source.startsWith("judge:") || source.startsWith("command:");
            List<String> needs = s.method().equals("dpo") ? List.of("label")
                    : s.method().equals("grpo") && program ? List.of() : List.of("label", "rm");
            double upstream = 0;
            for (String n : needs) {
                upstream += state(runDir.resolve(n)).path("elapsed_s").asDouble(0);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("system", systemOf(s));
            m.put("train_seconds", state.path("elapsed_s").asDouble(Double.NaN));
            m.put("steps", state.path("step").asInt());
            m.put("needs", needs);
            m.put("needs_seconds", upstream);
            out.put(s.method(), m);
        }
        return out;
    }

    /** The system a method's own answers are called in its answers file ("ppo sampled-0.7"). */
    private static String systemOf(Stage s) {
        return systemsOf(s.answers().get(0)).stream().filter(n -> n.startsWith(s.method() + " ")).findFirst()
                .orElse(s.method());
    }

    private static JsonNode state(Path dir) {
        try {
            return Json.readTree(dir.resolve(StageCheckpoint.TRAINER_STATE));
        } catch (IOException | RuntimeException e) {
            return Json.parse("{}");
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static Map<String, Double> numbers(JsonNode object) {
        Map<String, Double> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = object.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNumber()) {
                out.put(e.getKey(), e.getValue().asDouble());
            }
        }
        return out;
    }

    /** One line per prompt: the prompt, its reference, and each system's answer with its scores. */
    private static void writeAnswers(Path file, List<Stage> stages, List<String> systems) throws IOException {
        StringBuilder sb = new StringBuilder();
        int n = stages.get(0).answers().size();
        for (int i = 0; i < n; i++) {
            JsonNode first = stages.get(0).answers().get(i);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("prompt", first.path("prompt").asText());
            if (first.has("reference")) {
                line.put("reference", first.path("reference").asText());
            }
            for (String system : systems) {
                for (Stage s : stages) {
                    if (s.answers().get(i).has(system)) {
                        line.put(system, s.answers().get(i).get(system));
                        break;
                    }
                }
            }
            sb.append(Json.line(line)).append('\n');
        }
        AtomicFile.write(file, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The cost lines of the console summary: method, training time, what it needs first. */
    public static String costTable(Path runDir) {
        JsonNode json;
        try {
            json = Json.readTree(runDir.resolve(FILE));
        } catch (IOException | RuntimeException e) {
            return "";
        }
        StringBuilder sb = new StringBuilder("cost                     training   steps   needs first\n");
        Iterator<Map.Entry<String, JsonNode>> it = json.path("methods").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode m = e.getValue();
            sb.append(String.format(Locale.ROOT, "  %-22s %7.0fs %7d   %s%n", e.getKey(),
                    m.path("train_seconds").asDouble(), m.path("steps").asInt(),
                    m.path("needs").isEmpty() ? "nothing but SFT" : String.join(" + ", strings(m.path("needs")))
                            + String.format(Locale.ROOT, " (%.0fs)", m.path("needs_seconds").asDouble())));
        }
        return sb.toString().stripTrailing();
    }
}
