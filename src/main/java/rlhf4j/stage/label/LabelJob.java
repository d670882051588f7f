package rlhf4j.stage.label;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ConfigLoader;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.LabelConfig;
import rlhf4j.data.PromptData;
import rlhf4j.data.PromptExample;
import rlhf4j.data.PromptSplit;
import rlhf4j.data.RankingData;
import rlhf4j.data.RowSkips;
import rlhf4j.data.TaskFiles;
import rlhf4j.eval.judge.GoldJudges;
import rlhf4j.generate.SamplingParams;
import rlhf4j.io.DataException;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.train.MemoryBudget;
import rlhf4j.train.Progress;
import rlhf4j.train.RunOptions;
import rlhf4j.train.Seeds;
import rlhf4j.train.StageDir;
import rlhf4j.train.StageLock;

/**
 * {@code ./train label}: the SFT model answers training prompts K times and a {@link Labeler} ranks the answers,
 * writing {@code checkpoints/<run>/label/}: {@code candidates.jsonl} (the distinct answers per prompt),
 * {@code rankings.jsonl} (the judgements, in the ranking-file format the rm stage reads), {@code manifest.json}
 * (labeler, sampling settings, counts) and {@code trainer_state.json} ({@code finished} once every prompt is
 * judged or skipped). The prompts are drawn by the run seed from {@code label.data.prompts} minus the prompts sft
 * and ppo hold out for validation. {@code --resume} continues the judging of an earlier run with its candidates
 * (the sampling settings must not have changed); {@code --overwrite} samples again, and once the new candidates are
 * sampled the earlier run's files move to {@code previous/N/}: no judgement is ever deleted.
 */
public final class LabelJob {
    public static final String STAGE = "label";
    public static final String MANIFEST = "manifest.json";
    /** Where sampling again keeps the earlier runs' judgements, one numbered folder each. */
    public static final String PREVIOUS = "previous";

    private LabelJob() {}

    /** What the stage holds at the end: tasks, judged, skipped, pairs. */
    public record Result(int tasks, int judged, int skipped, int pairs, boolean finished) {}

    /** Whether {@code dir} holds a label run (finished or not). */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(Candidates.FILE)) && Files.isRegularFile(dir.resolve(MANIFEST));
    }

    public static Result run(ExperimentConfig config, RunOptions options, PrintStream out) {
        Path dir = StageDir.of(config.run(), STAGE);
        try (StageLock lock = StageLock.acquire(dir)) {
            return run(config, options, out, dir);
        }
    }

    private static Result run(ExperimentConfig config, RunOptions options, PrintStream out, Path dir) {
        long started = System.nanoTime();
        LabelConfig cfg = config.label();
        boolean exists = exists(dir);
        if (options.resume() && !exists) {
            throw new ConfigException("--resume: " + dir + " holds no label run to resume");
        }
        if (!options.resume() && exists && !options.overwrite()) {
            throw new ConfigException(dir + " already holds a label run: add --resume to continue it, --overwrite to "
                    + "sample and rank again, or --set run.name=NEW for a new run");
        }
        Path init = cfg.initFrom().isEmpty() ? StageDir.of(config.run(), "sft") : Path.of(cfg.initFrom());
        Map<String, Object> sampling = samplingSettings(cfg, init, config.run().seed());
        Map<String, Object> counts;
        List<LabelTask> tasks;
        double earlier = 0;                               // seconds of the earlier sessions of a resumed run
        if (exists && options.resume()) {
            earlier = previousSeconds(dir);
            JsonNode manifest = readManifest(dir);
            checkUnchanged(dir, manifest.path("sampling"), sampling);
            tasks = Candidates.read(dir);
            counts = Json.convert(manifest.path("counts"), LinkedHashMap.class);
            out.printf("resuming %s: %d prompts to judge, candidates from %s%n", dir, tasks.size(), init);
        } else {
            if (cfg.labeler().equals("human") && cfg.port() != 0) {
                new HumanLabeler(cfg.host(), cfg.port(), config.run().seed()).checkAddress();
            }
            Candidates candidates = sample(config, cfg, init, options, out);
            if (candidates == null) {                      // a stop request while sampling: nothing judged yet
                out.printf("label stopped by a signal while sampling: nothing was judged in this run, and the folder "
                        + "is as it was; run the stage again%n");
                options.preemption().settled();
                return new Result(0, 0, 0, 0, false);
            }
            tasks = candidates.tasks();
            counts = new LinkedHashMap<>();
            counts.put("prompts", candidates.prompts());
            counts.put("candidates_sampled", candidates.sampled());
            counts.put("duplicate_candidates_dropped", candidates.duplicates());
            counts.put("prompts_with_one_distinct_answer", candidates.allIdentical());
            counts.put("tasks", tasks.size());
            Path kept = archive(dir);
            if (kept != null) {
                out.printf("the earlier label run's judgements are kept in %s (delete it yourself when you no longer "
                        + "want them)%n", kept);
            }
            candidates.write(dir);
        }
        Labeler labeler = labeler(config, dir, out);
        writeState(dir, config, sampling, counts, labeler.name(), null, false, earlier + seconds(started));
        RankingsJournal journal = RankingsJournal.open(dir);
        if (journal.droppedPartial() > 0) {
            out.printf("note: %s ended in a judgement cut short by a kill; it was dropped and will be asked again%n",
                    journal.file());
        }
        int before = journal.judgedCount();
        long t0 = System.nanoTime();
        labeler.label(tasks, journal, options.preemption(), out);
        double seconds = (System.nanoTime() - t0) / 1e9;
        int pairs = pairs(journal);
        boolean finished = tasks.stream().allMatch(t -> journal.settled(t.id()));
        Map<String, Object> judged = new LinkedHashMap<>();
        judged.put("judged", journal.judgedCount());
        judged.put("skipped", journal.skippedCount());
        judged.put("pairs", pairs);
        writeState(dir, config, sampling, counts, labeler.name(), judged, finished, earlier + seconds(started));
        if (options.preemption().requested()) {
            options.preemption().settled();
        }
        String what = String.format("%d of %d prompts judged by %s (%d new, %s), %d skipped, %d pairs", journal.judgedCount(),
                tasks.size(), labeler.name(), journal.judgedCount() - before, StageDir.duration(seconds),
                journal.skippedCount(), pairs);
        if (finished) {
            out.printf("label done: %s → %s%n", what, journal.file());
        } else {
            out.printf("label stopped: %s; continue with --resume → %s%n", what, journal.file());
        }
        return new Result(tasks.size(), journal.judgedCount(), journal.skippedCount(), pairs, finished);
    }

    /**
     * Moves an earlier run's files (judgements, skips, candidates, manifest, judge log, state) into
     * {@code previous/N/} under the stage folder, N the first unused number, so sampling again never deletes a
     * judgement: a person's rankings are the costliest data of the pipeline, and a judge that then fails or a
     * Ctrl-C before the first new judgement must leave them where they were. Returns the archive, or null when
     * there was nothing to keep.
     */
    static Path archive(Path dir) {
        List<String> files = List.of(RankingsJournal.RANKINGS, RankingsJournal.SKIPPED, Candidates.FILE, MANIFEST,
                CommandLabeler.LOG, StageCheckpoint.TRAINER_STATE);
        try {
            Files.createDirectories(dir);
            if (files.stream().noneMatch(f -> Files.exists(dir.resolve(f)))) {
                return null;
            }
            int n = 1;
            while (Files.exists(dir.resolve(PREVIOUS).resolve(String.valueOf(n)))) {
                n++;
            }
            Path target = Files.createDirectories(dir.resolve(PREVIOUS).resolve(String.valueOf(n)));
            for (String f : files) {
                if (Files.exists(dir.resolve(f))) {
                    Files.move(dir.resolve(f), target.resolve(f), StandardCopyOption.ATOMIC_MOVE);
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the earlier judgements of " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Labeler labeler(ExperimentConfig config, Path dir, PrintStream out) {
        LabelConfig cfg = config.label();
        long seed = config.run().seed();
        return switch (cfg.labeler()) {
            case "reference", "sentiment" -> new JudgeLabeler(cfg.labeler(), GoldJudges.create(cfg.judge(), config, out));
            case "command" -> new CommandLabeler(cfg.command(), dir, cfg.commandTimeout());
            case "human" -> new HumanLabeler(cfg.host(), cfg.port(), seed);
            default -> throw new ConfigException("label.labeler: unknown labeler '" + cfg.labeler() + "'");
        };
    }

    /** The prompts to label: the training prompts (none sft or ppo holds out), drawn by the seed. */
    static List<PromptExample> prompts(ExperimentConfig config, PrintStream out) {
        LabelConfig cfg = config.label();
        Path file = TaskFiles.ensure(Path.of(cfg.data().prompts()), out);
        List<PromptExample> eligible = new ArrayList<>();
        for (PromptExample p : PromptData.read(file)) {
            if (PromptSplit.isValidation(p.prompt(), config.sft().data().valFraction())
                    || PromptSplit.isValidation(p.prompt(), config.ppo().data().valFraction())) {
                continue;
            }
            if ("chrf".equals(cfg.judge()) && p.reference() == null) {
                throw new DataException(file, p.line(), "has no \"completion\": the reference labeler ranks answers "
                        + "by chrF against it");
            }
            eligible.add(p);
        }
        if (eligible.isEmpty()) {
            throw new DataException(file, "holds no prompt outside sft's and ppo's held-out splits to label");
        }
        Collections.shuffle(eligible, Seeds.labelPromptChoice(config.run().seed()));
        return cfg.numPrompts() == 0 || eligible.size() <= cfg.numPrompts() ? eligible
                : eligible.subList(0, cfg.numPrompts());
    }

    /** Thrown from the sampling progress callback to stop at a batch boundary. */
    private static final class Stopped extends RuntimeException {
        Stopped() {
            super(null, null, false, false);
        }
    }

    /** The candidates, or null when a stop was requested while sampling (checked after every batch). */
    private static Candidates sample(ExperimentConfig config, LabelConfig cfg, Path init, RunOptions options,
                                     PrintStream out) {
        Engine engine = options.engine();
        if (!StageCheckpoint.exists(init)) {
            throw new ConfigException("label.init_from: " + init + " holds no checkpoint (run ./train sft first, "
                    + "or set label.init_from)");
        }
        StageCheckpoint.Loaded model = StageCheckpoint.load(init);
        if (model.spec().blockSize() <= cfg.maxNewTokens()) {
            throw new ConfigException("label.max_new_tokens: " + cfg.maxNewTokens() + " leaves no room for a prompt in "
                    + "the model's block_size " + model.spec().blockSize());
        }
        MemoryBudget.check(model.spec(), (long) cfg.batchSize() * cfg.numCandidates(),
                model.spec().blockSize(), "label.batch_size");
        List<PromptExample> prompts = prompts(config, out);
        out.printf("label: %s answers %d prompts %d times (temperature %s, top_p %s), labeler %s%n", init,
                prompts.size(), cfg.numCandidates(), cfg.temperature(), cfg.topP(), cfg.labeler());
        Gpt gpt = new Gpt(model.spec(), model.params(), engine);
        SamplingParams params = new SamplingParams(cfg.temperature(), 0, cfg.topP(), cfg.maxNewTokens());
        try (Progress progress = new Progress("label: sampling", 0, prompts.size(), cfg.batchSize() * 8, out)) {
            return Candidates.sample(gpt, model.tokenizer(), prompts, cfg.numCandidates(), params, cfg.batchSize(),
                    config.run().seed(), done -> {
                        progress.step(done, done + " prompts answered");
                        if (options.preemption().requested()) {
                            throw new Stopped();
                        }
                    });
        } catch (Stopped e) {
            return null;
        }
    }

    private static Map<String, Object> samplingSettings(LabelConfig cfg, Path init, long seed) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("init_from", init.toString());
        s.put("prompts", cfg.data().prompts());
        s.put("num_prompts", cfg.numPrompts());
        s.put("num_candidates", cfg.numCandidates());
        s.put("temperature", cfg.temperature());
        s.put("top_p", cfg.topP());
        s.put("max_new_tokens", cfg.maxNewTokens());
        s.put("batch_size", cfg.batchSize());
        s.put("seed", seed);
        return s;
    }

    /** Resuming with other sampling settings would judge candidates the config does not describe. */
    private static void checkUnchanged(Path dir, JsonNode stored, Map<String, Object> now) {
        for (Map.Entry<String, Object> e : now.entrySet()) {
            JsonNode was = stored.get(e.getKey());
            String current = String.valueOf(e.getValue());
            if (was == null || !was.asText().equals(current)) {
                String key = e.getKey().equals("seed") ? "run.seed" : "label." + (e.getKey().equals("prompts")
                        ? "data.prompts" : e.getKey());
                throw new ConfigException("--resume: " + key + " is " + current + " but the candidates in " + dir
                        + " were sampled with " + (was == null ? "none" : was.asText()) + " (--overwrite samples again)");
            }
        }
    }

    private static JsonNode readManifest(Path dir) {
        try {
            return Json.readTree(dir.resolve(MANIFEST));
        } catch (IOException e) {
            throw new DataException(dir.resolve(MANIFEST), "cannot read: " + e.getMessage());
        }
    }

    /** The pairs the rm stage will read from the journal (the ranking reader's rule, ties and equal texts give none). */
    private static int pairs(RankingsJournal journal) {
        return journal.judgedCount() == 0 ? 0 : RankingData.read(journal.file(),
                        new RowSkips(false)).stream()
                .mapToInt(r -> r.pairs().size()).sum();
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** The sampling and judging time of a resumed run's earlier sessions (0 when its state has none). */
    private static double previousSeconds(Path dir) {
        try {
            return Math.max(0, Json.readTree(dir.resolve(StageCheckpoint.TRAINER_STATE)).path("elapsed_s").asDouble(0));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** @param elapsed seconds spent sampling and judging, over every session of the stage */
    private static void writeState(Path dir, ExperimentConfig config, Map<String, Object> sampling,
                                   Map<String, Object> counts, String labeler, Map<String, Object> judged,
                                   boolean finished, double elapsed) {
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("labeler", labeler);
        if (labeler.equals("reference")) {
            manifest.put("labeler_note", "synthetic: each answer scored by chrF against the prompt's reference "
                    + "completion (a simulated annotator, not human preference)");
        } else if (labeler.equals("sentiment")) {
            manifest.put("labeler_note", "synthetic: each answer scored by its AFINN-165 valence less penalties for "
                    + "repetition, unknown words, length and an unfinished sentence (a simulated annotator, not human "
                    + "preference)");
        }
        manifest.put("sampling", sampling);
        manifest.put("counts", counts);
        if (judged != null) {
            manifest.put("judgements", judged);
        }
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("stage", STAGE);
        state.put("finished", finished);
        state.put("elapsed_s", elapsed);
        state.put("seed", config.run().seed());
        state.put("config", ConfigLoader.toMap(config));
        try {
            Json.write(dir.resolve(MANIFEST), manifest);
            Json.write(dir.resolve(StageCheckpoint.TRAINER_STATE), state);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the manifest of " + dir, e);
        }
    }
}
