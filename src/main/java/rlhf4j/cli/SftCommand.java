package rlhf4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import rlhf4j.train.Preemption;
import rlhf4j.stage.sft.SftJob;

/** {@code ./train sft}: supervised fine-tuning with the loss on the assistant's tokens. */
@Command(name = "sft", description = "Fine-tune the pretrained model on prompt/completion conversations.")
final class SftCommand implements Callable<Integer> {
    @Mixin
    StageOptions options;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        try (Preemption preemption = Preemption.install()) {
            SftJob.run(options.load(), options.run(preemption), System.out);
        }
        return 0;
    }
}
