package rlhf4j.eval;

import java.util.List;
import rlhf4j.rollout.Rollout;

/**
 * Scores whole responses: one number per rollout — the reward model's normalised score ({@link RmReward}), a
 * built-in judge's ({@link JudgeReward}), an external program's ({@link CommandReward}), or a rule in tests.
 */
public interface RewardFunction {
    double[] score(List<Rollout> rollouts);
}
