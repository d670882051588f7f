package rlhf4j.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.nn.FloatKernels;
import rlhf4j.nn.Sgemm;

/**
 * The tied LM head with its loss ({@link LmHead} with loss) by hand, for the kernel engine: logits
 * = hidden·wteᵀ (one BLAS call), then one {@link FloatKernels#lmLoss} pass that gives every
 * token's log-probability and the loss and turns the logits into d logits in place, then d hidden
 * = d logits·wte and the head's part of d wte = d logitsᵀ·hidden. Same function as the SameDiff
 * head ({@code log_softmax} alone took 46 ms on [2048, 2048] with one thread, PyTorch's 4.5 ms).
 * The logits buffer is reused per row count; outputs are fresh arrays.
 */
final class KernelLmHead {
    private final Map<Integer, INDArray> logitsByRows = new HashMap<>();

    /** Whether the head inputs are in the form the kernel reads (dense FLOAT), else the graph runs. */
    static boolean accepts(Head head, Map<String, INDArray> inputs) {
        if (!(head instanceof LmHead) || !head.hasLoss()) {
            return false;
        }
        INDArray onehot = inputs.get(LmHead.TARGET_ONEHOT);
        INDArray weight = inputs.get(LmHead.TARGET_WEIGHT);
        return dense(onehot) && dense(weight) && inputs.size() == 2;
    }

    private static boolean dense(INDArray a) {
        return a != null && a.dataType() == DataType.FLOAT && !a.isView() && a.ordering() == 'c'
                && a.data().length() == a.length();
    }

    /** Outputs (any of loss, logits, token_logp) and gradients: wte.weight (head part) and hidden. */
    record Result(Map<String, INDArray> outputs, INDArray dWte, INDArray dHidden) {}

    Result forwardBackward(INDArray hidden, INDArray wte, Map<String, INDArray> inputs, List<String> outputs) {
        int n = (int) hidden.size(0);
        int v = (int) wte.size(0);
        int c = (int) hidden.size(1);
        INDArray logits = logitsByRows.computeIfAbsent(n, k -> Nd4j.create(DataType.FLOAT, n, v));     // [N, V]
        Sgemm.gemm(hidden, false, wte, true, logits, 1f, 0f);
        Map<String, INDArray> out = new HashMap<>();
        if (outputs.contains(LmHead.LOGITS)) {
            out.put(LmHead.LOGITS, logits.dup());
        }
        float[] tokenLogp = new float[n];                                                            // [N]
        double loss = FloatKernels.lmLoss(FloatKernels.buffer(logits), FloatKernels.buffer(inputs.get(LmHead.TARGET_ONEHOT)),
                FloatKernels.buffer(inputs.get(LmHead.TARGET_WEIGHT)), tokenLogp, n, v);             // logits ← d logits
        if (outputs.contains(LmHead.LOSS)) {
            out.put(LmHead.LOSS, Nd4j.scalar(DataType.FLOAT, (float) loss));
        }
        if (outputs.contains(LmHead.TOKEN_LOGP)) {
            out.put(LmHead.TOKEN_LOGP, Nd4j.create(tokenLogp, new long[] {n}, 'c'));
        }
        for (String o : outputs) {
            if (!out.containsKey(o)) {
                throw new IllegalArgumentException("the LM head has no output " + o);
            }
        }
        INDArray dHidden = Nd4j.createUninitialized(DataType.FLOAT, n, c);                         // [N, C]
        Sgemm.gemm(logits, false, wte, false, dHidden, 1f, 0f);
        INDArray dWte = Nd4j.createUninitialized(DataType.FLOAT, v, c);                            // [V, C]
        Sgemm.gemm(logits, true, hidden, false, dWte, 1f, 0f);
        return new Result(out, dWte, dHidden);
    }

}
