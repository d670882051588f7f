package rlhf4j.config;

import static rlhf4j.config.Check.require;

/**
 * The {@code ppo} section: PPO with a KL penalty against the frozen SFT policy (InstructGPT; TRL's
 * {@code PPOTrainer} names where they exist). One PPO step samples {@code batch_size} responses, scores
 * them with the frozen reward model, computes per-token rewards {@code −β·KL} plus the score on the last
 * token, GAE advantages, and then makes {@code ppo_epochs} passes over {@code num_mini_batches} shuffled
 * minibatches, one AdamW step of the policy and one of the value model per minibatch.
 */
public record PpoConfig(
        @Doc("prompts, held-out share, test prompts") PromptDataPaths data,
        @Doc("policy and frozen reference; empty = this run's sft folder") String initFrom,
        @Doc("frozen reward model, also the value model's initialisation; empty = this run's rm folder") String rewardModel,
        @Doc("prompts rolled out per PPO step") int batchSize,
        @Doc("minibatches per pass over a rollout batch (batch_size must divide evenly)") int numMiniBatches,
        @Doc("passes over each rollout batch") int ppoEpochs,
        @Doc("PPO steps (rollout + update) to run") int maxSteps,
        @Doc("optimizer, schedule and cadence: the keys of Optimization, in this section") @Inline Optimization optimization,
        @Doc("KL penalty coefficient β (the initial one when adaptive_kl)") double klCoef,
        @Doc("adapt β towards target_kl with the Ziegler et al. controller") boolean adaptiveKl,
        @Doc("target KL (summed over a response's tokens) of the adaptive controller") double targetKl,
        @Doc("horizon of the adaptive controller, in rollouts") int klHorizon,
        @Doc("per-token KL estimator in the reward: k1 (log π − log π_ref) or k3 (non-negative)") String klEstimator,
        @Doc("GAE discount γ") double gamma,
        @Doc("GAE λ") double lam,
        @Doc("policy ratio clip ε") double clipRange,
        @Doc("value clip around the rollout's values") double clipRangeValue,
        @Doc("weight of the value loss in the reported total loss and its gradient") double vfCoef,
        @Doc("entropy bonus weight in the policy loss; 0 = off") double entropyCoef,
        @Doc("whiten the per-token rewards before GAE (advantages are always whitened)") boolean whitenRewards,
        @Doc("subtracted from the score of a response that hits max_new_tokens without ending its turn") double missingEosPenalty,
        @Doc("sampling temperature of rollouts (log-probabilities use the same temperature)") double temperature,
        @Doc("top-k of rollouts; 0 = off") int topK,
        @Doc("nucleus top-p of rollouts; 1 = off") double topP,
        @Doc("longest response, in tokens") int maxNewTokens,
        @Doc("prompts sampled together in one batch; a step's batch_size prompts go in batches of this many, each a "
                + "Spark task when distributed (so the results do not depend on the workers); 0 = all at once") int rolloutBatch,
        @Doc("evaluate on held-out prompts (greedy: reward, KL, exact match) every N PPO steps") int evalEvery,
        @Doc("held-out prompts answered at each evaluation") int evalPrompts,
        @Doc("test prompts answered by SFT and PPO at the end; 0 = all") int testPrompts,
        @Doc("best-of-K baseline on the test prompts: the SFT policy samples K answers to each (at best_of_temperature) "
                + "and the reward model picks one; 0 = off") int bestOf,
        @Doc("sampling temperature of the best-of-K answers; 0 = ppo.temperature. Lower keeps the candidates near the "
                + "greedy answer, so the reward model chooses among answers as good as the one it is compared with")
        double bestOfTemperature)
        implements TrainingHyperparams {

    public PpoConfig {
        require(data != null, "data", "must be given");
        require(initFrom != null, "init_from", "must be given (empty for the run's sft folder)");
        require(rewardModel != null, "reward_model", "must be given (empty for the run's rm folder)");
        TrainingHyperparams.validate(optimization, batchSize, maxSteps, 1, evalEvery);
        require(numMiniBatches > 0, "num_mini_batches", "must be positive, got %d", numMiniBatches);
        require(batchSize % numMiniBatches == 0, "num_mini_batches", "%d must divide {batch_size} (%d)",
                numMiniBatches, batchSize);
        require(ppoEpochs > 0, "ppo_epochs", "must be positive, got %d", ppoEpochs);
        require(klCoef >= 0, "kl_coef", "must not be negative, got %s", klCoef);
        require(targetKl > 0, "target_kl", "must be positive, got %s", targetKl);
        require(klHorizon > 0, "kl_horizon", "must be positive, got %d", klHorizon);
        require(klEstimator != null && (klEstimator.equals("k1") || klEstimator.equals("k3")), "kl_estimator",
                "must be k1 or k3, got %s", klEstimator);
        require(gamma > 0 && gamma <= 1, "gamma", "must be in (0, 1], got %s", gamma);
        require(lam >= 0 && lam <= 1, "lam", "must be in [0, 1], got %s", lam);
        require(clipRange > 0 && clipRange < 1, "clip_range", "must be in (0, 1), got %s", clipRange);
        require(clipRangeValue > 0, "clip_range_value", "must be positive, got %s", clipRangeValue);
        require(vfCoef > 0, "vf_coef", "must be positive, got %s", vfCoef);
        require(entropyCoef >= 0, "entropy_coef", "must not be negative, got %s", entropyCoef);
        require(missingEosPenalty >= 0, "missing_eos_penalty", "must not be negative, got %s", missingEosPenalty);
        require(temperature > 0, "temperature", "must be positive (rollouts sample; log-probabilities divide by it), got %s",
                temperature);
        require(topK >= 0, "top_k", "must not be negative (0 = off), got %d", topK);
        require(topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got %s", topP);
        require(maxNewTokens > 0, "max_new_tokens", "must be positive, got %d", maxNewTokens);
        require(rolloutBatch >= 0, "rollout_batch", "must not be negative (0 = all at once), got %d", rolloutBatch);
        require(evalPrompts >= 0, "eval_prompts", "must not be negative, got %d", evalPrompts);
        require(testPrompts >= 0, "test_prompts", "must not be negative (0 = all), got %d", testPrompts);
        require(bestOf == 0 || (bestOf >= 2 && bestOf <= 64), "best_of", "must be 0 (off) or between 2 and 64, got %d",
                bestOf);
        require(bestOfTemperature >= 0 && Double.isFinite(bestOfTemperature), "best_of_temperature",
                "must be 0 (ppo.temperature) or positive, got %s", bestOfTemperature);
    }

    /** The temperature best-of-K samples at: {@code best_of_temperature}, or the rollouts' when that is 0. */
    public double bestOfSamplingTemperature() {
        return bestOfTemperature > 0 ? bestOfTemperature : temperature;
    }

    /** PPO has no accumulation: its minibatches are the unit of an update. */
    @Override
    public int gradAccumSteps() {
        return 1;
    }

    public static PpoConfig defaults() {
        return new PpoConfig(PromptDataPaths.defaults(), "", "", 32, 2, 4, 100, new Optimization(1e-5, 1e-5, 0, 0.0,
                0.9, 0.95, 1e-8, 1.0, 10, 1, false, false), 0.05, false, 6.0, 10000, "k1", 1.0, 0.95, 0.2, 0.2, 0.1,
                0.0, false, 0.0, 0.7, 0, 1.0, 32, 0, 10, 64, 0, 4, 0.0);
    }
}
