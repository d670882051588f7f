package rlhf4j.stage.rm;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.RmConfig;
import rlhf4j.data.RankingData;
import rlhf4j.data.RowSkips;
import rlhf4j.data.TaskFiles;
import rlhf4j.eval.RankingMetrics;
import rlhf4j.eval.RewardModel;
import rlhf4j.eval.RewardNorm;
import rlhf4j.io.DataException;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptInit;
import rlhf4j.stage.Runners;
import rlhf4j.stage.label.LabelRankings;
import rlhf4j.train.DataFingerprint;
import rlhf4j.train.MemoryBudget;
import rlhf4j.train.ResumeState;
import rlhf4j.train.RunOptions;
import rlhf4j.train.StageDir;
import rlhf4j.train.StageLock;
import rlhf4j.train.StageRunner;
import rlhf4j.train.Trainer;

/**
 * {@code ./train rm}: trains a reward model on rankings (the label stage's, and ranking or preference pair
 * files; a pair is a ranking of two) with the ranking loss of {@link rlhf4j.loss.Losses#ranking}, writing
 * {@code checkpoints/<run>/rm/}. It starts from {@code rm.init_from} (default: the run's sft folder;
 * any GPT checkpoint will do, a pretrain one is noted) and adds a fresh score head unless that
 * checkpoint already has one. When training is done it fits the reward normalisation on the labeler's best
 * response of each training ranking ({@code reward_norm.json}; the checkpoint's {@code trainer_state.json} is written by its saves alone), and reports
 * pairwise accuracy, top-1 and Kendall τ on the training, validation and test rankings ({@code test_metrics.json}).
 */
public final class RmJob {
    public static final String STAGE = "rm";

    private RmJob() {}

    /** How the finished run scores: the training, validation and (optional) test pairs, normalised units. */
    public record Result(Trainer.Summary summary, RankingMetrics train, RankingMetrics val, RankingMetrics test,
                         RewardNorm norm) {}

    public static Result run(ExperimentConfig config, RunOptions options, PrintStream out) {
        try (StageLock lock = StageDir.prepare(config.run(), STAGE, options.resume(), options.overwrite())) {
            return run(config, options, out, lock.dir());
        }
    }

    /** The job proper, holding the lock of {@code dir}. */
    private static Result run(ExperimentConfig config, RunOptions options, PrintStream out, Path dir) {
        RmConfig cfg = config.rm();
        StageCheckpoint.Loaded previous = options.resume() ? StageCheckpoint.load(dir) : null;
        Path init = cfg.initFrom().isEmpty() ? StageDir.of(config.run(), "sft") : Path.of(cfg.initFrom());
        StageCheckpoint.Loaded base = previous != null ? previous : loadInit(init, out);
        StageDir.checkBlockSize(config.model().blockSize(), base.spec(), previous != null ? dir : init);
        Gpt gpt = new Gpt(base.spec(), base.params(), options.engine());
        if (!gpt.hasScoreHead()) {
            GptInit.addScoreHead(gpt.params(), base.spec(), gpt.dataType(), config.run().seed(), false);
        }
        RewardModel scorer = new RewardModel(gpt, base.tokenizer(), RewardNorm.identity());

        List<Path> files = trainFiles(config, out);
        RowSkips skips = new RowSkips(cfg.data().strict());
        RmGroups data = RmGroups.of(RankingData.read(files, skips), scorer, cfg.data().valFraction());
        skips.warning("rm.data.strict").ifPresent(out::println);
        String source = files.size() == 1 ? files.get(0).toString() : files.size() + " files";
        if (data.train().isEmpty() || data.val().isEmpty()) {
            throw new DataException(files.get(0), "needs rankings for both training and validation (" + data.train().size()
                    + " and " + data.val().size() + " after the val_fraction split" + (files.size() > 1
                    ? ", from " + files : "") + skips.note() + ")");
        }
        int widest = data.train().stream().mapToInt(g -> g.responses().size()).max().orElse(2);
        MemoryBudget.check(base.spec(), (long) widest * cfg.batchSize(), base.spec().blockSize(),
                "rm.batch_size");
        out.printf("data: %d training rankings (%d pairs) and %d validation rankings (%d pairs) from %s; "
                        + "%d truncated to block_size %d%s%n", data.train().size(), RmGroups.pairs(data.train()),
                data.val().size(), RmGroups.pairs(data.val()), source, data.truncated(), base.spec().blockSize(),
                data.withoutPairs() == 0 ? "" : "; " + data.withoutPairs() + " without a pair (all scores equal) skipped");

        DataFingerprint fingerprint = new DataFingerprint();
        for (List<RmGroups.Group> part : List.of(data.train(), data.val())) {
            for (RmGroups.Group g : part) {
                g.responses().forEach(r -> fingerprint.add(r.ids()));
                g.ranking().pairs().forEach(p -> fingerprint.add(new int[] {p.better(), p.worse()}).add(p.margin()));
            }
        }
        String dataSha = fingerprint.hex();
        if (previous != null) {
            ResumeState.checkData(dir, previous.trainerState(), dataSha, "rm.data.train", options.acceptChanges());
        }
        StageRunner.Start start = StageRunner.start(cfg, gpt, previous, out, dir, config.run().seed(), options.acceptChanges());
        RmTask task = new RmTask(scorer, data, cfg, config.run().seed());
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("init_from", previous != null ? previous.trainerState().path("init_from").asText(init.toString())
                : init.toString());
        extra.put("train_files", files.stream().map(Path::toString).toList());
        extra.put("train_rankings", data.train().size());
        extra.put("train_pairs", RmGroups.pairs(data.train()));
        extra.put("val_rankings", data.val().size());
        extra.put("val_pairs", RmGroups.pairs(data.val()));
        extra.put("truncated_rankings", data.truncated());
        extra.put("rankings_without_pairs", data.withoutPairs());
        Trainer.Summary summary = StageRunner.run(new StageRunner.Job(STAGE, dir, config, cfg, options,
                RmTask.COLUMNS, base.tokenizer(), start, extra, dataSha), task,
                Runners.microBatches(config, STAGE, start.gpt(), task), out);
        if (summary.steps() < cfg.maxSteps()) {
            out.printf("rm stopped: %d steps, loss %.4f, val accuracy %.1f%%, %s → %s%n", summary.steps(),
                    summary.lastLoss(), 100 * summary.lastEval().getOrDefault("val_accuracy", Double.NaN),
                    StageDir.duration(summary.seconds()), dir);
            return new Result(summary, null, null, null, RewardNorm.identity());
        }
        Result result = finish(summary, gpt, base, data, cfg, dir, out);
        out.printf("rm done: %d steps, loss %.4f; accuracy train %.1f%%, val %.1f%%%s; "
                        + "reward norm gain %.4f bias %+.4f; %d truncated, %s → %s%n",
                summary.steps(), summary.lastLoss(), 100 * result.train().accuracy(), 100 * result.val().accuracy(),
                result.test() == null ? "" : String.format(", test %.1f%% (%d pairs), top-1 %.1f%%, Kendall τ %.3f",
                        100 * result.test().accuracy(), result.test().pairs(), 100 * result.test().top1(),
                        result.test().kendallTau()),
                result.norm().gain(), result.norm().bias(), data.truncated(), StageDir.duration(summary.seconds()), dir);
        return result;
    }

    static StageCheckpoint.Loaded loadInit(Path init, PrintStream out) {
        if (!StageCheckpoint.existsToStartFrom(init)) {
            throw new ConfigException("rm.init_from: " + init + " holds no checkpoint nor Hugging Face GPT-2 folder "
                    + "(run ./train sft first, or set rm.init_from)");
        }
        StageCheckpoint.Loaded loaded = StageCheckpoint.loadToStartFrom(init);
        if (!List.of("sft", STAGE).contains(loaded.stage())) {
            out.printf("note: rm.init_from %s is a %s checkpoint, not sft; training the reward model from it%n",
                    init, loaded.stage());
        }
        return loaded;
    }

    /** The files {@code rm.data} names, the label stage's rankings first when {@code from_label}. */
    static List<Path> trainFiles(ExperimentConfig config, PrintStream out) {
        RmConfig cfg = config.rm();
        return LabelRankings.files(config, STAGE, cfg.data().fromLabel(), cfg.data().allowPartialLabel(),
                cfg.data().train(), out);
    }

    /**
     * Scoring after the last step: normalisation on the labeler's best response of each of the first
     * {@code norm_pairs} training rankings (all when 0), then the metrics on those, the validation and the test
     * rankings.
     */
    private static Result finish(Trainer.Summary summary, Gpt gpt, StageCheckpoint.Loaded base, RmGroups data,
                                 RmConfig cfg, Path dir, PrintStream out) {
        RewardModel raw = new RewardModel(gpt, base.tokenizer(), RewardNorm.identity());
        List<RmGroups.Group> normGroups = cfg.normPairs() > 0 && data.train().size() > cfg.normPairs()
                ? data.train().subList(0, cfg.normPairs()) : data.train();
        List<double[]> trainRaw = RmGroups.score(raw, normGroups);
        double[] best = new double[normGroups.size()];
        for (int i = 0; i < best.length; i++) {
            best[i] = trainRaw.get(i)[normGroups.get(i).ranking().best()];
        }
        RewardNorm norm = RewardNorm.fit(best, "the labeler's best responses of the " + best.length
                + " training rankings");
        RewardModel model = new RewardModel(gpt, base.tokenizer(), norm);
        RankingMetrics trainMetrics = RmGroups.metrics(normGroups, trainRaw, norm);
        RankingMetrics val = RmGroups.metrics(data.val(), RmGroups.score(model, data.val()), norm);
        RankingMetrics test = null;
        if (!cfg.data().test().isEmpty()) {
            Path testFile = TaskFiles.ensure(Path.of(cfg.data().test()), out);
            RowSkips testSkips = new RowSkips(cfg.data().strict());
            test = model.evaluate(RankingData.read(testFile, testSkips));
            testSkips.warning("rm.data.strict").ifPresent(out::println);
        }
        norm.write(dir);
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("train", trainMetrics.toMap());
        metrics.put("val", val.toMap());
        if (test != null) {
            metrics.put("test_file", cfg.data().test());
            metrics.put("test", test.toMap());
        }
        metrics.put("units", "loss and accuracy from raw scores; margin and reward statistics normalised");
        try {
            Json.write(dir.resolve(StageCheckpoint.TEST_METRICS), metrics);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(StageCheckpoint.TEST_METRICS), e);
        }
        return new Result(summary, trainMetrics, val, test, norm);
    }
}
