package rlhf4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.eval.GoldEval;

/**
 * What a stage folder ({@code checkpoints/<run>/<stage>/}) holds, read for the report: its
 * {@code metrics.csv}, {@code trainer_state.json}, {@code test_metrics.json} (every numeric leaf,
 * flattened to dotted keys such as {@code exact_match}, {@code test.accuracy} or
 * {@code ppo.reward_mean}) and the last block of {@code samples.txt}. A missing file leaves its part
 * empty; an unreadable one does too and adds a line to {@link #problems}. Reading never throws.
 *
 * @param stage     pretrain, sft, label, rm, ppo, dpo or grpo
 * @param dir       the stage folder
 * @param metrics   metrics.csv, when present and readable
 * @param state     trainer_state.json, when present and readable
 * @param test      test_metrics.json's numbers by dotted key (empty when absent)
 * @param testFile  the test file named in test_metrics.json ("" when none)
 * @param samples   the last block of samples.txt, its {@code === step N ===} header included ("" when none)
 * @param problems  files that exist but could not be read, one line each
 */
public record StageResults(String stage, Path dir, Optional<MetricsTable> metrics, Optional<TrainerState> state,
                           Map<String, Double> test, String testFile, String decoding, String samples,
                           List<String> problems) {
    public static final List<String> STAGES = List.of("pretrain", "sft", "label", "rm", "ppo", "dpo", "grpo");
    /** Stages a pipeline runs only when {@code pipeline.methods} names them: left out of a report where absent. */
    public static final List<String> OPTIONAL = List.of("dpo", "grpo");
    /** The label stage's numbers live in its manifest (counts, judgements), read as its test metrics. */
    public static final String LABEL_MANIFEST = "manifest.json";
    /** test_metrics.json's scores of the copy-the-input baseline ({@code CopyBaseline}). */
    private static final String COPY = "copy_baseline.";
    private static final String COPY_LABEL = "copying the input";
    public static final String SAMPLES = "samples.txt";

    private static final Pattern STEP_HEADER = Pattern.compile("(?m)^=== step (\\d+) ===$");

    /**
     * The keys of trainer_state.json the report uses.
     *
     * @param step           optimizer steps done
     * @param maxSteps       steps configured
     * @param finished       whether the checkpoint is the last one of the stage
     * @param elapsedSeconds training time over all sessions of the stage
     * @param seed           the run's seed
     */
    public record TrainerState(int step, int maxSteps, boolean finished, double elapsedSeconds, long seed) {}

    public StageResults {
        test = Collections.unmodifiableMap(new LinkedHashMap<>(test));
        problems = List.copyOf(problems);
    }

    /** Reads {@code runDir/stage}. */
    public static StageResults read(Path runDir, String stage) {
        Path dir = runDir.resolve(stage);
        List<String> problems = new ArrayList<>();
        Optional<MetricsTable> metrics = Optional.empty();
        Path csv = dir.resolve(StageCheckpoint.METRICS);
        if (Files.isRegularFile(csv)) {
            try {
                MetricsTable t = MetricsTable.read(csv);
                metrics = Optional.of(t);
                if (t.skippedCells() > 0) {
                    problems.add(StageCheckpoint.METRICS + ": " + t.skippedCells() + " cells that are not numbers were skipped");
                }
            } catch (IOException | RuntimeException e) {
                problems.add(StageCheckpoint.METRICS + ": " + e.getMessage());
            }
        }
        Optional<TrainerState> state = Optional.empty();
        Path statePath = dir.resolve(StageCheckpoint.TRAINER_STATE);
        if (Files.isRegularFile(statePath)) {
            try {
                JsonNode n = Json.readTree(statePath);
                state = Optional.of(new TrainerState(n.path("step").asInt(), n.path("max_steps").asInt(),
                        n.path("finished").asBoolean(), n.path("elapsed_s").asDouble(Double.NaN),
                        n.path("seed").asLong()));
            } catch (IOException | RuntimeException e) {
                problems.add(StageCheckpoint.TRAINER_STATE + ": " + e.getMessage());
            }
        }
        Map<String, Double> test = new LinkedHashMap<>();
        String testFile = "";
        String decoding = "";
        Path testPath = dir.resolve(stage.equals("label") ? LABEL_MANIFEST : StageCheckpoint.TEST_METRICS);
        if (Files.isRegularFile(testPath)) {
            try {
                JsonNode n = Json.readTree(testPath);
                flatten("", n, test);
                testFile = n.path("file").asText(n.path("test_file").asText(""));
                decoding = n.path("decoding").asText("");
            } catch (IOException | RuntimeException e) {
                problems.add(StageCheckpoint.TEST_METRICS + ": " + e.getMessage());
            }
        }
        String samples = "";
        Path samplesPath = dir.resolve(SAMPLES);
        if (Files.isRegularFile(samplesPath)) {
            try {
                samples = lastBlock(Files.readString(samplesPath, StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                problems.add(SAMPLES + ": " + e.getMessage());
            }
        }
        return new StageResults(stage, dir, metrics, state, test, testFile, decoding, samples, problems);
    }

    private static void flatten(String prefix, JsonNode node, Map<String, Double> out) {
        if (node.isNumber()) {
            out.put(prefix, node.asDouble());
        } else if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        }
    }

    private static String lastBlock(String text) {
        Matcher m = STEP_HEADER.matcher(text);
        int start = 0;
        while (m.find()) {
            start = m.start();
        }
        return text.substring(start).strip();
    }

    /** Whether the stage left anything behind (metrics, a checkpoint or test metrics). */
    public boolean ran() {
        return metrics.isPresent() || state.isPresent() || !test.isEmpty();
    }

    /** "not run", "finished", "stopped at step S of N" or "started, no checkpoint yet". */
    public String status() {
        if (!ran()) {
            return "not run";
        }
        if (state.isEmpty()) {
            return "started, no checkpoint yet";
        }
        TrainerState s = state.get();
        if (stage.equals("label")) {
            return s.finished() ? "finished" : "stopped: " + count("judgements.judged") + " of " + count("counts.tasks")
                    + " prompts judged";
        }
        return s.finished() ? "finished" : "stopped at step " + s.step() + " of " + s.maxSteps();
    }

    /** The last logged value of a metrics.csv column. */
    public OptionalDouble last(String column) {
        return metrics.map(t -> t.last(column)).orElse(OptionalDouble.empty());
    }

    /** The first logged value of a metrics.csv column. */
    public OptionalDouble first(String column) {
        return metrics.map(t -> t.first(column)).orElse(OptionalDouble.empty());
    }

    /** A number of test_metrics.json by dotted key ({@code chrf}, {@code test.accuracy}, {@code sft.kl}). */
    public OptionalDouble test(String key) {
        Double v = test.get(key);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    /** The headline numbers of this stage for the results table; empty when it did not run. */
    public List<ResultRow> results() {
        List<ResultRow> rows = new ArrayList<>();
        switch (stage) {
            case "pretrain" -> {
                evalRow(rows, "val_bpb", "validation bits per byte", 4);
                evalRow(rows, "val_loss", "validation loss (nats per token)", 4);
            }
            case "sft" -> {
                if (!test.isEmpty()) {
                    String src = testSource(count("prompts") + " prompts" + answersBy());
                    testRow(rows, "exact_match", "test_exact_match", "test exact match (share of prompts, 0–1)", 4,
                            COPY + "exact_match", COPY_LABEL, src);
                    testRow(rows, "chrf", "test_chrf", "test chrF (0–100)", 2, COPY + "chrf", COPY_LABEL, src);
                    testRow(rows, "mean_response_tokens", "test_mean_response_tokens",
                            "test mean response length (tokens)", 1, "", "", src);
                } else {
                    evalRow(rows, "exact_match", "validation exact match (share, 0–1; no test file)", 4);
                    evalRow(rows, "chrf", "validation chrF (0–100; no test file)", 2);
                }
                evalRow(rows, "val_loss", "validation loss (nats per token)", 4);
            }
            case "label" -> {
                String src = LABEL_MANIFEST;
                testRow(rows, "counts.tasks", "tasks", "prompts ranked (each with its distinct sampled answers)", 0,
                        "counts.prompts", "prompts answered", src);
                testRow(rows, "judgements.pairs", "pairs", "comparisons (pairs) the rankings give the reward model", 0,
                        "", "", src);
                testRow(rows, "counts.duplicate_candidates_dropped", "duplicates", "identical answers dropped", 0,
                        "counts.candidates_sampled", "answers sampled", src);
            }
            case "rm" -> {
                testRow(rows, "val.accuracy", "val_accuracy", "held-out pairwise accuracy (validation rankings, 0–1)", 4,
                        "train.accuracy", "training rankings", testSource(count("val.pairs") + " pairs of "
                                + count("val.rankings") + " validation rankings"));
                testRow(rows, "val.top1", "val_top1", "held-out top-1 (RM's best is the labeler's best, 0–1)", 4,
                        "train.top1", "training rankings", testSource(count("val.rankings") + " validation rankings"));
                testRow(rows, "val.kendall_tau", "val_kendall_tau", "held-out Kendall τ per ranking (−1–1)", 4,
                        "train.kendall_tau", "training rankings", testSource(count("val.rankings")
                                + " validation rankings"));
                if (test.containsKey("test.accuracy")) {
                    testRow(rows, "test.accuracy", "test_accuracy", "pairwise accuracy on the test file (0–1)", 4,
                            "", "", testSource(count("test.pairs") + " test pairs"));
                } else if (!test.containsKey("val.accuracy")) {
                    evalRow(rows, "val_accuracy", "held-out pairwise accuracy (validation pairs, 0–1)", 4);
                }
            }
            case "ppo", "dpo", "grpo" -> {
                if (!test.isEmpty()) {
                    String src = testSource(count("prompts") + " test prompts" + answersBy());
                    String sft = "SFT policy";
                    testRow(rows, stage + ".reward_mean", "reward_mean", "mean reward (" + (stage.equals("grpo")
                            ? "GRPO's reward" : "RM score") + ")", 4, "sft.reward_mean", sft, src);
                    testRow(rows, stage + ".kl", "kl", "KL to the SFT policy (nats)", 4, "sft.kl", sft, src);
                    winRateRows(rows, src);
                    if (!referenceFree()) {                // a reference measure says little of open-ended answers
                        testRow(rows, stage + ".exact_match", "exact_match", "exact match (share of prompts, 0–1)", 4,
                                "sft.exact_match", sft, src);
                        testRow(rows, stage + ".chrf", "chrf", "chrF (0–100)", 2, "sft.chrf", sft, src);
                    }
                    testRow(rows, COPY + "exact_match", "copy_exact_match", "exact match of the input unchanged "
                            + "(copy baseline)", 4, "", "", src);
                    testRow(rows, COPY + "chrf", "copy_chrf", "chrF of the input unchanged (copy baseline)", 2, "", "",
                            src);
                    testRow(rows, stage + ".mean_response_tokens", "mean_response_tokens",
                            "mean response length (tokens)", 1, "sft.mean_response_tokens", sft, src);
                } else if (stage.equals("dpo")) {
                    evalRow(rows, "val_rewards_accuracy", "validation implicit-reward accuracy (0–1; no test file)", 4);
                    evalRow(rows, "val_loss", "validation DPO loss", 4);
                } else {
                    evalRow(rows, "val_reward", "validation mean reward (no test file)", 4);
                    evalRow(rows, "val_kl", "validation KL to the SFT policy (nats)", 4);
                    evalRow(rows, "val_exact_match", "validation exact match (share, 0–1)", 4);
                    evalRow(rows, "val_chrf", "validation chrF (0–100)", 2);
                }
            }
            default -> { }
        }
        return rows;
    }

    /** The stage's win rate against SFT by each judge of its gold evaluation (ties count half). */
    private void winRateRows(List<ResultRow> rows, String source) {
        String prefix = "gold.win_rates." + stage + " ";
        for (String key : test.keySet()) {
            if (!key.startsWith(prefix) || !key.endsWith(".value")) {
                continue;
            }
            String rest = key.substring("gold.win_rates.".length(), key.length() - ".value".length());
            String judge = rest.substring(rest.lastIndexOf('.') + 1);
            rows.add(new ResultRow(stage, "win rate against SFT by " + GoldEval.label(judge)
                    + " (ties half, 0–1)", new ResultRow.Cell(stage + ".win_rate_" + judge, test.get(key), 4),
                    Optional.empty(), "", source));
        }
    }

    /** Whether the gold evaluation judged without references (a sentiment task): no chrf among its win rates. */
    private boolean referenceFree() {
        boolean judged = test.keySet().stream().anyMatch(k -> k.startsWith("gold.win_rates."));
        return judged && test.keySet().stream().noneMatch(k -> k.startsWith("gold.win_rates.") && k.contains(".chrf."));
    }

    private String count(String key) {
        return test(key).isPresent() ? Long.toString(Math.round(test(key).getAsDouble())) : "?";
    }

    /** The last value of a metrics.csv column, next to its first value when they are at different steps. */
    private void evalRow(List<ResultRow> rows, String column, String label, int decimals) {
        if (metrics.isEmpty() || !metrics.get().has(column)) {
            return;
        }
        MetricsTable t = metrics.get();
        ResultRow.Cell last = new ResultRow.Cell(stage + "." + column, t.last(column).getAsDouble(), decimals);
        Optional<ResultRow.Cell> first = t.firstStep(column) == t.lastStep(column) ? Optional.empty()
                : Optional.of(new ResultRow.Cell(stage + ".first_" + column, t.first(column).getAsDouble(), decimals));
        rows.add(new ResultRow(stage, label, last, first, "first eval (step " + t.firstStep(column) + ")",
                StageCheckpoint.METRICS + ", step " + t.lastStep(column)));
    }

    /** How the scored answers were decoded, as test_metrics.json says ("greedy", "beam-4"); empty when it does not. */
    private String answersBy() {
        return decoding.isEmpty() ? "" : ", " + decoding + " answers";
    }

    private String testSource(String what) {
        return StageCheckpoint.TEST_METRICS + " (" + (testFile.isEmpty() ? "" : testFile + ", ") + what + ")";
    }

    private void testRow(List<ResultRow> rows, String jsonKey, String key, String label, int decimals,
                         String baselineJsonKey, String baselineLabel, String source) {
        if (!test.containsKey(jsonKey)) {
            return;
        }
        ResultRow.Cell value = new ResultRow.Cell(stage + "." + key, test.get(jsonKey), decimals);
        Optional<ResultRow.Cell> base = test.containsKey(baselineJsonKey)
                ? Optional.of(new ResultRow.Cell(stage + "." + baselineKey(baselineJsonKey), test.get(baselineJsonKey),
                decimals)) : Optional.empty();
        rows.add(new ResultRow(stage, label, value, base, baselineLabel, source));
    }

    /** {@code sft.kl} → {@code sft_kl}, {@code train.accuracy} → {@code train_accuracy}. */
    private static String baselineKey(String jsonKey) {
        return jsonKey.replace('.', '_');
    }
}
