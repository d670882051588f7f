package rlhf4j.optim;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.nn.FloatKernels;
import rlhf4j.nn.VectorSupport;

/**
 * AdamW with decoupled weight decay (Loshchilov &amp; Hutter), following torch.optim.AdamW:
 * {@code p -= lr*wd*p} (only where {@code decays} says so), then the bias-corrected Adam update
 * {@code p -= lr * m̂ / (sqrt(v̂) + eps)}. Parameters are updated in place: FLOAT ones by one
 * {@link FloatKernels#adamW} pass each (when the Vector API is there), others by one native {@code
 * adam_updater} op, the decay and the subtraction — instead of a dozen whole-array ops and
 * temporaries; moments are created lazily, in the parameter's dtype. A parameter without a gradient is
 * frozen: its moments are left untouched. The step counter is shared by all parameters.
 */
public final class AdamW {
    /** Key of the 0-d LONG array holding the step count in {@link #state()}. */
    public static final String STEP_KEY = "step";
    public static final String EXP_AVG = "exp_avg.";
    public static final String EXP_AVG_SQ = "exp_avg_sq.";

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Predicate<String> decays;
    private final LinkedHashMap<String, INDArray> expAvg = new LinkedHashMap<>();
    private final LinkedHashMap<String, INDArray> expAvgSq = new LinkedHashMap<>();
    private final Map<String, INDArray> scratch = new HashMap<>(); // per parameter: the step's update
    private long step;

    public AdamW(double beta1, double beta2, double eps, double weightDecay, Predicate<String> decays) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("invalid AdamW hyper-parameters: beta1=" + beta1 + ", beta2="
                    + beta2 + ", eps=" + eps + ", weightDecay=" + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decays = decays == null ? name -> true : decays;
    }

    /**
     * GPT-2 weight-decay rule: decay weight matrices ({@code *.weight} of attn/mlp, {@code
     * score.weight}, any other {@code *.weight}), never biases or LayerNorm gains ({@code ln_*});
     * embeddings ({@code wte}, {@code wpe}) only if {@code decayEmbeddings}. Prefixed names such
     * as {@code transformer.h.0.ln_1.weight} are judged by their module name.
     */
    public static Predicate<String> gpt2DecayRule(boolean decayEmbeddings) {
        return name -> {
            if (!name.endsWith(".weight")) {
                return false;
            }
            String stem = name.substring(0, name.length() - ".weight".length());
            String module = stem.substring(stem.lastIndexOf('.') + 1);
            if (module.startsWith("ln_") || module.equals("ln") || module.startsWith("layernorm")) {
                return false;
            }
            if (module.equals("wte") || module.equals("wpe")) {
                return decayEmbeddings;
            }
            return true;
        };
    }

    /**
     * One update of every parameter that has a gradient. {@code params} and {@code grads} are
     * keyed by the same names; shapes must match. Increments {@link #stepCount()} once.
     */
    public void step(Map<String, INDArray> params, Map<String, INDArray> grads, double lr) {
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            INDArray g = grads.get(e.getKey());
            if (g != null && !g.equalShapes(e.getValue())) {
                throw new IllegalArgumentException("gradient of " + e.getKey() + " has shape "
                        + Arrays.toString(g.shape()) + ", parameter has "
                        + Arrays.toString(e.getValue().shape()));
            }
        }
        step++;
        double bc2Sqrt = Math.sqrt(1.0 - Math.pow(beta2, step));
        // libnd4j's adam_updater computes lr·sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε'); with
        // ε' = ε·sqrt(1-β2^t) that is torch's lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + ε) exactly.
        double epsScaled = eps * bc2Sqrt;
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            String name = e.getKey();
            INDArray g = grads.get(name);
            if (g == null) {
                continue; // frozen
            }
            INDArray p = e.getValue();
            if (g.dataType() != p.dataType()) {
                g = g.castTo(p.dataType());
            }
            INDArray m = moment(expAvg, name, p);
            INDArray v = moment(expAvgSq, name, p);
            INDArray update = scratch.get(name);
            if (update == null || update.dataType() != p.dataType() || !update.equalShapes(p)) {
                update = Nd4j.createUninitialized(p.dataType(), p.shape());
                scratch.put(name, update);
            }
            boolean decay = weightDecay != 0 && decays.test(name);
            if (VectorSupport.enabled() && dense(p) && dense(g) && dense(m) && dense(v)) {
                // FLOAT: one pass over p, g, m, v (the native ops below cost ~3 calls per parameter)
                FloatKernels.adamW(FloatKernels.buffer(p), FloatKernels.buffer(g), FloatKernels.buffer(m),
                        FloatKernels.buffer(v), (int) p.length(), (float) (decay ? 1.0 - lr * weightDecay : 1.0),
                        (float) beta1, (float) beta2, (float) (lr / (1.0 - Math.pow(beta1, step))), (float) bc2Sqrt,
                        (float) eps);
                continue;
            }
            if (decay) {
                p.muli(1.0 - lr * weightDecay);
            }
            // one fused native op: m, v updated in place, the step written to `update`; g is not modified
            Nd4j.exec(new AdamUpdater(g, v, m, update, v, m, lr, beta1, beta2, epsScaled, (int) (step - 1)));
            p.subi(update);
        }
    }

    private static boolean dense(INDArray a) {
        return a.dataType() == DataType.FLOAT && !a.isView() && a.ordering() == 'c' && a.data().length() == a.length();
    }

    private static INDArray moment(Map<String, INDArray> moments, String name, INDArray p) {
        INDArray m = moments.get(name);
        if (m == null) {
            m = Nd4j.zeros(p.dataType(), p.shape());
            moments.put(name, m);
        } else if (m.dataType() != p.dataType()) {
            m = m.castTo(p.dataType());
            moments.put(name, m);
        }
        return m;
    }

    /** Number of completed {@link #step} calls (PyTorch's {@code state['step']}). */
    public long stepCount() {
        return step;
    }

    /**
     * The optimizer state: {@code exp_avg.<name>}, {@code exp_avg_sq.<name>} and {@code step} (a
     * 0-d LONG array). The moment arrays are the live ones, not copies: save them before the next
     * {@link #step}, and do not modify them.
     */
    public LinkedHashMap<String, INDArray> state() {
        LinkedHashMap<String, INDArray> s = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : expAvg.entrySet()) {
            s.put(EXP_AVG + e.getKey(), e.getValue());
            s.put(EXP_AVG_SQ + e.getKey(), expAvgSq.get(e.getKey()));
        }
        s.put(STEP_KEY, Nd4j.scalar(DataType.LONG, step));
        return s;
    }

    /** Restores a {@link #state()} map (copies the arrays); the step count is read from "step". */
    public void load(Map<String, INDArray> state) {
        INDArray s = state.get(STEP_KEY);
        if (s == null || s.length() != 1) {
            throw new IllegalArgumentException("optimizer state has no '" + STEP_KEY + "' entry");
        }
        load(state, s.getLong(0));
    }

    /** Restores moments from {@code state} (copies the arrays; a "step" entry is ignored). */
    public void load(Map<String, INDArray> state, long stepCount) {
        if (stepCount < 0) {
            throw new IllegalArgumentException("negative step count " + stepCount);
        }
        LinkedHashMap<String, INDArray> m = new LinkedHashMap<>();
        LinkedHashMap<String, INDArray> v = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : state.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(EXP_AVG_SQ)) {
                v.put(key.substring(EXP_AVG_SQ.length()), e.getValue().dup('c'));
            } else if (key.startsWith(EXP_AVG)) {
                m.put(key.substring(EXP_AVG.length()), e.getValue().dup('c'));
            } else if (!key.equals(STEP_KEY)) {
                throw new IllegalArgumentException("unexpected optimizer state entry '" + key + "'");
            }
        }
        if (!m.keySet().equals(v.keySet())) {
            throw new IllegalArgumentException("optimizer state: exp_avg and exp_avg_sq name different parameters");
        }
        expAvg.clear();
        expAvgSq.clear();
        expAvg.putAll(m);
        expAvgSq.putAll(v);
        step = stepCount;
    }
}
