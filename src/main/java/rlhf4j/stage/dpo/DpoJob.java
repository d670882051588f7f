package rlhf4j.stage.dpo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.DpoConfig;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.data.RankingData;
import rlhf4j.data.RowSkips;
import rlhf4j.eval.PolicyTestEval;
import rlhf4j.eval.judge.GoldJudges;
import rlhf4j.eval.judge.Judge;
import rlhf4j.io.DataException;
import rlhf4j.stage.Runners;
import rlhf4j.stage.label.LabelRankings;
import rlhf4j.tokenizer.SpecialTokens;
import rlhf4j.train.DataFingerprint;
import rlhf4j.train.MemoryBudget;
import rlhf4j.train.PolicyAndReference;
import rlhf4j.train.ResumeState;
import rlhf4j.train.RunOptions;
import rlhf4j.train.StageDir;
import rlhf4j.train.StageLock;
import rlhf4j.train.StageRunner;
import rlhf4j.train.Trainer;

/**
 * {@code ./train dpo}: direct preference optimisation of the SFT policy on rankings (the label stage's, and any
 * ranking or preference pair files), writing {@code checkpoints/<run>/dpo/} — the policy as {@code model.safetensors},
 * so sample and eval use it like any stage. The policy and the frozen reference come from {@code dpo.init_from}
 * (default: the run's sft folder); the reference's log-probabilities of every response are computed once before the
 * first step. Offline: no sampling and no reward model during training. At the end SFT and the DPO policy answer the
 * test prompts side by side and the judges score them ({@code test_metrics.json}, {@code test_answers.jsonl}).
 */
public final class DpoJob {
    public static final String STAGE = "dpo";

    private DpoJob() {}

    /** How the run ended, and (when it finished with test prompts) the test comparison. */
    public record Result(Trainer.Summary summary, PolicyTestEval.Outcome test) {}

    public static Result run(ExperimentConfig config, RunOptions options, PrintStream out) {
        try (StageLock lock = StageDir.prepare(config.run(), STAGE, options.resume(), options.overwrite())) {
            return run(config, options, out, lock.dir());
        }
    }

    private static Result run(ExperimentConfig config, RunOptions options, PrintStream out, Path dir) {
        DpoConfig cfg = config.dpo();
        StageCheckpoint.Loaded previous = options.resume() ? StageCheckpoint.load(dir) : null;
        PolicyAndReference models = PolicyAndReference.load(config, STAGE, cfg.initFrom(), previous, options.engine(), out);
        int pad = models.sft().tokenizer().id(SpecialTokens.PAD);

        List<Path> files = LabelRankings.files(config, STAGE, cfg.data().fromLabel(), cfg.data().allowPartialLabel(),
                cfg.data().train(), out);
        RowSkips skips = new RowSkips(cfg.data().strict());
        DpoGroups data = DpoGroups.of(RankingData.read(files, skips), models.sft().tokenizer(), models.reference(), pad,
                cfg.data().valFraction());
        skips.warning("dpo.data.strict").ifPresent(out::println);
        if (data.train().isEmpty() || data.val().isEmpty()) {
            throw new DataException(files.get(0), "needs rankings for both training and validation (" + data.train().size()
                    + " and " + data.val().size() + " after the val_fraction split" + (files.size() > 1
                    ? ", from " + files : "") + skips.note() + ")");
        }
        int widest = data.train().stream().mapToInt(g -> g.responses().size()).max().orElse(2);
        MemoryBudget.check(models.sft().spec(), (long) widest * cfg.batchSize(), models.sft().spec().blockSize(),
                "dpo.batch_size");
        List<Judge> judges = cfg.data().test().isEmpty() ? List.of() : GoldJudges.of(config, out);
        out.printf("data: %d training rankings (%d pairs) and %d validation rankings (%d pairs) from %s; %d prompts cut "
                        + "to block_size %d%s%s; policy and reference %s%n", data.train().size(),
                DpoGroups.pairs(data.train()), data.val().size(), DpoGroups.pairs(data.val()),
                files.size() == 1 ? files.get(0) : files.size() + " files", data.truncated(),
                models.sft().spec().blockSize(),
                data.tooLong() == 0 ? "" : "; " + data.tooLong() + " with a response longer than block_size skipped",
                data.withoutPairs() == 0 ? "" : "; " + data.withoutPairs() + " without a pair (all scores equal) skipped",
                models.init());

        String dataSha = fingerprint(data);
        if (previous != null) {
            ResumeState.checkData(dir, previous.trainerState(), dataSha, "dpo.data.train", options.acceptChanges());
        }
        StageRunner.Start start = StageRunner.start(cfg, models.policy(), previous, out, dir, config.run().seed(),
                options.acceptChanges());
        DpoTask task = new DpoTask(models.policy(), data, cfg, models.sft().tokenizer(),
                config.eval().decoding(config.run().seed()), pad, config.run().seed());
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("init_from", models.init().toString());
        extra.put("train_files", files.stream().map(Path::toString).toList());
        extra.put("train_rankings", data.train().size());
        extra.put("train_pairs", DpoGroups.pairs(data.train()));
        extra.put("val_rankings", data.val().size());
        extra.put("val_pairs", DpoGroups.pairs(data.val()));
        extra.put("beta", cfg.beta());
        extra.put("loss_type", cfg.lossType());
        Trainer.Summary summary = StageRunner.run(new StageRunner.Job(STAGE, dir, config, cfg, options, DpoTask.COLUMNS,
                models.sft().tokenizer(), start, extra, dataSha), task,
                Runners.microBatches(config, STAGE, start.gpt(), task), out);
        Map<String, Double> last = summary.lastEval();
        String figures = String.format("val loss %.4f, reward accuracy %.1f%%, margin %.3f",
                last.getOrDefault("val_loss", Double.NaN), 100 * last.getOrDefault("val_rewards_accuracy", Double.NaN),
                last.getOrDefault("val_rewards_margin", Double.NaN));
        if (summary.steps() < cfg.maxSteps()) {
            out.printf("dpo stopped: %d steps, loss %.4f, %s; %s → %s%n", summary.steps(), summary.lastLoss(), figures,
                    StageDir.duration(summary.seconds()), dir);
            return new Result(summary, null);
        }
        PolicyTestEval.Outcome test = null;
        String table = "";
        if (!cfg.data().test().isEmpty()) {
            PolicyTestEval.Setup setup = new PolicyTestEval.Setup(config, STAGE, models.policy(), models.reference(),
                    null, models.sft().tokenizer(), PolicyTestEval.pretrained(config, options.engine()), judges,
                    cfg.batchSize() * 4, cfg.maxNewTokens(), klTemperature(config), 0, 0.0);
            test = PolicyTestEval.runAndWrite(setup, cfg.data().test(), cfg.testPrompts(), List.of(), dir, out);
            table = "\n" + PolicyTestEval.summary(setup, test);
        }
        out.printf("dpo done: %d steps, loss %.4f, %s; %s → %s%s%n", summary.steps(), summary.lastLoss(), figures,
                StageDir.duration(summary.seconds()), dir, table);
        return new Result(summary, test);
    }

    /** The temperature of the next-token distributions the test KL is measured between: the answers' own. */
    static double klTemperature(ExperimentConfig config) {
        return config.eval().temperature() > 0 ? config.eval().temperature() : 1.0;
    }

    /** Every response's tokens and every pair: a resumed run refuses other data unless told to accept it. */
    private static String fingerprint(DpoGroups data) {
        DataFingerprint f = new DataFingerprint();
        for (List<DpoGroups.Group> part : List.of(data.train(), data.val())) {
            for (DpoGroups.Group g : part) {
                g.responses().forEach(r -> f.add(r.sequence()));
                g.ranking().pairs().forEach(p -> f.add(new int[] {p.better(), p.worse()}));
            }
        }
        return f.hex();
    }
}
