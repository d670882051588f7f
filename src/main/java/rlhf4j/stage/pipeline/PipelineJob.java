package rlhf4j.stage.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ConfigLoader;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.eval.MethodComparison;
import rlhf4j.io.DataException;
import rlhf4j.model.Engine;
import rlhf4j.report.PipelineReport;
import rlhf4j.report.ReportContext;
import rlhf4j.report.SideBySide;
import rlhf4j.stage.dpo.DpoJob;
import rlhf4j.stage.grpo.GrpoJob;
import rlhf4j.stage.label.LabelJob;
import rlhf4j.stage.ppo.PpoJob;
import rlhf4j.stage.pretrain.PretrainJob;
import rlhf4j.stage.rm.RmJob;
import rlhf4j.stage.sft.SftJob;
import rlhf4j.train.Preemption;
import rlhf4j.train.RunOptions;
import rlhf4j.train.StageDir;

/**
 * {@code ./train pipeline}: pretrain → sft → label → rm → the alignment methods of {@code pipeline.methods} (ppo,
 * dpo, grpo, each from the sft model) of one run, each stage starting from the previous
 * stage's folder (label ranks the sft model's answers, rm learns those rankings), then {@code <out_dir>/<run>/report.html}. On a re-run a finished stage is skipped (and
 * said so); a stopped stage is continued with {@code --resume}; {@code --from STAGE} runs that stage and
 * every later one again from scratch.
 */
public final class PipelineJob {
    /** The stages every pipeline runs; the alignment methods of {@code pipeline.methods} follow them. */
    public static final List<String> BASE_STAGES = List.of("pretrain", "sft", "label", "rm");

    /** The stages of {@code config}'s pipeline, in order. */
    public static List<String> stages(ExperimentConfig config) {
        List<String> stages = new ArrayList<>(BASE_STAGES);
        stages.addAll(config.pipeline().methods());
        return List.copyOf(stages);
    }

    private PipelineJob() {}

    /** What the pipeline did: per stage "ran", "resumed" or "skipped", the wall time per stage, the report. */
    public record Result(Map<String, String> actions, Map<String, Double> wallSeconds, Path report) {}

    public static Result run(ExperimentConfig config, boolean resume, String from, PrintStream out) {
        return run(config, resume, from, Preemption.none(), out);
    }

    /** As {@link #run(ExperimentConfig, boolean, String, PrintStream)}; a signal stops it after the current step. */
    public static Result run(ExperimentConfig config, boolean resume, String from, Preemption preemption,
                             PrintStream out) {
        List<String> stages = stages(config);
        if (from != null && !stages.contains(from)) {
            throw new ConfigException("--from: unknown stage '" + from + "' (one of " + String.join(", ", stages) + ")");
        }
        int fromIndex = from == null ? stages.size() : stages.indexOf(from);
        Map<String, String> actions = new LinkedHashMap<>();
        Map<String, Double> wall = new LinkedHashMap<>();
        for (int i = 0; i < stages.size(); i++) {
            String stage = stages.get(i);
            Path dir = StageDir.of(config.run(), stage);
            boolean exists = stage.equals(LabelJob.STAGE) ? LabelJob.exists(dir) : StageCheckpoint.exists(dir);
            boolean finished = exists && finished(dir, stage, config);
            RunOptions options;
            if (i >= fromIndex) {
                options = new RunOptions(false, true, 0, preemption);
                actions.put(stage, "ran");
            } else if (finished) {
                out.printf("== %s: already finished in %s, skipped (--from %s runs it again)%n", stage, dir, stage);
                actions.put(stage, "skipped");
                continue;
            } else if (exists && !resume) {
                throw new ConfigException(dir + " holds a stopped " + stage + " run: add --resume to continue it, "
                        + "or --from " + stage + " to start it over");
            } else {
                options = new RunOptions(exists, false, 0, preemption);
                actions.put(stage, exists ? "resumed" : "ran");
            }
            out.printf("== %s (%d/%d)%s%n", stage, i + 1, stages.size(), options.resume() ? ", resuming" : "");
            long t0 = System.nanoTime();
            runStage(stage, config, options.at(config.model().precision()), out);
            wall.put(stage, (System.nanoTime() - t0) / 1e9);
            if (preemption.requested()) {
                out.printf("pipeline stopped by a signal during %s; continue with --resume%n", stage);
                return new Result(actions, wall, null);
            }
        }
        long t0 = System.nanoTime();
        List<SideBySide> answers = SideBySideAnswers.collect(config, Engine.launcher().at(config.model().precision()), out);
        wall.put("side-by-side answers", (System.nanoTime() - t0) / 1e9);
        Path runDir = Path.of(config.run().outDir(), config.run().name());
        MethodComparison.write(runDir, config.pipeline().methods(), config.run().seed(), out).ifPresent(gold -> {
            if (config.pipeline().methods().size() > 1) {           // one method's table was printed by its stage
                out.printf("%s%n%s%n", gold.table(), MethodComparison.costTable(runDir));
            }
        });
        try {
            ReportContext ctx = ReportContext.of(ConfigLoader.toYaml(config), wall).withSideBySide(answers);
            Path html = PipelineReport.write(runDir, ctx).html();
            double total = wall.values().stream().mapToDouble(Double::doubleValue).sum();
            out.printf("pipeline done in %s: %s; report → %s%n", StageDir.duration(total), actions, html);
            return new Result(actions, wall, html);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report in " + runDir, e);
        }
    }

    /**
     * Done: its last checkpoint says finished and, when the stage scores a test file, the scores were written. A run
     * that stopped between its last step and the end of its test (out of memory, a signal) is resumed, which runs
     * the test without training again.
     */
    private static boolean finished(Path dir, String stage, ExperimentConfig config) {
        boolean trained;
        try {
            trained = Json.readTree(dir.resolve(StageCheckpoint.TRAINER_STATE)).path("finished").asBoolean(false);
        } catch (IOException e) {
            throw new DataException(dir.resolve(StageCheckpoint.TRAINER_STATE), "cannot read: " + e.getMessage());
        }
        String test = switch (stage) {
            case "sft" -> config.sft().data().test();
            case "rm" -> config.rm().data().test();
            case "ppo" -> config.ppo().data().test();
            case "dpo" -> config.dpo().data().test();
            case "grpo" -> config.grpo().data().test();
            default -> "";
        };
        return trained && (test.isEmpty() || Files.exists(dir.resolve(StageCheckpoint.TEST_METRICS)));
    }

    private static void runStage(String stage, ExperimentConfig config, RunOptions options, PrintStream out) {
        switch (stage) {
            case "pretrain" -> PretrainJob.run(config, options, out);
            case "sft" -> SftJob.run(config, options, out);
            case "label" -> LabelJob.run(config, options, out);
            case "rm" -> RmJob.run(config, options, out);
            case "ppo" -> PpoJob.run(config, options, out);
            case "dpo" -> DpoJob.run(config, options, out);
            case "grpo" -> GrpoJob.run(config, options, out);
            default -> throw new IllegalArgumentException(stage);
        }
    }
}
