package rlhf4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import rlhf4j.stage.grpo.GrpoJob;
import rlhf4j.train.Preemption;

/** {@code ./train grpo}: GRPO from the SFT policy, rewarded by the reward model, a judge or a command. */
@Command(name = "grpo", description = "Align the SFT policy with GRPO: groups of answers per prompt, no value model.")
final class GrpoCommand implements Callable<Integer> {
    @Mixin
    StageOptions options;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        try (Preemption preemption = Preemption.install()) {
            GrpoJob.run(options.load(), options.run(preemption), System.out);
        }
        return 0;
    }
}
