package rlhf4j.stage.ppo;

import rlhf4j.model.Gpt;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.eval.RewardFunction;

/**
 * The four models of PPO: the policy (trained, from SFT), the reference (a frozen copy of SFT), the value
 * model (trained, initialised from the reward model) and the reward (frozen). Only policy and value have
 * optimizer state.
 */
public record PpoModels(Gpt policy, Gpt reference, Gpt value, RewardFunction reward, BpeTokenizer tokenizer) {
    public PpoModels {
        if (!value.hasScoreHead()) {
            throw new IllegalArgumentException("the value model needs a score head");
        }
        if (policy.params() == reference.params()) {
            throw new IllegalArgumentException("the reference must be a separate, frozen copy of the policy's weights");
        }
    }
}
