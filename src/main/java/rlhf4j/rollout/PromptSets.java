package rlhf4j.rollout;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.data.PromptData;
import rlhf4j.data.PromptExample;
import rlhf4j.data.PromptSplit;
import rlhf4j.data.TaskFiles;
import rlhf4j.io.DataException;
import rlhf4j.train.DataFingerprint;

/**
 * The prompts an RL stage (PPO, GRPO) samples on, split into training and held-out prompts by a hash of the prompt
 * (the rule sft and rm use), with the fingerprint a resumed run checks them against.
 *
 * @param evalPrompts the first {@code eval_prompts} held-out prompts, answered at every evaluation
 */
public record PromptSets(Path file, List<PromptExample> all, List<PromptExample> train, List<PromptExample> val,
                         List<PromptExample> evalPrompts) {

    /** Reads {@code file} (built on first use when it is a task file) and splits it; both sides must be non-empty. */
    public static PromptSets read(String file, double valFraction, int evalPrompts, PrintStream out) {
        Path path = TaskFiles.ensure(Path.of(file), out);
        List<PromptExample> all = PromptData.read(path);
        List<PromptExample> train = new ArrayList<>();
        List<PromptExample> val = new ArrayList<>();
        for (PromptExample p : all) {
            (PromptSplit.isValidation(p.prompt(), valFraction) ? val : train).add(p);
        }
        if (train.isEmpty() || val.isEmpty()) {
            throw new DataException(path, "needs prompts for both training and evaluation (" + train.size()
                    + " and " + val.size() + " after the val_fraction split)");
        }
        return new PromptSets(path, all, train, val, val.subList(0, Math.min(val.size(), Math.max(1, evalPrompts))));
    }

    /** Every prompt's messages and reference, in order. */
    public String fingerprint() {
        DataFingerprint f = new DataFingerprint();
        for (PromptExample p : all) {
            p.prompt().forEach(m -> f.add((m.role() + "\u0000" + m.content()).codePoints().toArray()));
            f.add(p.reference() == null ? new int[] {-1} : p.reference().codePoints().toArray());
        }
        return f.hex();
    }
}
