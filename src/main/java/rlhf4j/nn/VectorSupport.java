package rlhf4j.nn;

/**
 * Whether this JVM can run {@link FloatKernels}: they need the Vector API's incubator module,
 * which is present only when the JVM starts with {@code --add-modules jdk.incubator.vector} (the
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
     * Whether the kernels are asked for ({@code -Drlhf4j.engine=kernels}) and can run. The optimizer's vector
     * pass follows the same switch, so the default (SameDiff graph, native AdamW) stays bitwise reproducible
     * across JVMs, which resume relies on.
     */
    public static boolean enabled() {
        return available() && "kernels".equalsIgnoreCase(System.getProperty("rlhf4j.engine"));
    }
}
