package rlhf4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ConfigLoader;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.model.Engine;
import rlhf4j.train.Preemption;
import rlhf4j.train.RunOptions;

/** Options shared by the training jobs: the config file, overrides, resume and overwrite. */
final class StageOptions {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "experiment YAML (e.g. configs/tiny.yaml)")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config key, e.g. --set pretrain.max_steps=50 (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "continue the stopped run in the stage folder from its last checkpoint")
    boolean resume;

    @Option(names = "--overwrite", description = "start over even if the stage folder holds a checkpoint")
    boolean overwrite;

    @Option(names = "--accept-changes", description = "with --resume: continue although run.seed or the training data "
            + "changed since the checkpoint (the run then differs from an uninterrupted one)")
    boolean acceptChanges;

    @Option(names = "--stop-at-step", paramLabel = "N", description = "checkpoint and stop after step N, as if interrupted (resume later with --resume)")
    int stopAtStep;

    RunOptions run(Preemption preemption) {
        if (resume && overwrite) {
            throw new ConfigException("--resume and --overwrite contradict each other: --resume continues "
                    + "the run in the stage folder, --overwrite starts it over; give one of them");
        }
        if (stopAtStep < 0) {
            throw new ConfigException("--stop-at-step must be a step number >= 1 (0 = run to the end), got "
                    + stopAtStep);
        }
        return new RunOptions(resume, overwrite, stopAtStep, preemption, acceptChanges,
                Engine.launcher());
    }

    ExperimentConfig load() {
        return ConfigLoader.load(config, overrides);
    }
}
