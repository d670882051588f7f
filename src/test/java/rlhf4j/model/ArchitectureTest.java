package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The LLaMA family's architecture choices ({@link GptSpec}): which tensors a LLaMA- or Qwen2-shaped spec has, what
 * grouped-query attention means (query head h reads key/value head h / (H / Hkv), checked against the multi-head
 * model whose key/value heads are copies), the rotary base, and cached decoding over both decoding engines against
 * the full forward. Gradients are in {@code GptGradientTest}, kernels against the graph in {@code
 * EngineEquivalenceTest} and {@code KernelOpsTest}.
 */
class ArchitectureTest {
    /** A LLaMA: RMSNorm, rotary positions with θ = 500000, SwiGLU of width I, Hkv = H/2, no biases, untied head. */
    static GptSpec llama(int layers, int heads, int embd, int block, int vocab, int hidden) {
        return new GptSpec(layers, heads, embd, block, vocab, Norm.RMSNORM, Position.ROPE).withKvHeads(heads / 2)
                .withMlp(Mlp.SWIGLU, hidden).withBias(Bias.NONE).withRopeTheta(500_000).withRmsNormEpsilon(1e-5)
                .withTiedHead(false);
    }

    /**
     * A Qwen2: as {@link #llama} with one key/value head, q/k/v biases, θ = 10⁶ and the tied head of its small
     * models; its RMSNorm epsilon is large (0.01) so that an engine ignoring it would disagree with the others.
     */
    static GptSpec qwen2(int layers, int heads, int embd, int block, int vocab, int hidden) {
        return new GptSpec(layers, heads, embd, block, vocab, Norm.RMSNORM, Position.ROPE).withKvHeads(1)
                .withMlp(Mlp.SWIGLU, hidden).withBias(Bias.QKV).withRopeTheta(1e6).withRmsNormEpsilon(0.01);
    }

    @Test
    void theDefaultsAreGpt2sBlock() {
        GptSpec spec = new GptSpec(2, 4, 32, 16, 50);
        assertEquals(4, spec.nKvHead());
        assertEquals(Mlp.GELU, spec.mlp());
        assertEquals(128, spec.mlpHidden());
        assertEquals(Bias.ALL, spec.bias());
        assertEquals(10_000.0, spec.ropeTheta());
        assertEquals(1e-6, spec.rmsNormEpsilon());
        assertTrue(spec.tiedHead());
        assertEquals(96, spec.qkvWidth());
        assertEquals(spec, spec.withKvHeads(4).withMlp(Mlp.GELU, 128).withBias(Bias.ALL).withRopeTheta(10_000)
                .withRmsNormEpsilon(1e-6).withTiedHead(true));
    }

    @Test
    void llamaHasNoBiasesAndItsOwnHead() {
        GptSpec spec = llama(2, 4, 32, 16, 50, 48);                     // D = 8, Hkv = 2
        Map<String, long[]> layout = ParamNames.layout(spec, false);
        assertTrue(layout.keySet().stream().noneMatch(n -> n.endsWith(".bias")), layout.keySet().toString());
        assertArrayEquals(new long[] {32, 32 + 2 * 2 * 8}, layout.get("h.0.attn.c_attn.weight"));
        assertArrayEquals(new long[] {32, 2 * 48}, layout.get("h.1.mlp.c_fc.weight"));
        assertArrayEquals(new long[] {48, 32}, layout.get("h.1.mlp.c_proj.weight"));
        assertArrayEquals(new long[] {50, 32}, layout.get(ParamNames.LM_HEAD));
        assertFalse(layout.containsKey(ParamNames.WPE));
        assertEquals(ParamNames.LM_HEAD, ParamNames.lmHead(spec));
    }

    @Test
    void qwen2HasOnlyQkvBiases() {
        GptSpec spec = qwen2(2, 4, 32, 16, 50, 48);
        Map<String, long[]> layout = ParamNames.layout(spec, true);
        List<String> biases = layout.keySet().stream().filter(n -> n.endsWith(".bias")).toList();
        assertEquals(List.of("h.0.attn.c_attn.bias", "h.1.attn.c_attn.bias", ParamNames.SCORE_BIAS), biases);
        assertArrayEquals(new long[] {32 + 2 * 8}, layout.get("h.0.attn.c_attn.bias"));
        assertFalse(layout.containsKey(ParamNames.LM_HEAD));
        assertEquals(ParamNames.WTE, ParamNames.lmHead(spec));
    }

    @Test
    void invalidChoicesAreRefused() {
        GptSpec spec = new GptSpec(1, 4, 16, 8, 10);
        assertThrows(IllegalArgumentException.class, () -> spec.withKvHeads(3), "3 does not divide 4");
        assertThrows(IllegalArgumentException.class, () -> spec.withKvHeads(0));
        assertThrows(IllegalArgumentException.class, () -> spec.withMlp(Mlp.SWIGLU, 0));
        assertThrows(IllegalArgumentException.class, () -> spec.withRopeTheta(0));
        assertThrows(IllegalArgumentException.class, () -> spec.withRmsNormEpsilon(-1e-6));
    }

    /** The rotary angle of dimension pair i at position p is p·θ^(−2i/D), θ the spec's. */
    @Test
    void theRotaryBaseIsTheSpecs() {
        GptSpec spec = new GptSpec(1, 2, 16, 8, 10, Norm.RMSNORM, Position.ROPE).withRopeTheta(500_000);  // D = 8
        INDArray[] factors = new Rotary(spec).factors(new int[] {0, 5}, 2, DataType.DOUBLE);          // [2, 16] ×2
        for (int i = 0; i < 4; i++) {
            double angle = 5 * Math.pow(500_000, -2.0 * i / 8);
            assertEquals(Math.cos(angle), factors[0].getDouble(1, i), 1e-12, "cos, pair " + i);
            assertEquals(Math.sin(angle), factors[1].getDouble(1, 8 + i + 4), 1e-12, "sin, second head, pair " + i);
        }
        double tenThousand = new Rotary(new GptSpec(1, 2, 16, 8, 10, Norm.RMSNORM, Position.ROPE))
                .factors(new int[] {5}, 2, DataType.DOUBLE)[0].getDouble(0, 3);
        assertEquals(Math.cos(5 * Math.pow(10_000, -6.0 / 8)), tenThousand, 1e-12);
    }

    /**
     * Grouped-query attention is multi-head attention whose key/value heads are shared: a model with H = 4 query
     * heads over Hkv = 2 computes what the H = 4, Hkv = 4 model computes when that model's key/value head h is a copy
     * of head h / 2 — on every engine. Pairing head h with h mod Hkv instead would fail this.
     */
    @Test
    void sharedKeyValueHeadsAreCopiesOfThemForMultiHeadAttention() {
        GptSpec gqa = llama(2, 4, 16, 8, 13, 24);                                       // D = 4, Hkv = 2
        GptSpec mha = gqa.withKvHeads(4);
        Gpt grouped = Gpt.create(gqa, DataType.FLOAT, 3, 0.3);
        LinkedHashMap<String, INDArray> copied = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : grouped.params().entrySet()) {
            copied.put(e.getKey(), e.getKey().endsWith("attn.c_attn.weight") ? expandKv(e.getValue(), gqa)
                    : e.getValue().dup());
        }
        Gpt multi = new Gpt(mha, copied);
        TokenBatch batch = new TokenBatch(2, 6, new int[] {0, 4, 5, 6, 7, 1, 2, 3, 12, 2, 8, 9},
                new int[] {0, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5}, new int[] {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
        HeadRequest request = HeadRequest.lm(new int[12]).withLogits();
        for (Engine engine : List.of(Engine.GRAPH, Engine.KERNELS)) {
            grouped.setEngine(engine);
            multi.setEngine(engine);
            INDArray want = multi.forward(request, batch).logits();                     // [B*T, V]
            INDArray got = grouped.forward(request, batch).logits();                    // [B*T, V]
            double err = want.sub(got).amaxNumber().doubleValue();
            assertTrue(err < 1e-5 * (want.amaxNumber().doubleValue() + 1), engine + ": max difference " + err);
        }
        // and the copies are what makes them equal: another pairing of the same weights differs
        LinkedHashMap<String, INDArray> paired = new LinkedHashMap<>();
        copied.forEach((name, p) -> paired.put(name, p.dup()));
        paired.put("h.0.attn.c_attn.weight", expandKvModulo(grouped.params().get("h.0.attn.c_attn.weight"), gqa));
        Gpt wrong = new Gpt(mha, paired);
        wrong.setEngine(Engine.GRAPH);
        double err = multi.forward(request, batch).logits().sub(wrong.forward(request, batch).logits())
                .amaxNumber().doubleValue();
        assertTrue(err > 1e-3, "pairing h with h mod Hkv should differ, max difference " + err);
    }

    /** c_attn [C, (H + 2·Hkv)·D] of a grouped model → [C, 3·H·D] with key/value head h the grouped model's h / g. */
    private static INDArray expandKv(INDArray w, GptSpec spec) {
        return expand(w, spec, false);
    }

    private static INDArray expandKvModulo(INDArray w, GptSpec spec) {
        return expand(w, spec, true);
    }

    private static INDArray expand(INDArray w, GptSpec spec, boolean modulo) {
        int d = spec.headDim();
        int h = spec.nHead();
        int hkv = spec.nKvHead();
        int c = spec.nEmbd();
        INDArray out = org.nd4j.linalg.factory.Nd4j.create(w.dataType(), w.size(0), 3L * c);   // [C, 3C]
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c)).assign(w.get(NDArrayIndex.all(),
                NDArrayIndex.interval(0, c)));
        for (int block = 0; block < 2; block++) {                     // keys, then values
            for (int head = 0; head < h; head++) {
                int source = modulo ? head % hkv : head / (h / hkv);
                long from = c + (long) block * hkv * d + (long) source * d;
                long to = c + (long) block * c + (long) head * d;
                out.get(NDArrayIndex.all(), NDArrayIndex.interval(to, to + d))
                        .assign(w.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + d)));
            }
        }
        return out;
    }

    /**
     * Cached decoding of LLaMA- and Qwen2-shaped models — a prefill of three tokens, then one token a step, with
     * left padding — against the full forward: FLOAT over the kernels and over ND4J ops (a FLOAT model on the graph
     * engine decodes with them) to 1e-4, DOUBLE over ND4J ops to 1e-9.
     */
    @Test
    void cachedDecodingMatchesTheFullForward() {
        int[] tokens = {0, 0, 4, 5, 6, 1, 7, 2, 3, 2, 9, 8};
        int[] positions = {0, 0, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5};
        int[] valid = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        TokenBatch batch = new TokenBatch(2, 6, tokens, positions, valid);
        for (GptSpec spec : List.of(llama(2, 4, 32, 8, 30, 40), qwen2(2, 4, 32, 8, 30, 40))) {
            for (DataType dtype : List.of(DataType.FLOAT, DataType.DOUBLE)) {
                Gpt gpt = Gpt.create(spec, dtype, 21, 0.3);
                gpt.setEngine(Engine.GRAPH);
                INDArray full = gpt.forward(HeadRequest.lm(new int[12]).withLogits(), batch).logits();  // [2*6, V]
                List<Engine> decoders = dtype == DataType.FLOAT ? List.of(Engine.KERNELS, Engine.GRAPH)
                        : List.of(Engine.GRAPH);
                for (Engine engine : decoders) {
                    double tol = dtype == DataType.DOUBLE ? 1e-9 : 1e-4;
                    String at = spec + " " + dtype + " decoded on " + engine;
                    InferenceModel model = new InferenceModel(spec, gpt.params(), engine);
                    KvCache cache = model.newCache(2, 6);
                    int prefill = 3;
                    INDArray first = model.forward(cache, prefill, rows(tokens, 0, prefill), rows(positions, 0, prefill),
                            rows(valid, 0, prefill));                                               // [2*3, V]
                    for (int b = 0; b < 2; b++) {
                        for (int t = 0; t < prefill; t++) {
                            assertRow(at + " prefill b=" + b + " t=" + t, full.getRow(b * 6 + t),
                                    first.getRow(b * prefill + t), tol);
                        }
                    }
                    for (int t = prefill; t < 6; t++) {
                        INDArray step = model.forward(cache, 1, rows(tokens, t, 1), rows(positions, t, 1),
                                rows(valid, t, 1));                                                  // [2, V]
                        for (int b = 0; b < 2; b++) {
                            assertRow(at + " b=" + b + " t=" + t, full.getRow(b * 6 + t), step.getRow(b), tol);
                        }
                    }
                }
            }
        }
    }

    /** Columns [from, from + n) of each of the two rows of a [2, 6] batch, row-major. */
    private static int[] rows(int[] a, int from, int n) {
        int[] out = new int[2 * n];
        for (int b = 0; b < 2; b++) {
            System.arraycopy(a, b * 6 + from, out, b * n, n);
        }
        return out;
    }

    private static void assertRow(String what, INDArray want, INDArray got, double tol) {
        double[] w = want.toDoubleVector();
        double[] g = got.toDoubleVector();
        double scale = 1;
        for (double x : w) {
            scale = Math.max(scale, Math.abs(x));
        }
        assertArrayEquals(w, g, tol * scale, what);
    }
}
