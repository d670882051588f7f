package rlhf4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;

/**
 * {@link MethodComparison} on hand-written stage folders (no model runs): methods whose test answers share SFT's are
 * judged together — means, win rates against SFT and costs from the trainer states, computed here by hand — and a
 * method whose SFT answers differ is left out with a note rather than compared on other prompts.
 */
class MethodComparisonTest {
    private static final List<String> PROMPTS = List.of("Fix: he go", "Fix: she run", "Fix: we was", "Fix: it are");
    private static final List<String> SFT = List.of("he goes", "she run", "we were", "it are");
    private static final double[] SFT_CHRF = {100, 40, 100, 30};

    /**
     * A stage folder as a finished test evaluation leaves it: test_answers.jsonl with SFT's and the method's answers
     * (chrF and exact match each), test_metrics.json with the gold header, and trainer_state.json.
     */
    private static void stage(Path run, String method, List<String> sftAnswers, double[] chrf, double seconds,
                              int steps, String rewardSource) throws IOException {
        Path dir = Files.createDirectories(run.resolve(method));
        String system = method + " greedy";
        StringBuilder answers = new StringBuilder();
        for (int i = 0; i < PROMPTS.size(); i++) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("prompt", PROMPTS.get(i));
            line.put("reference", SFT.get(i));
            line.put("sft greedy", Map.of("answer", sftAnswers.get(i), "chrf", SFT_CHRF[i], "exact_match",
                    SFT_CHRF[i] == 100 ? 1.0 : 0.0));
            line.put(system, Map.of("answer", method + " answer " + i, "chrf", chrf[i], "exact_match",
                    chrf[i] == 100 ? 1.0 : 0.0));
            answers.append(Json.line(line)).append('\n');
        }
        Files.writeString(dir.resolve(PolicyTestEval.ANSWERS), answers.toString());
        Map<String, Object> gold = new LinkedHashMap<>();
        gold.put("baseline", "sft greedy");
        gold.put("measures", List.of("chrf", "exact_match"));
        gold.put("judges", List.of("chrf"));
        gold.put("figures", Map.of("sft greedy", Map.of("kl", 0.0), system, Map.of("kl", steps / 100.0)));
        Files.writeString(dir.resolve(StageCheckpoint.TEST_METRICS), Json.toString(Map.of("decoding", "greedy",
                "decoding_described", "greedy", "method", method, "gold", gold)));
        Map<String, Object> state = new LinkedHashMap<>(Map.of("stage", method, "step", steps, "elapsed_s", seconds,
                "finished", true));
        if (rewardSource != null) {
            state.put("reward_source", rewardSource);
        }
        Files.writeString(dir.resolve(StageCheckpoint.TRAINER_STATE), Json.toString(state));
    }

    private static void upstream(Path run) throws IOException {
        for (Map.Entry<String, Double> e : Map.of("label", 30.0, "rm", 70.0).entrySet()) {
            Path dir = Files.createDirectories(run.resolve(e.getKey()));
            Files.writeString(dir.resolve(StageCheckpoint.TRAINER_STATE), Json.toString(Map.of("stage", e.getKey(),
                    "elapsed_s", e.getValue(), "finished", true)));
        }
    }

    private static Optional<GoldEval> compare(Path run, List<String> methods, ByteArrayOutputStream out) {
        return MethodComparison.write(run, methods, 7, new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    private static List<String> names(JsonNode object) {
        List<String> out = new ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void methodsWithTheSameSftAnswersAreJudgedTogetherWithTheirCosts(@TempDir Path run) throws IOException {
        upstream(run);
        // against SFT's chrF {100, 40, 100, 30}: ppo ties, wins, loses, wins (2.5 of 4); dpo wins on 2 of 4, ties 2
        stage(run, "ppo", SFT, new double[] {100, 60, 90, 50}, 120.0, 200, "rm");
        stage(run, "dpo", SFT, new double[] {100, 50, 100, 45}, 20.0, 100, null);
        stage(run, "grpo", SFT, new double[] {10, 20, 30, 40}, 60.0, 50, "judge:chrf");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GoldEval gold = compare(run, List.of("ppo", "dpo", "grpo"), out).orElseThrow();
        assertFalse(out.toString(StandardCharsets.UTF_8).contains("left out"), out.toString(StandardCharsets.UTF_8));

        JsonNode json = Json.readTree(run.resolve(MethodComparison.FILE));
        assertEquals(List.of("ppo", "dpo", "grpo"), names(json.path("methods")));
        assertEquals(List.of("sft greedy", "ppo greedy", "dpo greedy", "grpo greedy"), names(json.path("gold")
                .path("systems")), "SFT once, then each method");
        JsonNode wins = json.path("gold").path("win_rates");
        assertEquals(2.5 / 4, wins.path("ppo greedy vs sft greedy").path("chrf").path("value").asDouble(), 1e-12);
        assertEquals(3.0 / 4, wins.path("dpo greedy vs sft greedy").path("chrf").path("value").asDouble(), 1e-12);
        assertEquals(1.0 / 4, wins.path("grpo greedy vs sft greedy").path("chrf").path("value").asDouble(), 1e-12);
        assertEquals(gold.winRates().get("dpo greedy vs sft greedy").get("chrf").estimate(), 0.75, 1e-12);
        assertEquals(67.5, json.path("gold").path("systems").path("sft greedy").path("chrf").path("value").asDouble(),
                1e-12);
        assertEquals((0 + 10 + 0 + 15) / 4.0, json.path("gold").path("differences").path("dpo greedy - sft greedy")
                .path("chrf").path("value").asDouble(), 1e-12);
        assertEquals(2.0, json.path("gold").path("figures").path("ppo greedy").path("kl").asDouble(), 1e-12,
                "each method's figures come from its own file");

        // costs: training time and steps from each trainer state; what it needs first, with their time
        JsonNode ppo = json.path("methods").path("ppo");
        assertEquals(120.0, ppo.path("train_seconds").asDouble());
        assertEquals(200, ppo.path("steps").asInt());
        assertEquals(List.of("label", "rm"), Json.convert(ppo.path("needs"), List.class));
        assertEquals(100.0, ppo.path("needs_seconds").asDouble(), 1e-12);
        JsonNode dpo = json.path("methods").path("dpo");
        assertEquals("dpo greedy", dpo.path("system").asText());
        assertEquals(List.of("label"), Json.convert(dpo.path("needs"), List.class), "DPO needs the rankings only");
        assertEquals(30.0, dpo.path("needs_seconds").asDouble(), 1e-12);
        JsonNode grpo = json.path("methods").path("grpo");
        assertEquals(List.of(), Json.convert(grpo.path("needs"), List.class), "GRPO rewarded by a judge needs neither");
        assertEquals(0.0, grpo.path("needs_seconds").asDouble());
        String costs = MethodComparison.costTable(run);
        assertTrue(costs.contains("label (30s)") && costs.contains("label + rm (100s)")
                && costs.contains("nothing but SFT"), costs);

        List<String> lines = Files.readAllLines(run.resolve(MethodComparison.ANSWERS));
        assertEquals(PROMPTS.size(), lines.size());
        JsonNode first = Json.parse(lines.get(0));
        assertEquals(List.of("prompt", "reference", "sft greedy", "ppo greedy", "dpo greedy", "grpo greedy"),
                names(first));
        assertEquals("dpo answer 0", first.path("dpo greedy").path("answer").asText());
    }

    /**
     * dpo's SFT row answered the second prompt otherwise (another max_new_tokens, say): its win rate would be against
     * another baseline, so it is left out, with a note naming the prompt, and the rest are still compared.
     */
    @Test
    void aMethodWhoseSftAnswersDifferIsLeftOutWithANote(@TempDir Path run) throws IOException {
        upstream(run);
        stage(run, "ppo", SFT, new double[] {100, 60, 90, 50}, 120.0, 200, "rm");
        List<String> other = new ArrayList<>(SFT);
        other.set(1, "she runs fast");
        stage(run, "dpo", other, new double[] {100, 50, 100, 45}, 20.0, 100, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(compare(run, List.of("ppo", "dpo", "grpo"), out).isPresent(), "grpo has no test files: skipped");
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("note: dpo is left out of the comparison: test prompt 2 or SFT's answer to it "
                + "differs from ppo's"), printed);
        JsonNode json = Json.readTree(run.resolve(MethodComparison.FILE));
        assertEquals(List.of("ppo"), names(json.path("methods")));
        assertEquals(List.of("ppo greedy vs sft greedy"), names(json.path("gold").path("win_rates")));
        assertFalse(Files.readString(run.resolve(MethodComparison.ANSWERS)).contains("dpo greedy"));
    }

    @Test
    void noMethodWithATestEvaluationWritesNothing(@TempDir Path run) throws IOException {
        upstream(run);
        Files.createDirectories(run.resolve("dpo"));
        assertTrue(compare(run, List.of("ppo", "dpo"), new ByteArrayOutputStream()).isEmpty());
        assertFalse(Files.exists(run.resolve(MethodComparison.FILE)));
        assertEquals("", MethodComparison.costTable(run));
    }
}
