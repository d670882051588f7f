package rlhf4j.model;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One SameDiff graph of the GPT ({@link GptDefinition} over {@link SameDiffOps}) for a fixed batch size B and
 * length T, with a head on top — or of
 * the head alone over a {@code hidden} placeholder, when the kernels run the trunk ({@link KernelOps}).
 * Inputs: {@code emb} [B*T, C] (token + position embeddings, looked up outside
 * the graph because the native gather's gradient is wrong, docs/SAMEDIFF.md) and {@code attn_bias}
 * [B or 1, 1, T, T]. The parameter variables wrap the model's own arrays, so in-place optimizer
 * updates are seen without copying.
 */
public final class GptGraph {
    public static final String EMB = "emb";
    public static final String ATTN_BIAS = "attn_bias";
    public static final String HIDDEN = "hidden";
    /** Rotary factors [B*T, 3C] of the batch's positions (rotary models only, {@link Rotary#factors}). */
    public static final String ROPE_COS = "rope_cos";
    public static final String ROPE_SIN = "rope_sin";

    private static final Object STDOUT_LOCK = new Object();

    private final SameDiff sd;
    private final List<String> gradTargets = new ArrayList<>();
    private final boolean hasLoss;
    private boolean gradFunctionBuilt;

    GptGraph(GptSpec spec, Map<String, INDArray> params, Head head, int batch, int seqLen) {
        this(spec, params, head, batch, seqLen, false);
    }

    /**
     * @param headOnly true: the graph is the head alone over a placeholder {@code hidden} [B*T, C]
     *     (the trunk runs outside it, over {@link KernelOps}); its gradients include d hidden
     */
    GptGraph(GptSpec spec, Map<String, INDArray> params, Head head, int batch, int seqLen, boolean headOnly) {
        this.sd = SameDiff.create();
        this.hasLoss = head.hasLoss();
        DataType dtype = params.get(ParamNames.WTE).dataType();
        int c = spec.nEmbd();
        int n = batch * seqLen;
        if (headOnly) {
            SDVariable hidden = sd.placeHolder(HIDDEN, dtype, n, c);                  // [B*T, C]
            head.build(sd, new TrunkView(sd, params, hidden, spec, batch, seqLen));
            if (hasLoss) {
                sd.setLossVariables(LmHead.LOSS);
                gradTargets.add(HIDDEN);
            }
            return;
        }
        // A variable, not a placeholder, whose array each call overwrites: SameDiff M2.1's gradient
        // with respect to a placeholder is wrong when the placeholder feeds composite ops (RMSNorm's
        // square, mean and multiply gave a wrong d emb; the gradient checks in GptGradientTest caught it).
        SDVariable emb = sd.var(EMB, Nd4j.zeros(dtype, n, c));                         // [B*T, C]
        SDVariable bias = sd.placeHolder(ATTN_BIAS, dtype, -1, 1, seqLen, seqLen);     // [B|1, 1, T, T]
        SameDiffOps.RotaryInputs rotary = spec.position() != Position.ROPE ? null : new SameDiffOps.RotaryInputs(
                sd.placeHolder(ROPE_COS, dtype, n, 3L * c), sd.placeHolder(ROPE_SIN, dtype, n, 3L * c),
                sd.constant("rope_rotate_half", new Rotary(spec).rotateHalf(dtype)));     // [B*T, 3C] ×2, [3C, 3C]
        SameDiffOps ops = new SameDiffOps(sd, name -> var(params, name), emb, bias, batch, seqLen, spec.nHead(),
                spec.headDim(), rotary);
        SDVariable hidden = GptDefinition.hidden(ops, spec).rename(HIDDEN);           // [B*T, C]
        head.build(sd, new TrunkView(sd, params, hidden, spec, batch, seqLen));
        if (hasLoss) {
            sd.setLossVariables(LmHead.LOSS); // every head names its loss "loss"
            gradTargets.add(EMB);
        }
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
    public Map<String, INDArray> output(Map<String, INDArray> placeholders, String... outputs) {
        return sd.output(withEmbedding(placeholders), outputs);
    }

    /**
     * Forward and backward in one pass: the named outputs and the gradient of {@code loss} with
     * respect to every parameter used and to {@code emb} (or {@code hidden} for a head-only graph).
     * (Running the gradient function with SameDiff's array cache on, which {@code
     * calculateGradientsAndOutputs} switches off, was tried: no measurable change, docs/PERFORMANCE.md.)
     */
    public OutAndGrad outputAndGradients(Map<String, INDArray> placeholders, List<String> outputs) {
        if (!hasLoss) {
            throw new IllegalStateException("this graph has no loss");
        }
        if (!gradFunctionBuilt) {
            quietly(sd::createGradFunction);
            gradFunctionBuilt = true;
        }
        return sd.calculateGradientsAndOutputs(withEmbedding(placeholders), outputs, gradTargets);
    }

    /** The inputs without {@code emb}, which is copied into the graph's embedding variable instead. */
    private Map<String, INDArray> withEmbedding(Map<String, INDArray> inputs) {
        INDArray emb = inputs.get(EMB);
        if (emb == null) {
            return inputs;
        }
        sd.getVariable(EMB).getArr().assign(emb);
        Map<String, INDArray> rest = new java.util.HashMap<>(inputs);
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

    private final class TrunkView implements Head.Trunk {
        private final Map<String, INDArray> params;
        private final SDVariable hidden;
        private final GptSpec spec;
        private final int batch;
        private final int seqLen;

        TrunkView(SameDiff sd, Map<String, INDArray> params, SDVariable hidden, GptSpec spec, int batch, int seqLen) {
            this.params = params;
            this.hidden = hidden;
            this.spec = spec;
            this.batch = batch;
            this.seqLen = seqLen;
        }

        @Override public SDVariable hidden() { return hidden; }
        @Override public SDVariable wte() { return var(params, ParamNames.WTE); }
        @Override public SDVariable scoreWeight() { return var(params, ParamNames.SCORE_WEIGHT); }
        @Override public SDVariable scoreBias() { return var(params, ParamNames.SCORE_BIAS); }
        @Override public int batch() { return batch; }
        @Override public int seqLen() { return seqLen; }
        @Override public GptSpec spec() { return spec; }
    }
}
