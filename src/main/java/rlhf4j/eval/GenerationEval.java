package rlhf4j.eval;

import java.util.ArrayList;
import java.util.List;
import rlhf4j.eval.judge.TextMetrics;
import rlhf4j.generate.Decoding;
import rlhf4j.generate.Sampler;
import rlhf4j.model.InferenceModel;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * Answers held-out prompts with the chat template and a {@link Decoding} (greedy or beam search), and
 * scores the answers against references: exact match and chrF.
 */
public final class GenerationEval {
    /** One prompt (a conversation ending with a user turn) and its reference answer. */
    public record Item(List<Message> prompt, String reference) {}

    /** One answer and its scores. */
    public record Answer(Item item, String output, boolean exact, double chrF) {}

    /** Mean scores over all answers. */
    public record Result(List<Answer> answers, double exactMatch, double chrF, double meanLength) {}

    private GenerationEval() {}

    public static Result run(InferenceModel model, BpeTokenizer tokenizer, List<Item> items, int batchSize,
                             int maxNewTokens, Decoding decoding) {
        ChatTemplate template = ChatTemplate.of(tokenizer);
        int pad = tokenizer.id(SpecialTokens.PAD);
        List<Answer> answers = new ArrayList<>();
        double tokens = 0;
        for (int from = 0; from < items.size(); from += batchSize) {
            List<Item> chunk = items.subList(from, Math.min(items.size(), from + batchSize));
            List<int[]> prompts = chunk.stream().map(i -> template.renderPrompt(i.prompt())).toList();
            List<Sampler.Generation> gens = decoding.answer(model, pad, prompts, maxNewTokens,
                    t -> t == template.endOfTurn());
            for (int i = 0; i < chunk.size(); i++) {
                String out = tokenizer.decode(gens.get(i).tokens(), true).strip();
                Item item = chunk.get(i);
                answers.add(new Answer(item, out, TextMetrics.exactMatch(out, item.reference()),
                        TextMetrics.chrF(out, item.reference())));
                tokens += gens.get(i).tokens().length;
            }
        }
        double em = answers.stream().mapToDouble(a -> a.exact() ? 1 : 0).average().orElse(0);
        double chrf = answers.stream().mapToDouble(Answer::chrF).average().orElse(0);
        return new Result(answers, em, chrf, answers.isEmpty() ? 0 : tokens / answers.size());
    }
}
