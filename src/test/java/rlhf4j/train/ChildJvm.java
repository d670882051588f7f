package rlhf4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a separate JVM on the test classpath (the real one, not surefire's manifest-only booter
 * jar when that is what {@code java.class.path} holds), for tests that need a second process: lock
 * holders, runs that hit an OS limit, runs killed with SIGKILL.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** The classpath of this test JVM, usable by a child {@code java -cp}. */
    public static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** {@code java -Xmx<heap> -cp <test classpath> mainClass args...} as a command line. */
    public static List<String> command(String heap, Class<?> mainClass, String... args) {
        return command(heap, List.of(), mainClass, args);
    }

    /** {@link #command} with more JVM options (e.g. {@code -Xint}) before the classpath. */
    public static List<String> command(String heap, List<String> jvmFlags, Class<?> mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        cmd.add("-Xss4m");
        cmd.add("-XX:-UsePerfData");
        cmd.add("--add-modules");                       // the kernel engine, as the launcher runs it
        cmd.add("jdk.incubator.vector");
        String engine = System.getProperty("rlhf4j.engine");
        if (engine != null) {
            cmd.add("-Drlhf4j.engine=" + engine);
        }
        cmd.addAll(sparkOptions());
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** What Spark needs opened on this JVM, from Spark's own launcher (as the pom's surefire argLine and ./train give it). */
    private static List<String> sparkOptions() {
        try {
            Object opts = Class.forName("org.apache.spark.launcher.JavaModuleOptions").getMethod("defaultModuleOptions")
                    .invoke(null);
            return List.of(opts.toString().trim().split("\\s+"));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Spark's launcher is on the test classpath", e);
        }
    }

    /** The JVM's own line announcing the incubator module, which the launcher drops from stderr too. */
    public static final String VECTOR_NOTICE = "WARNING: Using incubator modules: jdk.incubator.vector";

    /** A child's stderr as a user of the launcher sees it: without {@link #VECTOR_NOTICE}. */
    public static String withoutJvmNotice(String stderr) {
        return stderr.lines().filter(line -> !line.equals(VECTOR_NOTICE))
                .collect(java.util.stream.Collectors.joining("\n", "", stderr.endsWith("\n") ? "\n" : ""));
    }

    /** A builder for {@link #command}, with one OpenMP thread as in the launcher; streams left to the caller. */
    public static ProcessBuilder builder(String heap, Class<?> mainClass, String... args) {
        return withEnv(new ProcessBuilder(command(heap, mainClass, args)));
    }

    /** Sets the child environment this project's launcher sets (one OpenMP thread). */
    public static ProcessBuilder withEnv(ProcessBuilder pb) {
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb;
    }
}
