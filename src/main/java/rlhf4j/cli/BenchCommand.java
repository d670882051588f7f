package rlhf4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import rlhf4j.bench.Bench;
import rlhf4j.bench.BenchProfile;
import rlhf4j.bench.PeerBench;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ConfigLoader;
import rlhf4j.config.ExperimentConfig;

/**
 * {@code ./train bench}: training and sampling throughput on random data, as JSON lines; {@code
 * --profile}: where a step's time goes; {@code --peer}: ours against the PyTorch peer, with ratios.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Time train steps and KV-cache sampling for the config's model shape (JSON lines).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "config giving model.*, tokenizer.vocab_size and bench.* (repeatable with --peer; required otherwise)")
    List<Path> configs = new ArrayList<>();

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config key (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--profile", description = "print where one training step's time goes (per op type, executor, outside the graph) and the sampling phases, instead of the JSON lines")
    boolean profile;

    @Option(names = "--top", paramLabel = "N", defaultValue = "20", description = "op types listed by --profile (default: ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--peer", description = "run ours and the PyTorch peer (bench/peer_torch.py) back to back, interleaved, on each --config (default: the three configs/bench shapes) and print the ratios")
    boolean peer;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "3", description = "rounds for --peer; the best of them counts (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--peer-script", paramLabel = "FILE", description = "the peer script, taking bench/peer_torch.py's arguments (default: bench/peer_torch.py here or in a parent directory)")
    Path peerScript;

    @Option(names = "--peer-threads", paramLabel = "N", defaultValue = "0", description = "threads for the peer (torch and its OpenBLAS); 0: PyTorch's defaults (default: ${DEFAULT-VALUE})")
    int peerThreads;

    @Option(names = "--peer-precision", paramLabel = "P", description = "the peer's precision: fp32, or bf16 (its matrix products under torch.autocast(\"cpu\", dtype=torch.bfloat16), weights and optimizer in FP32) (default: ours, model.precision)")
    String peerPrecision;

    @Option(names = "--python", paramLabel = "EXE", defaultValue = "/usr/bin/python3", description = "the Python that has torch (default: ${DEFAULT-VALUE})")
    String python;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        if (peer) {
            List<Path> files = configs.isEmpty() ? DEFAULT_SHAPES : configs;
            List<ExperimentConfig> loaded = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (Path file : files) {
                loaded.add(load(file));
                names.add(file.getFileName().toString().replaceFirst("^bench-", "").replaceFirst("\\.ya?ml$", ""));
            }
            if (peerPrecision == null) {
                peerPrecision = loaded.get(0).model().precision().name().toLowerCase(Locale.ROOT);
            }
            if (!peerPrecision.equals("fp32") && !peerPrecision.equals("bf16")) {
                throw new ConfigException("--peer-precision " + peerPrecision + ": give fp32 or bf16");
            }
            if (rounds < 1) {
                throw new ConfigException("--rounds must be at least 1, got " + rounds);
            }
            Path script = peerScript != null ? peerScript : PeerBench.findScript();
            if (script == null || !Files.isRegularFile(script)) {
                throw new ConfigException("peer script not found: run from the repository or pass --peer-script bench/peer_torch.py");
            }
            PeerBench.run(loaded, names, rounds, python, script, peerThreads, peerPrecision, System.out);
            return 0;
        }
        if (configs.size() != 1) {
            throw new ConfigException("give one --config (several only with --peer)");
        }
        ExperimentConfig c = load(configs.get(0));
        if (profile) {
            BenchProfile.run(c, top, System.out);
        } else {
            Bench.run(c, System.out);
        }
        return 0;
    }

    private static final List<Path> DEFAULT_SHAPES = List.of(Path.of("configs/bench/bench-0.4m.yaml"),
            Path.of("configs/bench/bench-3.7m.yaml"), Path.of("configs/bench/bench-12m.yaml"));

    private ExperimentConfig load(Path config) {
        ExperimentConfig c = ConfigLoader.load(config, overrides);
        if (c.bench().genPromptTokens() + c.bench().genTokens() > c.model().blockSize()) {
            throw new ConfigException(config + ": bench.gen_prompt_tokens + bench.gen_tokens ("
                    + c.bench().genPromptTokens() + " + " + c.bench().genTokens() + ") exceed model.block_size ("
                    + c.model().blockSize() + ")");
        }
        return c;
    }
}
