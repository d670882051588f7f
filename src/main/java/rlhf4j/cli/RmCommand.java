package rlhf4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import rlhf4j.train.Preemption;
import rlhf4j.stage.rm.RmJob;

/** {@code ./train rm}: a reward model trained on preference pairs with the pairwise ranking loss. */
@Command(name = "rm", description = "Train a reward model on preference pairs (prompt, chosen, rejected).")
final class RmCommand implements Callable<Integer> {
    @Mixin
    StageOptions options;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        try (Preemption preemption = Preemption.install()) {
            RmJob.run(options.load(), options.run(preemption), System.out);
        }
        return 0;
    }
}
