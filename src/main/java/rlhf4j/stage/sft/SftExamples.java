package rlhf4j.stage.sft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rlhf4j.data.PromptSplit;
import rlhf4j.data.RowSkips;
import rlhf4j.data.SftExample;
import rlhf4j.eval.GenerationEval;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;

/**
 * The SFT rows rendered with the chat template and split into training and validation by a hash
 * of the prompt ({@link PromptSplit}, shared with the reward model); rows of the extra training files
 * ({@code sft.data.train_extra}) always train. Truncation policy: a conversation longer than block_size + 1 tokens keeps its
 * first block_size + 1 tokens (the prompt stays whole, the end of the answer is cut); such rows are
 * counted. A row whose prompt alone fills the context keeps no answer token to learn from: it goes to
 * the stage's {@link RowSkips} (skipped and counted, or an error with a strict data section).
 */
public record SftExamples(List<ChatTemplate.Rendered> train, List<ChatTemplate.Rendered> val,
                          List<GenerationEval.Item> valPrompts, int truncated, int dropped) {

    public static SftExamples of(List<SftExample> rows, ChatTemplate template, int blockSize, double valFraction) {
        return of(rows, List.of(), template, blockSize, valFraction, new RowSkips(false));
    }

    /** As {@link #of(List, ChatTemplate, int, double)}, with {@code extra} rows that always train, never validate. */
    public static SftExamples of(List<SftExample> rows, List<SftExample> extra, ChatTemplate template, int blockSize,
                                 double valFraction, RowSkips skips) {
        List<ChatTemplate.Rendered> train = new ArrayList<>();
        List<ChatTemplate.Rendered> val = new ArrayList<>();
        List<GenerationEval.Item> valPrompts = new ArrayList<>();
        int truncated = 0;
        int dropped = 0;
        List<SftExample> all = new ArrayList<>(rows);
        all.addAll(extra);
        for (int i = 0; i < all.size(); i++) {
            SftExample row = all.get(i);
            ChatTemplate.Rendered r = template.render(row.messages());
            if (r.length() > blockSize + 1) {
                r = new ChatTemplate.Rendered(Arrays.copyOf(r.ids(), blockSize + 1), Arrays.copyOf(r.lossMask(), blockSize + 1));
                truncated++;
                if (Arrays.stream(r.lossMask()).allMatch(m -> m == 0)) {
                    skips.skip(row.source(), row.line(), "the prompt fills block_size " + blockSize);
                    dropped++;
                    continue;
                }
            }
            List<Message> prompt = row.messages().subList(0, row.messages().size() - 1);
            if (i < rows.size() && PromptSplit.isValidation(prompt, valFraction)) {
                val.add(r);
                valPrompts.add(new GenerationEval.Item(prompt, row.messages().get(row.messages().size() - 1).content()));
            } else {
                train.add(r);
            }
        }
        return new SftExamples(train, val, valPrompts, truncated - dropped, dropped);
    }
}
