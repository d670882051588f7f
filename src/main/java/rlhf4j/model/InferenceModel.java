package rlhf4j.model;

import static rlhf4j.model.ParamNames.layer;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.memory.MemoryRelief;
import rlhf4j.nn.Gemm;
import rlhf4j.nn.Matmuls;
import rlhf4j.nn.Precision;

/**
 * The GPT forward pass with a key/value cache, for sampling: {@link GptDefinition}'s trunk and LM
 * logits run forward only, each new token costing one row per layer. FLOAT models run it over {@link KernelOps} (the kernels
 * training uses), other dtypes over {@link NdOps}; either way the logits equal the training graph's
 * (tested to 1e-4). Not thread-safe.
 */
public final class InferenceModel {
    private static final int MAX_CACHED_SHAPES = 4;
    private static final String[] PROJECTIONS = {"attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight",
        "mlp.c_proj.weight"};

    private final GptSpec spec;
    private final Map<String, INDArray> p;
    private final boolean kernels;
    private final Gemm gemm;                                          // the kernels' products; null on the graph
    private final Rotary rotary;                                      // null without rotary positions
    private final boolean bf16Cache;                                  // keys and values kept in bfloat16
    private final Map<Integer, Arena> arenas = new LinkedHashMap<>(8, 0.75f, true) { // by rows B*n
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Arena> eldest) {
            return size() > MAX_CACHED_SHAPES;
        }
    };
    private final Map<String, Gemm.Operand> constants = new HashMap<>(); // the weights as the products read them
    private PhaseTimes times = PhaseTimes.OFF;
    private final MemoryRelief relief = MemoryRelief.ofThisJvm();

    /** Decodes on the engine a {@link Gpt} of these parameters would have ({@link Engine#forDataType}). */
    public InferenceModel(GptSpec spec, Map<String, INDArray> params) {
        this(spec, params, Engine.forDataType(params.get(ParamNames.WTE).dataType()));
    }

    /**
     * Decodes on {@code engine}: the kernels ({@link KernelOps}) or, for the graph engine, plain ND4J ops
     * ({@link NdOps}; a decoding step is too small for a graph). The kernels need dense FLOAT parameters.
     */
    public InferenceModel(GptSpec spec, Map<String, INDArray> params, Engine engine) {
        this.spec = spec;
        this.p = params;
        this.rotary = Rotary.of(spec);
        this.kernels = engine.kernels();
        this.gemm = kernels ? engine.gemm() : null;
        this.bf16Cache = kernels && Matmuls.effective(engine.precision()) == Precision.BF16;
        if (kernels && (params.get(ParamNames.WTE).dataType() != DataType.FLOAT
                || params.values().stream().anyMatch(INDArray::isView))) {
            throw new IllegalArgumentException("the kernel engine decodes dense FLOAT parameters only");
        }
    }

    /** Where the kernel path's operations are timed ({@code ./train bench --profile}). */
    public void setPhaseTimes(PhaseTimes times) {
        this.times = times == null ? PhaseTimes.OFF : times;
    }

    public GptSpec spec() {
        return spec;
    }

    public KvCache newCache(int batch, int capacity) {
        if (capacity > spec.blockSize()) {
            throw new IllegalArgumentException("cache capacity " + capacity + " exceeds block_size " + spec.blockSize());
        }
        if (kernels) {
            prepareWeights();
        }
        return new KvCache(spec.nLayer(), batch, spec.nKvHead(), capacity, spec.headDim(),
                bf16Cache ? DataType.BFLOAT16 : p.get(ParamNames.WTE).dataType(), kernels);  // Hkv heads a layer
    }

    /**
     * Appends {@code n} tokens per sequence to the cache and returns their logits.
     *
     * @param tokens    [B*n] token ids, row-major
     * @param positions [B*n] position ids
     * @param valid     [B*n] 1 for a real token, 0 for padding
     * @return logits [B*n, V]
     */
    public INDArray forward(KvCache cache, int n, int[] tokens, int[] positions, int[] valid) {
        relief.check();
        int b = cache.batch;
        int start = cache.length;
        int end = start + n;
        if (end > cache.capacity) {
            throw new IllegalStateException("KV cache full: " + end + " > " + cache.capacity);
        }
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < n; j++) {
                cache.keyValid[i * cache.capacity + start + j] = valid[i * n + j];
            }
        }
        INDArray logits;                                                                      // [B*n, V]
        if (kernels) {
            Arena arena = arenas.computeIfAbsent(b * n, k -> new Arena());
            Ops<Tensor> ops = TimedOps.of(KernelOps.decoding(spec, p, arena, cache, n, start, tokens, positions,
                    constants, rotary, gemm), times);
            Tensor z = GptDefinition.lmLogits(ops, spec, GptDefinition.hidden(ops, spec), 1.0);  // [B*n, V]
            logits = z.value.dup();                                                           // the arena reuses z
        } else {
            Ops<INDArray> ops = new NdOps(spec, p, cache, n, start, tokens, positions, rotary);
            logits = GptDefinition.lmLogits(ops, spec, GptDefinition.hidden(ops, spec), 1.0); // [B*n, V]
        }
        cache.length = end;
        return logits;
    }

    /**
     * The projection weights and the LM head's table as the products read them fastest ({@link Gemm#constant}: a
     * transposed copy for OpenBLAS, oneDNN's packed copy, in bfloat16 in BF16). Made when a cache is made, i.e. once
     * per generation: parameters updated between generations are picked up.
     */
    private void prepareWeights() {
        for (int l = 0; l < spec.nLayer(); l++) {
            for (String w : PROJECTIONS) {
                prepare(layer(l, w), false);                                                  // [in, out]
            }
        }
        prepare(ParamNames.lmHead(spec), true);                                               // [V, C], read as x·tableᵀ
    }

    private void prepare(String name, boolean transposed) {
        constants.put(name, gemm.constant(p.get(name), transposed, constants.get(name)));
    }
}
