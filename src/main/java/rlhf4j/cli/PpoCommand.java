package rlhf4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import rlhf4j.train.Preemption;
import rlhf4j.stage.ppo.PpoJob;

/** {@code ./train ppo}: PPO with a KL penalty against the SFT policy, rewarded by the reward model. */
@Command(name = "ppo", description = "Align the SFT policy to the reward model with PPO and a KL penalty.")
final class PpoCommand implements Callable<Integer> {
    @Mixin
    StageOptions options;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        try (Preemption preemption = Preemption.install()) {
            PpoJob.run(options.load(), options.run(preemption), System.out);
        }
        return 0;
    }
}
