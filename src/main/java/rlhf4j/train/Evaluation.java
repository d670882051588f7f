package rlhf4j.train;

import java.util.List;
import java.util.Map;

/** What a stage measures on held-out data during training, for the loop to log and show. */
public interface Evaluation {
    /** Held-out metrics after {@code step} optimizer steps (e.g. {@code val_loss}, {@code val_reward}). */
    Map<String, Double> evaluate(int step);

    /** Generations on the fixed prompts, as lines for {@code samples.txt} and the console. */
    List<String> samples(int step);
}
