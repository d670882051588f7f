package rlhf4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rlhf4j.eval.RewardModel;
import rlhf4j.rollout.Rollout;
import rlhf4j.tokenizer.ChatTemplate;

/**
 * The frozen reward model as PPO's reward, and GRPO's with {@code grpo.reward: rm}: it scores the exact tokens the policy produced (no decode and
 * re-encode), laid out as in its training — prompt, response, {@code <|im_end|>} — and read at the
 * {@code <|im_end|>}; a response that ran out of tokens without ending its turn gets the
 * {@code <|im_end|>} appended for scoring (PPO then subtracts {@code missing_eos_penalty}). Scores are
 * normalised with the reward model's {@code reward_norm.json}.
 */
public final class RmReward implements RewardFunction {
    private final RewardModel model;
    private final int endOfTurn;
    private final int[] newline;

    public RmReward(RewardModel model) {
        this.model = model;
        this.endOfTurn = ChatTemplate.of(model.tokenizer()).endOfTurn();
        this.newline = model.tokenizer().encode("\n");
    }

    public RewardModel model() {
        return model;
    }

    @Override
    public double[] score(List<Rollout> rollouts) {
        List<ChatTemplate.Rendered> rows = new ArrayList<>(rollouts.size());
        for (Rollout r : rollouts) {
            int[] seq = r.sequence();
            int extra = (r.stopped() ? 0 : 1) + newline.length;
            int[] ids = Arrays.copyOf(seq, seq.length + extra);                    // [P + L (+1) + nl]
            int at = seq.length;
            if (!r.stopped()) {
                ids[at++] = endOfTurn;
            }
            System.arraycopy(newline, 0, ids, at, newline.length);
            rows.add(model.fit(new ChatTemplate.Rendered(ids, new int[ids.length])));
        }
        double[] raw = model.rawScoresFlat(rows);                                                 // [B]
        for (int i = 0; i < raw.length; i++) {
            raw[i] = model.norm().apply(raw[i]);
        }
        return raw;
    }
}
