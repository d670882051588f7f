package rlhf4j.train;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a separate JVM on the test classpath (the real one, not surefire's manifest-only booter
 * jar when that is what {@code java.class.path} holds), for tests that need a second process: lock
 * holders, runs killed with SIGKILL.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** The classpath of this test JVM, usable by a child {@code java -cp}. */
    public static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** {@code java -Xmx<heap> -cp <test classpath> mainClass args...}, stderr merged into stdout. */
    public static ProcessBuilder builder(String heap, Class<?> mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        cmd.add("-Xss4m");
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb;
    }

    /** Starts {@link #builder} with output going to {@code log}. */
    public static Process start(File log, String heap, Class<?> mainClass, String... args) throws IOException {
        return builder(heap, mainClass, args).redirectOutput(log).start();
    }
}
