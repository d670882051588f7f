package rlhf4j.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.loss.Loss;
import rlhf4j.memory.MemoryRelief;
import rlhf4j.nn.VectorSupport;

/**
 * A GPT: its architecture, its parameters (GPT-2 names, in insertion order) and what computes
 * with them. The model and its heads are {@link GptDefinition}; a pass computes what a {@link
 * HeadRequest} asks, and a training pass also takes the loss ({@link rlhf4j.loss.Losses}) as a function
 * of those outputs, whose derivatives the engine carries back to every parameter.
 *
 * <p>Two engines run that one definition: {@link Engine#GRAPH} ({@link GraphPass}) builds it as one SameDiff graph
 * per (request, batch, length) and lets SameDiff differentiate it — the reference, gradient-checked in DOUBLE;
 * {@link Engine#KERNELS} ({@link KernelPass}) runs it over {@link KernelOps}, whose tape composes each operation's
 * own backward; several times faster. This class holds the parameters, chooses the engine and hands each pass to it. FLOAT models use the kernels when the JVM has the Vector API module ({@code
 * --add-modules jdk.incubator.vector}, which the launcher passes) unless the system property {@code
 * rlhf4j.engine=graph} says otherwise; other dtypes always use the graph.
 */
public final class Gpt {

    private final GptSpec spec;
    private final LinkedHashMap<String, INDArray> params;
    private final KernelPass kernelPass;
    private final GraphPass graphPass;
    private PhaseTimes times = PhaseTimes.OFF;
    private final MemoryRelief relief = MemoryRelief.ofThisJvm();
    private Engine engine;

    /** On the engine {@link Engine#forDataType} gives its dtype (tests and library use; stages pass the run's, {@code RunOptions.engine}). */
    public Gpt(GptSpec spec, LinkedHashMap<String, INDArray> params) {
        this(spec, params, Engine.forDataType(params.get(ParamNames.WTE).dataType()));
    }

    /**
     * A model computing on {@code engine} (a stage gives it the run's, {@code RunOptions.engine}). Views among the
     * arrays are replaced by copies: SameDiff silently copies a view, and would then miss in-place updates.
     */
    public Gpt(GptSpec spec, LinkedHashMap<String, INDArray> params, Engine engine) {
        this.spec = spec;
        params.replaceAll((name, arr) -> arr.isView() ? arr.dup('c') : arr);
        this.params = params;
        Rotary rotary = Rotary.of(spec);
        this.kernelPass = new KernelPass(spec, params, rotary);
        this.graphPass = new GraphPass(spec, params, rotary);
        setEngine(engine);
    }

    /** A freshly initialised model. */
    public static Gpt create(GptSpec spec, DataType dtype, long seed, double initStd) {
        return new Gpt(spec, GptInit.init(spec, dtype, seed, initStd));
    }

    public GptSpec spec() {
        return spec;
    }

    /** The live parameter arrays (updated in place by the optimizer). */
    public LinkedHashMap<String, INDArray> params() {
        return params;
    }

    /** Where the phases of {@link #forward} and {@link #forwardBackward} are timed ({@link PhaseTimes#OFF} by default). */
    public void setPhaseTimes(PhaseTimes times) {
        this.times = times == null ? PhaseTimes.OFF : times;
    }

    /**
     * Chooses the engine (tests compare the two). The kernels need the Vector API module and a FLOAT model;
     * asking for them otherwise is an error, never a silent switch to the graph.
     */
    public synchronized void setEngine(Engine engine) {
        if (engine.kernels() && !VectorSupport.available()) {
            throw new IllegalStateException("the kernel engine needs --add-modules jdk.incubator.vector");
        }
        if (engine.kernels() && dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("the kernel engine computes in FLOAT; this model is " + dataType()
                    + ": run it with RLHF4J_ENGINE=graph (SameDiff computes in any type), or convert its weights to F32");
        }
        this.engine = engine;
    }

    /** The engine this model computes with. */
    public Engine engine() {
        return engine;
    }

    /**
     * Drops the buffers kept for training passes (the arenas of the last batch sizes and their graphs), so that a
     * collection can free them; the next pass makes them again. For the end of training: the small config's PPO
     * test evaluation ran out of memory with the policy's and the value model's training buffers still held.
     */
    public void releaseBuffers() {
        kernelPass.release();
        graphPass.release();
    }

    /** The model's forward with a key/value cache, for sampling, on this model's engine (its live parameters). */
    public InferenceModel decoder() {
        return new InferenceModel(spec, params, engine());
    }

    public DataType dataType() {
        return params.get(ParamNames.WTE).dataType();
    }

    public boolean hasScoreHead() {
        return params.containsKey(ParamNames.SCORE_WEIGHT);
    }

    /** The SameDiff graph of the graph engine for this request and shape (built once, then cached). */
    public synchronized GptGraph graph(HeadRequest request, int batch, int seqLen) {
        return graphPass.graph(request, batch, seqLen);
    }


    /** What the request asks, for this batch (no gradient). */
    public synchronized HeadOutputs forward(HeadRequest request, TokenBatch batch) {
        relief.check();
        return pass(request, batch, null).outputs();
    }

    /** The outputs, the loss computed from them, and its gradient for every parameter it depends on (in parameter order). */
    public record Step(HeadOutputs outputs, Loss loss, Map<String, INDArray> grads) {}

    /**
     * One forward and backward pass: the request's outputs, the loss {@code objective} makes of them, and the
     * loss's gradient with respect to the parameters.
     */
    public synchronized Step forwardBackward(HeadRequest request, TokenBatch batch, Function<HeadOutputs, Loss> objective) {
        relief.check();
        return pass(request, batch, objective);
    }

    private Step pass(HeadRequest request, TokenBatch batch, Function<HeadOutputs, Loss> objective) {
        return engine().kernels() ? kernelPass.run(request, batch, objective, times, engine().gemm())
                : graphPass.run(request, batch, objective, times);
    }


}
