package rlhf4j.stage.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.stage.pretrain.MicroRun;

/**
 * {@code ./train pipeline} on a micro config: all four stage folders, the report and its plots are
 * written, the report's numbers are the ones in the stages' metrics files, and a re-run skips the
 * finished stages while {@code --from} runs them again.
 */
class PipelineJobTest {
    private static void writeData(Path dir) throws IOException {
        StringBuilder sft = new StringBuilder();
        StringBuilder prefs = new StringBuilder();
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            String prompt = "Say the word " + i;
            sft.append(line(Map.of("prompt", prompt, "completion", "word " + i)));
            prefs.append(line(Map.of("prompt", prompt, "chosen", "word " + i, "rejected", "no")));
            prompts.append(line(Map.of("prompt", prompt, "completion", "word " + i)));
        }
        Files.writeString(dir.resolve("sft.jsonl"), sft.toString());
        Files.writeString(dir.resolve("prefs.jsonl"), prefs.toString());
        Files.writeString(dir.resolve("prompts.jsonl"), prompts.toString());
    }

    private static String line(Map<String, String> row) {
        return Json.toString(row).replaceAll("\\s*\\n\\s*", " ") + "\n";
    }

    private static String[] args(MicroRun run, Path tmp, String... extra) {
        List<String> a = new ArrayList<>(List.of("pipeline", "--config", run.config.toString(),
                "--set", "model.block_size=48", "--set", "model.n_embd=32", "--set", "pretrain.max_steps=6",
                "--set", "sft.data.train=" + tmp.resolve("sft.jsonl"), "--set", "sft.data.val_fraction=0.25",
                "--set", "sft.data.test=" + tmp.resolve("prompts.jsonl"), "--set", "sft.batch_size=4",
                "--set", "sft.max_steps=4", "--set", "sft.warmup_steps=1", "--set", "sft.eval_every=4",
                "--set", "sft.eval_examples=4", "--set", "sft.max_new_tokens=6",
                "--set", "label.data.prompts=" + tmp.resolve("prompts.jsonl"), "--set", "label.num_prompts=16",
                "--set", "label.num_candidates=3", "--set", "label.max_new_tokens=6", "--set", "label.batch_size=8",
                "--set", "rm.data.train=" + tmp.resolve("prefs.jsonl"), "--set", "rm.data.val_fraction=0.25",
                "--set", "rm.data.test=" + tmp.resolve("prefs.jsonl"), "--set", "rm.batch_size=4",
                "--set", "rm.max_steps=3", "--set", "rm.warmup_steps=1", "--set", "rm.eval_every=3",
                "--set", "rm.eval_pairs=8",
                "--set", "ppo.data.prompts=" + tmp.resolve("prompts.jsonl"), "--set", "ppo.data.val_fraction=0.2",
                "--set", "ppo.data.test=" + tmp.resolve("prompts.jsonl"), "--set", "ppo.test_prompts=8",
                "--set", "ppo.batch_size=4", "--set", "ppo.ppo_epochs=1", "--set", "ppo.max_new_tokens=6",
                "--set", "ppo.max_steps=3", "--set", "ppo.eval_every=3", "--set", "ppo.eval_prompts=4"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private static long seed(Path runDir) throws IOException {
        return Json.readTree(runDir.resolve("ppo/trainer_state.json")).path("seed").asLong();
    }

    /** data-key → data-value of every number cell of the report. */
    private static Map<String, Double> reportNumbers(Path html) throws IOException {
        Matcher m = Pattern.compile("data-key=\"([^\"]+)\" data-value=\"([^\"]+)\"")
                .matcher(Files.readString(html, StandardCharsets.UTF_8));
        Map<String, Double> out = new HashMap<>();
        while (m.find()) {
            out.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return out;
    }

    private static double lastValue(Path csv, String column) throws IOException {
        try (CSVParser p = CSVParser.parse(csv, StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            double last = Double.NaN;
            for (CSVRecord r : p.getRecords()) {
                if (!r.get(column).isEmpty()) {
                    last = Double.parseDouble(r.get(column));
                }
            }
            return last;
        }
    }

    /**
     * The micro pipeline as configs/tiny.yaml runs it: the sentiment labeler ranks, two judges score the sampled test
     * answers (means, win rates against SFT, the fluency figures), PPO's evaluations log both judges, best-of-n is
     * measured for n = 1 … 16, the answers are written for rescoring, and the report draws score against KL.
     */
    @Test
    void sentimentPipelineIsJudgedTwiceAndPlotsScoreAgainstKl(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        writeData(tmp);
        Path lexicons = tmp.resolve("lexicons");
        Files.createDirectories(lexicons.resolve("afinn-165"));
        Files.createDirectories(lexicons.resolve("vader"));
        Files.writeString(lexicons.resolve("afinn-165/afinn-165.tsv"), "word\t2\nsay\t1\nno\t-1\n");
        Files.writeString(lexicons.resolve("vader/vader_lexicon.txt"), "word\t1.5\t0.5\t[1, 2]\nno\t-1.2\t0.4\t[-1]\n");
        Files.writeString(tmp.resolve("words.txt"), "say\nthe\nword\n");
        MicroRun.Result r = run.train(args(run, tmp, "--set", "label.labeler=sentiment",
                "--set", "label.known_words=" + tmp.resolve("words.txt"), "--set", "eval.lexicons=" + lexicons,
                "--set", "eval.judges=[sentiment, vader]", "--set", "eval.temperature=0.7",
                "--set", "eval.copy_prefix=", "--set", "ppo.best_of_temperature=0.7"));
        assertEquals(0, r.code(), r.err());
        Path runDir = tmp.resolve("ckpt/micro");
        assertEquals("sentiment", Json.readTree(runDir.resolve("label/manifest.json")).path("labeler").asText());
        JsonNode test = Json.readTree(runDir.resolve("ppo/test_metrics.json"));
        JsonNode gold = test.path("gold");
        assertEquals("sampled-0.7", test.path("decoding").asText());
        assertEquals(List.of("sentiment", "vader"), Json.convert(gold.path("measures"), List.class));
        JsonNode wins = gold.path("win_rates").path("ppo sampled-0.7 vs sft sampled-0.7");
        for (String judge : List.of("sentiment", "vader")) {
            double w = wins.path(judge).path("value").asDouble(Double.NaN);
            assertTrue(w >= 0 && w <= 1, judge + " win rate " + wins);
        }
        JsonNode figures = gold.path("figures");
        assertEquals(0.0, figures.path("sft sampled-0.7").path("kl").asDouble(), 1e-9, "SFT against itself");
        assertEquals(Math.log(4) - 0.75, figures.path("sft best-of-4").path("kl").asDouble(), 1e-12);
        for (String f : List.of("repeated_trigrams", "distinct_2", "lm_loss")) {
            assertTrue(Double.isFinite(figures.path("ppo sampled-0.7").path(f).asDouble(Double.NaN)), f + " " + figures);
        }
        List<String> answers = Files.readAllLines(runDir.resolve("ppo/test_answers.jsonl"));
        assertEquals(gold.path("prompts").asInt(), answers.size());
        JsonNode first = Json.parse(answers.get(0));
        assertTrue(first.path("ppo sampled-0.7").has("answer") && first.path("sft best-of-4").has("vader"), first.toString());
        JsonNode points = test.path("best_of_curve").path("points");
        assertEquals(5, points.size());
        assertEquals(Math.log(16) - 15.0 / 16, points.get(4).path("kl").asDouble(), 1e-12);
        assertTrue(Files.readString(runDir.resolve("ppo/metrics.csv")).lines().findFirst().orElseThrow()
                .contains("val_sentiment"));
        // ./train eval --judge --against gives the same verdict on the same prompts, decoded the same way
        Path out = tmp.resolve("judged.jsonl");
        MicroRun.Result e = run.train("eval", "--checkpoint", runDir.resolve("ppo").toString(), "--against",
                runDir.resolve("sft").toString(), "--data", tmp.resolve("prompts.jsonl").toString(), "--limit", "8",
                "--judge", "sentiment", "--judge", "vader", "--lexicons", lexicons.toString(), "--known-words",
                tmp.resolve("words.txt").toString(), "--sample", "0.7", "--max-new-tokens", "6",
                "--seed", String.valueOf(seed(runDir)), "--answers", out.toString());
        assertEquals(0, e.code(), e.err());
        List<JsonNode> rows = Files.readAllLines(out).stream().map(Json::parse).toList();
        String sftName = runDir.resolve("sft").toString();
        for (String judge : List.of("sentiment", "vader")) {        // the win rate recomputed from the answers file
            double w = rows.stream().mapToDouble(row -> Double.compare(row.path(judge).asDouble(),
                    row.path(sftName).path(judge).asDouble()) > 0 ? 1 : row.path(judge).asDouble()
                    == row.path(sftName).path(judge).asDouble() ? 0.5 : 0).average().orElseThrow();
            assertEquals(wins.path(judge).path("value").asDouble(), w, 1e-12, judge);
        }
        assertEquals(8, Files.readAllLines(out).size());
        assertEquals(first.path("ppo sampled-0.7").path("answer").asText(),
                Json.parse(Files.readAllLines(out).get(0)).path("answer").asText());

        String html = Files.readString(runDir.resolve("report.html"));
        for (String judge : List.of("sentiment", "vader")) {
            Path png = runDir.resolve("report").resolve("score_vs_kl_" + judge + ".png");
            assertNotNull(ImageIO.read(png.toFile()), png + " is a PNG");
            assertTrue(html.contains("report/score_vs_kl_" + judge + ".png"), judge);
        }
    }

    /**
     * The micro pipeline on the SameDiff engine ({@code RLHF4J_ENGINE=graph}, in a JVM of its own as the
     * launcher starts it): every stage trains and finishes on graphs built from the same definition,
     * and says which engine it ran.
     */
    @Test
    void everyStageRunsOnTheSameDiffEngine(@TempDir Path tmp) throws Exception {
        MicroRun run = new MicroRun(tmp);
        writeData(tmp);
        List<String> cmd = rlhf4j.train.ChildJvm.command("1g", List.of("-Drlhf4j.engine=graph"), rlhf4j.cli.Train.class,
                args(run, tmp));
        Process p = rlhf4j.train.ChildJvm.withEnv(new ProcessBuilder(cmd)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("engine: SameDiff graph (RLHF4J_ENGINE=graph)"), out);
        assertTrue(!out.contains("engine: kernels"), out);
        for (String stage : List.of("pretrain", "sft", "rm", "ppo")) {
            StageCheckpoint.Loaded c = StageCheckpoint.load(tmp.resolve("ckpt/micro").resolve(stage));
            assertTrue(c.trainerState().path("finished").asBoolean(), stage + " finished");
        }
    }

    /**
     * {@code model.norm: rmsnorm} and {@code model.position: rope} through every stage: each stage
     * folder records them in config.json, holds no position table and no norm biases, and {@code
     * ./train sample} decodes from the PPO policy.
     */
    @Test
    void rmsNormAndRotaryRunEveryStageAndSample(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        writeData(tmp);
        MicroRun.Result r = run.train(args(run, tmp, "--set", "model.norm=rmsnorm", "--set", "model.position=rope"));
        assertEquals(0, r.code(), r.err());
        Path runDir = tmp.resolve("ckpt/micro");
        for (String stage : List.of("pretrain", "sft", "rm", "ppo")) {
            StageCheckpoint.Loaded c = StageCheckpoint.load(runDir.resolve(stage));
            assertEquals(rlhf4j.model.Norm.RMSNORM, c.spec().norm(), stage);
            assertEquals(rlhf4j.model.Position.ROPE, c.spec().position(), stage);
            assertTrue(c.params().keySet().stream().noneMatch(n -> n.equals("wpe.weight") || n.endsWith("ln_1.bias")
                    || n.equals("ln_f.bias")), stage + ": " + c.params().keySet());
            JsonNode config = Json.readTree(runDir.resolve(stage).resolve("config.json"));
            assertEquals("rmsnorm", config.path("norm_type").asText(), stage);
            assertEquals("rope", config.path("position_embedding_type").asText(), stage);
        }
        MicroRun.Result sample = run.train("sample", "--checkpoint", runDir.resolve("ppo").toString(), "--prompt",
                "Say the word 3", "--chat", "--max-new-tokens", "5", "--seed", "2");
        assertEquals(0, sample.code(), sample.err());
    }

    /**
     * {@code pipeline.methods=ppo,dpo}: after rm both methods train from the sft model (dpo on the label stage's
     * rankings), their test answers are judged together in {@code comparison.json} (SFT's answers are the same in both
     * stages' files, so neither is left out), and the report shows DPO's results and what each method cost;
     * {@code --from dpo} runs dpo again, and an unknown {@code --from} names the stages.
     */
    @Test
    void ppoAndDpoAreJudgedTogetherAndReportedWithTheirCosts(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        writeData(tmp);
        String[] methods = {"--set", "pipeline.methods=ppo,dpo", "--set", "dpo.data.val_fraction=0.3",
            "--set", "dpo.data.test=" + tmp.resolve("prompts.jsonl"), "--set", "dpo.test_prompts=8",
            "--set", "dpo.batch_size=4", "--set", "dpo.max_steps=3", "--set", "dpo.warmup_steps=1",
            "--set", "dpo.eval_every=3", "--set", "dpo.eval_pairs=8", "--set", "dpo.max_new_tokens=6"};
        MicroRun.Result r = run.train(args(run, tmp, methods));
        assertEquals(0, r.code(), r.err());
        Path runDir = tmp.resolve("ckpt/micro");
        JsonNode dpoState = Json.readTree(runDir.resolve("dpo/trainer_state.json"));
        assertTrue(dpoState.path("finished").asBoolean(), dpoState.toString());
        assertEquals(runDir.resolve("sft").toString(), dpoState.path("init_from").asText());
        assertTrue(dpoState.path("train_files").get(0).asText().endsWith("label/rankings.jsonl"),
                "dpo learns the label stage's rankings: " + dpoState.path("train_files"));

        JsonNode comparison = Json.readTree(runDir.resolve("comparison.json"));
        JsonNode methodsJson = comparison.path("methods");
        assertEquals(List.of("ppo", "dpo"), iterable(methodsJson.fieldNames()), "both compared: " + comparison);
        assertEquals(List.of("label"), Json.convert(methodsJson.path("dpo").path("needs"), List.class));
        assertEquals(List.of("label", "rm"), Json.convert(methodsJson.path("ppo").path("needs"), List.class));
        assertEquals(3, methodsJson.path("dpo").path("steps").asInt());
        assertEquals(dpoState.path("elapsed_s").asDouble(), methodsJson.path("dpo").path("train_seconds").asDouble());
        JsonNode wins = comparison.path("gold").path("win_rates");
        assertTrue(wins.has("ppo greedy vs sft greedy") && wins.has("dpo greedy vs sft greedy"), wins.toString());
        // one GoldEval over the same answers and seed: DPO's win rate is the one its own stage measured
        JsonNode own = Json.readTree(runDir.resolve("dpo/test_metrics.json")).path("gold");
        assertEquals(own.path("win_rates").path("dpo greedy vs sft greedy"), wins.path("dpo greedy vs sft greedy"));
        assertTrue(comparison.path("gold").path("systems").has("sft best-of-4"), "PPO's best-of-K joins the table");
        assertTrue(Files.exists(runDir.resolve("comparison_answers.jsonl")));

        String html = Files.readString(runDir.resolve("report.html"));
        assertTrue(html.contains("What each method cost"), "the cost table");
        assertTrue(html.contains("report/dpo.png"), "DPO's plot is shown");
        Map<String, Double> shown = reportNumbers(runDir.resolve("report.html"));
        JsonNode dpoTest = Json.readTree(runDir.resolve("dpo/test_metrics.json"));
        assertEquals(dpoTest.path("dpo").path("kl").asDouble(), shown.get("dpo.kl"));
        assertEquals(wins.path("dpo greedy vs sft greedy").path("chrf").path("value").asDouble(),
                shown.get("win.dpo_greedy_vs_sft_greedy.chrf"));
        assertEquals(3.0, shown.get("cost.dpo.steps"));
        assertEquals(methodsJson.path("dpo").path("train_seconds").asDouble(), shown.get("cost.dpo.train_seconds"));

        // --from dpo runs dpo (and only it) again
        long ppoTrained = Files.getLastModifiedTime(runDir.resolve("ppo/model.safetensors")).toMillis();
        long dpoTrained = Files.getLastModifiedTime(runDir.resolve("dpo/model.safetensors")).toMillis();
        Files.delete(runDir.resolve("comparison.json"));
        MicroRun.Result again = run.train(args(run, tmp, concat(methods, "--from", "dpo")));
        assertEquals(0, again.code(), again.err());
        assertEquals(ppoTrained, Files.getLastModifiedTime(runDir.resolve("ppo/model.safetensors")).toMillis());
        assertTrue(dpoTrained != Files.getLastModifiedTime(runDir.resolve("dpo/model.safetensors")).toMillis(),
                "dpo trained again");
        assertTrue(Files.exists(runDir.resolve("comparison.json")), "compared again");
        MicroRun.Result bogus = run.train(args(run, tmp, concat(methods, "--from", "bogus")));
        assertEquals(2, bogus.code(), bogus.err());
        assertTrue(bogus.err().contains("unknown stage 'bogus' (one of pretrain, sft, label, rm, ppo, dpo)"),
                bogus.err());
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    private static String[] concat(String[] a, String... b) {
        List<String> out = new ArrayList<>(List.of(a));
        out.addAll(List.of(b));
        return out.toArray(String[]::new);
    }

    @Test
    void microPipelineWritesEveryStageAndAReportWithTheirNumbers(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        writeData(tmp);
        MicroRun.Result r = run.train(args(run, tmp));
        assertEquals(0, r.code(), r.err());
        Path runDir = tmp.resolve("ckpt/micro");
        List<String> models = List.of("pretrain", "sft", "rm", "ppo");
        assertEquals(List.of("pretrain", "sft", "label", "rm", "ppo"), PipelineJob.stages(ExperimentConfig.defaults()));
        for (String stage : models) {
            StageCheckpoint.Loaded c = StageCheckpoint.load(runDir.resolve(stage));
            assertEquals(stage, c.stage());
            assertTrue(c.trainerState().path("finished").asBoolean(), stage + " finished");
        }
        Path html = runDir.resolve("report.html");
        assertTrue(Files.exists(html));
        JsonNode label = Json.readTree(runDir.resolve("label/manifest.json"));
        assertTrue(Json.readTree(runDir.resolve("label/trainer_state.json")).path("finished").asBoolean());
        assertTrue(label.path("counts").path("tasks").asInt() > 0, label.toString());
        JsonNode rmState = Json.readTree(runDir.resolve("rm/trainer_state.json"));
        assertTrue(rmState.path("train_files").get(0).asText().endsWith("label/rankings.jsonl"),
                "rm learns the label stage's rankings: " + rmState.path("train_files"));
        for (String stage : models) {
            Path png = runDir.resolve("report").resolve(stage + ".png");
            assertNotNull(ImageIO.read(png.toFile()), stage + " plot is a PNG");
            assertTrue(Files.readString(html).contains("report/" + stage + ".png"), stage + " plot is shown");
        }
        Map<String, Double> shown = reportNumbers(html);
        assertEquals(lastValue(runDir.resolve("pretrain/metrics.csv"), "val_bpb"), shown.get("pretrain.val_bpb"));
        JsonNode sft = Json.readTree(runDir.resolve("sft/test_metrics.json"));
        assertEquals(sft.path("exact_match").asDouble(), shown.get("sft.test_exact_match"));
        assertEquals(sft.path("chrf").asDouble(), shown.get("sft.test_chrf"));
        JsonNode rm = Json.readTree(runDir.resolve("rm/test_metrics.json"));
        assertEquals(rm.path("test").path("accuracy").asDouble(), shown.get("rm.test_accuracy"));
        JsonNode ppo = Json.readTree(runDir.resolve("ppo/test_metrics.json"));
        assertEquals(ppo.path("ppo").path("reward_mean").asDouble(), shown.get("ppo.reward_mean"));
        assertEquals(ppo.path("ppo").path("kl").asDouble(), shown.get("ppo.kl"));
        assertEquals(ppo.path("ppo").path("exact_match").asDouble(), shown.get("ppo.exact_match"));
        JsonNode gold = ppo.path("gold");
        assertEquals(ppo.path("ppo").path("chrf").asDouble(), gold.path("systems").path("ppo greedy").path("chrf")
                .path("value").asDouble(), 1e-9, "gold and test metrics score the same answers");
        assertTrue(gold.path("systems").has("sft best-of-4"), gold.toString());
        assertEquals(gold.path("differences").path("ppo greedy - sft greedy").path("chrf").path("value").asDouble(),
                shown.get("gold.ppo_greedy_sft_greedy.chrf"));
        assertEquals(label.path("counts").path("tasks").asDouble(), shown.get("label.tasks"));
        String text = Files.readString(html);
        assertTrue(text.contains("Say the word"), "side-by-side answers of held-out prompts");

        // a re-run skips the finished stages; --from ppo runs ppo again
        long before = Files.getLastModifiedTime(runDir.resolve("sft/model.safetensors")).toMillis();
        MicroRun.Result again = run.train(args(run, tmp, "--from", "ppo"));
        assertEquals(0, again.code(), again.err());
        assertEquals(before, Files.getLastModifiedTime(runDir.resolve("sft/model.safetensors")).toMillis());

        // a ppo run that ended after its last step but before its test scores (out of memory) is not finished:
        // the pipeline asks for --resume, which runs the test without training again
        Files.delete(runDir.resolve("ppo").resolve(StageCheckpoint.TEST_METRICS));
        long trained = Files.getLastModifiedTime(runDir.resolve("ppo/model.safetensors")).toMillis();
        MicroRun.Result stopped = run.train(args(run, tmp));
        assertEquals(2, stopped.code(), stopped.err());
        assertTrue(stopped.err().contains("holds a stopped ppo run"), stopped.err());
        MicroRun.Result resumed = run.train(args(run, tmp, "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(Files.exists(runDir.resolve("ppo").resolve(StageCheckpoint.TEST_METRICS)));
        assertEquals(trained, Files.getLastModifiedTime(runDir.resolve("ppo/model.safetensors")).toMillis());
    }
}
