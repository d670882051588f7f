package rlhf4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import rlhf4j.nn.Gemm;
import rlhf4j.nn.Matmuls;
import rlhf4j.nn.Precision;
import rlhf4j.nn.VectorSupport;

/**
 * How a model's forward and backward are computed, for training ({@link Gpt}) and for decoding
 * ({@link InferenceModel}): the whole model as one SameDiff graph, or the definition over the FLOAT kernels and
 * their tape, with FP32 or BF16 matrix products ({@link Precision}; {@link Matmuls} picks the library for the
 * CPU). Each is bitwise reproducible across JVMs and JIT tiers on one machine with one thread count (the kernels
 * sum lanes in a fixed order and compute their own exp, see {@link rlhf4j.nn.FloatKernels}), so a resumed run
 * repeats an uninterrupted one.
 */
public enum Engine {
    /** The whole model as one SameDiff graph (any dtype). */
    GRAPH,
    /** The definition over the FLOAT kernels and their tape (FLOAT only), FP32 products. */
    KERNELS,
    /** The kernels with BF16 products: inputs rounded to bfloat16, FP32 accumulation (autocast's mixed precision). */
    KERNELS_BF16;

    /** Whether this is one of the kernel engines. */
    public boolean kernels() {
        return this != GRAPH;
    }

    /** The precision of the matrix products (the graph's are FP32, or the model's dtype). */
    public Precision precision() {
        return this == KERNELS_BF16 ? Precision.BF16 : Precision.FP32;
    }

    /** The kernels' matrix products on this machine. */
    Gemm gemm() {
        return Matmuls.of(precision());
    }

    /**
     * What computes this engine's matrix products here (the library, the CPU level it runs at, the precision), or
     * {@code SameDiff} for the graph: what the bench reports and what Spark executors must share with their driver.
     */
    public String products() {
        return kernels() ? gemm().describe() : "SameDiff";
    }

    /**
     * This engine with products of the wanted precision, where the machine has it: the graph stays the graph, and
     * BF16 on a CPU without BF16 instructions is the FP32 kernels ({@link Matmuls#effective}).
     */
    public Engine at(Precision wanted) {
        if (!kernels()) {
            return this;
        }
        return Matmuls.effective(wanted) == Precision.BF16 ? KERNELS_BF16 : KERNELS;
    }

    /**
     * The engine a model of this dtype starts with: the kernels for FLOAT when the run has them on (the Vector API
     * module is there and {@code -Drlhf4j.engine}, the launcher's {@code RLHF4J_ENGINE}, is not {@code graph}; each
     * stage prints which, {@link VectorSupport#engineLine}); the graph for any other dtype, since the kernels compute
     * in FLOAT only.
     */
    public static Engine forDataType(DataType dtype) {
        return dtype == DataType.FLOAT ? launcher() : GRAPH;
    }

    /**
     * The engine the launcher asks FLOAT models to use: the FP32 kernels, unless {@code RLHF4J_ENGINE=graph} or the
     * JVM lacks the Vector API module; a run's {@code model.precision} then applies {@link #at}. The CLI reads it
     * once per command and passes it down ({@code RunOptions.engine}).
     */
    public static Engine launcher() {
        return VectorSupport.enabled() ? KERNELS : GRAPH;
    }
}
