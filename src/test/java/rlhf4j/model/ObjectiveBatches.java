package rlhf4j.model;

import java.util.ArrayList;
import java.util.List;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutBatch;
import rlhf4j.tokenizer.Message;

/** The small batch and per-token arrays the whole-model objective tests (PPO, DPO, GRPO) check their gradients on. */
final class ObjectiveBatches {
    /** The tiny model those tests build: 1 layer, 2 heads, width 8, block 16, 13 tokens. */
    static final GptSpec SPEC = new GptSpec(1, 2, 8, 16, 13);

    private ObjectiveBatches() {}

    /** Four rollouts with prompts of 3, 1, 5, 2 tokens and responses of 4, 6, 2, 5 tokens; T = 16. */
    static RolloutBatch batch() {
        int[][] prompts = {{4, 5, 6}, {7}, {1, 2, 3, 4, 5}, {9, 10}};
        int[][] responses = {{8, 8, 2, 11}, {3, 1, 4, 1, 5, 9}, {12, 0}, {6, 6, 7, 7, 2}};
        List<Rollout> rows = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            rows.add(new Rollout(List.of(Message.user("p" + i)), prompts[i], responses[i],
                    new double[responses[i].length], true, null));
        }
        return RolloutBatch.of(rows, SPEC.blockSize(), 0);
    }

    /** Per-token values cycling through {@code pattern}, shaped like the responses. */
    static double[][] like(RolloutBatch b, double... pattern) {
        double[][] out = new double[b.size()][];
        int k = 0;
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[b.rows().get(i).response().length];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = pattern[k++ % pattern.length];
            }
        }
        return out;
    }

    /** The element-wise sum of two arrays of the same ragged shape. */
    static double[][] plus(double[][] a, double[][] b) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = new double[a[i].length];
            for (int j = 0; j < a[i].length; j++) {
                out[i][j] = a[i][j] + b[i][j];
            }
        }
        return out;
    }
}
