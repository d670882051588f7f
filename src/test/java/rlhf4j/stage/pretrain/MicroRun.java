package rlhf4j.stage.pretrain;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import rlhf4j.checkpoint.Json;
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

    /** Every file directly in {@code dir}, name to bytes, in name order: a folder compared byte for byte. */
    public static java.util.Map<String, byte[]> folderBytes(Path dir) throws IOException {
        java.util.Map<String, byte[]> out = new java.util.LinkedHashMap<>();
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                out.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    /** Copies the files of {@code from} into {@code to} (created). */
    public static void copyFolder(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (java.util.stream.Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
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

    /**
     * A two-step reward model of run {@code base} (block size 32) on {@link #prefRows} written as {@code prefs}: what
     * PPO tests score with.
     */
    public Result baseRm(Path prefs) throws IOException {
        Files.writeString(prefs, prefRows());
        return train("rm", "--config", config.toString(), "--set", "run.name=base", "--set", "model.block_size=32",
                "--set", "rm.init_from=" + stageDir("base"), "--set", "rm.data.train=" + prefs,
                "--set", "rm.data.from_label=false", "--set", "rm.data.val_fraction=0.25", "--set", "rm.data.test=",
                "--set", "rm.batch_size=4", "--set", "rm.max_steps=2", "--set", "rm.warmup_steps=1",
                "--set", "rm.eval_every=2", "--set", "rm.eval_pairs=4");
    }

    /** Sixteen "Repeat: the X" → "the X" SFT rows (JSONL). */
    public static String sftRows() {
        String[] words = {"river", "mill", "bridge", "water", "grain", "stone", "wheel", "cart", "flour", "book",
            "farm", "hill", "rain", "road", "salt", "town"};
        StringBuilder sb = new StringBuilder();
        for (String w : words) {
            sb.append("{\"prompt\": \"Repeat: the ").append(w).append("\", \"completion\": \"the ").append(w)
                    .append("\"}\n");
        }
        return sb.toString();
    }

    /** 32 preference rows: a greeting beats a rebuff (JSONL). */
    public static String prefRows() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            sb.append("{\"prompt\": \"Say hi ").append(i).append("\", \"chosen\": \"Hello there ").append(i)
                    .append("!\", \"rejected\": \"Go away ").append(i).append(".\"}\n");
        }
        return sb.toString();
    }

    /** The 32 prompts of {@link #prefRows} (JSONL), for PPO. */
    public static String promptRows() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            sb.append("{\"prompt\": \"Say hi ").append(i).append("\"}\n");
        }
        return sb.toString();
    }

    /** A micro pretrain and a reward model trained from it, with the prompts an RL stage samples on. */
    public record WordTask(MicroRun run, Path prompts, Path rm) {}

    /**
     * The task the RL job tests share: 40 prompts "Say a word i" with the reference "yes i", a pretrain of 4 steps
     * and a reward model of 3 steps that prefers "yes i" to "no" (seconds in all).
     */
    public static WordTask wordTask(Path root) throws IOException {
        MicroRun run = new MicroRun(root);
        Result r = run.pretrain("--set", "pretrain.max_steps=4", "--set", "model.block_size=48", "--set", "model.n_embd=32");
        if (r.code() != 0) {
            throw new IllegalStateException(r.err());
        }
        StringBuilder prefs = new StringBuilder();
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            prefs.append(Json.line(Map.of("prompt", "Say a word " + i, "chosen", "yes " + i,
                    "rejected", "no"))).append('\n');
            prompts.append(Json.line(Map.of("prompt", "Say a word " + i, "completion",
                    "yes " + i))).append('\n');
        }
        Path prefFile = Files.writeString(root.resolve("prefs.jsonl"), prefs.toString());
        Path promptFile = Files.writeString(root.resolve("prompts.jsonl"), prompts.toString());
        r = run.train("rm", "--config", run.config.toString(), "--set", "rm.init_from=" + run.stageDir("micro"),
                "--set", "rm.data.train=" + prefFile, "--set", "rm.data.from_label=false",
                "--set", "rm.data.val_fraction=0.25", "--set", "rm.data.test=", "--set", "rm.batch_size=4",
                "--set", "rm.max_steps=3", "--set", "rm.warmup_steps=1", "--set", "rm.eval_every=3",
                "--set", "rm.eval_pairs=8");
        if (r.code() != 0) {
            throw new IllegalStateException(r.err());
        }
        return new WordTask(run, promptFile, root.resolve("ckpt/micro/rm"));
    }
}
