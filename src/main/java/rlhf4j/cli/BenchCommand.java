package rlhf4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ConfigLoader;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.train.Bench;
import rlhf4j.train.BenchProfile;

/** {@code ./train bench}: training and sampling throughput on random data, as JSON lines. */
@Command(name = "bench", description = "Time train steps and KV-cache sampling for the config's model shape (JSON lines).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "config giving model.*, tokenizer.vocab_size and bench.*")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config key (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--profile", description = "print where one training step's time goes (per op type, executor, outside the graph) and the sampling phases, instead of the JSON lines")
    boolean profile;

    @Option(names = "--top", paramLabel = "N", defaultValue = "20", description = "op types listed by --profile (default: ${DEFAULT-VALUE})")
    int top;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        ExperimentConfig c = ConfigLoader.load(config, overrides);
        if (c.bench().genPromptTokens() + c.bench().genTokens() > c.model().blockSize()) {
            throw new ConfigException(config + ": bench.gen_prompt_tokens + bench.gen_tokens ("
                    + c.bench().genPromptTokens() + " + " + c.bench().genTokens() + ") exceed model.block_size ("
                    + c.model().blockSize() + ")");
        }
        if (profile) {
            BenchProfile.run(c, top, System.out);
        } else {
            Bench.run(c, System.out);
        }
        return 0;
    }
}
