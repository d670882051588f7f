package rlhf4j.stage.ppo;

import rlhf4j.rollout.PolicyPasses;
import rlhf4j.rollout.RolloutBatch;

/**
 * What one PPO step collected before its updates (OpenRLHF's {@code Experience}): the rollouts as one
 * batch and, per response token, what the policy and value updates read. Per-token fields are ragged,
 * {@code [B][L_b]}: row b is rollout b, column j its response token j. {@link #select} takes the
 * minibatch of some rows, every field together, so no field can be sliced with the wrong rows.
 *
 * @param batch      the B rollouts, prompt + response as one right-padded token batch
 * @param oldLogp    [B][L_b] log π_old of each response token at the sampling temperature (the
 *                   training graph's, checked against the sampler's)
 * @param refLogp    [B][L_b] log π_ref of each response token (the frozen SFT policy)
 * @param oldValues  [B][L_b] the value model's V(state before the token)
 * @param scores     [B] the reward model's score of each rollout, before any missing-EOS penalty
 * @param klTokens   [B][L_b] the per-token KL estimate between π_old and π_ref
 * @param advantages [B][L_b] GAE advantages, whitened over the batch
 * @param returns    [B][L_b] GAE returns, the value model's targets
 */
record Experience(RolloutBatch batch, double[][] oldLogp, double[][] refLogp, double[][] oldValues, double[] scores,
                  double[][] klTokens, double[][] advantages, double[][] returns) {

    int size() {
        return batch.size();
    }

    /** The rows {@code rows} of every field (same padded length T). */
    Experience select(int[] rows) {
        return new Experience(batch.select(rows), PolicyPasses.pick(oldLogp, rows), PolicyPasses.pick(refLogp, rows),
                PolicyPasses.pick(oldValues, rows), PolicyPasses.pick(scores, rows), PolicyPasses.pick(klTokens, rows),
                PolicyPasses.pick(advantages, rows), PolicyPasses.pick(returns, rows));
    }
}
