package rlhf4j.stage.grpo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.GrpoConfig;
import rlhf4j.eval.HeldOutAnswers;
import rlhf4j.eval.PolicyTestEval;
import rlhf4j.eval.judge.GoldJudges;
import rlhf4j.eval.judge.Judge;
import rlhf4j.generate.SamplingParams;
import rlhf4j.model.Gpt;
import rlhf4j.rollout.PromptSets;
import rlhf4j.rollout.PromptStream;
import rlhf4j.rollout.RolloutGenerator;
import rlhf4j.rollout.RolloutRunner;
import rlhf4j.rollout.RolloutSampling;
import rlhf4j.rollout.StepSampler;
import rlhf4j.stage.Runners;
import rlhf4j.train.MemoryBudget;
import rlhf4j.train.PolicyAndReference;
import rlhf4j.train.ResumeState;
import rlhf4j.train.RunOptions;
import rlhf4j.train.StageDir;
import rlhf4j.train.StageLock;
import rlhf4j.train.StageRunner;
import rlhf4j.train.Trainer;

/**
 * {@code ./train grpo}: GRPO from the SFT policy, writing {@code checkpoints/<run>/grpo/} — the policy as
 * {@code model.safetensors}, so sample and eval use it like any stage. Loads the policy and its frozen reference
 * ({@code grpo.init_from}, default the run's sft folder), the reward ({@link GrpoReward}) and the prompts, then runs
 * the shared loop over {@link GrpoStep}s with the held-out evaluation of the RL stages; at the end SFT and the GRPO
 * policy answer the test prompts and the judges score them ({@code test_metrics.json}, {@code test_answers.jsonl}).
 */
public final class GrpoJob {
    public static final String STAGE = "grpo";

    private GrpoJob() {}

    /** How the run ended, and (when it finished with test prompts) the test comparison. */
    public record Result(Trainer.Summary summary, PolicyTestEval.Outcome test) {}

    public static Result run(ExperimentConfig config, RunOptions options, PrintStream out) {
        try (StageLock lock = StageDir.prepare(config.run(), STAGE, options.resume(), options.overwrite())) {
            return run(config, options, out, lock.dir());
        }
    }

    private static Result run(ExperimentConfig config, RunOptions options, PrintStream out, Path dir) {
        GrpoConfig cfg = config.grpo();
        StageCheckpoint.Loaded previous = options.resume() ? StageCheckpoint.load(dir) : null;
        PolicyAndReference models = PolicyAndReference.load(config, STAGE, cfg.initFrom(), previous, options.engine(), out);
        Gpt policy = models.policy();
        int blockSize = policy.spec().blockSize();
        if (cfg.maxNewTokens() >= blockSize) {
            throw new ConfigException("grpo.max_new_tokens: " + cfg.maxNewTokens() + " leaves no room for the prompt "
                    + "in block_size " + blockSize + " of " + models.init());
        }
        MemoryBudget.check(policy.spec(), (long) cfg.batchSize() * cfg.groupSize(), blockSize, "grpo.batch_size");
        List<Judge> judges = GoldJudges.of(config, out);     // before training: a judge that cannot load fails now
        PromptSets prompts = PromptSets.read(cfg.data().prompts(), cfg.data().valFraction(), cfg.evalPrompts(), out);
        String dataSha = prompts.fingerprint();
        if (previous != null) {
            ResumeState.checkData(dir, previous.trainerState(), dataSha, "grpo.data.prompts", options.acceptChanges());
        }
        String previousSource = previous == null ? null : previous.trainerState().path("reward_source").asText(null);
        int updatesPerStep = cfg.epochs() * cfg.numMiniBatches();
        StageRunner.Start start = StageRunner.start(cfg, policy, previous, out, dir, config.run().seed(),
                options.acceptChanges(), updatesPerStep);
        RolloutSampling sampling = RolloutSampling.of(models.sft().tokenizer(), new SamplingParams(cfg.temperature(),
                cfg.topK(), cfg.topP(), cfg.maxNewTokens()));
        try (GrpoReward reward = GrpoReward.of(config, models.sft().tokenizer(), dir, options.engine(),
                cfg.reward().equals("rm") ? previousSource : null, out);
             RolloutRunner runner = Runners.rollouts(config, STAGE, policy, sampling)) {
            if (runner.describe() != null) {
                out.println(runner.describe());
            }
            out.printf("data: %d training and %d held-out prompts from %s, %d answers each; policy %s, reward %s%n",
                    prompts.train().size(), prompts.val().size(), prompts.file(), cfg.groupSize(), models.init(),
                    reward.source());
            RolloutGenerator generator = new RolloutGenerator(models.sft().tokenizer());
            StepSampler sampler = new StepSampler(runner, generator, blockSize, cfg.maxNewTokens(), cfg.rolloutBatch(),
                    config.run().seed());
            GrpoStep step = new GrpoStep(cfg, policy, models.reference(), reward.function(), start.optimizer(),
                    new PromptStream(prompts.train(), config.run().seed()), sampler, generator.pad(),
                    config.run().seed());
            HeldOutAnswers evaluation = new HeldOutAnswers(new HeldOutAnswers.Setup(policy, models.reference(),
                    reward.function(), models.sft().tokenizer(), cfg.batchSize() * cfg.groupSize(), cfg.maxNewTokens(),
                    config.eval().decoding(config.run().seed()), cfg.temperature()), prompts.evalPrompts(), judges);
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("init_from", models.init().toString());
            extra.put("reward_source", reward.source());
            extra.put("train_prompts", prompts.train().size());
            extra.put("val_prompts", prompts.val().size());
            extra.put("prompts_per_step", cfg.batchSize());
            extra.put("group_size", cfg.groupSize());
            StageRunner.Loop loop = new StageRunner.Loop(step, evaluation, GrpoStep.COLUMNS, "the initial policy",
                    "step s samples group_size answers to each of positions s*B..s*B+B-1 of the seeded prompt "
                            + "permutations; row i samples from Random(f(seed, s, i)), the minibatch order from "
                            + "Random(f(seed, s))", Map::of, Map::of);
            Trainer.Summary summary = StageRunner.run(new StageRunner.Job(STAGE, dir, config, cfg, options, List.of(),
                    models.sft().tokenizer(), start, extra, dataSha), loop, out);
            Map<String, Double> last = step.last().isEmpty() ? summary.lastEval() : step.last();
            String figures = String.format("reward %.3f, kl %.3f", last.getOrDefault("reward_mean", Double.NaN),
                    last.getOrDefault("kl", Double.NaN));
            if (summary.steps() < cfg.maxSteps()) {
                out.printf("grpo stopped: %d steps, %s; %s, %s → %s%n", summary.steps(), figures, step.timing(),
                        StageDir.duration(summary.seconds()), dir);
                return new Result(summary, null);
            }
            PolicyTestEval.Outcome test = null;
            String table = "";
            if (!cfg.data().test().isEmpty()) {
                PolicyTestEval.Setup setup = new PolicyTestEval.Setup(config, STAGE, policy, models.reference(),
                        reward.function(), models.sft().tokenizer(), PolicyTestEval.pretrained(config, options.engine()),
                        judges, cfg.batchSize() * cfg.groupSize(), cfg.maxNewTokens(), cfg.temperature(), 0, 0.0);
                test = PolicyTestEval.runAndWrite(setup, cfg.data().test(), cfg.testPrompts(), prompts.evalPrompts(),
                        dir, out);
                table = "\n" + PolicyTestEval.summary(setup, test);
            }
            out.printf("grpo done: %d steps, %s; %s, %s → %s%s%n", summary.steps(), figures, step.timing(),
                    StageDir.duration(summary.seconds()), dir, table);
            return new Result(summary, test);
        }
    }
}
