package rlhf4j.stage.rm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.Random;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.data.RankingData;
import rlhf4j.eval.RankingMetrics;
import rlhf4j.eval.RewardModel;
import rlhf4j.eval.RewardNorm;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptInit;
import rlhf4j.model.GptSpec;
import rlhf4j.model.ParamNames;
import rlhf4j.stage.pretrain.MicroRun;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * The reward-model stage end to end on a micro model: a rule-labelled preference set (the chosen response
 * always holds a word the rejected never does) is learnt to ≥ 95% held-out accuracy, the normalisation puts
 * the training chosen rewards at mean 0 / std 1, resume is bitwise exact, and the two data shapes read to
 * the same pairs.
 */
class RmJobTest {
    private static final String[] NOUNS = {"river", "mill", "bridge", "water", "grain", "stone", "wheel", "cart",
        "flour", "book", "farm", "hill", "rain", "road", "salt", "town", "boat", "field", "horse", "tree"};
    private static final String[] WORDS = {"the", "old", "was", "high", "low", "clear", "brown", "came", "under",
        "every", "evening", "spring", "summer", "children", "village", "branches"};
    private static final String MARK = "zebra";

    private static String sentence(Random rng, boolean marked) {
        List<String> w = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            w.add(WORDS[rng.nextInt(WORDS.length)]);
        }
        if (marked) {
            w.add(rng.nextInt(w.size() + 1), MARK);
        }
        return String.join(" ", w);
    }

    /** {@code n} explicit prompt/chosen/rejected rows; the chosen response always holds {@link #MARK}. */
    private static Path writeRuleData(Path dir, int n) throws IOException {
        Random rng = new Random(11);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String prompt = "Tell me about the " + NOUNS[i % NOUNS.length] + " " + (i / NOUNS.length);
            sb.append(Json.toString(java.util.Map.of("prompt", prompt, "chosen", sentence(rng, true),
                    "rejected", sentence(rng, false))).replaceAll("\\s*\\n\\s*", " ")).append('\n');
        }
        Path file = dir.resolve("prefs.jsonl");
        Files.writeString(file, sb.toString());
        return file;
    }

    private static MicroRun pretrained(Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        MicroRun.Result r = run.pretrain("--set", "pretrain.max_steps=6", "--set", "model.block_size=64",
                "--set", "model.n_embd=32");
        assertEquals(0, r.code(), r.err());
        return run;
    }

    private static String[] rmArgs(MicroRun run, Path data, String... extra) {
        List<String> args = new ArrayList<>(List.of("rm", "--config", run.config.toString(),
                "--set", "rm.init_from=" + run.stageDir("micro"), "--set", "rm.data.train=" + data,
                "--set", "rm.data.from_label=false",
                "--set", "rm.data.val_fraction=0.25", "--set", "rm.data.test=", "--set", "rm.batch_size=8",
                "--set", "rm.learning_rate=3e-3", "--set", "rm.min_lr=3e-4", "--set", "rm.warmup_steps=5",
                "--set", "rm.eval_pairs=16", "--set", "rm.checkpoint_every=20"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private static List<CSVRecord> metrics(Path dir) throws IOException {
        try (CSVParser p = CSVParser.parse(dir.resolve(StageCheckpoint.METRICS), StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            return new ArrayList<>(p.getRecords());
        }
    }

    @Test
    void microRmLearnsTheRuleAndNormalisesItsRewards(@TempDir Path tmp) throws IOException {
        MicroRun run = pretrained(tmp);
        Path data = writeRuleData(tmp, 160);
        MicroRun.Result r = run.train(rmArgs(run, data, "--set", "rm.max_steps=30", "--set", "rm.eval_every=15"));
        assertEquals(0, r.code(), r.err());
        Path dir = tmp.resolve("ckpt/micro/rm");

        JsonNode m = Json.readTree(dir.resolve(StageCheckpoint.TEST_METRICS));
        assertTrue(m.path("val").path("accuracy").asDouble() >= 0.95, "held-out accuracy: " + m);
        List<CSVRecord> rows = metrics(dir);
        assertEquals(30, rows.size());
        assertTrue(rows.get(0).getParser().getHeaderNames().containsAll(RmTask.COLUMNS));
        assertTrue(Double.parseDouble(rows.get(29).get("loss")) < Double.parseDouble(rows.get(0).get("loss")));
        assertTrue(!rows.get(14).get("val_accuracy").isEmpty(), "evaluations land in metrics.csv");

        StageCheckpoint.Loaded ckpt = StageCheckpoint.load(dir);
        assertEquals("rm", ckpt.stage());
        assertEquals(List.of(32L, 1L), List.of(ckpt.params().get(ParamNames.SCORE_WEIGHT).shape()[0],
                ckpt.params().get(ParamNames.SCORE_WEIGHT).shape()[1]));
        assertTrue(Files.readString(dir.resolve(StageCheckpoint.CONFIG)).contains("GPT2ForSequenceClassification"));
        assertTrue(Json.readTree(dir.resolve(RewardNorm.FILE)).path("gain").isNumber());

        // normalisation: the training split's chosen responses score mean 0, std 1 through the loaded model
        RewardModel rm = RewardModel.load(dir, rlhf4j.model.Engine.launcher().at(ckpt.precision())); // as trained
        assertTrue(rm.norm().fitted());
        RmGroups pairs = RmGroups.of(RankingData.read(data), rm, 0.25);
        double[] chosen = RmGroups.score(rm, pairs.train()).stream().mapToDouble(s -> rm.norm().apply(s[0])).toArray();
        assertEquals(0.0, RankingMetrics.mean(chosen), 1e-4);
        assertEquals(1.0, RankingMetrics.std(chosen), 1e-4);

        // ./train eval on the rm folder gives accuracy on a preference file
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        MicroRun.Result eval;
        try {
            eval = run.train("eval", "--checkpoint", dir.toString(), "--data", data.toString());
        } finally {
            System.setOut(original);
        }
        assertEquals(0, eval.code(), eval.err());
        JsonNode e = Json.parse(captured.toString(StandardCharsets.UTF_8).lines().reduce((a, b) -> b).orElseThrow());
        assertEquals(160, e.path("pairs").asInt());
        assertTrue(e.path("accuracy").asDouble() >= 0.95, e.toString());
    }

    /**
     * {@code n} ranking rows of four responses holding 0 to 3 copies of {@link #MARK}, in a shuffled order; the
     * ranking (more marks first) is given as indices, or as scores (the mark count) for every other row.
     */
    private static Path writeRuleRankings(Path dir, int n) throws IOException {
        Random rng = new Random(12);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String prompt = "Tell me about the " + NOUNS[i % NOUNS.length] + " " + (i / NOUNS.length);
            List<Integer> marks = new ArrayList<>(List.of(0, 1, 2, 3));
            java.util.Collections.shuffle(marks, rng);
            List<String> responses = new ArrayList<>();
            for (int m : marks) {
                String text = sentence(rng, false);
                for (int k = 0; k < m; k++) {
                    text = text + " " + MARK;
                }
                responses.add(text);
            }
            java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
            row.put("prompt", prompt);
            row.put("responses", responses);
            if (i % 2 == 0) {
                List<Integer> ranking = new ArrayList<>(List.of(0, 1, 2, 3));
                ranking.sort((x, y) -> marks.get(y) - marks.get(x));
                row.put("ranking", ranking);
            } else {
                row.put("scores", marks);
            }
            sb.append(Json.line(row)).append('\n');
        }
        Path file = dir.resolve("rankings.jsonl");
        Files.writeString(file, sb.toString());
        return file;
    }

    @Test
    void microRmLearnsRuleLabelledRankingsOfFour(@TempDir Path tmp) throws IOException {
        MicroRun run = pretrained(tmp);
        Path data = writeRuleRankings(tmp, 120);
        MicroRun.Result r = run.train(rmArgs(run, data, "--set", "rm.max_steps=30", "--set", "rm.eval_every=15",
                "--set", "rm.batch_size=4"));
        assertEquals(0, r.code(), r.err());
        JsonNode val = Json.readTree(tmp.resolve("ckpt/micro/rm").resolve(StageCheckpoint.TEST_METRICS)).path("val");
        assertEquals(6 * val.path("rankings").asInt(), val.path("pairs").asInt(), "C(4,2) pairs per ranking: " + val);
        assertTrue(val.path("accuracy").asDouble() >= 0.9, "held-out pairwise accuracy: " + val);
        assertTrue(val.path("kendall_tau").asDouble() >= 0.8, "held-out Kendall tau: " + val);
        assertTrue(val.path("top1").asDouble() >= 0.75, "held-out top-1: " + val);
    }

    /** A label stage still judging is refused unless the config says to train on what is ranked, and says how much. */
    @Test
    void anUnfinishedLabelStageIsRefusedUnlessPartialRankingsAreAllowed(@TempDir Path tmp) throws IOException {
        MicroRun run = pretrained(tmp);
        Path label = Files.createDirectories(tmp.resolve("ckpt/micro/label"));
        Files.copy(writeRuleRankings(tmp, 40), label.resolve("rankings.jsonl"));
        Files.writeString(label.resolve("manifest.json"), "{\"labeler\": \"human\", \"counts\": {\"tasks\": 190}, "
                + "\"judgements\": {\"judged\": 40, \"skipped\": 0, \"pairs\": 240}}\n");
        Files.writeString(label.resolve("trainer_state.json"), "{\"stage\": \"label\", \"finished\": false}\n");
        String[] fromLabel = {"--set", "rm.data.from_label=true", "--set", "rm.data.train=[]", "--set", "rm.max_steps=2",
                "--set", "rm.eval_every=2"};
        MicroRun.Result refused = run.train(rmArgs(run, tmp.resolve("unused.jsonl"), fromLabel));
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().contains("has not finished (40 of 190 prompts judged)"), refused.err());
        assertTrue(refused.err().contains("rm.data.allow_partial_label"), refused.err());
        assertFalse(Files.exists(tmp.resolve("ckpt/micro/rm/model.safetensors")));

        List<String> allowed = new ArrayList<>(List.of(fromLabel));
        allowed.addAll(List.of("--set", "rm.data.allow_partial_label=true"));
        MicroRun.Result r = run.train(rmArgs(run, tmp.resolve("unused.jsonl"), allowed.toArray(String[]::new)));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(tmp.resolve("ckpt/micro/rm/model.safetensors")), "trained on the 40 ranked prompts");
    }

    @Test
    void resumeIsBitwiseExact(@TempDir Path tmp) throws IOException {
        MicroRun run = pretrained(tmp);
        Path data = writeRuleData(tmp, 40);
        assertEquals(0, run.train(rmArgs(run, data, "--set", "rm.max_steps=10", "--set", "rm.eval_every=5",
                "--set", "run.name=b")).code());
        MicroRun.Result stopped = run.train(rmArgs(run, data, "--set", "rm.max_steps=10", "--set", "rm.eval_every=5",
                "--set", "run.name=c", "--stop-at-step", "6"));
        assertEquals(0, stopped.code(), stopped.err());
        assertTrue(!Files.exists(tmp.resolve("ckpt/c/rm").resolve(RewardNorm.FILE)), "no normalisation before the end");
        MicroRun.Result resumed = run.train(rmArgs(run, data, "--set", "rm.max_steps=10", "--set", "rm.eval_every=5",
                "--set", "run.name=c", "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("ckpt/b/rm/model.safetensors")),
                Files.readAllBytes(tmp.resolve("ckpt/c/rm/model.safetensors")));
        assertEquals(RewardNorm.read(tmp.resolve("ckpt/b/rm")), RewardNorm.read(tmp.resolve("ckpt/c/rm")));
    }

    @Test
    void missingInitCheckpointIsAUsageErrorNamingTheKey(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        Path data = writeRuleData(tmp, 20);
        MicroRun.Result r = run.train(rmArgs(run, data, "--set", "rm.init_from="));   // default: the run's sft folder
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("rm.init_from") && r.err().contains("ckpt/micro/sft"), r.err());
    }

    @Test
    void malformedPairsAreReportedWithFileAndLine(@TempDir Path tmp) throws IOException {
        MicroRun run = pretrained(tmp);
        Path data = writeRuleData(tmp, 20);
        Files.writeString(data, Files.readString(data) + "{\"prompt\": \"Hi\", \"chosen\": \"a\"}\n");
        MicroRun.Result r = run.train(rmArgs(run, data, "--set", "rm.max_steps=10"));
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().contains(data + ":21"), r.err());
    }

    /**
     * Rows that are well-formed but cannot train (identical sides, an empty response, a ranking whose scores are all
     * equal) are skipped with one warning naming the count and where they are; malformed rows stay errors. With
     * rm.data.strict the first useless one is the error.
     */
    @Test
    void uselessRowsAreSkippedWithAWarningUnlessStrict(@TempDir Path tmp) throws IOException {
        MicroRun run = pretrained(tmp);
        Path data = writeRuleData(tmp, 20);
        Files.writeString(data, Files.readString(data)
                + "{\"prompt\": \"Hi\", \"chosen\": \"Same.\", \"rejected\": \"Same.\"}\n"
                + "{\"prompt\": \"Hi\", \"chosen\": \"Hello\", \"rejected\": \"\"}\n"
                + "{\"prompt\": \"Hi\", \"responses\": [\"a\", \"b\"], \"scores\": [1, 1]}\n");
        java.io.ByteArrayOutputStream stdout = new java.io.ByteArrayOutputStream();
        java.io.PrintStream original = System.out;
        MicroRun.Result r;
        System.setOut(new java.io.PrintStream(stdout, true, StandardCharsets.UTF_8));
        try {
            r = run.train(rmArgs(run, data, "--set", "rm.max_steps=2"));
        } finally {
            System.setOut(original);
        }
        assertEquals(0, r.code(), r.err());
        String all = stdout.toString(StandardCharsets.UTF_8) + r.err();
        assertTrue(all.contains("warning: skipped 3 rows that cannot train"), all);
        assertTrue(all.contains(data + ":21") && all.contains(data + ":22") && all.contains(data + ":23"), all);
        assertTrue(all.contains("rm.data.strict: true makes them errors"), all);
        MicroRun.Result strict = run.train(rmArgs(run, data, "--set", "rm.max_steps=2", "--set", "rm.data.strict=true",
                "--overwrite"));
        assertEquals(3, strict.code(), strict.err());
        assertTrue(strict.err().contains(data + ":21") && strict.err().contains("identical"), strict.err());
    }

    @Test
    void aCheckpointWithoutScoreHeadIsNotARewardModel(@TempDir Path tmp) throws IOException {
        MicroRun run = pretrained(tmp);
        ConfigException e = assertThrows(ConfigException.class, () -> RewardModel.load(run.stageDir("micro"), rlhf4j.model.Engine.launcher()));
        assertTrue(e.getMessage().contains("without a score head"), e.getMessage());
    }

    @Test
    void explicitAndHhShapesGiveTheSamePairs(@TempDir Path tmp) throws IOException {
        Path explicit = tmp.resolve("explicit.jsonl");
        Files.writeString(explicit, String.join("\n",
                "{\"prompt\": \"Correct this sentence: He go home.\", \"chosen\": \"He goes home.\", \"rejected\": \"He go home.\"}",
                "{\"prompt\": \"Hi\", \"chosen\": \"Hello!\", \"rejected\": \"Go away.\", \"margin\": 0.5}", ""));
        Path hh = tmp.resolve("hh.csv");
        Files.writeString(hh, String.join("\n", "chosen,rejected,margin",
                "\"\n\nHuman: Correct this sentence: He go home.\n\nAssistant: He goes home.\",\"\n\nHuman: Correct this sentence: He go home.\n\nAssistant: He go home.\",",
                "\"\n\nHuman: Hi\n\nAssistant: Hello!\",\"\n\nHuman: Hi\n\nAssistant: Go away.\",0.5", ""));
        BpeTokenizer tok = BpeTokenizer.byteLevel(SpecialTokens.DEFAULT);
        GptSpec spec = new GptSpec(1, 2, 8, 64, tok.vocabSize());
        Gpt gpt = Gpt.create(spec, DataType.FLOAT, 1, 0.02);
        GptInit.addScoreHead(gpt.params(), spec, DataType.FLOAT, 1, false);
        RewardModel rm = new RewardModel(gpt, tok, RewardNorm.identity());
        RmGroups a = RmGroups.of(RankingData.read(explicit), rm, 0.5);
        RmGroups b = RmGroups.of(RankingData.read(hh), rm, 0.5);
        List<RmGroups.Group> all = new ArrayList<>(a.train());
        all.addAll(a.val());
        List<RmGroups.Group> allB = new ArrayList<>(b.train());
        allB.addAll(b.val());
        assertEquals(2, all.size());
        assertEquals(a.train().size(), b.train().size());
        for (int i = 0; i < all.size(); i++) {
            for (int j = 0; j < 2; j++) {
                assertArrayEquals(all.get(i).responses().get(j).ids(), allB.get(i).responses().get(j).ids());
            }
            assertEquals(all.get(i).ranking().pairs(), allB.get(i).ranking().pairs());
        }
    }

    @Test
    void normalisationOfAReferenceSetHasMeanZeroAndStdOne() {
        double[] raw = {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0};      // mean 5, population std 2
        RewardNorm n = RewardNorm.fit(raw, "test");
        assertEquals(0.5, n.gain(), 1e-15);
        assertEquals(-2.5, n.bias(), 1e-15);
        double[] out = new double[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = n.apply(raw[i]);
        }
        assertEquals(0.0, RankingMetrics.mean(out), 1e-15);
        assertEquals(1.0, RankingMetrics.std(out), 1e-15);
        assertEquals(1.0, RewardNorm.fit(new double[] {3, 3}, "constant").gain());
    }
}
