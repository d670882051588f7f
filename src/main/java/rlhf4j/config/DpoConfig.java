package rlhf4j.config;

import static rlhf4j.config.Check.require;

/**
 * The {@code dpo} section: direct preference optimisation (Rafailov et al. 2023) of the SFT policy on rankings,
 * with the frozen SFT model as the reference and no reward model, no sampling during training (TRL's
 * {@code DPOTrainer} names where they exist). A ranking of K responses gives its C(K, 2) pairs, weighted so each
 * prompt counts once, as the reward model's ranking loss does.
 */
public record DpoConfig(
        @Doc("rankings, held-out share, test prompts") DpoDataPaths data,
        @Doc("policy and frozen reference; empty = this run's sft folder") String initFrom,
        @Doc("β: how far the implicit reward may pull the policy from the reference (smaller = further)") double beta,
        @Doc("sigmoid (DPO, −log σ(β·h)) or ipo (IPO, (h − 1/(2β))²), h the implicit reward margin") String lossType,
        @Doc("rankings per micro-batch (every response of each is one sequence)") int batchSize,
        @Doc("optimizer steps to train") int maxSteps,
        @Doc("optimizer, schedule and cadence: the keys of Optimization, in this section") @Inline Optimization optimization,
        @Doc("micro-batches accumulated per optimizer step") int gradAccumSteps,
        @Doc("evaluate (held-out loss, implicit rewards and their accuracy) every N steps") int evalEvery,
        @Doc("validation rankings scored at each evaluation (and as many training ones); 0 = all") int evalPairs,
        @Doc("longest answer to a test prompt, in tokens") int maxNewTokens,
        @Doc("test prompts answered at the end; 0 = all") int testPrompts)
        implements TrainingHyperparams {

    public DpoConfig {
        require(data != null, "data", "must be given");
        require(initFrom != null, "init_from", "must be given (empty for the run's sft folder)");
        require(beta > 0 && Double.isFinite(beta), "beta", "must be positive, got %s", beta);
        require(lossType != null && (lossType.equals("sigmoid") || lossType.equals("ipo")), "loss_type",
                "must be sigmoid or ipo, got %s", lossType);
        TrainingHyperparams.validate(optimization, batchSize, maxSteps, gradAccumSteps, evalEvery);
        require(evalPairs >= 0, "eval_pairs", "must not be negative (0 = all), got %d", evalPairs);
        require(maxNewTokens > 0, "max_new_tokens", "must be positive, got %d", maxNewTokens);
        require(testPrompts >= 0, "test_prompts", "must not be negative (0 = all), got %d", testPrompts);
    }

    /** Whether the loss is IPO's squared one rather than DPO's logistic one. */
    public boolean ipo() {
        return lossType.equals("ipo");
    }

    public static DpoConfig defaults() {
        return new DpoConfig(DpoDataPaths.defaults(), "", 0.1, "sigmoid", 8, 200, new Optimization(1e-5, 1e-6, 10, 0.0,
                0.9, 0.95, 1e-8, 1.0, 50, 10, false, false), 1, 50, 256, 32, 0);
    }
}
