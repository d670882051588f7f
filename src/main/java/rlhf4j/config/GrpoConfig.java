package rlhf4j.config;

import static rlhf4j.config.Check.require;

/**
 * The {@code grpo} section: group relative policy optimisation (Shao et al. 2024), critic-free RL: each step samples
 * {@code group_size} answers to each of {@code batch_size} prompts, scores them with {@code reward}, gives each answer
 * its reward's standing in its group as the advantage, and makes {@code epochs} passes of PPO's clipped objective over
 * {@code num_mini_batches} minibatches, with the KL to the frozen SFT policy as a loss term. TRL's {@code GRPOTrainer}
 * names where they exist ({@code num_generations} is {@code group_size}, {@code num_iterations} is {@code epochs}).
 */
public record GrpoConfig(
        @Doc("prompts, held-out share, test prompts") PromptDataPaths data,
        @Doc("policy and frozen reference; empty = this run's sft folder") String initFrom,
        @Doc("what scores an answer: rm (the reward model, normalised), judge:NAME (a built-in judge: sentiment, vader, "
                + "chrf) or command:SHELL COMMAND (a program reading one JSON line per prompt, {\"id\", \"prompt\", "
                + "\"responses\", \"reference\"}, and answering {\"scores\": [...]})") String reward,
        @Doc("with reward rm: the reward model's folder; empty = this run's rm folder") String rewardModel,
        @Doc("with reward command: seconds one answer of the command may take before the stage fails") int rewardTimeout,
        @Doc("answers sampled per prompt, the group their advantages are relative to (at least 2)") int groupSize,
        @Doc("prompts per step (each answered group_size times)") int batchSize,
        @Doc("minibatches per pass over a step's answers (batch_size × group_size must divide evenly)") int numMiniBatches,
        @Doc("passes over each step's answers; 1 = on-policy (the ratio is 1 and the clip never acts)") int epochs,
        @Doc("GRPO steps (sampling + update) to run") int maxSteps,
        @Doc("optimizer, schedule and cadence: the keys of Optimization, in this section") @Inline Optimization optimization,
        @Doc("β: weight of the KL to the reference (k3 estimator) in the loss; 0 = no KL term (and no reference pass "
                + "is needed for the loss, though the KL is still reported)") double beta,
        @Doc("policy ratio clip ε") double clipRange,
        @Doc("grpo: advantages divided by the group's standard deviation, each answer's loss the mean over its tokens; "
                + "dr_grpo (Liu et al. 2025): neither, every token weighted alike") String variant,
        @Doc("subtracted from the reward of an answer that hits max_new_tokens without ending its turn") double missingEosPenalty,
        @Doc("sampling temperature of the answers (log-probabilities use the same temperature)") double temperature,
        @Doc("top-k of the answers; 0 = off") int topK,
        @Doc("nucleus top-p of the answers; 1 = off") double topP,
        @Doc("longest answer, in tokens") int maxNewTokens,
        @Doc("answers sampled together in one batch (a Spark task when distributed); 0 = a step's all at once") int rolloutBatch,
        @Doc("evaluate on held-out prompts (reward, KL, the judges) every N steps") int evalEvery,
        @Doc("held-out prompts answered at each evaluation") int evalPrompts,
        @Doc("test prompts answered by SFT and GRPO at the end; 0 = all") int testPrompts)
        implements TrainingHyperparams {

    public GrpoConfig {
        require(data != null, "data", "must be given");
        require(initFrom != null, "init_from", "must be given (empty for the run's sft folder)");
        require(reward != null && (reward.equals("rm") || reward.startsWith("judge:") && reward.length() > 6
                || reward.startsWith("command:") && !reward.substring(8).isBlank()), "reward",
                "must be rm, judge:NAME or command:SHELL COMMAND, got '%s'", reward);
        require(rewardModel != null, "reward_model", "must be given (empty for the run's rm folder)");
        require(rewardTimeout > 0, "reward_timeout", "must be positive, got %d", rewardTimeout);
        require(groupSize >= 2, "group_size", "must be at least 2 (advantages are relative to the group), got %d",
                groupSize);
        TrainingHyperparams.validate(optimization, batchSize, maxSteps, 1, evalEvery);
        require(numMiniBatches > 0, "num_mini_batches", "must be positive, got %d", numMiniBatches);
        require(batchSize * groupSize % numMiniBatches == 0, "num_mini_batches",
                "%d must divide {batch_size} × {group_size} (%d answers)", numMiniBatches, batchSize * groupSize);
        require(epochs > 0, "epochs", "must be positive, got %d", epochs);
        require(beta >= 0 && Double.isFinite(beta), "beta", "must not be negative, got %s", beta);
        require(clipRange > 0 && clipRange < 1, "clip_range", "must be in (0, 1), got %s", clipRange);
        require(variant != null && (variant.equals("grpo") || variant.equals("dr_grpo")), "variant",
                "must be grpo or dr_grpo, got %s", variant);
        require(missingEosPenalty >= 0, "missing_eos_penalty", "must not be negative, got %s", missingEosPenalty);
        require(temperature > 0, "temperature", "must be positive (answers are sampled; log-probabilities divide by "
                + "it), got %s", temperature);
        require(topK >= 0, "top_k", "must not be negative (0 = off), got %d", topK);
        require(topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got %s", topP);
        require(maxNewTokens > 0, "max_new_tokens", "must be positive, got %d", maxNewTokens);
        require(rolloutBatch >= 0, "rollout_batch", "must not be negative (0 = all at once), got %d", rolloutBatch);
        require(evalPrompts >= 0, "eval_prompts", "must not be negative, got %d", evalPrompts);
        require(testPrompts >= 0, "test_prompts", "must not be negative (0 = all), got %d", testPrompts);
    }

    /** Whether advantages are divided by the group's standard deviation (GRPO) or not (Dr. GRPO). */
    public boolean scaleAdvantages() {
        return variant.equals("grpo");
    }

    /** GRPO has no accumulation: its minibatches are the unit of an update. */
    @Override
    public int gradAccumSteps() {
        return 1;
    }

    public static GrpoConfig defaults() {
        return new GrpoConfig(PromptDataPaths.defaults(), "", "rm", "", 300, 4, 8, 2, 1, 100, new Optimization(1e-5,
                1e-6, 0, 0.0, 0.9, 0.95, 1e-8, 1.0, 10, 1, false, false), 0.04, 0.2, "grpo", 0.0, 0.7, 0, 1.0, 32, 0,
                10, 64, 0);
    }
}
