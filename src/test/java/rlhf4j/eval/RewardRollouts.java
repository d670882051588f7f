package rlhf4j.eval;

import java.util.Arrays;
import java.util.List;
import rlhf4j.rollout.Rollout;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;

/** Rollouts for the reward tests: byte-level tokens, each response ended with {@code <|im_end|>}. */
final class RewardRollouts {
    static final BpeTokenizer TOKENIZER = BpeTokenizer.byteLevel(SpecialTokens.DEFAULT);

    private RewardRollouts() {}

    /** A finished turn answering {@code prompt} (the last of a system and a user message) with {@code answer}. */
    static Rollout rollout(String prompt, String answer, String reference) {
        List<Message> messages = List.of(Message.system("Be brief."), Message.user(prompt));
        int[] text = TOKENIZER.encode(answer);
        int[] response = Arrays.copyOf(text, text.length + 1);
        response[text.length] = TOKENIZER.id(SpecialTokens.IM_END);
        return new Rollout(messages, TOKENIZER.encode(prompt), response, new double[response.length], true, reference);
    }
}
