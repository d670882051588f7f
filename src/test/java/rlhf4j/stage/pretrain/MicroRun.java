package rlhf4j.stage.pretrain;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rlhf4j.cli.Train;

/** A micro pretraining config in a temp folder (seconds per run), and a way to run the CLI on it. */
public final class MicroRun {
    public final Path root;
    public final Path config;
    public final Path corpus;

    public MicroRun(Path root) throws IOException {
        this.root = root;
        this.corpus = root.resolve("corpus.txt");
        try (var in = MicroRun.class.getResourceAsStream("/corpus/tiny.txt")) {
            Files.write(corpus, in.readAllBytes());
        }
        this.config = root.resolve("micro.yaml");
        Files.writeString(config, String.join("\n",
                "run: {name: micro, out_dir: '" + root.resolve("ckpt") + "', seed: 7}",
                "model: {n_layer: 1, n_head: 2, n_embd: 16, block_size: 16}",
                "tokenizer: {vocab_size: 300}",
                "pretrain:",
                "  data: {train: ['" + corpus + "'], val_fraction: 0.1}",
                "  batch_size: 4",
                "  max_steps: 12",
                "  warmup_steps: 2",
                "  learning_rate: 1e-2",
                "  min_lr: 1e-3",
                "  eval_every: 6",
                "  eval_batches: 2",
                "  checkpoint_every: 4",
                "  log_every: 4",
                "  sample_tokens: 8",
                ""));
    }

    public Path stageDir(String runName) {
        return root.resolve("ckpt").resolve(runName).resolve("pretrain");
    }

    /** Exit code and stderr of one CLI call. */
    public record Result(int code, String err) {}

    public Result train(String... args) {
        StringWriter err = new StringWriter();
        int code = Train.run(new PrintWriter(err, true), args);
        return new Result(code, err.toString());
    }

    public Result pretrain(String... extra) {
        List<String> args = new ArrayList<>(List.of("pretrain", "--config", config.toString()));
        args.addAll(Arrays.asList(extra));
        return train(args.toArray(String[]::new));
    }
}
