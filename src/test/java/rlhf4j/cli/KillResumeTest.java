package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.stage.pretrain.MicroRun;
import rlhf4j.train.ChildJvm;
import rlhf4j.train.MetricsRows;

/**
 * The kill harness: a stage job runs as a separate JVM and is killed with SIGKILL at random moments
 * (seeded choices; a checkpoint after every step, so kills land in training steps, in checkpoint
 * writes and during start-up), then resumed with {@code --resume} (or started afresh while no
 * checkpoint exists), at least five times; the finished folder must hold the same weights, optimizer
 * state, samples and metrics (timing aside) as an uninterrupted run. Tagged {@code faults}: excluded
 * from the default test run; run it with
 * {@code mvn -o -q test -Dtest=KillResumeTest -DexcludedGroups=none [-Dfaults.seed=N -Dfaults.kills=N]}
 * (scripts/fault-soak.sh loops over seeds). New stages join by adding a {@link StageUnderTest} to
 * {@link #stages()}. dpo is also stopped by SIGTERM, which must checkpoint the step it is in.
 */
@Tag("faults")
class KillResumeTest {
    private static final Pattern STEP_LINE = Pattern.compile("^step (\\d+)/(\\d+) ");
    private static final long SEED = Long.getLong("faults.seed", 20240611L);
    private static final int KILLS = Integer.getInteger("faults.kills", 5);
    /** Long enough that every planned kill lands before the end: a life runs at most ~4 steps past its start. */
    private static final int MAX_STEPS = Math.max(40, 6 * KILLS);

    @TempDir
    static Path shared;

    private static MicroRun run;

    /** One stage job under test: its name and its CLI arguments for a run name (data and init already set up). */
    record StageUnderTest(String stage, String variant, List<String> args) {
        StageUnderTest(String stage, List<String> args) {
            this(stage, "", args);
        }

        String[] argsFor(String runName, String... extra) {
            List<String> a = new ArrayList<>(args);
            a.addAll(List.of("--set", "run.name=" + runName + variant));
            a.addAll(List.of(extra));
            return a.toArray(String[]::new);
        }

        @Override
        public String toString() {
            return stage + variant;
        }
    }

    @BeforeAll
    static void setUp() throws IOException {
        run = new MicroRun(shared);
        MicroRun.Result r = run.pretrain("--set", "run.name=base", "--set", "pretrain.max_steps=4",
                "--set", "model.block_size=32");
        assertEquals(0, r.code(), r.err());
        Files.writeString(shared.resolve("sft.jsonl"), MicroRun.sftRows());
        Files.writeString(shared.resolve("prompts.jsonl"), MicroRun.promptRows());
        r = run.baseRm(shared.resolve("prefs.jsonl"));
        assertEquals(0, r.code(), r.err());
    }

    /** The stages the harness kills; every one checkpoints after each step and logs each step. */
    static Stream<StageUnderTest> stages() {
        String cfg = run.config.toString();
        String base = run.stageDir("base").toString();
        String every = "checkpoint_every=1";
        return Stream.of(
            new StageUnderTest("pretrain", List.of("pretrain", "--config", cfg, "--set", "pretrain." + every,
                "--set", "pretrain.log_every=1", "--set", "pretrain.max_steps=" + MAX_STEPS,
                "--set", "pretrain.eval_every=10")),
            // the driver of a Spark run (its local executors die with it), resumed on Spark
            new StageUnderTest("pretrain", "-spark", List.of("pretrain", "--config", cfg, "--set", "pretrain." + every,
                "--set", "pretrain.log_every=1", "--set", "pretrain.max_steps=" + MAX_STEPS,
                "--set", "pretrain.eval_every=10", "--set", "pretrain.grad_accum_steps=2",
                "--set", "distributed.master=local[2]")),
            // BF16 products (on a CPU without them, the FP32 fallback): the same bits after every kill too
            new StageUnderTest("pretrain", "-bf16", List.of("pretrain", "--config", cfg, "--set", "pretrain." + every,
                "--set", "pretrain.log_every=1", "--set", "pretrain.max_steps=" + MAX_STEPS,
                "--set", "pretrain.eval_every=10", "--set", "model.precision=bf16")),
            new StageUnderTest("sft", List.of("sft", "--config", cfg, "--set", "model.block_size=32",
                "--set", "sft.init_from=" + base, "--set", "sft.data.train=" + shared.resolve("sft.jsonl"),
                "--set", "sft.data.val_fraction=0.25", "--set", "sft.data.test=", "--set", "sft.batch_size=4",
                "--set", "sft.max_steps=" + MAX_STEPS, "--set", "sft.warmup_steps=2", "--set", "sft." + every,
                "--set", "sft.log_every=1", "--set", "sft.eval_every=10", "--set", "sft.eval_examples=4",
                "--set", "sft.max_new_tokens=4")),
            new StageUnderTest("rm", List.of("rm", "--config", cfg, "--set", "model.block_size=32",
                "--set", "rm.init_from=" + base, "--set", "rm.data.train=" + shared.resolve("prefs.jsonl"), "--set", "rm.data.from_label=false",
                "--set", "rm.data.val_fraction=0.25", "--set", "rm.data.test=", "--set", "rm.batch_size=4",
                "--set", "rm.max_steps=" + MAX_STEPS, "--set", "rm.warmup_steps=2", "--set", "rm." + every,
                "--set", "rm.log_every=1", "--set", "rm.eval_every=10", "--set", "rm.eval_pairs=8")),
            new StageUnderTest("ppo", List.of("ppo", "--config", cfg, "--set", "model.block_size=32",
                "--set", "ppo.init_from=" + base, "--set", "ppo.reward_model=" + shared.resolve("ckpt/base/rm"),
                "--set", "ppo.data.prompts=" + shared.resolve("prompts.jsonl"), "--set", "ppo.data.val_fraction=0.25",
                "--set", "ppo.data.test=", "--set", "ppo.batch_size=4", "--set", "ppo.max_new_tokens=4",
                "--set", "ppo.max_steps=" + MAX_STEPS, "--set", "ppo.warmup_steps=2", "--set", "ppo." + every,
                "--set", "ppo.log_every=1", "--set", "ppo.eval_every=10", "--set", "ppo.eval_prompts=4",
                "--set", "ppo.adaptive_kl=true", "--set", "ppo.learning_rate=1e-3")),
            new StageUnderTest("ppo", "-bf16", List.of("ppo", "--config", cfg, "--set", "model.block_size=32",
                "--set", "ppo.init_from=" + base, "--set", "ppo.reward_model=" + shared.resolve("ckpt/base/rm"),
                "--set", "ppo.data.prompts=" + shared.resolve("prompts.jsonl"), "--set", "ppo.data.val_fraction=0.25",
                "--set", "ppo.data.test=", "--set", "ppo.batch_size=4", "--set", "ppo.max_new_tokens=4",
                "--set", "ppo.max_steps=" + MAX_STEPS, "--set", "ppo.warmup_steps=2", "--set", "ppo." + every,
                "--set", "ppo.log_every=1", "--set", "ppo.eval_every=10", "--set", "ppo.eval_prompts=4",
                "--set", "ppo.adaptive_kl=true", "--set", "ppo.learning_rate=1e-3", "--set", "model.precision=bf16")),
            grpo("", "rm"),
            // the reward command dies with each killed JVM (its stdin closes) and a new one answers after --resume
            grpo("-command", "command:python3 -c 'import json, sys\nfor l in sys.stdin: print(json.dumps("
                + "{\"scores\": [len(r) for r in json.loads(l)[\"responses\"]]}), flush=True)'"),
            new StageUnderTest("dpo", dpoArgs(every)));
    }

    /** GRPO as PPO runs here: 2 prompts × 2 answers a step, scored by {@code reward}. */
    private static StageUnderTest grpo(String variant, String reward) {
        return new StageUnderTest("grpo", variant, List.of("grpo", "--config", run.config.toString(),
            "--set", "model.block_size=32", "--set", "grpo.init_from=" + run.stageDir("base"),
            "--set", "grpo.reward=" + reward, "--set", "grpo.reward_model=" + shared.resolve("ckpt/base/rm"),
            "--set", "grpo.data.prompts=" + shared.resolve("prompts.jsonl"), "--set", "grpo.data.val_fraction=0.25",
            "--set", "grpo.data.test=", "--set", "grpo.batch_size=2", "--set", "grpo.group_size=2",
            "--set", "grpo.max_new_tokens=4", "--set", "grpo.max_steps=" + MAX_STEPS, "--set", "grpo.warmup_steps=2",
            "--set", "grpo.checkpoint_every=1", "--set", "grpo.log_every=1", "--set", "grpo.eval_every=10",
            "--set", "grpo.eval_prompts=4", "--set", "grpo.learning_rate=1e-3"));
    }

    /** dpo from the base model on the preference pairs, checkpointing as {@code every} says. */
    private static List<String> dpoArgs(String every) {
        return List.of("dpo", "--config", run.config.toString(), "--set", "model.block_size=32",
            "--set", "dpo.init_from=" + run.stageDir("base"),
            "--set", "dpo.data.train=" + shared.resolve("prefs.jsonl"),
            "--set", "dpo.data.from_label=false", "--set", "dpo.data.val_fraction=0.25", "--set", "dpo.data.test=",
            "--set", "dpo.batch_size=4", "--set", "dpo.max_steps=" + MAX_STEPS, "--set", "dpo.warmup_steps=2",
            "--set", "dpo." + every, "--set", "dpo.log_every=1", "--set", "dpo.eval_every=10",
            "--set", "dpo.eval_pairs=8", "--set", "dpo.max_new_tokens=4", "--set", "dpo.learning_rate=1e-3");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stages")
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void killedAtRandomItResumesToTheSameBytes(StageUnderTest stage) throws Exception {
        long seed = SEED;
        int wantedKills = KILLS;
        Random rng = new Random(seed ^ stage.stage().hashCode());

        MicroRun.Result ref = run.train(stage.argsFor("ref"));
        assertEquals(0, ref.code(), ref.err());
        Path refDir = shared.resolve("ckpt/ref" + stage.variant()).resolve(stage.stage());
        Path dir = shared.resolve("ckpt/killed" + stage.variant()).resolve(stage.stage());

        int kills = 0;
        List<String> history = new ArrayList<>();
        while (kills < wantedKills) {
            boolean resume = hasCheckpoint(dir);
            int from = resume ? checkpointStep(dir) : 0;
            String[] args = resume ? stage.argsFor("killed", "--resume") : stage.argsFor("killed", "--overwrite");
            Life life = Life.start(shared.resolve("life-" + stage + "-" + history.size() + ".log"), args);
            String plan;
            if (rng.nextInt(5) == 0) {
                int delay = rng.nextInt(3000);
                plan = "kill " + delay + " ms after start (or at step " + (from + 4) + ", whichever comes first)";
                life.awaitStepOrMillis(Math.min(MAX_STEPS - 1, from + 4), delay);
            } else {
                int target = Math.min(MAX_STEPS - 1, from + 1 + rng.nextInt(3));
                int delay = rng.nextInt(40);
                plan = "kill " + delay + " ms after step " + target + " is logged";
                if (life.awaitStep(target)) {
                    life.awaitExitOrMillis(delay);
                }
            }
            int code = life.kill();
            history.add(plan + " (from step " + from + "): exit " + code);
            if (code == 137) {
                kills++;
            } else if (code == 0) {
                fail("the run finished before " + wantedKills + " kills: " + history);
            } else {
                fail("a killed run failed to restart: exit " + code + " after " + history + "\n" + life.output());
            }
        }
        System.out.println("kill harness, " + stage.stage() + ", seed " + seed + ": " + history);
        // finish uninterrupted, in this JVM
        MicroRun.Result last = run.train(hasCheckpoint(dir) ? stage.argsFor("killed", "--resume")
                : stage.argsFor("killed", "--overwrite"));
        assertEquals(0, last.code(), last.err() + "\n" + history);

        String why = stage.stage() + " after " + history;
        List<Path> tensors;
        try (Stream<Path> files = Files.list(refDir)) {
            tensors = files.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList();
        }
        assertTrue(tensors.size() >= 2, "model and optimizer (ppo: also the value model and its optimizer)");
        for (Path file : tensors) {
            assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(dir.resolve(file.getFileName())),
                    file.getFileName() + ": " + why);
        }
        assertEquals(MetricsRows.withoutTiming(refDir.resolve(StageCheckpoint.METRICS)),
                MetricsRows.withoutTiming(dir.resolve(StageCheckpoint.METRICS)), why);
        assertEquals(Files.readString(refDir.resolve(StageCheckpoint.SAMPLES)),
                Files.readString(dir.resolve(StageCheckpoint.SAMPLES)), why);
        try (Stream<Path> s = Files.list(dir.getParent())) {
            List<String> left = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.contains(".tmp-") || n.contains(".old-")).toList();
            assertEquals(List.of(), left, "temp folders of killed writers are cleaned up: " + why);
        }
    }

    /**
     * SIGTERM (a scheduler preempting the job) stops dpo after the step it is in, checkpointed although
     * checkpoint_every is far away, with java's exit code 143; {@code --resume} then ends where an uninterrupted run
     * ends, bitwise.
     */
    @Test
    void sigtermCheckpointsDpoAndItResumesToTheSameBytes() throws Exception {
        StageUnderTest stage = new StageUnderTest("dpo", "-term", dpoArgs("checkpoint_every=1000"));
        MicroRun.Result ref = run.train(stage.argsFor("ref"));
        assertEquals(0, ref.code(), ref.err());
        Path refDir = shared.resolve("ckpt/ref-term/dpo");
        Path dir = shared.resolve("ckpt/signalled-term/dpo");

        Life life = Life.start(shared.resolve("life-dpo-term.log"), stage.argsFor("signalled"));
        assertTrue(life.awaitStep(2), "dpo is training: " + life.output());
        life.process.toHandle().destroy();        // SIGTERM (Process.destroy would also close the pipe we read)
        life.process.waitFor();
        life.reader.join();                       // every line it wrote is read
        int code = life.kill();                   // exited already: records the log
        assertEquals(143, code, life.output());
        int step = checkpointStep(dir);
        assertTrue(step >= 2 && step < MAX_STEPS, "checkpoint at step " + step + ": " + life.output());
        assertTrue(life.output().contains("stopped after step " + step + " by a signal"), life.output());
        List<String> rows = Files.readAllLines(dir.resolve(StageCheckpoint.METRICS));
        assertEquals(step, Integer.parseInt(rows.get(rows.size() - 1).split(",")[0]), "metrics end at the checkpoint");

        MicroRun.Result resumed = run.train(stage.argsFor("signalled", "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        for (String file : List.of(StageCheckpoint.MODEL, StageCheckpoint.OPTIMIZER)) {
            assertArrayEquals(Files.readAllBytes(refDir.resolve(file)), Files.readAllBytes(dir.resolve(file)), file);
        }
        assertEquals(MetricsRows.withoutTiming(refDir.resolve(StageCheckpoint.METRICS)),
                MetricsRows.withoutTiming(dir.resolve(StageCheckpoint.METRICS)));
    }

    /**
     * Whether the folder holds (or, after a kill between the two renames of a save, will be recovered
     * to hold) a checkpoint — decided without repairing anything, so the CLI's own recovery runs.
     */
    private static boolean hasCheckpoint(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve(StageCheckpoint.TRAINER_STATE))) {
            return true;
        }
        if (!Files.isDirectory(dir.getParent())) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir.getParent())) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith("." + dir.getFileName() + ".old-"));
        }
    }

    private static int checkpointStep(Path dir) {
        try {
            String state = Files.readString(dir.resolve(StageCheckpoint.TRAINER_STATE));
            Matcher m = Pattern.compile("\"step\"\\s*:\\s*(\\d+)").matcher(state);
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        } catch (IOException e) {
            return 0;       // mid-recovery: the exact step only steers the next kill
        }
    }

    /** One life of the job in a child JVM: its output lines as they come, and SIGKILL. */
    private static final class Life {
        private final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final StringBuilder all = new StringBuilder();
        private final Path log;
        private Thread reader;

        private Life(Process process, Path log) {
            this.process = process;
            this.log = log;
        }

        static Life start(Path log, String... args) throws IOException {
            ProcessBuilder pb = ChildJvm.builder("512m", Train.class, args).redirectErrorStream(true);
            Life life = new Life(pb.start(), log);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(life.process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        life.lines.add(line);
                        synchronized (life.all) {
                            life.all.append(line).append('\n');
                        }
                    }
                } catch (IOException e) {
                    // the process was killed: its pipe closes
                }
            }, "life-reader");
            reader.setDaemon(true);
            reader.start();
            life.reader = reader;
            return life;
        }

        /** Waits until step {@code target} (or a later one) is logged; false when the process ended first. */
        boolean awaitStep(int target) throws InterruptedException {
            while (true) {
                String line = lines.poll(200, TimeUnit.MILLISECONDS);
                if (line == null) {
                    if (!process.isAlive() && lines.isEmpty()) {
                        return false;
                    }
                    continue;
                }
                Matcher m = STEP_LINE.matcher(line);
                if (m.find() && Integer.parseInt(m.group(1)) >= target) {
                    return true;
                }
            }
        }

        /** Until step {@code target} is logged or {@code millis} have passed: a life stays a few steps long. */
        void awaitStepOrMillis(int target, int millis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                String line = lines.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
                if (line == null) {
                    if (!process.isAlive() && lines.isEmpty()) {
                        return;
                    }
                    continue;
                }
                Matcher m = STEP_LINE.matcher(line);
                if (m.find() && Integer.parseInt(m.group(1)) >= target) {
                    return;
                }
            }
        }

        void awaitExitOrMillis(int millis) throws InterruptedException {
            process.waitFor(millis, TimeUnit.MILLISECONDS);
        }

        /** SIGKILL (when still running) and the exit code: 137 when it was killed. */
        int kill() throws InterruptedException {
            process.destroyForcibly();
            int code = process.waitFor();
            try {
                Files.writeString(log, output());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return code;
        }

        String output() {
            synchronized (all) {
                return all.toString();
            }
        }
    }
}
