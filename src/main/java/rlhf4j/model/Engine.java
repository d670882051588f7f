package rlhf4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import rlhf4j.nn.VectorSupport;

/**
 * How a model's forward and backward are computed, for training ({@link Gpt}) and for decoding
 * ({@link InferenceModel}): the whole model as one SameDiff graph, or the definition over the FLOAT kernels and
 * their tape. Both are bitwise reproducible across JVMs and JIT tiers (the kernels sum lanes in a fixed order and
 * compute their own exp, see {@link rlhf4j.nn.FloatKernels}), so a resumed run repeats an uninterrupted one with
 * either.
 */
public enum Engine {
    /** The whole model as one SameDiff graph (any dtype). */
    GRAPH,
    /** The definition over the FLOAT kernels and their tape (FLOAT only). */
    KERNELS;

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
     * The engine the launcher asks FLOAT models to use: the kernels, unless {@code RLHF4J_ENGINE=graph} or the JVM
     * lacks the Vector API module. The CLI reads it once per command and passes it down ({@code RunOptions.engine}).
     */
    public static Engine launcher() {
        return VectorSupport.enabled() ? KERNELS : GRAPH;
    }
}
