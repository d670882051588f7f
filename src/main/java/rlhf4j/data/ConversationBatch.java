package rlhf4j.data;

import java.util.List;
import rlhf4j.model.TokenBatch;
import rlhf4j.tokenizer.ChatTemplate;

/**
 * Rendered conversations as one right-padded batch: inputs are tokens 0..L−2, targets tokens
 * 1..L−1, and a target counts towards the loss only where the chat template's mask is 1. The
 * length T is the longest conversation rounded up to a multiple of 16 ({@link TokenBatch#paddedLength}). Packing several conversations into one
 * window is not supported: it would need a block-diagonal attention mask per row, and the grammar
 * examples are short enough that bucketing wastes little.
 *
 * @param batch      inputs [B*T] with padding marked invalid
 * @param targets    next tokens [B*T]
 * @param mask       1 where the target is trained on [B*T]
 * @param maskedIn   number of targets with mask 1
 */
public record ConversationBatch(TokenBatch batch, int[] targets, double[] mask, int maskedIn) {
    public static ConversationBatch of(List<ChatTemplate.Rendered> rows, int blockSize, int pad) {
        int longest = rows.stream().mapToInt(ChatTemplate.Rendered::length).max().orElse(2) - 1;
        int t = TokenBatch.paddedLength(longest, blockSize);
        int b = rows.size();
        int[] tokens = new int[b * t];
        int[] positions = new int[b * t];
        int[] valid = new int[b * t];
        int[] targets = new int[b * t];
        double[] mask = new double[b * t];
        int count = 0;
        for (int i = 0; i < b; i++) {
            int[] ids = rows.get(i).ids();
            int[] loss = rows.get(i).lossMask();
            for (int j = 0; j < t; j++) {
                int k = i * t + j;
                boolean real = j + 1 < ids.length;
                tokens[k] = real ? ids[j] : pad;
                positions[k] = j;
                valid[k] = real ? 1 : 0;
                targets[k] = real ? ids[j + 1] : pad;
                mask[k] = real ? loss[j + 1] : 0;
                count += (int) mask[k];
            }
        }
        return new ConversationBatch(new TokenBatch(b, t, tokens, positions, valid), targets, mask, count);
    }
}
