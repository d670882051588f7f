package rlhf4j.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.loss.Loss;
import rlhf4j.nn.VectorSupport;

/**
 * A GPT: its architecture, its parameters (GPT-2 names, in insertion order) and what computes
 * with them. The model and its heads are {@link GptDefinition}; a pass computes what a {@link
 * HeadRequest} asks, and a training pass also takes the loss ({@link rlhf4j.loss.Losses}) as a function
 * of those outputs, whose derivatives the engine carries back to every parameter.
 *
 * <p>Two engines run that one definition: {@link Engine#GRAPH} builds it as one SameDiff graph per
 * (request, batch, length) and lets SameDiff differentiate it — the reference, gradient-checked in
 * DOUBLE; the embedding lookup and its gradient (a scatter-add) happen here, outside the graph. {@link
 * Engine#KERNELS} runs it over {@link KernelOps}, whose tape composes each operation's own backward;
 * several times faster. FLOAT models use the kernels when the JVM has the Vector API module ({@code
 * --add-modules jdk.incubator.vector}, which the launcher passes) unless the system property {@code
 * rlhf4j.engine=graph} says otherwise; other dtypes always use the graph.
 */
public final class Gpt {
    private static final int MAX_CACHED_GRAPHS = 8;
    private static final int MAX_CACHED_SHAPES = 2;

    /** How forward and backward are computed. */
    public enum Engine {
        /** The whole model as one SameDiff graph. */
        GRAPH,
        /** The definition over the FLOAT kernels and their tape (FLOAT only). */
        KERNELS
    }

    private final GptSpec spec;
    private final LinkedHashMap<String, INDArray> params;
    private final Rotary rotary;                     // null without rotary positions
    private PhaseTimes times = PhaseTimes.OFF;
    private final MemoryRelief relief = MemoryRelief.ofThisJvm();
    private Engine engine;
    private final Map<String, Arena> arenas = new LinkedHashMap<>(8, 0.75f, true) { // by batch size
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Arena> eldest) {
            return size() > MAX_CACHED_SHAPES; // activations of a 12M model at B·T = 2048 take ~0.5 GB
        }
    };
    private final Map<String, GptGraph> graphs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, GptGraph> eldest) {
            return size() > MAX_CACHED_GRAPHS;
        }
    };

    /** On the engine {@link #defaultEngine} gives its dtype (tests and library use; stages pass the run's, {@code RunOptions.engine}). */
    public Gpt(GptSpec spec, LinkedHashMap<String, INDArray> params) {
        this(spec, params, defaultEngine(params.get(ParamNames.WTE).dataType()));
    }

    /**
     * A model computing on {@code engine} (a stage gives it the run's, {@code RunOptions.engine}). Views among the
     * arrays are replaced by copies: SameDiff silently copies a view, and would then miss in-place updates.
     */
    public Gpt(GptSpec spec, LinkedHashMap<String, INDArray> params, Engine engine) {
        this.spec = spec;
        params.replaceAll((name, arr) -> arr.isView() ? arr.dup('c') : arr);
        this.params = params;
        this.rotary = Rotary.of(spec);
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
     * The engine a model of this dtype starts with: the kernels for FLOAT when the run has them on (the
     * Vector API module is there and {@code -Drlhf4j.engine}, the launcher's {@code RLHF4J_ENGINE}, is not
     * {@code graph}; each stage prints which, {@link rlhf4j.nn.VectorSupport#engineLine}); the graph for any
     * other dtype, since the kernels compute in FLOAT only. Both are bitwise reproducible across JVMs and JIT
     * tiers (the kernels sum lanes in a fixed order and compute their own exp, see {@link
     * rlhf4j.nn.FloatKernels}), so a resumed run repeats an uninterrupted one with either.
     */
    public static Engine defaultEngine(DataType dtype) {
        return dtype == DataType.FLOAT ? launcherEngine() : Engine.GRAPH;
    }

    /**
     * The engine the launcher asks FLOAT models to use: the kernels, unless {@code RLHF4J_ENGINE=graph} or the JVM
     * lacks the Vector API module. The CLI reads it once per command and passes it down ({@code RunOptions.engine}).
     */
    public static Engine launcherEngine() {
        return VectorSupport.enabled() ? Engine.KERNELS : Engine.GRAPH;
    }

    /**
     * Chooses the engine (tests compare the two). The kernels need the Vector API module and a FLOAT model;
     * asking for them otherwise is an error, never a silent switch to the graph.
     */
    public synchronized void setEngine(Engine engine) {
        if (engine == Engine.KERNELS && !VectorSupport.available()) {
            throw new IllegalStateException("the kernel engine needs --add-modules jdk.incubator.vector");
        }
        if (engine == Engine.KERNELS && dataType() != DataType.FLOAT) {
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
        arenas.clear();
        graphs.clear();
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
        checkLength(seqLen);
        String key = request.graphKey() + "/" + batch + "x" + seqLen;
        return graphs.computeIfAbsent(key, k -> new GptGraph(spec, params, request, batch, seqLen));
    }

    private void checkLength(int seqLen) {
        if (seqLen > spec.blockSize()) {
            throw new IllegalArgumentException("sequence length " + seqLen + " exceeds block_size " + spec.blockSize());
        }
    }

    /**
     * Token plus position embeddings [B*T, C]. Rows are gathered with the native {@code pullRows}
     * (one op; {@code INDArray.getRows} copies row by row and took 80–300 ms for 2048 rows).
     */
    public INDArray embed(TokenBatch batch) {
        INDArray tok = Nd4j.pullRows(params.get(ParamNames.WTE), 1, batch.tokens());    // [B*T, C]
        if (spec.position() != Position.LEARNED) {
            return tok;
        }
        INDArray pos = Nd4j.pullRows(params.get(ParamNames.WPE), 1, batch.positions()); // [B*T, C]
        return tok.addi(pos);
    }

    /** The graph's inputs for a batch and request. */
    private Map<String, INDArray> placeholders(TokenBatch batch, HeadRequest request) {
        Map<String, INDArray> feed = new HashMap<>();
        times.time("embedding gather", () -> feed.put(GptGraph.EMB, embed(batch)));
        times.time("attention bias", () -> feed.put(GptGraph.ATTN_BIAS, batch.attentionBias(dataType())));
        if (spec.position() == Position.ROPE) {
            INDArray[] factors = rotary.factors(batch.positions(), dataType());        // [B*T, 3C] ×2
            feed.put(GptGraph.ROPE_COS, factors[0]);
            feed.put(GptGraph.ROPE_SIN, factors[1]);
        }
        if (request.targets() != null) {
            checkTargets(request.targets(), batch);
            feed.put(GptGraph.TARGET_ONEHOT, LmTargets.oneHot(request.targets(), spec.vocabSize(), dataType())); // [B*T, V]
        }
        return feed;
    }

    private void checkTargets(int[] targets, TokenBatch batch) {
        if (targets.length != batch.tokens().length) {
            throw new IllegalArgumentException(targets.length + " targets for " + batch.tokens().length + " tokens");
        }
        for (int t : targets) {
            if (t < 0 || t >= spec.vocabSize()) {
                throw new IllegalArgumentException("target " + t + " outside the vocabulary [0, " + spec.vocabSize() + ")");
            }
        }
    }

    /** What the request asks, for this batch (no gradient). */
    public synchronized HeadOutputs forward(HeadRequest request, TokenBatch batch) {
        relief.check();
        return (engine() == Engine.KERNELS ? kernelPass(request, batch, null) : graphPass(request, batch, null)).outputs();
    }

    /** The outputs, the loss computed from them, and its gradient for every parameter it depends on (in parameter order). */
    public record Step(HeadOutputs outputs, Loss loss, Map<String, INDArray> grads) {}

    /**
     * One forward and backward pass: the request's outputs, the loss {@code objective} makes of them, and the
     * loss's gradient with respect to the parameters.
     */
    public synchronized Step forwardBackward(HeadRequest request, TokenBatch batch, Function<HeadOutputs, Loss> objective) {
        relief.check();
        return engine() == Engine.KERNELS ? kernelPass(request, batch, objective) : graphPass(request, batch, objective);
    }

    /** {@link GptDefinition} over {@link KernelOps}, on a tape when there is a loss to differentiate. */
    private Step kernelPass(HeadRequest request, TokenBatch batch, Function<HeadOutputs, Loss> objective) {
        checkLength(batch.seqLen());
        if (request.targets() != null) {
            checkTargets(request.targets(), batch);
        }
        INDArray bias;                                                                  // [B|1, 1, T, T]
        try (PhaseTimes.Scope s = times.phase("attention bias")) {
            bias = batch.attentionBias(DataType.FLOAT);
        }
        Arena arena = arenas.computeIfAbsent("B=" + batch.batch(), k -> new Arena()); // any T: buffers grow to the longest
        KernelOps ops = KernelOps.training(spec, params, arena, objective == null ? null : new Tape(times), batch, bias,
                rotary);
        Ops<Tensor> timed = TimedOps.of(ops, times);
        GptDefinition.Heads<Tensor> heads = GptDefinition.heads(timed, GptDefinition.hidden(timed, spec), request);
        HeadOutputs out = new HeadOutputs(doubles(heads.logp()), doubles(heads.entropy()), doubles(heads.values()),
                request.logits() ? heads.logits().value.dup() : null);
        if (objective == null) {
            return new Step(out, null, Map.of());
        }
        Loss loss = objective.apply(out);
        seed(ops, heads.logp(), loss.dLogp());
        seed(ops, heads.entropy(), loss.dEntropy());
        seed(ops, heads.values(), loss.dValues());
        ops.backward();
        return new Step(out, loss, inParamOrder(ops.paramGrads()));
    }

    /** A kernel result [N] or [N, 1] as doubles (read from its own floats: an arena slot may be longer). */
    private static double[] doubles(Tensor t) {
        if (t == null) {
            return null;
        }
        double[] out = new double[t.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.data.getFloat(i * 4);
        }
        return out;
    }

    private static void seed(KernelOps ops, Tensor output, double[] d) {
        if (output == null || d == null) {
            return;
        }
        if (d.length != output.length()) {
            throw new IllegalArgumentException("a loss derivative of " + d.length + " entries for " + output.length()
                    + " outputs");
        }
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        ops.seed(output, f);
    }

    /** The whole request as one SameDiff graph: a forward, then (for a loss) the gradient seeded with its derivatives. */
    private Step graphPass(HeadRequest request, TokenBatch batch, Function<HeadOutputs, Loss> objective) {
        GptGraph graph = graph(request, batch.batch(), batch.seqLen());
        Map<String, INDArray> feed = placeholders(batch, request);
        List<String> names = new ArrayList<>();
        if (request.targets() != null) {
            names.add(GptGraph.TOKEN_LOGP);
        }
        if (request.entropy()) {
            names.add(GptGraph.ENTROPY);
        }
        if (request.values()) {
            names.add(GptGraph.VALUES);
        }
        if (request.logits()) {
            names.add(GptGraph.LOGITS);
        }
        Map<String, INDArray> raw;
        try (PhaseTimes.Scope s = times.phase("graph forward")) {
            raw = graph.output(feed, names);
        }
        HeadOutputs out = new HeadOutputs(vector(raw.get(GptGraph.TOKEN_LOGP)), vector(raw.get(GptGraph.ENTROPY)),
                vector(raw.get(GptGraph.VALUES)), raw.get(GptGraph.LOGITS));
        if (objective == null) {
            return new Step(out, null, Map.of());
        }
        Loss loss = objective.apply(out);
        int n = batch.tokens().length;
        seedFeed(feed, request.targets() != null, GptGraph.TOKEN_LOGP, loss.dLogp(), n);
        seedFeed(feed, request.entropy(), GptGraph.ENTROPY, loss.dEntropy(), n);
        seedFeed(feed, request.values(), GptGraph.VALUES, loss.dValues(), n);
        Map<String, INDArray> grads;
        try (PhaseTimes.Scope s = times.phase("graph (fwd+bwd)")) {
            grads = new HashMap<>(graph.gradients(feed));
        }
        try (PhaseTimes.Scope s = times.phase("embedding gradient scatter")) {
            scatterEmbeddingGradient(batch, grads.remove(GptGraph.EMB), grads);
        }
        return new Step(out, loss, inParamOrder(grads));
    }

    private static double[] vector(INDArray a) {
        return a == null ? null : a.reshape(-1).toDoubleVector();
    }

    private void seedFeed(Map<String, INDArray> feed, boolean present, String output, double[] d, int n) {
        if (!present) {
            return;
        }
        if (d != null && d.length != n) {
            throw new IllegalArgumentException("a loss derivative of " + d.length + " entries for " + n + " outputs");
        }
        feed.put(GptGraph.seedOf(output), d == null ? Nd4j.zeros(dataType(), n)
                : Nd4j.createFromArray(d).castTo(dataType()));                          // [N]
    }

    /** The gradients in the order of the parameters (both engines give the same order). */
    private Map<String, INDArray> inParamOrder(Map<String, INDArray> grads) {
        Map<String, INDArray> ordered = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            INDArray g = grads.get(name);
            if (g != null) {
                ordered.put(name, g);
            }
        }
        return ordered;
    }

    /**
     * d emb [B*T, C] → added into the rows of d wte [V, C] and d wpe [T_max, C] that were looked up.
     * Plain Java loops over float[] (or double[] for a DOUBLE model) with one bulk copy in and out
     * of native memory each: the native scatter ops are not trusted with repeated indices (docs/SAMEDIFF.md).
     * The kernel engine's {@code FloatKernels.scatterAddRows} is not used here because this engine must run
     * where the Vector API module is absent.
     */
    private void scatterEmbeddingGradient(TokenBatch batch, INDArray dEmb, Map<String, INDArray> grads) {
        int c = spec.nEmbd();
        int[] tokens = batch.tokens();
        int[] positions = batch.positions();
        INDArray lmPart = grads.get(ParamNames.WTE);                                   // [V, C] or null
        long[] wteShape = {spec.vocabSize(), c};
        long[] wpeShape = {spec.blockSize(), c};
        boolean learnedPositions = spec.position() == Position.LEARNED;
        if (dataType() == DataType.FLOAT) {
            float[] d = dense(dEmb).data().asFloat();                                // [B*T*C]
            float[] dWte = lmPart == null ? new float[spec.vocabSize() * c] : dense(lmPart).data().asFloat(); // [V*C]
            float[] dWpe = new float[spec.blockSize() * c];                            // [T_max*C]
            for (int row = 0; row < tokens.length; row++) {
                int src = row * c;
                int tok = tokens[row] * c;
                int pos = positions[row] * c;
                for (int j = 0; j < c; j++) {
                    dWte[tok + j] += d[src + j];
                    dWpe[pos + j] += d[src + j];
                }
            }
            grads.put(ParamNames.WTE, Nd4j.create(dWte, wteShape, 'c'));
            if (learnedPositions) {
                grads.put(ParamNames.WPE, Nd4j.create(dWpe, wpeShape, 'c'));
            }
            return;
        }
        double[] d = dense(dEmb).data().asDouble();                                   // [B*T*C]
        double[] dWte = new double[spec.vocabSize() * c];                               // [V*C]
        double[] dWpe = new double[spec.blockSize() * c];                               // [T_max*C]
        for (int row = 0; row < tokens.length; row++) {
            int src = row * c;
            int tok = tokens[row] * c;
            int pos = positions[row] * c;
            for (int j = 0; j < c; j++) {
                dWte[tok + j] += d[src + j];
                dWpe[pos + j] += d[src + j];
            }
        }
        INDArray wteScatter = Nd4j.create(dWte, wteShape, DataType.DOUBLE).castTo(dataType());
        grads.put(ParamNames.WTE, lmPart == null ? wteScatter : lmPart.addi(wteScatter));
        if (learnedPositions) {
            grads.put(ParamNames.WPE, Nd4j.create(dWpe, wpeShape, DataType.DOUBLE).castTo(dataType()));
        }
    }

    /** The array itself when its buffer holds exactly its elements in C order, else a C-order copy. */
    private static INDArray dense(INDArray a) {
        return a.isView() || a.ordering() != 'c' || a.data().length() != a.length() ? a.dup('c') : a;
    }
}
