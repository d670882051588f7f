package rlhf4j.stage.pretrain;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.PretrainConfig;
import rlhf4j.data.DefaultCorpus;
import rlhf4j.data.Document;
import rlhf4j.data.TextCorpus;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptInit;
import rlhf4j.model.GptSpec;
import rlhf4j.stage.Runners;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;
import rlhf4j.train.DataFingerprint;
import rlhf4j.train.MemoryBudget;
import rlhf4j.train.ResumeState;
import rlhf4j.train.RunOptions;
import rlhf4j.train.StageDir;
import rlhf4j.train.StageLock;
import rlhf4j.train.StageRunner;
import rlhf4j.train.Trainer;

/**
 * {@code ./train pretrain}: trains the byte-level BPE tokenizer on the corpus, then a GPT on
 * next-token prediction, writing {@code checkpoints/<run>/pretrain/}. With {@code resume} it
 * continues a stopped run exactly where its last checkpoint left off.
 */
public final class PretrainJob {
    public static final String STAGE = "pretrain";

    private PretrainJob() {}

    public static Trainer.Summary run(ExperimentConfig config, RunOptions options, PrintStream out) {
        try (StageLock lock = StageDir.prepare(config.run(), STAGE, options.resume(), options.overwrite())) {
            return run(config, options, out, lock.dir());
        }
    }

    /** The job proper, holding the lock of {@code dir}. */
    private static Trainer.Summary run(ExperimentConfig config, RunOptions options, PrintStream out, Path dir) {
        boolean resume = options.resume();
        PretrainConfig cfg = config.pretrain();
        StageCheckpoint.Loaded previous = resume ? StageCheckpoint.load(dir) : null;
        MemoryBudget.check(config.model().spec(config.tokenizer().vocabSize()), cfg.batchSize(), config.model().blockSize(),
                "pretrain.batch_size");
        List<Path> paths = DefaultCorpus.ensure(cfg.data().train(), DefaultCorpus.DEFAULT_ROOT);
        List<Document> docs = TextCorpus.read(paths);
        long bytes = docs.stream().mapToLong(d -> d.text().length()).sum();

        BpeTokenizer tokenizer;
        if (previous != null) {
            tokenizer = previous.tokenizer();
            com.fasterxml.jackson.databind.JsonNode was = previous.trainerState().path("config").path("tokenizer")
                    .path("vocab_size");
            if (was.canConvertToInt() && was.asInt() != config.tokenizer().vocabSize()) {
                throw new ConfigException("tokenizer.vocab_size: the config asks for " + config.tokenizer().vocabSize()
                        + " but the tokenizer in " + dir + " was trained for " + was.asInt() + "; resume with the "
                        + "same tokenizer.vocab_size (or start over with --overwrite)");
            }
        } else {
            long t0 = System.nanoTime();
            tokenizer = BpeTokenizer.train(docs.stream().map(Document::text).toList(),
                    config.tokenizer().vocabSize(), SpecialTokens.DEFAULT);
            out.printf("tokenizer: %d tokens trained on %d documents (%.1f MB) in %.1f s%n", tokenizer.vocabSize(),
                    docs.size(), bytes / 1e6, (System.nanoTime() - t0) / 1e9);
        }
        GptSpec spec = config.model().spec(tokenizer.vocabSize());
        TokenSplit split = TokenSplit.of(docs, tokenizer, cfg.data().valFraction(), spec.blockSize());
        out.printf("data: %,d training tokens, %,d held-out tokens; model: %,d parameters%n",
                split.train().length, split.val().length, spec.paramCount());

        Gpt gpt;
        if (previous != null) {
            if (!previous.spec().equals(spec)) {
                throw new ConfigException("model: the config asks for " + spec + " but " + dir + " holds "
                        + previous.spec() + "; resume with the same model.* settings");
            }
            gpt = new Gpt(spec, previous.params(), options.engine());
        } else {
            gpt = new Gpt(spec, GptInit.init(spec, DataType.FLOAT, config.run().seed(),
                    config.model().initStd()), options.engine());
        }
        String dataSha = new DataFingerprint().add(split.train()).add(split.val()).hex();
        if (previous != null) {
            ResumeState.checkData(dir, previous.trainerState(), dataSha, "pretrain.data.train", options.acceptChanges());
        }
        StageRunner.Start start = StageRunner.start(cfg, gpt, previous, out, dir, config.run().seed(), options.acceptChanges());
        PretrainTask task = new PretrainTask(gpt, tokenizer, split, cfg, config.run().seed());
        Map<String, Object> extraState = Map.of("train_tokens", split.train().length, "val_tokens", split.val().length);
        Trainer.Summary summary = StageRunner.run(new StageRunner.Job(STAGE, dir, config, cfg, options,
                List.of("val_loss", "val_bpb"), tokenizer, start, extraState, dataSha), task,
                Runners.microBatches(config, STAGE, start.gpt(), task), out);
        out.printf("pretrain %s: %d steps, loss %.4f, val loss %.4f, val bpb %.4f, %.0f tokens/s, %s → %s%n",
                summary.steps() == cfg.maxSteps() ? "done" : "stopped", summary.steps(), summary.lastLoss(),
                summary.lastEval().getOrDefault("val_loss", Double.NaN),
                summary.lastEval().getOrDefault("val_bpb", Double.NaN), summary.tokensPerSecond(),
                StageDir.duration(summary.seconds()), dir);
        return summary;
    }
}
