package rlhf4j.eval;

import java.util.List;
import rlhf4j.rollout.Rollout;

/** Scores whole responses: one number per rollout (the reward model's normalised score, or a rule in tests). */
public interface RewardFunction {
    double[] score(List<Rollout> rollouts);
}
