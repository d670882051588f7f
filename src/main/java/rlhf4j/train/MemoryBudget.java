package rlhf4j.train;

import org.bytedeco.javacpp.Pointer;
import rlhf4j.config.ConfigException;
import rlhf4j.model.GptSpec;
import rlhf4j.model.Mlp;

/**
 * What a training step will allocate, estimated from the model shape and the batch before anything is allocated,
 * against the native-memory cap the launcher gives ND4J ({@code -Dorg.bytedeco.javacpp.maxbytes}): a run that
 * cannot fit is refused at once (exit 2, naming the key) instead of running for minutes and dying out of memory.
 * The estimate, in 4-byte floats: weights, gradients and the two AdamW moments (4 per parameter), plus, per token
 * of a micro-batch, each layer's activations kept for the backward pass (about 9·n_embd + the MLP's + 2·n_head·T:
 * LayerNorms, q/k/v, attention weights before and after the softmax; the MLP's projection and activation, 2·I for
 * GELU — 8·n_embd at its default width — and 5·I for SwiGLU, whose gate and up are also split apart) and the logits
 * with their gradient (2·V), twice for the backward pass's temporaries. It errs high; the real peak is below it.
 */
public final class MemoryBudget {
    private MemoryBudget() {}

    /** Bytes of weights, gradients and AdamW moments. */
    public static double parameterBytes(GptSpec spec) {
        return 4.0 * 4 * spec.paramCount();
    }

    /** Bytes of one micro-batch's activations and their gradients, {@code rows} sequences of {@code tokens}. */
    public static double activationBytes(GptSpec spec, long rows, long tokens) {
        double mlp = (spec.mlp() == Mlp.SWIGLU ? 5.0 : 2.0) * spec.mlpHidden();
        double perToken = spec.nLayer() * (9.0 * spec.nEmbd() + mlp + 2.0 * spec.nHead() * tokens)
                + 2.0 * spec.vocabSize();
        return 4.0 * 2 * rows * tokens * perToken;
    }

    /**
     * Refuses a step that cannot fit under the cap: {@code batchKey} names the config key of the micro-batch
     * ({@code pretrain.batch_size}), {@code rows} its sequences, {@code tokens} their length.
     */
    public static void check(GptSpec spec, long rows, long tokens, String batchKey) {
        check(spec, rows, tokens, batchKey, Pointer.maxBytes());
    }

    /**
     * Bytes of sampling {@code rows} sequences of up to {@code tokens} positions with the KV cache: keys and
     * values of every layer ({@code 2·n_layer·n_kv_head·D} floats a position: n_embd each without grouped-query
     * attention), the logits of a prefill ({@code V} floats
     * a position) and the weights.
     */
    public static double samplingBytes(GptSpec spec, long rows, long tokens) {
        return 4.0 * (rows * tokens * (2.0 * spec.nLayer() * spec.kvWidth() + spec.vocabSize()) + spec.paramCount());
    }

    /** Refuses a generation that cannot fit under the cap, naming {@code rowsKey} (e.g. {@code --num-samples}). */
    public static void checkSampling(GptSpec spec, long rows, long tokens, String rowsKey) {
        long cap = Pointer.maxBytes();
        double need = samplingBytes(spec, rows, tokens);
        if (cap > 0 && need > cap) {
            throw new ConfigException(rowsKey + ": " + rows + " sequences of " + tokens + " positions need about "
                    + gib(need) + " GiB for the KV cache and logits, more than the " + gib(cap) + " GiB of native "
                    + "memory this JVM may use: ask for fewer, or raise the cap with RLHF4J_JAVA_OPTS");
        }
    }

    static void check(GptSpec spec, long rows, long tokens, String batchKey, long cap) {
        if (cap <= 0) {
            return;                                           // no cap set: nothing to compare with
        }
        double params = parameterBytes(spec);
        double acts = activationBytes(spec, rows, tokens);
        if (params + acts <= cap) {
            return;
        }
        String key = params > cap ? "model.n_layer / model.n_embd (" + String.format("%,d", spec.paramCount())
                + " parameters)" : batchKey + " (" + rows + " sequences of " + tokens + " tokens)";
        throw new ConfigException(key + ": a training step needs about " + gib(params + acts) + " GiB (parameters, "
                + "gradients and optimizer " + gib(params) + " GiB, activations " + gib(acts) + " GiB), more than the "
                + gib(cap) + " GiB of native memory this JVM may use: make it smaller, or raise the cap with "
                + "RLHF4J_JAVA_OPTS (-Dorg.bytedeco.javacpp.maxbytes=..., -Dorg.bytedeco.javacpp.maxphysicalbytes=...)");
    }

    private static String gib(double bytes) {
        return String.format("%.1f", bytes / (1L << 30));
    }
}
