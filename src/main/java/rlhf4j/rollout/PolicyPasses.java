package rlhf4j.rollout;

import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import rlhf4j.model.Gpt;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.NdOps;

/**
 * Forward passes over a {@link RolloutBatch}, without gradients: per-token temperature-scaled
 * log-probabilities of the responses (a policy or its reference), values (PPO's value model),
 * and the exact per-token KL between two policies' next-token distributions (for evaluation).
 */
public final class PolicyPasses {
    private PolicyPasses() {}

    /** log π(a_t | s_t) of every response token under temperature-scaled logits [B][L_b]. */
    public static double[][] logProbs(Gpt gpt, RolloutBatch batch, double temperature) {
        double[] logp = gpt.forward(HeadRequest.policy(batch.targets(), temperature, false), batch.tokens()).logp(); // [B*T]
        return batch.ragged(logp);                                                          // [B][L]
    }

    /** V(s_t) before every response token [B][L_b]. */
    public static double[][] values(Gpt value, RolloutBatch batch) {
        return batch.ragged(value.forward(HeadRequest.scalar(), batch.tokens()).values());   // [B][L]
    }

    /**
     * Σ_v π(v|s_t)·(log π(v|s_t) − log π_ref(v|s_t)) at every response position [B][L_b]: the exact KL of
     * the two next-token distributions (temperature-scaled) along the responses, never negative.
     */
    public static double[][] exactKl(Gpt policy, Gpt reference, RolloutBatch batch, double temperature) {
        INDArray lp = allLogProbs(policy, batch, temperature);                               // [B*T, V]
        INDArray lr = allLogProbs(reference, batch, temperature);                            // [B*T, V]
        INDArray kl = Transforms.exp(lp, true).muli(lp.sub(lr)).sum(1);                     // [B*T]
        return batch.ragged(kl.toDoubleVector());
    }

    /** The temperature-scaled next-token log-distribution at every position [B*T, V]. */
    private static INDArray allLogProbs(Gpt gpt, RolloutBatch batch, double temperature) {
        INDArray z = gpt.forward(HeadRequest.policy(batch.targets(), temperature, false).withLogits(), batch.tokens())
                .logits();                                                                   // [B*T, V]
        return NdOps.logSoftmax(z);                                                          // [B*T, V]
    }

    /** Rows of a ragged array. */
    public static double[][] pick(double[][] x, int[] rows) {
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = x[rows[i]];
        }
        return out;
    }

    public static double[] pick(double[] x, int[] rows) {
        double[] out = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = x[rows[i]];
        }
        return out;
    }

    public static List<Rollout> pick(List<Rollout> x, int[] rows) {
        return Arrays.stream(rows).mapToObj(x::get).toList();
    }
}
