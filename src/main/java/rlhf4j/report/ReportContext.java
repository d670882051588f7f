package rlhf4j.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the pipeline report shows besides the stage folders: the configuration text, the wall time
 * of each stage as the pipeline measured it, the machine, the source commit and the side-by-side
 * answers.
 *
 * @param config        the experiment configuration as YAML (or any text)
 * @param wallSeconds   stage name → wall-clock seconds of that stage in this pipeline run
 * @param machine       where it ran
 * @param gitCommit     the source commit, or "unknown"
 * @param sideBySide    prompts answered by each stage's model
 */
public record ReportContext(String config, Map<String, Double> wallSeconds, Machine machine, String gitCommit,
                            List<SideBySide> sideBySide) {

    /**
     * The machine a run used.
     *
     * @param cores       {@link Runtime#availableProcessors()}
     * @param javaVersion {@code java.version}
     * @param javaVendor  {@code java.vendor}
     * @param vm          {@code java.vm.name}
     * @param os          {@code os.name os.version (os.arch)}
     * @param maxHeapMiB  {@link Runtime#maxMemory()} in MiB
     */
    public record Machine(int cores, String javaVersion, String javaVendor, String vm, String os, long maxHeapMiB) {
        /** This JVM's machine. */
        public static Machine current() {
            return new Machine(Runtime.getRuntime().availableProcessors(), System.getProperty("java.version", "?"),
                    System.getProperty("java.vendor", "?"), System.getProperty("java.vm.name", "?"),
                    System.getProperty("os.name", "?") + " " + System.getProperty("os.version", "") + " ("
                            + System.getProperty("os.arch", "?") + ")",
                    Runtime.getRuntime().maxMemory() / (1024 * 1024));
        }
    }

    public ReportContext {
        config = config == null ? "" : config;
        wallSeconds = Collections.unmodifiableMap(new LinkedHashMap<>(wallSeconds));
        gitCommit = gitCommit == null || gitCommit.isBlank() ? "unknown" : gitCommit;
        sideBySide = List.copyOf(sideBySide);
    }

    /** A context with this machine, {@link #gitCommit(Path)} of the working directory and no answers. */
    public static ReportContext of(String config, Map<String, Double> wallSeconds) {
        return new ReportContext(config, wallSeconds, Machine.current(), gitCommit(Path.of("")), List.of());
    }

    public ReportContext withSideBySide(List<SideBySide> answers) {
        return new ReportContext(config, wallSeconds, machine, gitCommit, answers);
    }

    /**
     * {@code git rev-parse HEAD} in {@code dir}, with " (modified)" appended when tracked files
     * differ from it; "unknown" when git is missing, fails or takes over 5 seconds.
     */
    public static String gitCommit(Path dir) {
        Git head = git(dir, "rev-parse", "HEAD");
        if (head.exit() != 0 || head.out().isEmpty()) {
            return "unknown";
        }
        Git diff = git(dir, "diff", "--quiet", "HEAD", "--");           // exit 1: tracked files modified
        return diff.exit() == 1 ? head.out() + " (modified)" : head.out();
    }

    /** Exit status (-1 when git did not run) and standard output of one git command. */
    private record Git(int exit, String out) {}

    private static Git git(Path dir, String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "git";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toAbsolutePath().toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {               // the commands used print at most a line
                p.destroyForcibly();
                return new Git(-1, "");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Git(p.exitValue(), out.strip());
        } catch (IOException e) {
            return new Git(-1, "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Git(-1, "");
        }
    }
}
