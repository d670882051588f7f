package rlhf4j.model;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The model's input for one forward pass: B sequences of T token ids with their position ids and
 * an additive attention mask. Row-major: entry {@code b*T + t}.
 *
 * @param tokens    token ids [B*T]
 * @param positions position ids [B*T] (0-based; left-padded rows start later)
 * @param keyValid  1 where a token may be attended to, 0 for padding [B*T]; null means all valid
 */
public record TokenBatch(int batch, int seqLen, int[] tokens, int[] positions, int[] keyValid) {
    /**
     * The sequence length a batch whose longest row has {@code longest} positions is padded to: that length rounded
     * up to a multiple of {@value #LENGTH_STEP}, at most {@code blockSize}. Rounding (not the next power of two) keeps
     * the padding under 16 positions a row: a 70-token batch runs at 80, not 128.
     */
    public static int paddedLength(int longest, int blockSize) {
        int padded = (Math.max(longest, 1) + LENGTH_STEP - 1) / LENGTH_STEP * LENGTH_STEP;
        return Math.min(padded, blockSize);
    }

    /** Padded lengths are multiples of this. */
    public static final int LENGTH_STEP = 16;

    /** Additive mask value for a forbidden query→key pair: exp underflows to exactly 0. */
    public static final double MASKED = -1e9;

    public TokenBatch {
        if (tokens.length != batch * seqLen || positions.length != batch * seqLen
                || (keyValid != null && keyValid.length != batch * seqLen)) {
            throw new IllegalArgumentException("token batch arrays must have B*T entries");
        }
    }

    /** Unpadded rows: positions 0..T-1 and a plain causal mask. tokens [B][T]. */
    public static TokenBatch causal(int[][] rows) {
        int b = rows.length;
        int t = rows[0].length;
        int[] flat = new int[b * t];
        int[] pos = new int[b * t];
        for (int i = 0; i < b; i++) {
            if (rows[i].length != t) {
                throw new IllegalArgumentException("all rows must have the same length");
            }
            for (int j = 0; j < t; j++) {
                flat[i * t + j] = rows[i][j];
                pos[i * t + j] = j;
            }
        }
        return new TokenBatch(b, t, flat, pos, null);
    }

    /**
     * Additive attention bias: 0 where query t may see key s (s ≤ t and key valid), {@link #MASKED}
     * elsewhere. [1, 1, T, T] when no padding, else [B, 1, T, T]. The unpadded (causal) bias is
     * built once per (T, dtype) and shared: callers must not modify it.
     */
    public INDArray attentionBias(DataType dtype) {
        if (keyValid == null) {
            return CAUSAL.computeIfAbsent(dtype + "/" + seqLen, k -> build(dtype));
        }
        return build(dtype);
    }

    private static final Map<String, INDArray> CAUSAL = new ConcurrentHashMap<>();

    private INDArray build(DataType dtype) {
        int rowsNeeded = keyValid == null ? 1 : batch;
        float[] bias = new float[rowsNeeded * seqLen * seqLen];                         // [B|1, 1, T, T]
        for (int b = 0; b < rowsNeeded; b++) {
            for (int q = 0; q < seqLen; q++) {
                for (int k = 0; k < seqLen; k++) {
                    boolean visible = k <= q && (keyValid == null || keyValid[b * seqLen + k] != 0);
                    // a query with no visible key (left padding) attends to itself to stay finite
                    boolean self = k == q && keyValid != null && keyValid[b * seqLen + q] == 0;
                    bias[(b * seqLen + q) * seqLen + k] = visible || self ? 0f : (float) MASKED;
                }
            }
        }
        INDArray out = Nd4j.create(bias, new long[] {rowsNeeded, 1, seqLen, seqLen}, 'c');
        return dtype == DataType.FLOAT ? out : out.castTo(dtype);
    }
}
