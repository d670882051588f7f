package rlhf4j.stage.sft;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.EvalConfig;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.SftConfig;
import rlhf4j.data.PromptData;
import rlhf4j.data.RowSkips;
import rlhf4j.data.SftData;
import rlhf4j.data.SftExample;
import rlhf4j.data.TaskFiles;
import rlhf4j.eval.CopyBaseline;
import rlhf4j.eval.GenerationEval;
import rlhf4j.generate.Decoding;
import rlhf4j.io.DataException;
import rlhf4j.model.Gpt;
import rlhf4j.stage.Runners;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.train.DataFingerprint;
import rlhf4j.train.MemoryBudget;
import rlhf4j.train.ResumeState;
import rlhf4j.train.RunOptions;
import rlhf4j.train.StageDir;
import rlhf4j.train.StageLock;
import rlhf4j.train.StageRunner;
import rlhf4j.train.Trainer;

/**
 * {@code ./train sft}: fine-tunes the previous stage's model on conversations with the loss on the
 * assistant's tokens only, writing {@code checkpoints/<run>/sft/}. Model shape and tokenizer come
 * from {@code sft.init_from} (default: the run's pretrain folder). At the end the test file is
 * answered greedily and scored (exact match, chrF) into {@code test_metrics.json}.
 */
public final class SftJob {
    public static final String STAGE = "sft";

    private SftJob() {}

    public static Trainer.Summary run(ExperimentConfig config, RunOptions options, PrintStream out) {
        try (StageLock lock = StageDir.prepare(config.run(), STAGE, options.resume(), options.overwrite())) {
            return run(config, options, out, lock.dir());
        }
    }

    /** The job proper, holding the lock of {@code dir}. */
    private static Trainer.Summary run(ExperimentConfig config, RunOptions options, PrintStream out, Path dir) {
        SftConfig cfg = config.sft();
        StageCheckpoint.Loaded previous = options.resume() ? StageCheckpoint.load(dir) : null;
        Path init = cfg.initFrom().isEmpty() ? StageDir.of(config.run(), "pretrain") : Path.of(cfg.initFrom());
        StageCheckpoint.Loaded base = previous != null ? previous : loadInit(init);
        StageDir.checkBlockSize(config.model().blockSize(), base.spec(), previous != null ? dir : init);
        MemoryBudget.check(base.spec(), cfg.batchSize(), base.spec().blockSize(), "sft.batch_size");
        Path trainFile = TaskFiles.ensure(Path.of(cfg.data().train()), out);
        ChatTemplate template = ChatTemplate.of(base.tokenizer());
        RowSkips skips = new RowSkips(cfg.data().strict());
        List<SftExample> extraRows = new ArrayList<>();
        for (String f : cfg.data().trainExtra()) {
            extraRows.addAll(SftData.read(TaskFiles.ensure(Path.of(f), out), skips));
        }
        SftExamples data = SftExamples.of(SftData.read(trainFile, skips), extraRows, template, base.spec().blockSize(),
                cfg.data().valFraction(), skips);
        skips.warning("sft.data.strict").ifPresent(out::println);
        if (data.train().isEmpty() || data.val().isEmpty()) {
            throw new DataException(trainFile, "needs rows for both training and validation (" + data.train().size()
                    + " and " + data.val().size() + " after the val_fraction split" + skips.note() + ")");
        }
        out.printf("data: %d training and %d validation conversations from %s%s; %d truncated to block_size %d%n",
                data.train().size(), data.val().size(), trainFile, extraRows.isEmpty() ? ""
                        : " (" + extraRows.size() + " of the training ones from " + String.join(", ", cfg.data().trainExtra())
                        + ")", data.truncated(), base.spec().blockSize());

        Gpt gpt = new Gpt(base.spec(), base.params(), options.engine());
        DataFingerprint fingerprint = new DataFingerprint();
        for (List<ChatTemplate.Rendered> part : List.of(data.train(), data.val())) {
            part.forEach(r -> fingerprint.add(r.ids()).add(r.lossMask()));
        }
        String dataSha = fingerprint.hex();
        if (previous != null) {
            ResumeState.checkData(dir, previous.trainerState(), dataSha, "sft.data.train", options.acceptChanges());
        }
        StageRunner.Start start = StageRunner.start(cfg, gpt, previous, out, dir, config.run().seed(), options.acceptChanges());
        SftTask task = new SftTask(gpt, base.tokenizer(), data, cfg, config.eval().decoding(config.run().seed()), config.run().seed());
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("init_from", init.toString());
        extra.put("train_rows", data.train().size());
        extra.put("val_rows", data.val().size());
        extra.put("truncated_rows", data.truncated());
        extra.put("dropped_rows", data.dropped());
        Trainer.Summary summary = StageRunner.run(new StageRunner.Job(STAGE, dir, config, cfg, options,
                List.of("val_loss", "exact_match", "chrf"), base.tokenizer(), start, extra, dataSha), task,
                Runners.microBatches(config, STAGE, start.gpt(), task), out);
        String test = "";
        if (summary.steps() == cfg.maxSteps() && !cfg.data().test().isEmpty()) {
            test = testEval(gpt, base, Path.of(cfg.data().test()), cfg, config.eval(), config.run().seed(), dir,
                    out);
        }
        out.printf("sft %s: %d steps, loss %.4f, val loss %.4f, val exact match %.1f%%, val chrF %.1f%s, %d truncated, %s → %s%n",
                summary.steps() == cfg.maxSteps() ? "done" : "stopped", summary.steps(), summary.lastLoss(),
                summary.lastEval().getOrDefault("val_loss", Double.NaN),
                100 * summary.lastEval().getOrDefault("exact_match", Double.NaN),
                summary.lastEval().getOrDefault("chrf", Double.NaN), test, data.truncated(),
                StageDir.duration(summary.seconds()), dir);
        return summary;
    }

    static StageCheckpoint.Loaded loadInit(Path init) {
        if (!StageCheckpoint.existsToStartFrom(init)) {
            throw new ConfigException("sft.init_from: " + init + " holds no checkpoint nor Hugging Face GPT-2 folder "
                    + "(run ./train pretrain first, or set sft.init_from)");
        }
        return StageCheckpoint.loadToStartFrom(init);
    }

    private static String testEval(Gpt gpt, StageCheckpoint.Loaded base, Path testFile, SftConfig cfg,
                                   EvalConfig eval, long seed, Path dir, PrintStream out) {
        Decoding decoding = eval.decoding(seed);
        CopyBaseline copy = new CopyBaseline(eval.copyPrefix());
        List<GenerationEval.Item> items = PromptData.read(TaskFiles.ensure(testFile, out)).stream()
                .filter(p -> p.reference() != null)
                .map(p -> new GenerationEval.Item(p.prompt(), p.reference())).toList();
        GenerationEval.Result r = GenerationEval.run(gpt.decoder(), base.tokenizer(),
                items, 32, cfg.maxNewTokens(), decoding);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("file", testFile.toString());
        json.put("decoding", decoding.label());
        json.put("prompts", items.size());
        json.put("exact_match", r.exactMatch());
        json.put("chrf", r.chrF());
        json.put("mean_response_tokens", r.meanLength());
        Optional<CopyBaseline.Scores> baseline = copy.score(items);
        baseline.ifPresent(b -> json.put("copy_baseline", b.toMap()));
        try {
            Json.write(dir.resolve(StageCheckpoint.TEST_METRICS), json);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(StageCheckpoint.TEST_METRICS), e);
        }
        return String.format("; test (%d prompts): exact match %.1f%%, chrF %.1f", items.size(), 100 * r.exactMatch(),
                r.chrF()) + baseline.map(b -> String.format(" (copying the input: %.1f%%, %.1f)", 100 * b.exactMatch(),
                b.chrF())).orElse("");
    }
}
