package rlhf4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import rlhf4j.config.ConfigLoader;
import rlhf4j.stage.pipeline.PipelineJob;
import rlhf4j.train.Preemption;

/** {@code ./train pipeline}: the stages in order ({@link rlhf4j.stage.pipeline.PipelineJob}), then the run's report. */
@Command(name = "pipeline", mixinStandardHelpOptions = true, description = "Run pretrain, sft, label, rm and the methods of pipeline.methods (ppo, dpo, grpo) in order, then write <out_dir>/<run>/report.html.")
final class PipelineCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "experiment YAML (e.g. configs/tiny.yaml)")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config key (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "continue a stage that stopped; finished stages are skipped either way")
    boolean resume;

    @Option(names = "--from", paramLabel = "STAGE", description = "run this stage (pretrain, sft, label, rm or one of pipeline.methods) and every later one again from scratch")
    String from;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        try (Preemption preemption = Preemption.install()) {
            PipelineJob.run(ConfigLoader.load(config, overrides), resume, from, preemption, System.out);
        }
        return 0;
    }
}
