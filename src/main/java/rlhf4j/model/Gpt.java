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
 * with them. The embedding lookup and its gradient (a scatter-add) happen here, outside any graph.
 *
 * <p>Two engines compute the same function: {@link Engine#GRAPH}, the whole model as one SameDiff
 * graph per (head, batch, length) — the reference, gradient-checked in DOUBLE — and {@link
 * Engine#KERNELS}, the trunk by hand ({@link KernelTrunk}) under a SameDiff graph of the head
 * alone (the LM loss head by hand too, {@link KernelLmHead}), several times faster.
 * FLOAT models use the kernels when the JVM has the Vector API module
 * ({@code --add-modules jdk.incubator.vector}, which the launcher passes) unless the system
 * property {@code rlhf4j.engine=graph} says otherwise; other dtypes always use the graph.
 */
public final class Gpt {
    private static final int MAX_CACHED_GRAPHS = 8;

    /** How forward and backward are computed. */
    public enum Engine {
        /** The whole model as one SameDiff graph. */
        GRAPH,
        /** The trunk in hand-written kernels, the head as a SameDiff graph (FLOAT only). */
        KERNELS
    }

    private final GptSpec spec;
    private final LinkedHashMap<String, INDArray> params;
    private PhaseTimes times = PhaseTimes.OFF;
    private Engine engine = defaultEngine();
    private KernelTrunk trunk;
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
        if (engine == Engine.KERNELS && !KernelTrunk.available()) {
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

    private KernelTrunk trunk() {
        if (trunk == null) {
            trunk = new KernelTrunk(spec, params);
        }
        trunk.setPhaseTimes(times);
        return trunk;
    }

    /**
     * Token plus position embeddings [B*T, C]. Rows are gathered with the native {@code pullRows}
     * (one op; {@code INDArray.getRows} copies row by row and took 80–300 ms for 2048 rows).
     */
    public INDArray embed(TokenBatch batch) {
        INDArray tok = Nd4j.pullRows(params.get(ParamNames.WTE), 1, batch.tokens());    // [B*T, C]
        INDArray pos = Nd4j.pullRows(params.get(ParamNames.WPE), 1, batch.positions()); // [B*T, C]
        return tok.addi(pos);
    }

    /** The trunk's placeholders for a batch, plus the head's own. */
    public Map<String, INDArray> placeholders(TokenBatch batch, Map<String, INDArray> headInputs) {
        Map<String, INDArray> feed = new HashMap<>(headInputs);
        long t0 = times.start();
        feed.put(GptGraph.EMB, embed(batch));
        times.stop("embedding gather", t0);
        t0 = times.start();
        feed.put(GptGraph.ATTN_BIAS, batch.attentionBias(dataType()));
        times.stop("attention bias", t0);
        return feed;
    }

    public synchronized Map<String, INDArray> forward(Head head, TokenBatch batch, Map<String, INDArray> headInputs,
                                                      String... outputs) {
        if (engine() == Engine.GRAPH) {
            return graph(head, batch.batch(), batch.seqLen()).output(placeholders(batch, headInputs), outputs);
        }
        KernelTrunk.Pass pass = trunkForward(batch);
        if (KernelForwardHeads.accepts(head, headInputs, outputs)) {
            if (forwardHeads == null) {
                forwardHeads = new KernelForwardHeads();
            }
            long t0 = times.start();
            Map<String, INDArray> out = forwardHeads.forward(head, pass.hidden(), params, headInputs, outputs,
                    batch.batch(), batch.seqLen());
            times.stop("forward head kernels", t0);
            return out;
        }
        Map<String, INDArray> feed = new HashMap<>(headInputs);
        feed.put(GptGraph.HIDDEN, pass.hidden());
        List<String> fromGraph = new java.util.ArrayList<>();
        for (String o : outputs) {
            if (!o.equals(GptGraph.HIDDEN)) {
                fromGraph.add(o);
            }
        }
        Map<String, INDArray> out = new HashMap<>(fromGraph.isEmpty() ? Map.of()
                : graph(head, batch.batch(), batch.seqLen()).output(feed, fromGraph.toArray(new String[0])));
        if (fromGraph.size() < outputs.length) {
            out.put(GptGraph.HIDDEN, pass.hidden().dup()); // the trunk reuses its buffer
        }
        return out;
    }

    /** Embedding, attention bias and the kernel trunk's forward. */
    private KernelTrunk.Pass trunkForward(TokenBatch batch) {
        long t0 = times.start();
        INDArray emb = embed(batch);                                                    // [B*T, C]
        times.stop("embedding gather", t0);
        t0 = times.start();
        INDArray bias = batch.attentionBias(DataType.FLOAT);                            // [B|1, 1, T, T]
        times.stop("attention bias", t0);
        if (batch.seqLen() > spec.blockSize()) {
            throw new IllegalArgumentException("sequence length " + batch.seqLen() + " exceeds block_size " + spec.blockSize());
        }
        return trunk().forward(emb, bias, batch.batch(), batch.seqLen());
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
        long t0 = times.start();
        OutAndGrad result = graph.outputAndGradients(feed, outputs);
        times.stop("graph (fwd+bwd)", t0);
        t0 = times.start();
        Map<String, INDArray> grads = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            INDArray g = result.getGradients().get(name);
            if (g != null) {
                grads.put(name, g);
            }
        }
        scatterEmbeddingGradient(batch, result.getGradients().get(GptGraph.EMB), grads);
        times.stop("embedding gradient scatter", t0);
        return new Step(result.getOutputs(), grads);
    }

    private Step kernelForwardBackward(Head head, TokenBatch batch, Map<String, INDArray> headInputs,
                                       List<String> outputs) {
        KernelTrunk.Pass pass = trunkForward(batch);
        Map<String, INDArray> headOutputs;
        Map<String, INDArray> headGrads = new HashMap<>();
        long t0 = times.start();
        if (KernelLmHead.accepts(head, headInputs)) {
            if (lmHead == null) {
                lmHead = new KernelLmHead();
            }
            KernelLmHead.Result r = lmHead.forwardBackward(pass.hidden(), params.get(ParamNames.WTE), headInputs, outputs);
            headOutputs = r.outputs();
            headGrads.put(ParamNames.WTE, r.dWte());
            headGrads.put(GptGraph.HIDDEN, r.dHidden());
            times.stop("LM head kernels (fwd+bwd)", t0);
        } else {
            Map<String, INDArray> feed = new HashMap<>(headInputs);
            feed.put(GptGraph.HIDDEN, pass.hidden());
            OutAndGrad fromHead = graph(head, batch.batch(), batch.seqLen()).outputAndGradients(feed, outputs);
            headOutputs = fromHead.getOutputs();
            headGrads.putAll(fromHead.getGradients());
            times.stop("head graph (fwd+bwd)", t0);
        }
        Map<String, INDArray> trunkGrads = trunk().backward(pass, headGrads.get(GptGraph.HIDDEN));
        t0 = times.start();
        Map<String, INDArray> grads = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            INDArray g = headGrads.get(name);
            if (g == null) {
                g = trunkGrads.get(name);
            }
            if (g != null) {
                grads.put(name, g);
            }
        }
        scatterEmbeddingGradient(batch, trunkGrads.get(GptGraph.EMB), grads);
        times.stop("embedding gradient scatter", t0);
        return new Step(headOutputs, grads);
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
            grads.put(ParamNames.WPE, Nd4j.create(dWpe, wpeShape, 'c'));
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
        grads.put(ParamNames.WPE, Nd4j.create(dWpe, wpeShape, DataType.DOUBLE).castTo(dataType()));
    }

    /** The array itself when its buffer holds exactly its elements in C order, else a C-order copy. */
    private static INDArray dense(INDArray a) {
        return a.isView() || a.ordering() != 'c' || a.data().length() != a.length() ? a.dup('c') : a;
    }
}
