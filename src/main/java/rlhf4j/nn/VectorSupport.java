package rlhf4j.nn;

/**
 * Whether this JVM can run {@link FloatKernels}: they need the Vector API's incubator module and ND4J's
 * CPU backend; the module is present only when the JVM starts with {@code --add-modules jdk.incubator.vector} (the
 * {@code ./train} launcher and the test runner pass it). This class names no Vector API type, so
 * asking is safe without the module.
 */
public final class VectorSupport {
    private static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private VectorSupport() {}

    public static boolean available() {
        return AVAILABLE;
    }

    /**
     * Whether the kernels run: when the module is there, unless {@code -Drlhf4j.engine=graph} asks for the
     * SameDiff graph (the launcher's {@code RLHF4J_ENGINE=graph}). The optimizer's vector pass follows the same
     * switch. Both engines are bitwise reproducible across JVMs, but not equal to each other: a run resumed
     * with the other engine continues close to, not exactly on, the uninterrupted run.
     */
    public static boolean enabled() {
        return available() && !"graph".equalsIgnoreCase(System.getProperty("rlhf4j.engine")) && CpuBackend.ACTIVE;
    }

    /**
     * The engine a stage's models run on ({@code kernels} and what computes their products in which precision, or
     * the graph with the reason), as the one line a stage prints at its start, so that neither the slower graph
     * engine nor a precision the CPU lacks is a silent choice.
     */
    public static String engineLine(boolean kernels, Precision precision) {
        if (kernels) {
            return "engine: kernels (FLOAT kernels, gradients by a tape; RLHF4J_ENGINE=graph runs SameDiff instead); "
                    + "products: " + Matmuls.of(precision).describe() + Matmuls.note(precision);
        }
        String why = !available() ? "the JVM has no jdk.incubator.vector module (run through ./train)"
                : !CpuBackend.ACTIVE ? "the ND4J backend is not the CPU one" : "RLHF4J_ENGINE=graph";
        return "engine: SameDiff graph (" + why + ")";
    }

    /**
     * The kernels' vector width in floats (0 without the module): machines whose widths differ compute different
     * bits, so a distributed run checks that its executors agree with its driver.
     */
    public static int lanes() {
        return available() ? FloatKernels.lanes() : 0;
    }

    /** The JVM option that makes another JVM's kernels compute with this one's vector width (empty without the module). */
    public static String pinLanesOption() {
        return available() ? "-D" + FloatKernels.VECTOR_BITS + "=" + FloatKernels.lanes() * Float.SIZE : "";
    }

    /** The kernels read ND4J's buffers as host memory and call the CPU OpenBLAS: nd4j-native only. */
    private static final class CpuBackend {
        static final boolean ACTIVE = org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getName()
                .startsWith("org.nd4j.linalg.cpu.");
    }
}
