package rlhf4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import rlhf4j.stage.label.LabelJob;
import rlhf4j.train.Preemption;

/** {@code ./train label}: the SFT model's answers to training prompts, ranked by a labeler, for the reward model. */
@Command(name = "label", description = "Sample K answers per prompt with the SFT model and rank them "
        + "(label.labeler: reference, human or command) into label/rankings.jsonl.")
final class LabelCommand implements Callable<Integer> {
    @Mixin
    StageOptions options;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        try (Preemption preemption = Preemption.install()) {
            LabelJob.run(options.load(), options.run(preemption), System.out);
        }
        return 0;
    }
}
