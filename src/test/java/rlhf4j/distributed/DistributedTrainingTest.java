package rlhf4j.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.stage.pretrain.MicroRun;
import rlhf4j.train.MetricsRows;

/**
 * Each stage as a user runs it, {@code --set distributed.master=local[2]}: with one Spark task per micro-batch (PPO:
 * per chunk of {@code ppo.rollout_batch} prompts of its rollouts), and with one task doing them all, the stage folder
 * ends with the weights, optimizer state (PPO: also the value model's) and metrics (timing aside) of the same config
 * in one JVM.
 */
class DistributedTrainingTest {
    @TempDir
    static Path shared;
    private static MicroRun run;

    @BeforeAll
    static void setUp() throws IOException {
        Files.createDirectories(Path.of(System.getenv("SPARK_HOME"), "jars"));
        run = new MicroRun(shared);
        MicroRun.Result r = run.pretrain("--set", "run.name=base", "--set", "pretrain.max_steps=2",
                "--set", "model.block_size=32");
        assertEquals(0, r.code(), r.err());
        Files.writeString(shared.resolve("sft.jsonl"), MicroRun.sftRows());
        Files.writeString(shared.resolve("prompts.jsonl"), MicroRun.promptRows());
        r = run.baseRm(shared.resolve("prefs.jsonl"));
        assertEquals(0, r.code(), r.err());
    }

    private static List<String> stageArgs(String stage) {
        String cfg = run.config.toString();
        String base = run.stageDir("base").toString();
        return switch (stage) {
            case "pretrain" -> List.of("pretrain", "--config", cfg, "--set", "model.block_size=32",
                    "--set", "pretrain.max_steps=3", "--set", "pretrain.grad_accum_steps=2");
            case "sft" -> List.of("sft", "--config", cfg, "--set", "model.block_size=32", "--set", "sft.init_from=" + base,
                    "--set", "sft.data.train=" + shared.resolve("sft.jsonl"), "--set", "sft.data.val_fraction=0.25",
                    "--set", "sft.data.test=", "--set", "sft.batch_size=3", "--set", "sft.grad_accum_steps=2",
                    "--set", "sft.max_steps=3", "--set", "sft.eval_every=3", "--set", "sft.eval_examples=2",
                    "--set", "sft.max_new_tokens=4");
            case "rm" -> List.of("rm", "--config", cfg, "--set", "model.block_size=32", "--set", "rm.init_from=" + base,
                    "--set", "rm.data.train=" + shared.resolve("prefs.jsonl"), "--set", "rm.data.from_label=false",
                    "--set", "rm.data.val_fraction=0.25", "--set", "rm.data.test=", "--set", "rm.batch_size=3",
                    "--set", "rm.grad_accum_steps=2", "--set", "rm.max_steps=3", "--set", "rm.eval_every=3",
                    "--set", "rm.eval_pairs=4");
            case "ppo" -> List.of("ppo", "--config", cfg, "--set", "model.block_size=32", "--set", "ppo.init_from=" + base,
                    "--set", "ppo.reward_model=" + shared.resolve("ckpt/base/rm"),
                    "--set", "ppo.data.prompts=" + shared.resolve("prompts.jsonl"), "--set", "ppo.data.val_fraction=0.25",
                    "--set", "ppo.data.test=", "--set", "ppo.batch_size=4", "--set", "ppo.rollout_batch=2",
                    "--set", "ppo.max_new_tokens=4", "--set", "ppo.max_steps=3", "--set", "ppo.eval_every=3",
                    "--set", "ppo.eval_prompts=2", "--set", "ppo.learning_rate=1e-3");
            case "dpo" -> List.of("dpo", "--config", cfg, "--set", "model.block_size=32", "--set", "dpo.init_from=" + base,
                    "--set", "dpo.data.train=" + shared.resolve("prefs.jsonl"), "--set", "dpo.data.from_label=false",
                    "--set", "dpo.data.val_fraction=0.25", "--set", "dpo.data.test=", "--set", "dpo.batch_size=3",
                    "--set", "dpo.grad_accum_steps=2", "--set", "dpo.max_steps=3", "--set", "dpo.eval_every=3",
                    "--set", "dpo.eval_pairs=4", "--set", "dpo.learning_rate=1e-3", "--set", "dpo.max_new_tokens=4");
            case "grpo" -> List.of("grpo", "--config", cfg, "--set", "model.block_size=32", "--set",
                    "grpo.init_from=" + base, "--set", "grpo.reward_model=" + shared.resolve("ckpt/base/rm"),
                    "--set", "grpo.data.prompts=" + shared.resolve("prompts.jsonl"), "--set", "grpo.data.val_fraction=0.25",
                    "--set", "grpo.data.test=", "--set", "grpo.batch_size=2", "--set", "grpo.group_size=3",
                    "--set", "grpo.rollout_batch=2", "--set", "grpo.max_new_tokens=4", "--set", "grpo.max_steps=3",
                    "--set", "grpo.eval_every=3", "--set", "grpo.eval_prompts=2", "--set", "grpo.learning_rate=1e-3");
            default -> throw new IllegalArgumentException(stage);
        };
    }

    private static Path train(String stage, String runName, String... extra) {
        List<String> args = new ArrayList<>(stageArgs(stage));
        args.addAll(List.of("--set", "run.name=" + runName));
        args.addAll(List.of(extra));
        MicroRun.Result r = run.train(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return shared.resolve("ckpt").resolve(runName).resolve(stage);
    }

    @org.junit.jupiter.api.Test
    void aMasterSparkCannotParseIsAConfigError() {
        List<String> args = new ArrayList<>(stageArgs("pretrain"));
        args.addAll(List.of("--set", "run.name=bad-master", "--set", "distributed.master=spark:/nowhere"));
        MicroRun.Result r = run.train(args.toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: distributed.master: Could not parse Master URL"), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace: " + r.err());
        assertTrue(!Files.exists(shared.resolve("ckpt/bad-master/pretrain").resolve(StageCheckpoint.MODEL)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pretrain", "sft", "rm", "ppo", "dpo", "grpo"})
    void onSparkTheStageEndsOnTheBitsOfOneJvm(String stage) throws IOException {
        Path one = train(stage, "one-" + stage);
        Path split = train(stage, "split-" + stage, "--set", "distributed.master=local[2]");
        Path accumulated = train(stage, "acc-" + stage, "--set", "distributed.master=local[2]",
                "--set", "distributed.workers=1");
        List<Path> tensors;
        try (Stream<Path> files = Files.list(one)) {
            tensors = files.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList();
        }
        assertTrue(tensors.size() >= 2, "model and optimizer");
        for (Path other : List.of(split, accumulated)) {
            for (Path f : tensors) {
                assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(other.resolve(f.getFileName())),
                        stage + " " + other.getParent().getFileName() + ": " + f.getFileName());
            }
            assertEquals(MetricsRows.withoutTiming(one.resolve(StageCheckpoint.METRICS)),
                    MetricsRows.withoutTiming(other.resolve(StageCheckpoint.METRICS)), stage);
        }
    }
}
