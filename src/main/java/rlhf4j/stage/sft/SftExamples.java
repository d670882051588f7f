package rlhf4j.stage.sft;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rlhf4j.data.Message;
import rlhf4j.data.SftExample;
import rlhf4j.eval.GenerationEval;
import rlhf4j.tokenizer.ChatTemplate;

/**
 * The SFT rows rendered with the chat template and split into training and validation by a hash
 * of the prompt. Truncation policy: a conversation longer than block_size + 1 tokens keeps its
 * first block_size + 1 tokens (the prompt stays whole, the end of the answer is cut); such rows are
 * counted.
 */
public record SftExamples(List<ChatTemplate.Rendered> train, List<ChatTemplate.Rendered> val,
                          List<GenerationEval.Item> valPrompts, int truncated) {

    public static SftExamples of(List<SftExample> rows, ChatTemplate template, int blockSize, double valFraction) {
        List<ChatTemplate.Rendered> train = new ArrayList<>();
        List<ChatTemplate.Rendered> val = new ArrayList<>();
        List<GenerationEval.Item> valPrompts = new ArrayList<>();
        int truncated = 0;
        for (SftExample row : rows) {
            ChatTemplate.Rendered r = template.render(row.messages());
            if (r.length() > blockSize + 1) {
                r = new ChatTemplate.Rendered(Arrays.copyOf(r.ids(), blockSize + 1), Arrays.copyOf(r.lossMask(), blockSize + 1));
                truncated++;
            }
            List<Message> prompt = row.messages().subList(0, row.messages().size() - 1);
            if (isValidation(promptKey(prompt), valFraction)) {
                val.add(r);
                valPrompts.add(new GenerationEval.Item(prompt, row.messages().get(row.messages().size() - 1).content()));
            } else {
                train.add(r);
            }
        }
        return new SftExamples(train, val, valPrompts, truncated);
    }

    private static String promptKey(List<Message> prompt) {
        StringBuilder sb = new StringBuilder();
        for (Message m : prompt) {
            sb.append(m.role()).append('\u0000').append(m.content()).append('\u0000');
        }
        return sb.toString();
    }

    /** Deterministic: the first 8 bytes of SHA-256(key) as a fraction in [0, 1) below valFraction. */
    static boolean isValidation(String key, double valFraction) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (h[i] & 0xFF);
            }
            double u = (v >>> 11) / (double) (1L << 53);
            return u < valFraction;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
