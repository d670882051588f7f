package rlhf4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import rlhf4j.stage.dpo.DpoJob;
import rlhf4j.train.Preemption;

/** {@code ./train dpo}: direct preference optimisation of the SFT policy on the label stage's rankings or any pair file. */
@Command(name = "dpo", description = "Align the SFT policy to the rankings with DPO (no reward model, no sampling).")
final class DpoCommand implements Callable<Integer> {
    @Mixin
    StageOptions options;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        try (Preemption preemption = Preemption.install()) {
            DpoJob.run(options.load(), options.run(preemption), System.out);
        }
        return 0;
    }
}
