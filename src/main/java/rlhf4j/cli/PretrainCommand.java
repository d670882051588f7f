package rlhf4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import rlhf4j.train.Preemption;
import rlhf4j.stage.pretrain.PretrainJob;

/** {@code ./train pretrain}: tokenizer and GPT trained from raw text. */
@Command(name = "pretrain", description = "Train the tokenizer and a GPT on raw text (next-token prediction).")
final class PretrainCommand implements Callable<Integer> {
    @Mixin
    StageOptions options;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        try (Preemption preemption = Preemption.install()) {
            PretrainJob.run(options.load(), options.run(preemption), System.out);
        }
        return 0;
    }
}
