package rlhf4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.io.FileSync;

/**
 * Where a run's growing files ({@code metrics.csv}, {@code samples.txt}) are written. A resumed run, or a fresh one
 * in a folder without a checkpoint, grows them in the stage folder. A fresh run over an existing checkpoint
 * ({@code --overwrite}) grows them in a sibling folder {@code .<stage>.live} until its first checkpoint is saved:
 * the save carries them into the new folder, which replaces the old one in one rename, so a run that fails or is
 * killed before then leaves the old checkpoint's history exactly as it was.
 */
public final class LiveFiles {
    private final Path stageDir;
    private Path dir;

    private LiveFiles(Path stageDir, Path dir) {
        this.stageDir = stageDir;
        this.dir = dir;
    }

    /**
     * The live files of a run starting in {@code stageDir}: on resume the samples written after {@code resumeStep}
     * are dropped (metrics.csv rows are trimmed when it is opened); a fresh run starts empty files in the folder
     * chosen as above.
     */
    public static LiveFiles start(Path stageDir, boolean resume, int resumeStep) {
        if (resume) {
            StageDir.trimSamples(stageDir, resumeStep);
            return new LiveFiles(stageDir, stageDir);
        }
        if (!StageCheckpoint.exists(stageDir)) {
            StageDir.deleteIfExists(stageDir.resolve(StageCheckpoint.SAMPLES));
            return new LiveFiles(stageDir, stageDir);
        }
        Path staging = stageDir.resolveSibling("." + stageDir.getFileName() + ".live");
        try {
            FileSync.deleteRecursively(staging);
            Files.createDirectories(staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + staging + ": " + e.getMessage(), e);
        }
        return new LiveFiles(stageDir, staging);
    }

    /** The folder the live files are in now (what a checkpoint save copies them from). */
    public Path dir() {
        return dir;
    }

    public Path metrics() {
        return dir.resolve(StageCheckpoint.METRICS);
    }

    public Path samples() {
        return dir.resolve(StageCheckpoint.SAMPLES);
    }

    /** After a checkpoint save carried the live files into the stage folder: they grow there from now on. */
    public void saved() {
        if (dir.equals(stageDir)) {
            return;
        }
        Path staging = dir;
        dir = stageDir;
        try {
            FileSync.deleteRecursively(staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + staging + ": " + e.getMessage(), e);
        }
    }
}
