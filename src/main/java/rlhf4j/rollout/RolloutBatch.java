package rlhf4j.rollout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rlhf4j.model.TokenBatch;

/**
 * Rollouts as one right-padded batch for the training graphs: row b holds prompt + response minus its
 * last token as input (positions 0..), so response token j of row b is predicted at flat index
 * {@code b*T + P_b − 1 + j}, where the policy's log-probability and the value of the state before that
 * token are read. Ragged per-response arrays ({@code double[B][L_b]}) move in and out through
 * {@link #ragged} and {@link #flat}. T is {@link TokenBatch#paddedLength}; {@link #select} keeps it, so the
 * minibatches of one rollout batch share one graph shape.
 */
public final class RolloutBatch {
    private final List<Rollout> rows;
    private final int seqLen;
    private final TokenBatch batch;
    private final int[] targets;      // [B*T]
    private final int[] offsets;      // [B] flat column of response token 0: P_b − 1
    private final int pad;

    private RolloutBatch(List<Rollout> rows, int seqLen, int pad) {
        this.rows = List.copyOf(rows);
        this.seqLen = seqLen;
        this.pad = pad;
        int b = rows.size();
        int[] tokens = new int[b * seqLen];
        int[] positions = new int[b * seqLen];
        int[] valid = new int[b * seqLen];
        this.targets = new int[b * seqLen];
        this.offsets = new int[b];
        for (int i = 0; i < b; i++) {
            int[] seq = rows.get(i).sequence();
            if (seq.length - 1 > seqLen) {
                throw new IllegalArgumentException("rollout of " + seq.length + " tokens does not fit length " + seqLen);
            }
            offsets[i] = rows.get(i).promptIds().length - 1;
            for (int j = 0; j < seqLen; j++) {
                int k = i * seqLen + j;
                boolean real = j + 1 < seq.length;
                tokens[k] = real ? seq[j] : pad;
                positions[k] = j;
                valid[k] = real ? 1 : 0;
                targets[k] = real ? seq[j + 1] : pad;
            }
        }
        this.batch = new TokenBatch(b, seqLen, tokens, positions, valid);
    }

    /** The batch of {@code rows}, padded to the longest rounded up to a multiple of 16 ({@link TokenBatch#paddedLength}). */
    public static RolloutBatch of(List<Rollout> rows, int blockSize, int pad) {
        int longest = rows.stream().mapToInt(r -> r.promptIds().length + r.response().length - 1).max().orElse(1);
        if (longest > blockSize) {
            throw new IllegalArgumentException("rollout of " + (longest + 1) + " tokens exceeds block_size " + blockSize);
        }
        return new RolloutBatch(rows, TokenBatch.paddedLength(longest, blockSize), pad);
    }

    /** The given rows, same length T. */
    public RolloutBatch select(int[] indices) {
        List<Rollout> picked = new ArrayList<>(indices.length);
        for (int i : indices) {
            picked.add(rows.get(i));
        }
        return new RolloutBatch(picked, seqLen, pad);
    }

    public List<Rollout> rows() {
        return rows;
    }

    public int size() {
        return rows.size();
    }

    public int seqLen() {
        return seqLen;
    }

    public TokenBatch tokens() {
        return batch;
    }

    /** Response tokens in the batch, Σ L_b. */
    public int responseTokens() {
        return rows.stream().mapToInt(r -> r.response().length).sum();
    }

    /** Per-response values read from a per-position array [B*T] → [B][L_b]. */
    public double[][] ragged(double[] flat) {
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[rows.get(i).response().length];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = flat[i * seqLen + offsets[i] + j];
            }
        }
        return out;
    }

    /** The reverse of {@link #ragged}: [B][L_b] → [B*T] with zeros off the response tokens. */
    public double[] flat(double[][] perToken) {
        double[] out = new double[rows.size() * seqLen];
        for (int i = 0; i < perToken.length; i++) {
            for (int j = 0; j < perToken[i].length; j++) {
                out[i * seqLen + offsets[i] + j] = perToken[i][j];
            }
        }
        return out;
    }

    /** 1 on response tokens, 0 elsewhere, divided by the number of response tokens [B*T]. */
    public double[][] uniformWeights() {
        double w = 1.0 / responseTokens();
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[rows.get(i).response().length];
            Arrays.fill(out[i], w);
        }
        return out;
    }

    /** Next-token targets [B*T] (each position's following token; padding after a row's end). */
    public int[] targets() {
        return targets;
    }
}
