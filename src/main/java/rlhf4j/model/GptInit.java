package rlhf4j.model;

import java.util.LinkedHashMap;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static rlhf4j.model.ParamNames.layer;

/**
 * Fresh GPT-2 weights: linear and embedding weights N(0, initStd), residual projections
 * N(0, initStd/√(2·n_layer)) (GPT-2 paper), biases 0, LayerNorm gains 1. Deterministic for a seed.
 */
public final class GptInit {
    private GptInit() {}

    public static LinkedHashMap<String, INDArray> init(GptSpec spec, DataType dtype, long seed, double initStd) {
        Random rng = new Random(seed);
        int c = spec.nEmbd();
        double residualStd = initStd / Math.sqrt(2.0 * spec.nLayer());
        LinkedHashMap<String, INDArray> p = new LinkedHashMap<>();
        p.put(ParamNames.WTE, normal(rng, initStd, dtype, spec.vocabSize(), c));      // [V, C]
        p.put(ParamNames.WPE, normal(rng, initStd, dtype, spec.blockSize(), c));      // [T, C]
        for (int i = 0; i < spec.nLayer(); i++) {
            p.put(layer(i, "ln_1.weight"), Nd4j.ones(dtype, c));                       // [C]
            p.put(layer(i, "ln_1.bias"), Nd4j.zeros(dtype, c));                        // [C]
            p.put(layer(i, "attn.c_attn.weight"), normal(rng, initStd, dtype, c, 3 * c)); // [C, 3C]
            p.put(layer(i, "attn.c_attn.bias"), Nd4j.zeros(dtype, 3 * c));             // [3C]
            p.put(layer(i, "attn.c_proj.weight"), normal(rng, residualStd, dtype, c, c)); // [C, C]
            p.put(layer(i, "attn.c_proj.bias"), Nd4j.zeros(dtype, c));                 // [C]
            p.put(layer(i, "ln_2.weight"), Nd4j.ones(dtype, c));                       // [C]
            p.put(layer(i, "ln_2.bias"), Nd4j.zeros(dtype, c));                        // [C]
            p.put(layer(i, "mlp.c_fc.weight"), normal(rng, initStd, dtype, c, 4 * c));  // [C, 4C]
            p.put(layer(i, "mlp.c_fc.bias"), Nd4j.zeros(dtype, 4 * c));                // [4C]
            p.put(layer(i, "mlp.c_proj.weight"), normal(rng, residualStd, dtype, 4 * c, c)); // [4C, C]
            p.put(layer(i, "mlp.c_proj.bias"), Nd4j.zeros(dtype, c));                  // [C]
        }
        p.put(ParamNames.LN_F_WEIGHT, Nd4j.ones(dtype, c));                            // [C]
        p.put(ParamNames.LN_F_BIAS, Nd4j.zeros(dtype, c));                             // [C]
        return p;
    }

    /** A scalar head [C, 1] + [1]: weights N(0, 1/√(n_embd+1)) as the references initialise reward heads, bias 0. */
    public static void addScoreHead(LinkedHashMap<String, INDArray> params, GptSpec spec, DataType dtype,
                                    long seed, boolean zero) {
        Random rng = new Random(seed ^ 0x5C0AEL);
        double std = 1.0 / Math.sqrt(spec.nEmbd() + 1.0);
        params.put(ParamNames.SCORE_WEIGHT, zero ? Nd4j.zeros(dtype, spec.nEmbd(), 1)
                : normal(rng, std, dtype, spec.nEmbd(), 1));                              // [C, 1]
        params.put(ParamNames.SCORE_BIAS, Nd4j.zeros(dtype, 1));                         // [1]
    }

    static INDArray normal(Random rng, double std, DataType dtype, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] values = new double[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) {
            values[i] = rng.nextGaussian() * std;
        }
        return Nd4j.createFromArray(values).castTo(dtype).reshape(shape).dup('c'); // own buffer, not a view
    }
}
