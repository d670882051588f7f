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

/**
 * The graph engine's passes ({@link Engine#GRAPH}): the whole request as one SameDiff graph per (request,
 * batch, length), built once and cached ({@link GptGraph}), differentiated by SameDiff — the reference, gradient
 * checked in DOUBLE. The embedding lookup and its gradient (a scatter-add) happen here in Java, outside the graph,
 * because the native gather's gradient is wrong (docs/SAMEDIFF.md).
 */
final class GraphPass {
    private static final int MAX_CACHED_GRAPHS = 8;

    private final GptSpec spec;
    private final Map<String, INDArray> params;
    private final Rotary rotary;                     // null without rotary positions
    private final Map<String, GptGraph> graphs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, GptGraph> eldest) {
            return size() > MAX_CACHED_GRAPHS;
        }
    };

    GraphPass(GptSpec spec, Map<String, INDArray> params, Rotary rotary) {
        this.spec = spec;
        this.params = params;
        this.rotary = rotary;
    }

    /** Drops the cached graphs, so a collection can free them. */
    void release() {
        graphs.clear();
    }

    private DataType dataType() {
        return params.get(ParamNames.WTE).dataType();
    }

    /** The SameDiff graph of the graph engine for this request and shape (built once, then cached). */
    GptGraph graph(HeadRequest request, int batch, int seqLen) {
        spec.checkLength(seqLen);
        String key = request.graphKey() + "/" + batch + "x" + seqLen;
        return graphs.computeIfAbsent(key, k -> new GptGraph(spec, params, request, batch, seqLen));
    }

    /**
     * Token plus position embeddings [B*T, C]. Rows are gathered with the native {@code pullRows}
     * (one op; {@code INDArray.getRows} copies row by row and took 80–300 ms for 2048 rows).
     */
    INDArray embed(TokenBatch batch) {
        INDArray tok = Nd4j.pullRows(params.get(ParamNames.WTE), 1, batch.tokens());    // [B*T, C]
        if (spec.position() != Position.LEARNED) {
            return tok;
        }
        INDArray pos = Nd4j.pullRows(params.get(ParamNames.WPE), 1, batch.positions()); // [B*T, C]
        return tok.addi(pos);
    }

    /** The graph's inputs for a batch and request. */
    private Map<String, INDArray> placeholders(TokenBatch batch, HeadRequest request, PhaseTimes times) {
        Map<String, INDArray> feed = new HashMap<>();
        times.time("embedding gather", () -> feed.put(GptGraph.EMB, embed(batch)));
        times.time("attention bias", () -> feed.put(GptGraph.ATTN_BIAS, batch.attentionBias(dataType())));
        if (spec.position() == Position.ROPE) {
            INDArray[] factors = rotary.factors(batch.positions(), spec.nHead(), dataType()); // [B*T, C] ×2
            feed.put(GptGraph.ROPE_COS, factors[0]);
            feed.put(GptGraph.ROPE_SIN, factors[1]);
        }
        if (request.targets() != null) {
            feed.put(GptGraph.TARGET_ONEHOT, LmTargets.oneHot(request.targets(), spec.vocabSize(), dataType())); // [B*T, V]
        }
        return feed;
    }


    /** The whole request as one SameDiff graph: a forward, then (for a loss) the gradient seeded with its derivatives. */
    Gpt.Step run(HeadRequest request, TokenBatch batch, Function<HeadOutputs, Loss> objective, PhaseTimes times) {
        spec.checkPass(batch, request.targets());
        GptGraph graph = graph(request, batch.batch(), batch.seqLen());
        Map<String, INDArray> feed = placeholders(batch, request, times);
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
            return new Gpt.Step(out, null, Map.of());
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
        return new Gpt.Step(out, loss, ParamNames.inOrder(params, grads));
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
