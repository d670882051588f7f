package rlhf4j.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import rlhf4j.tokenizer.Message;

/**
 * The train/validation split of the fine-tuning stages, decided by the prompt alone: the first 8 bytes of
 * SHA-256 over the prompt's turns (role, NUL, content, NUL each) as a fraction in [0, 1); below
 * {@code valFraction} is validation. The same rule as the SFT stage's ({@code SftExamples}; a test holds them
 * equal), so with the same prompts a larger fraction holds out a superset: the reward model's validation
 * prompts (0.1) include every prompt SFT held out (0.05).
 */
public final class PromptSplit {
    private PromptSplit() {
    }

    public static boolean isValidation(List<Message> prompt, double valFraction) {
        return fraction(key(prompt)) < valFraction;
    }

    /** The prompt's turns as one string: role, NUL, content, NUL for each. */
    static String key(List<Message> prompt) {
        StringBuilder sb = new StringBuilder();
        for (Message m : prompt) {
            sb.append(m.role()).append('\u0000').append(m.content()).append('\u0000');
        }
        return sb.toString();
    }

    /** The first 8 bytes of SHA-256(key), big-endian, top 53 bits as a fraction in [0, 1). */
    static double fraction(String key) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (h[i] & 0xFF);
            }
            return (v >>> 11) / (double) (1L << 53);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }
}
