package rlhf4j.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.loss.Loss;
import rlhf4j.nn.Gemm;

/**
 * The kernel engine's passes ({@link Engine#KERNELS}): {@link GptDefinition} over {@link KernelOps} in FLOAT,
 * on a {@link Tape} when there is a loss, whose backward composes each operation's own. The activations live in an
 * {@link Arena} per batch size, kept for the last few sizes so a training loop allocates nothing after its first
 * steps.
 */
final class KernelPass {
    private static final int MAX_CACHED_SHAPES = 2;

    private final GptSpec spec;
    private final Map<String, INDArray> params;
    private final Rotary rotary;                     // null without rotary positions
    private final Map<String, Arena> arenas = new LinkedHashMap<>(8, 0.75f, true) { // by batch size
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Arena> eldest) {
            return size() > MAX_CACHED_SHAPES; // activations of a 12M model at B·T = 2048 take ~0.5 GB
        }
    };

    KernelPass(GptSpec spec, Map<String, INDArray> params, Rotary rotary) {
        this.spec = spec;
        this.params = params;
        this.rotary = rotary;
    }

    /** Drops the arenas, so a collection can free them. */
    void release() {
        arenas.clear();
    }

    /** {@link GptDefinition} over {@link KernelOps}, on a tape when there is a loss to differentiate. */
    Gpt.Step run(HeadRequest request, TokenBatch batch, Function<HeadOutputs, Loss> objective, PhaseTimes times,
                 Gemm gemm) {
        spec.checkPass(batch, request.targets());
        INDArray bias;                                                                  // [B|1, 1, T, T]
        try (PhaseTimes.Scope s = times.phase("attention bias")) {
            bias = batch.attentionBias(DataType.FLOAT);
        }
        Arena arena = arenas.computeIfAbsent("B=" + batch.batch(), k -> new Arena()); // any T: buffers grow to the longest
        KernelOps ops = KernelOps.training(spec, params, arena, objective == null ? null : new Tape(times), batch, bias,
                rotary, gemm);
        Ops<Tensor> timed = TimedOps.of(ops, times);
        GptDefinition.Heads<Tensor> heads = GptDefinition.heads(timed, spec, GptDefinition.hidden(timed, spec), request);
        HeadOutputs out = new HeadOutputs(doubles(heads.logp()), doubles(heads.entropy()), doubles(heads.values()),
                request.logits() ? heads.logits().value.dup() : null);
        if (objective == null) {
            return new Gpt.Step(out, null, Map.of());
        }
        Loss loss = objective.apply(out);
        seed(ops, heads.logp(), loss.dLogp());
        seed(ops, heads.entropy(), loss.dEntropy());
        seed(ops, heads.values(), loss.dValues());
        ops.backward();
        return new Gpt.Step(out, loss, ParamNames.inOrder(params, ops.paramGrads()));
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
}
