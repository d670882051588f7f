package rlhf4j.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Prompts laid out for one batched prefill: each cropped to its most recent tokens so that it and
 * {@code maxNew} answer tokens fit the context, then left-padded to the longest. Every prompt may
 * appear {@code copies} times in a row (one row per beam).
 *
 * @param cropped   the kept tokens of each row, [rows][≤ length]
 * @param length    P, the padded length
 * @param tokens    [rows * P] token ids, padding on the left
 * @param positions [rows * P] position ids, counting from each row's first real token
 * @param valid     [rows * P] 1 for a real token, 0 for padding
 */
record PromptBatch(List<int[]> cropped, int length, int[] tokens, int[] positions, int[] valid) {

    static PromptBatch of(List<int[]> prompts, int copies, int blockSize, int maxNew, int padToken) {
        int room = blockSize - maxNew;
        List<int[]> cropped = new ArrayList<>();
        int length = 1;
        for (int[] prompt : prompts) {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("empty prompt");
            }
            int[] kept = prompt.length > room ? Arrays.copyOfRange(prompt, prompt.length - room, prompt.length) : prompt;
            for (int c = 0; c < copies; c++) {
                cropped.add(kept);
            }
            length = Math.max(length, kept.length);
        }
        int rows = cropped.size();
        int[] tokens = new int[rows * length];
        int[] positions = new int[rows * length];
        int[] valid = new int[rows * length];
        for (int i = 0; i < rows; i++) {
            int[] prompt = cropped.get(i);
            int pad = length - prompt.length;
            for (int j = 0; j < length; j++) {
                boolean real = j >= pad;
                tokens[i * length + j] = real ? prompt[j - pad] : padToken;
                positions[i * length + j] = real ? j - pad : 0;
                valid[i * length + j] = real ? 1 : 0;
            }
        }
        return new PromptBatch(cropped, length, tokens, positions, valid);
    }
}
