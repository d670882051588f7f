package rlhf4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.RunConfig;
import rlhf4j.io.AtomicDir;
import rlhf4j.io.AtomicFile;
import rlhf4j.model.GptSpec;

/** The folder of one stage of one run, {@code <out_dir>/<run.name>/<stage>/}, and the rules for reusing it. */
public final class StageDir {
    private static final Pattern STEP_HEADER = Pattern.compile("(?m)^=== step (\\d+) ===$");

    private StageDir() {}

    public static Path of(RunConfig run, String stage) {
        return Path.of(run.outDir(), run.name(), stage);
    }

    /**
     * Takes the stage folder's lock ({@link StageLock}: one writer per folder, a second one fails
     * naming the holder), then checks what is there against the user's intent: resuming needs a
     * checkpoint of this stage; a fresh run refuses to start over a finished or stopped one unless
     * told to overwrite. Nothing in the folder is changed here: the old checkpoint (samples.txt
     * included) is only replaced once the new run starts training. The
     * caller must close the returned lock when the job ends (try-with-resources); on any failure
     * here it is already released.
     */
    public static StageLock prepare(RunConfig run, String stage, boolean resume, boolean overwrite) {
        Path dir = of(run, stage);
        StageLock lock = StageLock.acquire(dir);
        try {
            AtomicDir.recover(dir);                 // only the lock holder repairs an interrupted save
            check(dir, resume, overwrite);
            return lock;
        } catch (RuntimeException | Error e) {
            lock.close();
            throw e;
        }
    }

    private static void check(Path dir, boolean resume, boolean overwrite) {
        boolean exists = StageCheckpoint.exists(dir);
        if (resume && !exists) {
            throw new ConfigException("--resume: " + dir + " holds no checkpoint to resume");
        }
        if (!resume && exists && !overwrite) {
            throw new ConfigException(dir + " already holds a checkpoint: add --resume to continue it, "
                    + "--overwrite to start over, or --set run.name=NEW for a new run");
        }
        String found = resume ? StageCheckpoint.stageOf(dir) : "";
        if (!found.isEmpty() && !found.equals(dir.getFileName().toString())) {
            throw new ConfigException("--resume: " + dir + " holds a " + found + " checkpoint, not a "
                    + dir.getFileName() + " one: it cannot be continued as this stage");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    /**
     * A stage after pretraining takes its model, context included, from a checkpoint: a larger
     * {@code model.block_size} in the config than that checkpoint's positions is a config error
     * (the model cannot attend further than it was built for).
     */
    public static void checkBlockSize(int configured, GptSpec spec, Path from) {
        if (configured > spec.blockSize()) {
            throw new ConfigException("model.block_size: " + configured + " is more than the " + spec.blockSize()
                    + " positions of the checkpoint " + from + " (the model comes from it: set model.block_size <= "
                    + spec.blockSize() + ")");
        }
    }

    /** On resume, drops the samples written after the checkpoint's step. */
    public static void trimSamples(Path dir, int step) {
        Path file = dir.resolve(StageCheckpoint.SAMPLES);
        if (!Files.exists(file)) {
            return;
        }
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Matcher m = STEP_HEADER.matcher(text);
            while (m.find()) {
                if (Integer.parseInt(m.group(1)) > step) {
                    // one rename: a kill while trimming must not lose the samples being kept
                    AtomicFile.write(file, text.substring(0, m.start()).getBytes(StandardCharsets.UTF_8));
                    return;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + file, e);
        }
    }

    /** Removes {@code file} when present (a fresh run's samples.txt, once training starts). */
    public static void deleteIfExists(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }

    public static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : String.format("%.1fs", seconds);
    }
}
