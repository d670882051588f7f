package rlhf4j.model;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.nn.FloatKernels;
import rlhf4j.nn.Sgemm;

/**
 * Forward-only heads by hand, for the kernel engine's scoring passes (PPO's experience: old and
 * reference log-probabilities, values, reward-model scores):
 * <ul>
 *   <li>{@link PolicyHead} without loss, output {@code token_logp} [N]: logits = hidden·wteᵀ / temperature
 *       (one BLAS call, the temperature as its alpha), then the target's log-softmax per row ({@link
 *       FloatKernels#tokenLogProbs}, the forward half of the LM-loss kernel);</li>
 *   <li>{@link ScalarHead} or {@link ValueHead} without loss, outputs {@code values} [B, T] = hidden·w + b
 *       and (ScalarHead) {@code score} [B] = Σ_t values·last_token.</li>
 * </ul>
 * Same functions as the SameDiff heads (tested against them to 1e-5); the graph ran a libnd4j
 * {@code log_softmax} over all of [N, V] and cost as much as the trunk. The logits buffer is reused per
 * row count; outputs are fresh arrays.
 */
final class KernelForwardHeads {
    private final Map<Integer, INDArray> logitsByRows = new HashMap<>();

    /** Whether this head and these inputs and outputs are ones the kernels compute, else the graph runs. */
    static boolean accepts(Head head, Map<String, INDArray> inputs, String[] outputs) {
        if (head.hasLoss()) {
            return false;
        }
        if (head instanceof PolicyHead) {
            return Set.of(outputs).equals(Set.of(PolicyHead.TOKEN_LOGP)) && inputs.size() == 1
                    && dense(inputs.get(PolicyHead.TARGET_ONEHOT));
        }
        if (head instanceof ValueHead) {
            return Set.of(outputs).equals(Set.of(ValueHead.VALUES)) && inputs.isEmpty();
        }
        if (head instanceof ScalarHead) {
            return Set.of(ScalarHead.VALUES, ScalarHead.SCORE).containsAll(Set.of(outputs)) && inputs.size() == 1
                    && dense(inputs.get(ScalarHead.LAST_TOKEN));
        }
        return false;
    }

    private static boolean dense(INDArray a) {
        return a != null && a.dataType() == DataType.FLOAT && !a.isView() && a.ordering() == 'c'
                && a.data().length() == a.length();
    }

    /** The requested outputs of an accepted head, from the trunk's hidden states [B*T, C]. */
    Map<String, INDArray> forward(Head head, INDArray hidden, Map<String, INDArray> params, Map<String, INDArray> inputs,
                                  String[] outputs, int batch, int seqLen) {
        Map<String, INDArray> out = new HashMap<>();
        if (head instanceof PolicyHead policy) {
            out.put(PolicyHead.TOKEN_LOGP, tokenLogProbs(hidden, params.get(ParamNames.WTE),
                    inputs.get(PolicyHead.TARGET_ONEHOT), policy.temperature()));
            return out;
        }
        INDArray values = Nd4j.create(DataType.FLOAT, (long) batch * seqLen, 1);                      // [N, 1]
        Sgemm.gemm(hidden, false, params.get(ParamNames.SCORE_WEIGHT), false, values, 1f, 0f);
        values.addi(params.get(ParamNames.SCORE_BIAS).getFloat(0));
        INDArray perRow = values.reshape(batch, seqLen);                                              // [B, T]
        for (String o : outputs) {
            if (o.equals(ScalarHead.VALUES)) {
                out.put(ScalarHead.VALUES, perRow);
            } else if (o.equals(ScalarHead.SCORE)) {
                out.put(ScalarHead.SCORE, perRow.mul(inputs.get(ScalarHead.LAST_TOKEN)).sum(1));      // [B]
            }
        }
        return out;
    }

    /** Σ_v onehot·log_softmax(hidden·wteᵀ / temperature) per row [N]. */
    private INDArray tokenLogProbs(INDArray hidden, INDArray wte, INDArray onehot, double temperature) {
        int n = (int) hidden.size(0);
        int v = (int) wte.size(0);
        INDArray logits = logitsByRows.computeIfAbsent(n, k -> Nd4j.create(DataType.FLOAT, n, v));     // [N, V]
        Sgemm.gemm(hidden, false, wte, true, logits, (float) (1.0 / temperature), 0f);
        float[] tokenLogp = new float[n];                                                              // [N]
        FloatKernels.tokenLogProbs(FloatKernels.buffer(logits), FloatKernels.buffer(onehot), tokenLogp, n, v);
        return Nd4j.create(tokenLogp, new long[] {n}, 'c');
    }
}
