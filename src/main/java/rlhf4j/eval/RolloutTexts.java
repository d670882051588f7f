package rlhf4j.eval;

import rlhf4j.rollout.Rollout;
import rlhf4j.tokenizer.BpeTokenizer;

/**
 * What a text judge sees of a rollout: the prompt as the last message's text (the turn being answered, as the label
 * stage's questions give it) and the answer decoded as {@link PolicyEval} decodes its answers, special tokens (the
 * end-of-turn one) skipped and surrounding space stripped.
 */
final class RolloutTexts {
    private RolloutTexts() {}

    static String prompt(Rollout r) {
        return r.prompt().get(r.prompt().size() - 1).content();
    }

    static String answer(BpeTokenizer tokenizer, Rollout r) {
        return tokenizer.decode(r.response(), true).strip();
    }
}
