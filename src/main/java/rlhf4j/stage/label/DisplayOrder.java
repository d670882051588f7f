package rlhf4j.stage.label;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The order in which the human labeler shows one task's answers. People favour the first answer they read, and the
 * SFT sampler's order is not random (the first sample is often the most likely one), so each task's answers are
 * shuffled before they are shown. The shuffle is a pure function of (seed, task id, K), so a reload, a second browser
 * tab and a restart of the stage all show the same task the same way, and going back to a ranked task shows the
 * answers where the person left them.
 *
 * <p>The HTTP API speaks in <em>display</em> indices (0 is the answer shown first); the journal stores <em>task</em>
 * indices (positions in {@link LabelTask#responses()}). {@link #toTask} and {@link #toDisplay} convert rankings
 * between the two.
 */
final class DisplayOrder {
    /** {@code shown[d]} is the task index of the answer shown at display position {@code d}. */
    private final int[] shown;
    /** {@code position[t]} is the display position of task answer {@code t}: the inverse of {@code shown}. */
    private final int[] position;

    private DisplayOrder(int[] shown) {
        this.shown = shown;
        this.position = new int[shown.length];
        for (int d = 0; d < shown.length; d++) {
            position[shown[d]] = d;
        }
    }

    /**
     * The display order of a task with {@code k} answers. The shuffle's randomness comes from SHA-256 of the seed and
     * the id, and the Fisher-Yates draws from a SplitMix64 stream written out here, so the order does not depend on
     * the JDK's {@code Random} implementations or on {@code String.hashCode}.
     */
    static DisplayOrder of(long seed, String id, int k) {
        long state = digest(seed, id);
        int[] shown = new int[k];
        for (int i = 0; i < k; i++) {
            shown[i] = i;
        }
        for (int i = k - 1; i > 0; i--) {
            state += 0x9E3779B97F4A7C15L;
            // the bias of a modulo over 2^63 values is far below anything a person could notice
            int j = (int) ((mix(state) >>> 1) % (i + 1));
            int t = shown[i];
            shown[i] = shown[j];
            shown[j] = t;
        }
        return new DisplayOrder(shown);
    }

    int size() {
        return shown.length;
    }

    /** The task index of the answer shown at display position {@code d}. */
    int taskIndex(int d) {
        return shown[d];
    }

    /** A ranking in display indices (best first) as the same ranking in task indices. */
    int[] toTask(int[] displayRanking) {
        int[] out = new int[displayRanking.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = shown[displayRanking[i]];
        }
        return out;
    }

    /** A ranking in task indices (best first, as the journal holds it) as the same ranking in display indices. */
    int[] toDisplay(int[] taskRanking) {
        int[] out = new int[taskRanking.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = position[taskRanking[i]];
        }
        return out;
    }

    @Override
    public String toString() {
        return "shown " + Arrays.toString(shown);
    }

    private static long digest(long seed, String id) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (int i = 7; i >= 0; i--) {
                sha.update((byte) (seed >>> (8 * i)));
            }
            byte[] h = sha.digest(id.getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (h[i] & 0xFF);
            }
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** SplitMix64's output function. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
