package rlhf4j.model;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One SameDiff graph of the GPT for a fixed batch size B and length T: {@link GptDefinition}'s trunk and
 * heads over {@link SameDiffOps}, for one {@link HeadRequest} shape. Inputs: {@code emb} [B*T, C] (token +
 * position embeddings, looked up outside the graph because the native gather's gradient is wrong,
 * docs/SAMEDIFF.md), {@code attn_bias} [B or 1, 1, T, T], the rotary factors for rotary models and
 * {@code target_onehot} [B*T, V] when the request has targets. Outputs: {@code token_logp}, {@code
 * entropy} [B*T], {@code values} [B*T, 1], {@code logits} [B*T, V], as requested.
 *
 * <p>The loss is computed outside the graph ({@link rlhf4j.loss.Losses}), so the graph's scalar is
 * {@code seed = Σ_n d_token_logp·token_logp + d_entropy·entropy + d_values·values} with the loss's
 * derivatives fed as placeholders: its gradient with respect to the parameters is the loss's (the chain
 * rule through the outputs). The parameter variables wrap the model's own arrays, so in-place optimizer
 * updates are seen without copying.
 */
public final class GptGraph {
    public static final String EMB = "emb";
    public static final String ATTN_BIAS = "attn_bias";
    /** Rotary factors [B*T, C] of the batch's positions (rotary models only, {@link Rotary#factors}). */
    public static final String ROPE_COS = "rope_cos";
    public static final String ROPE_SIN = "rope_sin";
    public static final String TARGET_ONEHOT = "target_onehot";
    public static final String LOGITS = "logits";
    public static final String TOKEN_LOGP = "token_logp";
    public static final String ENTROPY = "entropy";
    public static final String VALUES = "values";
    /** The placeholder of the loss's derivative with respect to an output. */
    static String seedOf(String output) {
        return "d_" + output;
    }

    private static final String SEED = "seed";
    private static final Object STDOUT_LOCK = new Object();

    private final SameDiff sd;
    private final List<String> gradTargets = new ArrayList<>();
    private final boolean differentiable;
    private boolean gradFunctionBuilt;

    GptGraph(GptSpec spec, Map<String, INDArray> params, HeadRequest request, int batch, int seqLen) {
        this.sd = SameDiff.create();
        DataType dtype = params.get(ParamNames.WTE).dataType();
        int c = spec.nEmbd();
        int n = batch * seqLen;
        // A variable, not a placeholder, whose array each call overwrites: SameDiff M2.1's gradient
        // with respect to a placeholder is wrong when the placeholder feeds composite ops (RMSNorm's
        // square, mean and multiply gave a wrong d emb; the gradient checks in GptGradientTest caught it).
        SDVariable emb = sd.var(EMB, Nd4j.zeros(dtype, n, c));                         // [B*T, C]
        SDVariable bias = sd.placeHolder(ATTN_BIAS, dtype, -1, 1, seqLen, seqLen);     // [B|1, 1, T, T]
        SameDiffOps.RotaryInputs rotary = spec.position() != Position.ROPE ? null : new SameDiffOps.RotaryInputs(
                sd.placeHolder(ROPE_COS, dtype, n, c), sd.placeHolder(ROPE_SIN, dtype, n, c),
                sd.constant("rope_rotate_half", new Rotary(spec).rotateHalf(spec.nHead(), dtype))); // [B*T, C] ×2, [C, C]
        SDVariable onehot = request.targets() == null ? null
                : sd.placeHolder(TARGET_ONEHOT, dtype, n, spec.vocabSize());           // [B*T, V]
        SameDiffOps ops = new SameDiffOps(sd, name -> var(params, name), emb, bias, batch, seqLen, spec, rotary, onehot);
        SDVariable hidden = GptDefinition.hidden(ops, spec);                          // [B*T, C]
        GptDefinition.Heads<SDVariable> heads = GptDefinition.heads(ops, spec, hidden, request);
        if (heads.logits() != null) {
            heads.logits().rename(LOGITS);                                            // [B*T, V]
        }
        SDVariable seed = null;
        seed = seeded(seed, heads.logp(), TOKEN_LOGP, dtype, n);
        seed = seeded(seed, heads.entropy(), ENTROPY, dtype, n);
        seed = seeded(seed, heads.values() == null ? null : sd.reshape(heads.values(), n), VALUES, dtype, n);
        differentiable = seed != null;
        if (differentiable) {
            seed.rename(SEED);                                                        // []
            sd.setLossVariables(SEED);
            gradTargets.add(EMB);
        }
    }

    /** {@code sum + Σ d_name·output}, the output [N] named {@code name}; sum unchanged without the output. */
    private SDVariable seeded(SDVariable sum, SDVariable output, String name, DataType dtype, int n) {
        if (output == null) {
            return sum;
        }
        output.rename(name);                                                          // [N]
        SDVariable term = output.mul(sd.placeHolder(seedOf(name), dtype, n)).sum();   // []
        return sum == null ? term : sum.add(term);
    }

    private SDVariable var(Map<String, INDArray> params, String name) {
        SDVariable existing = sd.getVariable(name);
        if (existing != null) {
            return existing;
        }
        INDArray array = params.get(name);
        if (array == null) {
            throw new IllegalArgumentException("the model has no parameter " + name);
        }
        if (array.isView()) {
            throw new IllegalArgumentException(name + " is a view; SameDiff would copy it and miss updates");
        }
        gradTargets.add(name);
        return sd.var(name, array);
    }

    /** Forward only: the named outputs. */
    public Map<String, INDArray> output(Map<String, INDArray> placeholders, List<String> outputs) {
        return sd.output(withEmbedding(placeholders), outputs.toArray(new String[0]));
    }

    /**
     * The gradient of the seed (the loss, through its derivatives fed as {@code d_*} placeholders) with
     * respect to every parameter used and to {@code emb}.
     */
    public Map<String, INDArray> gradients(Map<String, INDArray> placeholders) {
        if (!differentiable) {
            throw new IllegalStateException("this graph has no output to differentiate");
        }
        if (!gradFunctionBuilt) {
            quietly(sd::createGradFunction);
            gradFunctionBuilt = true;
        }
        return sd.calculateGradients(withEmbedding(placeholders), gradTargets);
    }

    /** The inputs without {@code emb}, which is copied into the graph's embedding variable instead. */
    private Map<String, INDArray> withEmbedding(Map<String, INDArray> inputs) {
        INDArray emb = inputs.get(EMB);
        if (emb == null) {
            return inputs;
        }
        sd.getVariable(EMB).getArr().assign(emb);
        Map<String, INDArray> rest = new HashMap<>(inputs);
        rest.remove(EMB);
        return rest;
    }

    public SameDiff sameDiff() {
        return sd;
    }

    /** SameDiff prints one line per differentiated op to stdout; users must not see it. */
    private static void quietly(Runnable action) {
        synchronized (STDOUT_LOCK) {
            PrintStream original = System.out;
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            try {
                action.run();
            } finally {
                System.setOut(original);
            }
        }
    }
}
