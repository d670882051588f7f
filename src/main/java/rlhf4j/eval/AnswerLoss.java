package rlhf4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rlhf4j.model.Gpt;
import rlhf4j.rollout.PolicyPasses;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutBatch;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * How natural answers read to the frozen pretrained model: the mean negative log-likelihood per token of each
 * answer following its prompt written as plain text ({@code <|endoftext|>} prompt, a space, the answer; no chat
 * template, which the pretrained model never saw). A policy that games its reward model with word salad raises it
 * even where its judge is fooled. Answers are scored in batches; empty answers are left out.
 */
public final class AnswerLoss {
    private static final int BATCH = 32;

    private AnswerLoss() {}

    /** Nats per answer token pooled over {@code answers} (prompts[i] answered by answers[i]); NaN when none is scored. */
    public static double of(Gpt pretrained, BpeTokenizer tokenizer, List<String> prompts, List<String> answers) {
        int blockSize = pretrained.spec().blockSize();
        int bos = tokenizer.id(SpecialTokens.ENDOFTEXT);
        List<Rollout> rows = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            if (answers.get(i).isBlank()) {
                continue;
            }
            int[] answer = tokenizer.encode(" " + answers.get(i).strip());
            int[] text = tokenizer.encode(prompts.get(i).strip());
            int keep = Math.max(1, Math.min(text.length + 1, blockSize - answer.length));
            if (answer.length >= blockSize) {
                answer = Arrays.copyOf(answer, blockSize - 1);
                keep = 1;
            }
            int[] prompt = new int[keep];                                  // <|endoftext|> and the prompt's last tokens
            prompt[0] = bos;
            System.arraycopy(text, text.length - (keep - 1), prompt, 1, keep - 1);
            rows.add(new Rollout(List.of(), prompt, answer, new double[answer.length], true, null));
        }
        double nats = 0;
        long tokens = 0;
        for (int from = 0; from < rows.size(); from += BATCH) {
            List<Rollout> chunk = rows.subList(from, Math.min(rows.size(), from + BATCH));
            RolloutBatch batch = RolloutBatch.of(chunk, blockSize, bos);
            double[][] logp = PolicyPasses.logProbs(pretrained, batch, 1.0);                    // [B][L_b]
            for (double[] row : logp) {
                for (double lp : row) {
                    nats -= lp;
                    tokens++;
                }
            }
        }
        return tokens == 0 ? Double.NaN : nats / tokens;
    }
}
