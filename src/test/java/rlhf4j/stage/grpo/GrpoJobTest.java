package rlhf4j.stage.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.cli.Train;
import rlhf4j.eval.PolicyTestEval;
import rlhf4j.stage.pretrain.MicroRun;
import rlhf4j.train.ChildJvm;

/**
 * {@code ./train grpo} end to end on a micro model (pretrain → rm → grpo, seconds each), with each kind of
 * {@code grpo.reward}: the reward model, a built-in judge (chrF, which needs no download) and an external command.
 * Each run leaves the policy, a finished trainer state, metrics.csv with GRPO's columns and the test comparison; a
 * run stopped and resumed ends bitwise where a straight one does; and bad rewards, groups and prompt files fail
 * with one line naming the key or FILE:LINE.
 */
class GrpoJobTest {
    @TempDir
    static Path tmp;
    static MicroRun run;
    static Path prompts;
    static Path rm;

    /** The micro pretrain and reward model PpoJobTest trains, with its prompts (each with a reference completion). */
    @BeforeAll
    static void upstream() throws IOException {
        MicroRun.WordTask task = MicroRun.wordTask(tmp);
        run = task.run();
        prompts = task.prompts();
        rm = task.rm();
    }

    /** Four steps of 2 prompts × 4 answers; a checkpoint every 2 steps, held-out evaluation at steps 2 and 4. */
    private static MicroRun.Result grpo(String name, String... extra) {
        return run.train(args(name, extra));
    }

    private static String[] args(String name, String... extra) {
        List<String> args = new ArrayList<>(List.of("grpo", "--config", run.config.toString(),
                "--set", "run.name=" + name,
                "--set", "grpo.init_from=" + run.stageDir("micro"), "--set", "grpo.reward_model=" + rm,
                "--set", "grpo.data.prompts=" + prompts, "--set", "grpo.data.val_fraction=0.2",
                "--set", "grpo.data.test=" + prompts, "--set", "grpo.test_prompts=4",
                "--set", "grpo.batch_size=2", "--set", "grpo.group_size=4", "--set", "grpo.num_mini_batches=2",
                "--set", "grpo.epochs=2", "--set", "grpo.max_new_tokens=6", "--set", "grpo.max_steps=4",
                "--set", "grpo.learning_rate=1e-3", "--set", "grpo.min_lr=1e-4", "--set", "grpo.warmup_steps=1",
                "--set", "grpo.eval_every=2", "--set", "grpo.eval_prompts=4", "--set", "grpo.checkpoint_every=2",
                "--set", "grpo.temperature=1.0"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private static Path dir(String name) {
        return tmp.resolve("ckpt").resolve(name).resolve(GrpoJob.STAGE);
    }

    private static List<CSVRecord> metrics(Path dir) throws IOException {
        try (CSVParser p = CSVParser.parse(dir.resolve(StageCheckpoint.METRICS), StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            return new ArrayList<>(p.getRecords());
        }
    }

    /**
     * What every finished run leaves: the grpo checkpoint at its last step, finished, naming its reward; metrics.csv
     * with GRPO's header, a step-0 held-out row and one row per step with the training columns filled; the test
     * comparison of SFT and GRPO and the answers it judged.
     */
    private static JsonNode assertFinished(Path dir, String rewardSource) throws IOException {
        assertTrue(Files.isRegularFile(dir.resolve(StageCheckpoint.MODEL)));
        StageCheckpoint.Loaded ckpt = StageCheckpoint.load(dir);
        assertEquals("grpo", ckpt.stage());
        JsonNode state = ckpt.trainerState();
        assertEquals(4, state.path("step").asInt());
        assertTrue(state.path("finished").asBoolean(), state.toString());
        assertEquals(rewardSource, state.path("reward_source").asText());
        assertEquals(4, state.path("group_size").asInt());
        List<CSVRecord> rows = metrics(dir);
        assertEquals(GrpoStep.COLUMNS, rows.get(0).getParser().getHeaderNames());
        assertEquals(5, rows.size(), "a step-0 row with the initial policy's held-out numbers, then one per step");
        assertTrue(rows.get(0).get("reward_mean").isEmpty() && !rows.get(0).get("val_reward").isEmpty());
        for (CSVRecord row : rows.subList(1, 5)) {
            for (String col : List.of("loss", "grad_norm", "reward_mean", "reward_std", "group_reward_std",
                    "flat_groups", "kl", "clipfrac", "approx_kl", "response_length", "stopped_fraction",
                    "logprob_mismatch")) {
                assertFalse(row.get(col).isEmpty(), "step " + row.get("step") + ": " + col + " logged");
            }
            assertTrue(Double.parseDouble(row.get("logprob_mismatch")) < 1e-3);
        }
        assertEquals(0.0, Double.parseDouble(rows.get(1).get("kl")), 1e-4, "the first answers are the reference's own");
        assertTrue(!rows.get(2).get("val_reward").isEmpty() && rows.get(3).get("val_reward").isEmpty(),
                "held-out evaluation every eval_every steps");
        JsonNode test = Json.readTree(dir.resolve(StageCheckpoint.TEST_METRICS));
        assertEquals(4, test.path("prompts").asInt());
        assertEquals(0.0, test.path("sft").path("kl").asDouble(), 1e-9, "the SFT policy against itself");
        assertTrue(test.path("grpo").has("chrf") && test.path("grpo").has("reward_mean"), test.toString());
        List<String> answers = Files.readAllLines(dir.resolve(PolicyTestEval.ANSWERS));
        assertFalse(answers.isEmpty());
        answers.forEach(Json::parse);
        return test;
    }

    @Test
    void rewardModelRunWritesPolicyStateMetricsAndTheTestComparison() throws IOException {
        MicroRun.Result r = grpo("withrm");
        assertEquals(0, r.code(), r.err());
        assertFinished(dir("withrm"), rm.toString());
    }

    @Test
    void aBuiltInJudgeIsTheReward() throws IOException {
        MicroRun.Result r = grpo("withjudge", "--set", "grpo.reward=judge:chrf");
        assertEquals(0, r.code(), r.err());
        assertFinished(dir("withjudge"), "judge:chrf");
        // chrF against "yes N" tells the micro model's answers apart: not every group is flat
        List<CSVRecord> rows = metrics(dir("withjudge"));
        assertTrue(rows.subList(1, 5).stream().anyMatch(row -> Double.parseDouble(row.get("flat_groups")) < 1),
                "some group's answers scored differently");
    }

    @Test
    void aJudgeNeedingReferencesRefusesPromptsWithout() throws IOException {
        StringBuilder ps = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            ps.append(Json.line(Map.of("prompt", "Say a word " + i))).append('\n');
        }
        Path bare = Files.writeString(tmp.resolve("bare.jsonl"), ps.toString());
        MicroRun.Result r = grpo("bare", "--set", "grpo.reward=judge:chrf", "--set", "grpo.data.prompts=" + bare,
                "--set", "grpo.data.test=");
        assertEquals(2, r.code(), r.err());
        assertOneLine(r.err(), "grpo.reward", "needs a reference");
    }

    /**
     * A python judge that logs each question and scores each response by how many 'y's it holds. The questions it
     * saw show the protocol: one per prompt, with the group's four decoded answers and the prompt's reference; its
     * stderr lines are in reward.log.
     */
    @Test
    void aCommandIsTheReward() throws IOException {
        Path questions = tmp.resolve("questions.jsonl");
        Path script = Files.writeString(tmp.resolve("judge.py"), """
                import json, sys
                log = open(sys.argv[1], "a")
                for line in sys.stdin:
                    q = json.loads(line)
                    log.write(line)
                    log.flush()
                    print("judged question", q["id"], file=sys.stderr, flush=True)
                    print(json.dumps({"id": q["id"], "scores": [r.count("y") for r in q["responses"]]}), flush=True)
                """);
        String spec = "command:python3 " + script + " " + questions;
        MicroRun.Result r = grpo("withcommand", "--set", "grpo.reward=" + spec);
        assertEquals(0, r.code(), r.err());
        assertFinished(dir("withcommand"), spec);
        List<JsonNode> asked = Files.readAllLines(questions).stream().map(Json::parse).toList();
        for (int i = 0; i < asked.size(); i++) {
            assertEquals(String.valueOf(i + 1), asked.get(i).path("id").asText(), "ids run on over the stage");
        }
        // training asks one question per prompt with its group of 4 answers: 4 steps × 2 prompts; the held-out and
        // test evaluations score their one answer per prompt with the same command
        List<JsonNode> groups = asked.stream().filter(q -> q.path("responses").size() == 4).toList();
        assertEquals(8, groups.size(), asked.toString());
        assertTrue(asked.stream().allMatch(q -> q.path("responses").size() == 4 || q.path("responses").size() == 1));
        for (JsonNode q : groups) {
            assertTrue(q.path("prompt").asText().startsWith("Say a word "), q.toString());
            assertEquals("yes " + q.path("prompt").asText().substring("Say a word ".length()),
                    q.path("reference").asText(), "the prompt's completion travels as the reference");
        }
        // the command's stderr is in the stage folder: from its start, through every checkpoint save (which
        // replaces the folder), to the test evaluation's questions asked after the last save
        String log = Files.readString(dir("withcommand").resolve(GrpoReward.LOG));
        assertTrue(log.startsWith("=== ") && log.contains("judged question 1\n")
                && log.contains("judged question " + asked.size() + "\n"), log);
    }

    /** --stop-at-step then --resume (which restarts the reward command) ends bitwise where a straight run ends. */
    @Test
    void stopAndResumeEndsBitwiseWhereAStraightRunEnds() throws IOException {
        Path script = Files.writeString(tmp.resolve("length.py"), """
                import json, sys
                for line in sys.stdin:
                    q = json.loads(line)
                    print(json.dumps({"scores": [len(r) for r in q["responses"]]}), flush=True)
                """);
        String reward = "grpo.reward=command:python3 " + script;
        assertEquals(0, grpo("straight", "--set", reward).code());
        MicroRun.Result first = grpo("resumed", "--set", reward, "--stop-at-step", "2");
        assertEquals(0, first.code(), first.err());
        assertEquals(2, StageCheckpoint.load(dir("resumed")).trainerState().path("step").asInt());
        assertFalse(Files.exists(dir("resumed").resolve(StageCheckpoint.TEST_METRICS)), "stopped before the test");
        MicroRun.Result second = grpo("resumed", "--set", reward, "--resume");
        assertEquals(0, second.code(), second.err());
        for (String file : List.of(StageCheckpoint.MODEL, StageCheckpoint.OPTIMIZER)) {
            assertArrayEquals(Files.readAllBytes(dir("straight").resolve(file)),
                    Files.readAllBytes(dir("resumed").resolve(file)), file);
        }
        List<CSVRecord> a = metrics(dir("straight"));
        List<CSVRecord> b = metrics(dir("resumed"));
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            for (String col : GrpoStep.COLUMNS) {
                if (!col.endsWith("_s") && !col.equals("tokens_per_s")) {
                    assertEquals(a.get(i).get(col), b.get(i).get(col), "row " + i + " " + col);
                }
            }
        }
        assertEquals(Files.readString(dir("straight").resolve(PolicyTestEval.ANSWERS)),
                Files.readString(dir("resumed").resolve(PolicyTestEval.ANSWERS)));
    }

    /**
     * SIGTERM to a GRPO run (in its own JVM) whose reward is a command: the step under way finishes — the command,
     * which the signal did not reach, still answers — a checkpoint is saved although checkpoint_every is far away,
     * the JVM exits 143, and the command is stopped with it.
     */
    @Test
    void sigtermCheckpointsAfterTheCurrentStepAndStopsTheCommand() throws Exception {
        Path script = Files.writeString(tmp.resolve("sigterm-judge.py"), """
                import json, sys
                for line in sys.stdin:
                    q = json.loads(line)
                    print(json.dumps({"scores": [len(r) for r in q["responses"]]}), flush=True)
                """);
        int steps = 100_000;
        Process p = ChildJvm.builder("512m", Train.class, args("signal", "--set",
                        "grpo.reward=command:python3 " + script, "--set", "grpo.max_steps=" + steps,
                        "--set", "grpo.checkpoint_every=" + steps, "--set", "grpo.eval_every=" + steps,
                        "--set", "grpo.log_every=1"))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("signal.txt").toFile()).start();
        Path metrics = dir("signal").resolve(StageCheckpoint.METRICS);
        // metrics.csv: the header, the step-0 evaluation row, then one row per step
        while (!(Files.exists(metrics) && Files.readAllLines(metrics).size() > 5)) {
            assertTrue(p.isAlive(), "the run is training: " + Files.readString(tmp.resolve("signal.txt")));
            Thread.sleep(100);
        }
        List<ProcessHandle> judges = p.descendants()
                .filter(h -> h.info().commandLine().orElse("").contains(script.toString())).toList();
        assertFalse(judges.isEmpty(), "the reward command runs as the JVM's child");
        p.destroy();                                                         // SIGTERM to the JVM alone
        int code = p.waitFor();
        String out = Files.readString(tmp.resolve("signal.txt"));
        assertEquals(143, code, out);
        JsonNode state = StageCheckpoint.load(dir("signal")).trainerState();
        int step = state.path("step").asInt();
        assertTrue(step >= 4 && step < steps, "checkpoint at step " + step + ": " + out);
        assertFalse(state.path("finished").asBoolean());
        List<CSVRecord> rows = metrics(dir("signal"));
        assertEquals(String.valueOf(step), rows.get(rows.size() - 1).get("step"), "metrics end at the checkpoint");
        assertTrue(out.contains("stopped after step " + step + " by a signal"), out);
        for (ProcessHandle judge : judges) {
            judge.onExit().join();                    // returns once the command is gone; hangs the test otherwise
        }
    }

    // ---- bad inputs: one line, the key or FILE:LINE, exit 2 for config and 3 for data ----

    private static void assertOneLine(String err, String... fragments) {
        String[] lines = err.strip().split("\n");
        assertTrue(lines[0].startsWith("error: "), err);
        assertTrue(lines.length == 1 || lines.length == 2 && lines[1].startsWith("see: "), "one line: " + err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), err);
        for (String f : fragments) {
            assertTrue(lines[0].contains(f), "expected '" + f + "' in: " + err);
        }
    }

    @Test
    void anUnknownRewardIsAConfigError() {
        MicroRun.Result r = grpo("bogus", "--set", "grpo.reward=bogus");
        assertEquals(2, r.code(), r.err());
        assertOneLine(r.err(), "grpo.reward", "bogus");
    }

    @Test
    void aGroupOfOneIsAConfigError() {
        MicroRun.Result r = grpo("single", "--set", "grpo.group_size=1");
        assertEquals(2, r.code(), r.err());
        assertOneLine(r.err(), "grpo.group_size");
    }

    @Test
    void aBadPromptLineIsADataErrorNamingItsLine() throws IOException {
        Path bad = Files.writeString(tmp.resolve("badprompts.jsonl"), Files.readString(prompts).lines().limit(4)
                .map(l -> l + "\n").reduce("", String::concat) + "{\"prompt\": \"cut\n" + Files.readString(prompts));
        MicroRun.Result r = grpo("badprompts", "--set", "grpo.data.prompts=" + bad);
        assertEquals(3, r.code(), r.err());
        assertOneLine(r.err(), bad + ":5");
    }

    @Test
    void aCommandPrintingGarbageIsAConfigError() {
        MicroRun.Result r = grpo("garbage", "--set",
                "grpo.reward=command:while read -r line; do echo 'the answer is 42'; done");
        assertEquals(2, r.code(), r.err());
        assertOneLine(r.err(), "grpo.reward", "not JSON");
        assertTrue(Files.exists(dir("garbage").resolve(GrpoReward.LOG)));
    }
}
