package rlhf4j.cli;

import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.stage.dpo.DpoJob;
import rlhf4j.stage.grpo.GrpoJob;
import rlhf4j.stage.label.LabelJob;
import rlhf4j.stage.ppo.PpoJob;
import rlhf4j.stage.pretrain.PretrainJob;
import rlhf4j.stage.rm.RmJob;
import rlhf4j.stage.sft.SftJob;
import rlhf4j.train.Preemption;
import rlhf4j.train.RunOptions;

/**
 * The stage commands, {@code ./train pretrain|sft|label|rm|ppo|dpo|grpo}: each loads the config with its overrides
 * ({@link StageOptions}), installs the signal handling that stops a run at the end of its step with a checkpoint,
 * and runs its stage's job.
 */
final class StageCommands {
    /** The stages in pipeline order, which is also their order in {@code ./train --help}. */
    static final List<String> ORDER = List.of("pretrain", "sft", "label", "rm", "ppo", "dpo", "grpo");

    /** A stage's job, as every stage's {@code run} method is shaped. */
    @FunctionalInterface
    interface Job {
        Object run(ExperimentConfig config, RunOptions options, PrintStream out);
    }

    /** The commands of this class, in {@link #ORDER}. */
    static List<CommandLine> commands() {
        return CommandLine.getCommandMethods(StageCommands.class, null).stream()
                .sorted(Comparator.comparingInt((Method m) -> ORDER.indexOf(m.getAnnotation(Command.class).name())))
                .map(CommandLine::new).toList();
    }

    private static int run(StageOptions options, Job job) {
        try (Preemption preemption = Preemption.install()) {
            ExperimentConfig config = options.load();
            job.run(config, options.run(preemption).at(config.model().precision()), System.out);
        }
        return 0;
    }

    @Command(name = "pretrain", mixinStandardHelpOptions = true, description = "Train the tokenizer and a GPT on raw text (next-token prediction).")
    static int pretrain(@Mixin StageOptions options, @Mixin VerboseOption verbose) {
        return run(options, PretrainJob::run);
    }

    @Command(name = "sft", mixinStandardHelpOptions = true, description = "Fine-tune the pretrained model on prompt/completion conversations.")
    static int sft(@Mixin StageOptions options, @Mixin VerboseOption verbose) {
        return run(options, SftJob::run);
    }

    @Command(name = "label", mixinStandardHelpOptions = true, description = "Sample K answers per prompt with the SFT model and rank them "
            + "(label.labeler: reference, sentiment, human or command) into label/rankings.jsonl.")
    static int label(@Mixin StageOptions options, @Mixin VerboseOption verbose) {
        return run(options, LabelJob::run);
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Train a reward model on rankings or preference pairs.")
    static int rm(@Mixin StageOptions options, @Mixin VerboseOption verbose) {
        return run(options, RmJob::run);
    }

    @Command(name = "ppo", mixinStandardHelpOptions = true, description = "Align the SFT policy to the reward model with PPO and a KL penalty.")
    static int ppo(@Mixin StageOptions options, @Mixin VerboseOption verbose) {
        return run(options, PpoJob::run);
    }

    @Command(name = "dpo", mixinStandardHelpOptions = true, description = "Align the SFT policy to the rankings with DPO (no reward model, no sampling).")
    static int dpo(@Mixin StageOptions options, @Mixin VerboseOption verbose) {
        return run(options, DpoJob::run);
    }

    @Command(name = "grpo", mixinStandardHelpOptions = true, description = "Align the SFT policy with GRPO: groups of answers per prompt, no value model.")
    static int grpo(@Mixin StageOptions options, @Mixin VerboseOption verbose) {
        return run(options, GrpoJob::run);
    }
}
