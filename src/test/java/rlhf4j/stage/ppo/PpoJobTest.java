package rlhf4j.stage.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.stage.pretrain.MicroRun;

/**
 * {@code ./train ppo} end to end on a micro model (pretrain → rm → ppo, seconds each): the stage folder
 * holds the policy, the value model, both optimizers and β; metrics.csv has every column; the test
 * comparison is written; {@code ./train eval --reward-model} scores a policy; and a run stopped and
 * resumed ends bitwise where an uninterrupted one does.
 */
class PpoJobTest {
    @TempDir
    static Path tmp;
    static MicroRun run;
    static Path prompts;
    static Path rm;

    @BeforeAll
    static void upstream() throws IOException {
        MicroRun.WordTask task = MicroRun.wordTask(tmp);
        run = task.run();
        prompts = task.prompts();
        rm = task.rm();
    }

    private static MicroRun.Result ppo(String name, String... extra) {
        List<String> args = new ArrayList<>(List.of("ppo", "--config", run.config.toString(),
                "--set", "run.name=" + name,
                "--set", "ppo.init_from=" + run.stageDir("micro"), "--set", "ppo.reward_model=" + rm,
                "--set", "ppo.data.prompts=" + prompts, "--set", "ppo.data.val_fraction=0.2",
                "--set", "ppo.data.test=" + prompts, "--set", "ppo.test_prompts=8",
                "--set", "ppo.batch_size=4", "--set", "ppo.num_mini_batches=2", "--set", "ppo.ppo_epochs=2",
                "--set", "ppo.max_new_tokens=6", "--set", "ppo.max_steps=6", "--set", "ppo.learning_rate=1e-3",
                "--set", "ppo.min_lr=1e-4", "--set", "ppo.warmup_steps=1", "--set", "ppo.eval_every=3",
                "--set", "ppo.eval_prompts=4", "--set", "ppo.checkpoint_every=2", "--set", "ppo.adaptive_kl=true",
                "--set", "ppo.target_kl=0.5", "--set", "ppo.kl_horizon=20"));
        args.addAll(List.of(extra));
        return run.train(args.toArray(String[]::new));
    }

    private static List<CSVRecord> metrics(Path dir) throws IOException {
        try (CSVParser p = CSVParser.parse(dir.resolve(StageCheckpoint.METRICS), StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            return new ArrayList<>(p.getRecords());
        }
    }

    @Test
    void ppoWritesPolicyValueStateMetricsAndTheTestComparison() throws IOException {
        MicroRun.Result r = ppo("full");
        assertEquals(0, r.code(), r.err());
        Path dir = tmp.resolve("ckpt/full/ppo");
        StageCheckpoint.Loaded ckpt = StageCheckpoint.load(dir);
        assertEquals("ppo", ckpt.stage());
        assertTrue(Files.exists(dir.resolve(PpoJob.VALUE_MODEL)) && Files.exists(dir.resolve(PpoJob.VALUE_OPTIMIZER)));
        assertTrue(StageCheckpoint.readTensors(dir, PpoJob.VALUE_MODEL).containsKey("score.weight"));
        JsonNode state = ckpt.trainerState();
        assertEquals(6, state.path("step").asInt());
        assertEquals("adaptive", state.path("kl_controller").path("kind").asText());
        List<CSVRecord> rows = metrics(dir);
        assertEquals(7, rows.size(), "a step-0 row with the initial policy's held-out numbers, then one per step");
        assertTrue(rows.get(0).get("reward_mean").isEmpty() && !rows.get(0).get("val_reward").isEmpty());
        rows = rows.subList(1, 7);
        assertEquals(PpoStep.COLUMNS, rows.get(0).getParser().getHeaderNames());
        for (String col : List.of("reward_mean", "kl", "kl_coef", "policy_loss", "value_loss", "entropy", "clipfrac",
                "approx_kl", "response_length", "advantage_mean", "value_explained_variance", "rollout_s", "update_s")) {
            assertTrue(!rows.get(5).get(col).isEmpty(), col + " logged");
        }
        assertTrue(!rows.get(2).get("val_reward").isEmpty() && rows.get(1).get("val_reward").isEmpty(),
                "held-out evaluation every eval_every steps");
        assertEquals(0.0, Double.parseDouble(rows.get(0).get("kl")), 1e-4, "the first rollout is the reference's own");
        assertTrue(Double.parseDouble(rows.get(0).get("logprob_mismatch")) < 1e-3);
        // the adaptive controller moved β from its initial 0.05 (observed KL differs from the target)
        assertTrue(Double.parseDouble(rows.get(5).get("kl_coef")) != 0.05);
        JsonNode test = Json.readTree(dir.resolve(StageCheckpoint.TEST_METRICS));
        assertEquals(8, test.path("prompts").asInt());
        assertEquals(0.0, test.path("sft").path("kl").asDouble(), 1e-9, "the SFT policy against itself");
        assertTrue(test.path("ppo").path("kl").asDouble() >= 0);
        assertTrue(test.path("ppo").has("exact_match") && test.path("ppo").has("chrf"));
        assertTrue(Files.readString(dir.resolve(StageCheckpoint.SAMPLES)).contains("=== step 6 ==="));

        // ./train eval --reward-model scores the policy's answers, KL against its init_from by default
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        MicroRun.Result eval;
        try {
            eval = run.train("eval", "--checkpoint", dir.toString(), "--reward-model", rm.toString(),
                    "--data", prompts.toString(), "--limit", "8", "--max-new-tokens", "6");
        } finally {
            System.setOut(original);
        }
        assertEquals(0, eval.code(), eval.err());
        String out = captured.toString(StandardCharsets.UTF_8);
        JsonNode result = Json.parse(out.substring(out.lastIndexOf("\n{") + 1).strip());
        assertEquals(test.path("ppo").path("reward_mean").asDouble(), result.path("reward_mean").asDouble(), 1e-6);
        assertEquals(test.path("ppo").path("kl").asDouble(), result.path("kl").asDouble(), 1e-6);
    }

    /** eval.num_beams decodes the scored answers by beam search: the tables name it, and eval --beams agrees. */
    @Test
    void beamDecodedTestAnswersAreNamedAndMatchEval() throws IOException {
        MicroRun.Result r = ppo("beams", "--set", "eval.num_beams=2", "--set", "ppo.max_steps=2");
        assertEquals(0, r.code(), r.err());
        JsonNode test = Json.readTree(tmp.resolve("ckpt/beams/ppo").resolve(StageCheckpoint.TEST_METRICS));
        JsonNode systems = test.path("gold").path("systems");
        assertTrue(systems.has("sft beam-2") && systems.has("ppo beam-2") && !systems.has("sft greedy"), systems.toString());
        assertTrue(test.path("gold").path("differences").has("ppo beam-2 - sft beam-2"));
        JsonNode beams = evalJson("--beams", "2");
        assertEquals("beam-2", beams.path("decoding").asText());
        assertEquals(test.path("sft").path("chrf").asDouble(), beams.path("chrf").asDouble(), 1e-9,
                "eval --beams 2 answers the test prompts as the ppo stage's SFT row did");
        assertEquals("greedy", evalJson().path("decoding").asText());
        MicroRun.Result bad = run.train("eval", "--checkpoint", run.stageDir("micro").toString(), "--data",
                prompts.toString(), "--beams", "0");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--beams"), bad.err());
    }

    @Test
    void evalBestOfPicksAmongSamplesAndComparesWithGreedy() throws IOException {
        // at a temperature near 0 every sample is the greedy answer: best-of-K ties with greedy on every prompt
        JsonNode cold = evalJson("--best-of", "2", "--best-of-temperature", "1e-6");
        JsonNode gold = cold.path("gold");
        assertEquals(8, gold.path("prompts").asInt());
        assertEquals(1e-6, gold.path("best_of_temperature").asDouble());
        assertEquals(cold.path("chrf").asDouble(), gold.path("systems").path("greedy").path("chrf").path("value").asDouble(),
                1e-9, "the greedy row is the eval's own greedy answers");
        JsonNode diff = gold.path("differences").path("best-of-2 - greedy").path("chrf");
        assertEquals(0.0, diff.path("value").asDouble(), 1e-12);
        // sampled at 1.0 the micro model's answers differ from greedy; the same seed gives the same pick
        JsonNode hot = evalJson("--best-of", "2", "--best-of-temperature", "1.0");
        assertNotEquals(0.0, hot.path("gold").path("differences").path("best-of-2 - greedy").path("chrf").path("value")
                .asDouble());
        assertEquals(hot.path("gold"), evalJson("--best-of", "2", "--best-of-temperature", "1.0").path("gold"));
        MicroRun.Result noRm = run.train("eval", "--checkpoint", run.stageDir("micro").toString(), "--data",
                prompts.toString(), "--best-of", "2");
        assertEquals(2, noRm.code());
        assertTrue(noRm.err().contains("--best-of needs --reward-model"), noRm.err());
    }

    private static JsonNode evalJson(String... extra) {
        List<String> args = new ArrayList<>(List.of("eval", "--checkpoint", run.stageDir("micro").toString(),
                "--reward-model", rm.toString(), "--data", prompts.toString(), "--limit", "8", "--max-new-tokens", "6"));
        args.addAll(List.of(extra));
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        MicroRun.Result r;
        try {
            r = run.train(args.toArray(String[]::new));
        } finally {
            System.setOut(original);
        }
        assertEquals(0, r.code(), r.err());
        String out = captured.toString(StandardCharsets.UTF_8);
        return Json.parse(out.substring(out.lastIndexOf("\n{") + 1).strip());
    }

    @Test
    void stopAndResumeEndsBitwiseWhereAStraightRunEnds() throws IOException {
        assertEquals(0, ppo("straight", "--set", "ppo.test_prompts=4").code());
        MicroRun.Result first = ppo("resumed", "--set", "ppo.test_prompts=4", "--stop-at-step", "3");
        assertEquals(0, first.code(), first.err());
        assertEquals(3, StageCheckpoint.load(tmp.resolve("ckpt/resumed/ppo")).trainerState().path("step").asInt());
        MicroRun.Result second = ppo("resumed", "--set", "ppo.test_prompts=4", "--resume");
        assertEquals(0, second.code(), second.err());
        Path a = tmp.resolve("ckpt/straight/ppo");
        Path b = tmp.resolve("ckpt/resumed/ppo");
        for (String file : List.of(StageCheckpoint.MODEL, StageCheckpoint.OPTIMIZER, PpoJob.VALUE_MODEL,
                PpoJob.VALUE_OPTIMIZER)) {
            assertArrayEquals(Files.readAllBytes(a.resolve(file)), Files.readAllBytes(b.resolve(file)), file);
        }
        assertEquals(Json.readTree(a.resolve(StageCheckpoint.TRAINER_STATE)).path("kl_controller"),
                Json.readTree(b.resolve(StageCheckpoint.TRAINER_STATE)).path("kl_controller"));
        List<CSVRecord> ra = metrics(a);
        List<CSVRecord> rb = metrics(b);
        assertEquals(ra.size(), rb.size());
        MicroRun.Result again = ppo("resumed", "--set", "ppo.test_prompts=4", "--resume");    // nothing left to train
        assertEquals(0, again.code(), again.err());
        assertArrayEquals(Files.readAllBytes(a.resolve(StageCheckpoint.MODEL)),
                Files.readAllBytes(b.resolve(StageCheckpoint.MODEL)), "a finished run is left as it was");
        assertEquals(rb.size(), metrics(b).size());
        for (int i = 0; i < ra.size(); i++) {
            for (String col : PpoStep.COLUMNS) {
                if (!col.endsWith("_s") && !col.equals("rollout_share") && !col.equals("tokens_per_s")) {
                    assertEquals(ra.get(i).get(col), rb.get(i).get(col), "row " + i + " " + col);
                }
            }
        }
    }
}
