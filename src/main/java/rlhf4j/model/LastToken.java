package rlhf4j.model;

/**
 * Where a reward model's score is read in a right-padded batch: the scalar head's value at each
 * sequence's last non-padding position.
 */
public final class LastToken {
    private LastToken() {}

    /** Index of the last valid position of each row [B]; every row must hold at least one valid token. */
    public static int[] indices(TokenBatch batch) {
        int b = batch.batch();
        int t = batch.seqLen();
        int[] last = new int[b];
        for (int i = 0; i < b; i++) {
            last[i] = -1;
            for (int j = 0; j < t; j++) {
                if (batch.keyValid() == null || batch.keyValid()[i * t + j] != 0) {
                    last[i] = j;
                }
            }
            if (last[i] < 0) {
                throw new IllegalArgumentException("row " + i + " of the batch holds no token");
            }
        }
        return last;
    }

    /** The scalar head's values [B*T] read at each row's last non-padding token: the sequence scores [B]. */
    public static double[] scores(double[] values, TokenBatch batch) {
        int[] last = indices(batch);
        double[] out = new double[last.length];
        for (int i = 0; i < last.length; i++) {
            out[i] = values[i * batch.seqLen() + last[i]];
        }
        return out;
    }

    /** The reverse of {@link #scores}: a derivative per sequence [B] placed at its last token, zeros elsewhere [B*T]. */
    public static double[] spread(double[] perSequence, TokenBatch batch) {
        int[] last = indices(batch);
        double[] out = new double[batch.batch() * batch.seqLen()];
        for (int i = 0; i < last.length; i++) {
            out[i * batch.seqLen() + last[i]] = perSequence[i];
        }
        return out;
    }
}
