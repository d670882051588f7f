package rlhf4j.rollout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import rlhf4j.data.PromptExample;
import rlhf4j.train.Seeds;

/**
 * The training prompts in the order an RL stage (PPO, GRPO) visits them: epoch e is a permutation drawn from
 * Seeds.promptEpoch(seed, e), and step s takes positions s·B .. s·B + B − 1 of their concatenation. The position
 * follows from the step alone, so a resumed run sees the same prompts.
 */
public final class PromptStream {
    private final List<PromptExample> prompts;
    private final long seed;

    public PromptStream(List<PromptExample> prompts, long seed) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts");
        }
        this.prompts = List.copyOf(prompts);
        this.seed = seed;
    }

    /** The B prompts of step {@code step} (0-based). */
    public List<PromptExample> batch(int step, int b) {
        List<PromptExample> out = new ArrayList<>(b);
        long start = (long) step * b;
        int epoch = -1;
        List<Integer> order = null;
        for (long pos = start; pos < start + b; pos++) {
            int e = (int) (pos / prompts.size());
            if (e != epoch) {
                epoch = e;
                order = permutation(e);
            }
            out.add(prompts.get(order.get((int) (pos % prompts.size()))));
        }
        return out;
    }

    private List<Integer> permutation(int epoch) {
        List<Integer> order = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, Seeds.promptEpoch(seed, epoch));
        return order;
    }
}
