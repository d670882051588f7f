package rlhf4j.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The PPO value head: a scalar per position from the score head's weights, {@code values} [B, T], and
 * (for training) the clipped value loss
 * <pre>
 *   L = vf_coef · ½ Σ_n w_n · max((V_n − R_n)², (V_old,n + clip(V_n − V_old,n, −ε_v, ε_v) − R_n)²)
 * </pre>
 * built with relu only, so that the gradient is right at every point off the kinks (docs/SAMEDIFF.md: min and
 * max split or double the gradient at ties): {@code clip(d, −ε, ε) = d − relu(d − ε) + relu(−d − ε)} and
 * {@code max(a, b) = a + relu(b − a)}.
 * Placeholders with the loss: {@code old_values}, {@code returns}, {@code value_weight} (mask / Σ mask), each [B, T].
 */
public final class ValueHead implements Head {
    public static final String VALUES = ScalarHead.VALUES;
    public static final String OLD_VALUES = "old_values";
    public static final String RETURNS = "returns";
    public static final String VALUE_WEIGHT = "value_weight";
    public static final String LOSS = LmHead.LOSS;

    private final double clipRangeValue;
    private final double vfCoef;
    private final boolean withLoss;

    private ValueHead(double clipRangeValue, double vfCoef, boolean withLoss) {
        this.clipRangeValue = clipRangeValue;
        this.vfCoef = vfCoef;
        this.withLoss = withLoss;
    }

    public static ValueHead values() {
        return new ValueHead(0, 0, false);
    }

    public static ValueHead training(double clipRangeValue, double vfCoef) {
        return new ValueHead(clipRangeValue, vfCoef, true);
    }

    @Override
    public String key() {
        return withLoss ? "value-loss/c" + clipRangeValue + "/k" + vfCoef : "value";
    }

    @Override
    public boolean hasLoss() {
        return withLoss;
    }

    @Override
    public void build(SameDiff sd, Trunk trunk) {
        int b = trunk.batch();
        int t = trunk.seqLen();
        SDVariable values = ScalarHead.values(sd, trunk);                                             // [B, T]
        if (!withLoss) {
            return;
        }
        SDVariable old = sd.placeHolder(OLD_VALUES, values.dataType(), b, t);                         // [B, T]
        SDVariable ret = sd.placeHolder(RETURNS, values.dataType(), b, t);                            // [B, T]
        SDVariable weight = sd.placeHolder(VALUE_WEIGHT, values.dataType(), b, t);                    // [B, T]
        SDVariable d = values.sub(old);                                                               // [B, T]
        SDVariable dClipped = d.sub(sd.nn.relu(d.sub(clipRangeValue), 0.0))
                .add(sd.nn.relu(d.neg().sub(clipRangeValue), 0.0));                                  // [B, T]
        SDVariable errPlain = sd.math.square(values.sub(ret));                                        // [B, T]
        SDVariable errClipped = sd.math.square(old.add(dClipped).sub(ret));                           // [B, T]
        SDVariable worst = errPlain.add(sd.nn.relu(errClipped.sub(errPlain), 0.0));                   // [B, T]
        worst.mul(weight).sum().mul(0.5 * vfCoef).rename(LOSS);                                       // []
    }
}
