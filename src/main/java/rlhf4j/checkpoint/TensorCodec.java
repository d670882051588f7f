package rlhf4j.checkpoint;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How one of the model's tensors is stored under a Hugging Face architecture's name: as it is, transposed (this
 * project's linear weights are GPT-2's Conv1D layout [in, out]; {@code torch.nn.Linear} stores [out, in]) or with
 * the fused q/k/v projection's rows regrouped per head, as GPT-NeoX packs them. Pure data movement both ways, so a
 * checkpoint written and read back has the same bits (bitwise resume depends on it).
 */
enum TensorCodec {
    /** Stored as it is. */
    SAME,
    /** Stored transposed: [in, out] here, [out, in] in the file. */
    TRANSPOSE,
    /**
     * GPT-NeoX's {@code query_key_value}: here [C, 3C] (or [3C] for the bias) with the columns q | k | v, each
     * head by head; in the file [3C, C] (or [3C]) with the rows head by head, each q | k | v.
     */
    NEOX_QKV;

    /** The tensor as the file stores it; {@code heads} is the model's number of attention heads. */
    INDArray toFile(INDArray t, int heads) {
        return switch (this) {
            case SAME -> t;
            case TRANSPOSE -> t.transpose().dup('c');                                    // [out, in]
            case NEOX_QKV -> regroup(t.rank() == 1 ? t : t.transpose().dup('c'), 3, heads); // [3C, C] or [3C]
        };
    }

    /** The inverse of {@link #toFile}. */
    INDArray fromFile(INDArray t, int heads) {
        return switch (this) {
            case SAME -> t;
            case TRANSPOSE -> t.transpose().dup('c');                                    // [in, out]
            case NEOX_QKV -> {
                INDArray rows = regroup(t, heads, 3);                                    // [3C, C] or [3C]: q | k | v
                yield rows.rank() == 1 ? rows : rows.transpose().dup('c');               // [C, 3C]
            }
        };
    }

    /** The shape the file stores a tensor of shape {@code shape} in. */
    long[] fileShape(long[] shape) {
        return this == SAME || shape.length == 1 ? shape.clone() : new long[] {shape[1], shape[0]};
    }

    /**
     * Rows of {@code t} ([R] or [R, K], R = a·b·D) seen as [a, b, D(, K)] and regrouped as [b, a, D(, K)]: with
     * (a, b) = (3, H) the q | k | v blocks of heads become heads of q | k | v, and (H, 3) undoes it.
     */
    private static INDArray regroup(INDArray t, int a, int b) {
        long rows = t.size(0);
        long d = rows / ((long) a * b);
        if (t.rank() == 1) {
            return t.reshape('c', new long[] {a, b, d}).permute(1, 0, 2).dup('c').reshape('c', new long[] {rows}); // [R]
        }
        long k = t.size(1);
        return t.reshape('c', new long[] {a, b, d, k}).permute(1, 0, 2, 3).dup('c')
                .reshape('c', new long[] {rows, k});                                            // [R, K]
    }
}
