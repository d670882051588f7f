package rlhf4j.stage.ppo;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.model.Gpt;
import rlhf4j.model.PolicyHead;
import rlhf4j.model.ValueHead;

/**
 * Forward passes of the PPO models over a {@link RolloutBatch}, without gradients: per-token
 * temperature-scaled log-probabilities of the responses (policy and reference), values (value model),
 * and the exact per-token KL between two policies' next-token distributions (for evaluation).
 */
public final class PolicyPasses {
    private PolicyPasses() {}

    /** log π(a_t | s_t) of every response token under temperature-scaled logits [B][L_b]. */
    public static double[][] logProbs(Gpt gpt, RolloutBatch batch, double temperature) {
        Map<String, INDArray> out = gpt.forward(PolicyHead.logProbs(temperature), batch.tokens(),
                targets(gpt, batch), PolicyHead.TOKEN_LOGP);
        return batch.ragged(out.get(PolicyHead.TOKEN_LOGP));                                 // [B][L]
    }

    /** V(s_t) before every response token [B][L_b]. */
    public static double[][] values(Gpt value, RolloutBatch batch) {
        INDArray v = value.forward(ValueHead.values(), batch.tokens(), Map.of(), ValueHead.VALUES)
                .get(ValueHead.VALUES);                                                      // [B, T]
        return batch.ragged(v);
    }

    /**
     * Σ_v π(v|s_t)·(log π(v|s_t) − log π_ref(v|s_t)) at every response position [B][L_b]: the exact KL of
     * the two next-token distributions (temperature-scaled) along the responses, never negative.
     */
    public static double[][] exactKl(Gpt policy, Gpt reference, RolloutBatch batch, double temperature) {
        INDArray lp = allLogProbs(policy, batch, temperature);                               // [B*T, V]
        INDArray lr = allLogProbs(reference, batch, temperature);                            // [B*T, V]
        INDArray kl = org.nd4j.linalg.ops.transforms.Transforms.exp(lp, true)
                .muli(lp.sub(lr)).sum(1);                                                    // [B*T]
        return batch.ragged(kl);
    }

    private static INDArray allLogProbs(Gpt gpt, RolloutBatch batch, double temperature) {
        return gpt.forward(PolicyHead.logProbs(temperature), batch.tokens(), targets(gpt, batch), PolicyHead.LOGPROBS)
                .get(PolicyHead.LOGPROBS);                                                   // [B*T, V]
    }

    static Map<String, INDArray> targets(Gpt gpt, RolloutBatch batch) {
        Map<String, INDArray> feed = new HashMap<>();
        feed.put(PolicyHead.TARGET_ONEHOT, batch.targetOnehot(gpt.spec().vocabSize(), gpt.dataType()));  // [B*T, V]
        return feed;
    }

    /** Rows of a ragged array. */
    static double[][] pick(double[][] x, int[] rows) {
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = x[rows[i]];
        }
        return out;
    }

    static double[] pick(double[] x, int[] rows) {
        double[] out = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = x[rows[i]];
        }
        return out;
    }

    static List<Rollout> pick(List<Rollout> x, int[] rows) {
        return java.util.Arrays.stream(rows).mapToObj(x::get).toList();
    }
}
