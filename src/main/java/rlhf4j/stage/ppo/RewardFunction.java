package rlhf4j.stage.ppo;

import java.util.List;

/** Scores whole responses: one number per rollout (the reward model's normalised score, or a rule in tests). */
public interface RewardFunction {
    double[] score(List<Rollout> rollouts);
}
