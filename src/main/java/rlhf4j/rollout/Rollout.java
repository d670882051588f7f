package rlhf4j.rollout;

import java.io.Serializable;
import java.util.List;
import rlhf4j.tokenizer.Message;

/**
 * One sampled response: the prompt (as messages and as the token ids the policy saw), the response's
 * tokens (its end-of-turn token included when it ended one), the sampler's log-probability of each
 * response token under the temperature-scaled distribution, and whether the turn ended.
 *
 * @param reference the prompt's reference answer, or null
 */
public record Rollout(List<Message> prompt, int[] promptIds, int[] response, double[] samplerLogp, boolean stopped,
                      String reference) implements Serializable {
    public Rollout {
        if (promptIds.length == 0 || response.length == 0) {
            throw new IllegalArgumentException("a rollout needs a prompt and at least one response token");
        }
        if (samplerLogp.length != response.length) {
            throw new IllegalArgumentException("one sampler log-probability per response token");
        }
    }

    /** Prompt then response. */
    public int[] sequence() {
        int[] seq = new int[promptIds.length + response.length];
        System.arraycopy(promptIds, 0, seq, 0, promptIds.length);
        System.arraycopy(response, 0, seq, promptIds.length, response.length);
        return seq;
    }
}
