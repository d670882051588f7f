package rlhf4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
        SftJob.run(options.load(), options.run(), System.out);
        return 0;
    }
}
