package rlhf4j.nn;

import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_avx2;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_avx512_core;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_avx512_core_amx;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_avx512_core_bf16;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_get_effective_cpu_isa;

import org.bytedeco.dnnl.dnnl_engine;

/**
 * Which library computes the kernels' products on this machine, chosen at run time from what oneDNN reports the CPU
 * can do ({@link Isa}): oneDNN for FP32 from AVX2 up, and for BF16 where the CPU multiplies bfloat16 natively
 * (AVX-512 BF16 or AMX); a BF16 run on a CPU without either computes in FP32 and says so. OpenBLAS, the path before
 * oneDNN, is what a machine gets where oneDNN does not load, or below AVX2, or when {@code -Drlhf4j.matmul=openblas}
 * (the launcher's {@code RLHF4J_MATMUL=openblas}) asks for it.
 *
 * <p>The choice is a fact about the machine, made once per JVM; the products of each precision are one shared
 * {@link Gemm} whose per-thread state lives inside it.
 */
public final class Matmuls {
    private Matmuls() {}

    /** What oneDNN makes of this CPU, ordered: each level can run what the ones before it run. */
    public enum Isa {
        /** oneDNN did not load, or was switched off. */
        NONE,
        /** Below AVX2: oneDNN's slowest kernels; OpenBLAS is used instead. */
        OLD,
        AVX2,
        AVX512,
        AVX512_BF16,
        AMX;

        boolean fp32() {
            return compareTo(AVX2) >= 0;
        }

        boolean bf16() {
            return compareTo(AVX512_BF16) >= 0;
        }

        String label() {
            return switch (this) {
                case NONE, OLD -> "none";
                case AVX2 -> "avx2";
                case AVX512 -> "avx512";
                case AVX512_BF16 -> "avx512_bf16";
                case AMX -> "amx";
            };
        }
    }

    /** The precision a run asking for {@code wanted} computes in here: BF16 only where the CPU has it. */
    public static Precision effective(Precision wanted) {
        return effective(wanted, Machine.ISA);
    }

    static Precision effective(Precision wanted, Isa isa) {
        return wanted == Precision.BF16 && isa.bf16() ? Precision.BF16 : Precision.FP32;
    }

    /** The products of this precision ({@link #effective} of it) on this machine. */
    public static Gemm of(Precision wanted) {
        return of(wanted, Machine.ISA);
    }

    /**
     * The products a machine with this ISA would use, where this machine can run them (tests force the fallbacks
     * with it; a whole JVM is forced with oneDNN's own {@code ONEDNN_MAX_CPU_ISA=AVX2}).
     */
    static Gemm of(Precision wanted, Isa isa) {
        if (!isa.fp32()) {
            return OpenBlasGemm.INSTANCE;
        }
        return effective(wanted, isa) == Precision.BF16 ? Machine.BF16 : Machine.FP32;
    }

    /**
     * What the engine line adds after the products of a run in {@code effective} precision: that BF16 could be
     * asked for, or why an FP32 run has no BF16 to ask for.
     */
    static String note(Precision effective) {
        if (effective == Precision.BF16) {
            return "";
        }
        return Machine.ISA.bf16() ? " (model.precision: bf16 is available)"
                : Machine.ISA == Isa.NONE ? " (no BF16: oneDNN is off)" : " (no BF16 instructions on this CPU)";
    }

    /** The CPU's level as oneDNN sees it. */
    public static Isa isa() {
        return Machine.ISA;
    }

    /** Loaded on first use: oneDNN's engine and what it detects. */
    private static final class Machine {
        static final dnnl_engine ENGINE = loadEngine();
        static final Isa ISA = ENGINE == null ? Isa.NONE : detect(dnnl_get_effective_cpu_isa());
        static final Gemm FP32 = ISA.fp32() ? new DnnlGemm(ENGINE, Precision.FP32, ISA.label()) : OpenBlasGemm.INSTANCE;
        static final Gemm BF16 = ISA.bf16() ? new DnnlGemm(ENGINE, Precision.BF16, ISA.label()) : FP32;

        private static dnnl_engine loadEngine() {
            if ("openblas".equalsIgnoreCase(System.getProperty("rlhf4j.matmul"))) {
                return null;
            }
            try {
                dnnl_engine engine = new dnnl_engine();
                DnnlGemm.ok(dnnl_engine_create(engine, dnnl_cpu, 0), "CPU engine");
                return engine;
            } catch (LinkageError | IllegalStateException e) {
                return null;                            // no native oneDNN for this platform: OpenBLAS
            }
        }

        private static Isa detect(int flags) {
            if (has(flags, dnnl_cpu_isa_avx512_core_amx)) {
                return Isa.AMX;
            }
            if (has(flags, dnnl_cpu_isa_avx512_core_bf16)) {
                return Isa.AVX512_BF16;
            }
            if (has(flags, dnnl_cpu_isa_avx512_core)) {
                return Isa.AVX512;
            }
            return has(flags, dnnl_cpu_isa_avx2) ? Isa.AVX2 : Isa.OLD;
        }

        private static boolean has(int flags, int isa) {
            return (flags & isa) == isa;
        }
    }
}
