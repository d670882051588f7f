package rlhf4j.stage.label;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.data.TaskFiles;
import rlhf4j.train.StageDir;

/**
 * The ranking files a stage that learns from preferences (rm, dpo) reads: this run's label stage rankings when
 * {@code <section>.data.from_label}, then the files {@code <section>.data.train} names. A label stage still judging
 * (a person who has ranked 20 of 190 prompts) would give a tenth of the data without a word: it is refused unless
 * {@code <section>.data.allow_partial_label}, which says how much is ranked.
 */
public final class LabelRankings {
    private LabelRankings() {}

    /** The files to read, the label stage's first; {@code section} is the config section (rm, dpo) for messages. */
    public static List<Path> files(ExperimentConfig config, String section, boolean fromLabel, boolean allowPartial,
                                   List<String> train, PrintStream out) {
        List<Path> files = new ArrayList<>();
        if (fromLabel) {
            Path rankings = StageDir.of(config.run(), LabelJob.STAGE).resolve(RankingsJournal.RANKINGS);
            if (!Files.isRegularFile(rankings)) {
                throw new ConfigException(section + ".data.from_label: " + rankings + " does not exist (run ./train "
                        + "label first, or set " + section + ".data.from_label: false and name files in " + section
                        + ".data.train)");
            }
            checkFinished(rankings.getParent(), section, allowPartial, out);
            files.add(rankings);
        }
        for (String f : train) {
            files.add(TaskFiles.ensure(Path.of(f), out));
        }
        return files;
    }

    private static void checkFinished(Path labelDir, String section, boolean allowPartial, PrintStream out) {
        JsonNode state = null;
        JsonNode manifest = null;
        try {
            state = Json.readTree(labelDir.resolve(StageCheckpoint.TRAINER_STATE));
            manifest = Json.readTree(labelDir.resolve(LabelJob.MANIFEST));
        } catch (IOException | RuntimeException e) {
            // no readable state: treated as unfinished below
        }
        if (state != null && state.path("finished").asBoolean(false)) {
            return;
        }
        String ranked = manifest == null ? "an unknown number of" : manifest.path("judgements").path("judged").asInt()
                + " of " + manifest.path("counts").path("tasks").asInt();
        if (!allowPartial) {
            throw new ConfigException(section + ".data.from_label: the label stage in " + labelDir + " has not finished ("
                    + ranked + " prompts judged): finish it with ./train label --resume, or set " + section
                    + ".data.allow_partial_label: true to train on what is ranked");
        }
        out.printf("note: the label stage in %s has not finished: training on the %s prompts judged so far%n",
                labelDir, ranked);
    }
}
