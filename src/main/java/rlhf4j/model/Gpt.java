package rlhf4j.model;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A GPT: its architecture, its parameters (GPT-2 names, in insertion order) and what computes
 * with them. The trunk is {@link GptDefinition}; a head ({@link Head}) reads its hidden state.
 *
 * <p>Two engines run that one definition: {@link Engine#GRAPH} builds it, head included, as one
 * SameDiff graph per (head, batch, length) and lets SameDiff differentiate it — the reference,
 * gradient-checked in DOUBLE; the embedding lookup and its gradient (a scatter-add) happen here,
 * outside the graph. {@link Engine#KERNELS} runs it over {@link KernelOps}, whose tape composes
 * each operation's own backward, with the head as a SameDiff graph over the hidden state (the LM
 * loss head by kernels, {@link KernelLmHead}); several times faster. FLOAT models use the kernels
 * when the JVM has the Vector API module ({@code --add-modules jdk.incubator.vector}, which the
 * launcher passes) unless the system property {@code rlhf4j.engine=graph} says otherwise; other
 * dtypes always use the graph.
 */
public final class Gpt {
    private static final int MAX_CACHED_GRAPHS = 8;
    private static final int MAX_CACHED_SHAPES = 2;

    /** How forward and backward are computed. */
    public enum Engine {
        /** The whole model as one SameDiff graph. */
        GRAPH,
        /** The definition over the FLOAT kernels and their tape, the head as a SameDiff graph (FLOAT only). */
        KERNELS
    }

    private final GptSpec spec;
    private final LinkedHashMap<String, INDArray> params;
    private final Rotary rotary;                     // null without rotary positions
    private PhaseTimes times = PhaseTimes.OFF;
    private Engine engine = defaultEngine();
    private final Map<String, Arena> arenas = new LinkedHashMap<>(8, 0.75f, true) { // by batch size
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Arena> eldest) {
            return size() > MAX_CACHED_SHAPES; // activations of a 12M model at B·T = 2048 take ~0.5 GB
        }
    };
    private KernelLmHead lmHead;
    private KernelForwardHeads forwardHeads;
    private final Map<String, GptGraph> graphs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, GptGraph> eldest) {
            return size() > MAX_CACHED_GRAPHS;
        }
    };

    /** Views among the arrays are replaced by copies: SameDiff silently copies a view, and would then miss in-place updates. */
    public Gpt(GptSpec spec, LinkedHashMap<String, INDArray> params) {
        this.spec = spec;
        params.replaceAll((name, arr) -> arr.isView() ? arr.dup('c') : arr);
        this.params = params;
        this.rotary = Rotary.of(spec);
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

    /** Where the Java-side phases of {@link #forward} and {@link #forwardBackward} are timed ({@link PhaseTimes#OFF} by default). */
    public void setPhaseTimes(PhaseTimes times) {
        this.times = times == null ? PhaseTimes.OFF : times;
    }

    /**
     * The engine FLOAT models use by default: the kernels when the Vector API is there, unless {@code
     * -Drlhf4j.engine=graph} (the launcher passes {@code RLHF4J_ENGINE}). Both are bitwise reproducible across
     * JVMs and JIT tiers (the kernels sum lanes in a fixed order and compute their own exp, see {@link
     * rlhf4j.nn.FloatKernels}), so a resumed run repeats an uninterrupted one with either.
     */
    public static Engine defaultEngine() {
        return rlhf4j.nn.VectorSupport.enabled() ? Engine.KERNELS : Engine.GRAPH;
    }

    /** Chooses the engine (tests compare the two); {@link Engine#KERNELS} needs the Vector API module. */
    public synchronized void setEngine(Engine engine) {
        if (engine == Engine.KERNELS && !rlhf4j.nn.VectorSupport.available()) {
            throw new IllegalStateException("the kernel engine needs --add-modules jdk.incubator.vector");
        }
        this.engine = engine;
    }

    /** The engine this model computes with now (GRAPH for non-FLOAT models whatever was chosen). */
    public Engine engine() {
        return engine == Engine.KERNELS && dataType() == DataType.FLOAT ? Engine.KERNELS : Engine.GRAPH;
    }

    public DataType dataType() {
        return params.get(ParamNames.WTE).dataType();
    }

    public boolean hasScoreHead() {
        return params.containsKey(ParamNames.SCORE_WEIGHT);
    }

    /** The SameDiff graph the current engine runs for this head and shape: the whole model, or the head alone. */
    public synchronized GptGraph graph(Head head, int batch, int seqLen) {
        if (seqLen > spec.blockSize()) {
            throw new IllegalArgumentException("sequence length " + seqLen + " exceeds block_size " + spec.blockSize());
        }
        boolean headOnly = engine() == Engine.KERNELS;
        String key = (headOnly ? "head:" : "model:") + head.key() + "/" + batch + "x" + seqLen;
        return graphs.computeIfAbsent(key, k -> new GptGraph(spec, params, head, batch, seqLen, headOnly));
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

    /** The trunk's placeholders for a batch, plus the head's own. */
    public Map<String, INDArray> placeholders(TokenBatch batch, Map<String, INDArray> headInputs) {
        Map<String, INDArray> feed = new HashMap<>(headInputs);
        times.time("embedding gather", () -> feed.put(GptGraph.EMB, embed(batch)));
        times.time("attention bias", () -> feed.put(GptGraph.ATTN_BIAS, batch.attentionBias(dataType())));
        if (spec.position() == Position.ROPE) {
            INDArray[] factors = rotary.factors(batch.positions(), dataType());        // [B*T, 3C] ×2
            feed.put(GptGraph.ROPE_COS, factors[0]);
            feed.put(GptGraph.ROPE_SIN, factors[1]);
        }
        return feed;
    }

    public synchronized Map<String, INDArray> forward(Head head, TokenBatch batch, Map<String, INDArray> headInputs,
                                                      String... outputs) {
        if (engine() == Engine.GRAPH) {
            return graph(head, batch.batch(), batch.seqLen()).output(placeholders(batch, headInputs), outputs);
        }
        KernelPass pass = trunkForward(batch, false);
        if (KernelForwardHeads.accepts(head, headInputs, outputs)) {
            if (forwardHeads == null) {
                forwardHeads = new KernelForwardHeads();
            }
            try (PhaseTimes.Scope s = times.phase("forward head kernels")) {
                return forwardHeads.forward(head, pass.hidden().value, params, headInputs, outputs, batch.batch(),
                        batch.seqLen());
            }
        }
        Map<String, INDArray> feed = new HashMap<>(headInputs);
        feed.put(GptGraph.HIDDEN, pass.hidden().value);
        List<String> fromGraph = new java.util.ArrayList<>();
        for (String o : outputs) {
            if (!o.equals(GptGraph.HIDDEN)) {
                fromGraph.add(o);
            }
        }
        Map<String, INDArray> out = new HashMap<>(fromGraph.isEmpty() ? Map.of()
                : graph(head, batch.batch(), batch.seqLen()).output(feed, fromGraph.toArray(new String[0])));
        if (fromGraph.size() < outputs.length) {
            out.put(GptGraph.HIDDEN, pass.hidden().value.dup()); // the trunk reuses its buffer
        }
        return out;
    }

    /** A kernel-engine pass: its operations (and tape) and the hidden state [B*T, C] (a reused buffer). */
    private record KernelPass(KernelOps ops, Tensor hidden) {}

    /** {@link GptDefinition} over {@link KernelOps}, on a tape when the pass will be differentiated. */
    private KernelPass trunkForward(TokenBatch batch, boolean differentiable) {
        if (batch.seqLen() > spec.blockSize()) {
            throw new IllegalArgumentException("sequence length " + batch.seqLen() + " exceeds block_size " + spec.blockSize());
        }
        INDArray bias;                                                                  // [B|1, 1, T, T]
        try (PhaseTimes.Scope s = times.phase("attention bias")) {
            bias = batch.attentionBias(DataType.FLOAT);
        }
        Arena arena = arenas.computeIfAbsent("B=" + batch.batch(), k -> new Arena()); // any T: buffers grow to the longest
        KernelOps ops = KernelOps.training(spec, params, arena, differentiable ? new Tape(times) : null, batch, bias,
                rotary);
        return new KernelPass(ops, GptDefinition.hidden(TimedOps.of(ops, times), spec));
    }

    /** Outputs, and the loss gradient for every parameter the head's loss depends on. */
    public record Step(Map<String, INDArray> outputs, Map<String, INDArray> grads) {}

    public synchronized Step forwardBackward(Head head, TokenBatch batch, Map<String, INDArray> headInputs,
                                             List<String> outputs) {
        if (engine() == Engine.KERNELS) {
            return kernelForwardBackward(head, batch, headInputs, outputs);
        }
        GptGraph graph = graph(head, batch.batch(), batch.seqLen());
        Map<String, INDArray> feed = placeholders(batch, headInputs);
        OutAndGrad result;
        try (PhaseTimes.Scope s = times.phase("graph (fwd+bwd)")) {
            result = graph.outputAndGradients(feed, outputs);
        }
        Map<String, INDArray> grads = new HashMap<>(result.getGradients());
        try (PhaseTimes.Scope s = times.phase("embedding gradient scatter")) {
            scatterEmbeddingGradient(batch, grads.remove(GptGraph.EMB), grads);
        }
        return new Step(result.getOutputs(), inParamOrder(grads));
    }

    private Step kernelForwardBackward(Head head, TokenBatch batch, Map<String, INDArray> headInputs,
                                       List<String> outputs) {
        KernelPass pass = trunkForward(batch, true);
        Map<String, INDArray> headOutputs;
        Map<String, INDArray> headGrads = new HashMap<>();
        PhaseTimes.Scope headTime = times.phase(KernelLmHead.accepts(head, headInputs) ? "LM head kernels (fwd+bwd)"
                : "head graph (fwd+bwd)");
        if (KernelLmHead.accepts(head, headInputs)) {
            if (lmHead == null) {
                lmHead = new KernelLmHead();
            }
            KernelLmHead.Result r = lmHead.forwardBackward(pass.hidden().value, params.get(ParamNames.WTE), headInputs, outputs);
            headOutputs = r.outputs();
            headGrads.put(ParamNames.WTE, r.dWte());
            headGrads.put(GptGraph.HIDDEN, r.dHidden());
        } else {
            Map<String, INDArray> feed = new HashMap<>(headInputs);
            feed.put(GptGraph.HIDDEN, pass.hidden().value);
            OutAndGrad fromHead = graph(head, batch.batch(), batch.seqLen()).outputAndGradients(feed, outputs);
            headOutputs = fromHead.getOutputs();
            headGrads.putAll(fromHead.getGradients());
        }
        headTime.close();
        pass.ops().backward(pass.hidden(), headGrads.get(GptGraph.HIDDEN));
        Map<String, INDArray> trunkGrads = pass.ops().paramGrads();
        Map<String, INDArray> grads = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            INDArray fromHead = headGrads.get(name);
            INDArray fromTrunk = trunkGrads.get(name);
            INDArray g = fromTrunk == null ? fromHead : fromHead == null ? fromTrunk : fromTrunk.addi(fromHead);
            if (g != null) {
                grads.put(name, g);
            }
        }
        return new Step(headOutputs, grads);
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
