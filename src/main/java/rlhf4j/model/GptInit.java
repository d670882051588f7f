package rlhf4j.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fresh GPT-2 weights: linear and embedding weights N(0, initStd), residual projections
 * N(0, initStd/√(2·n_layer)) (GPT-2 paper), biases 0, LayerNorm gains 1. Deterministic for a seed.
 */
public final class GptInit {
    private GptInit() {}

    public static LinkedHashMap<String, INDArray> init(GptSpec spec, DataType dtype, long seed, double initStd) {
        Random rng = new Random(seed);
        double residualStd = initStd / Math.sqrt(2.0 * spec.nLayer());
        LinkedHashMap<String, INDArray> p = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> t : ParamNames.layout(spec, false).entrySet()) {   // file order = draw order
            String name = t.getKey();
            long[] shape = t.getValue();
            INDArray value;
            if (name.contains("ln_")) {
                value = name.endsWith(".weight") ? Nd4j.ones(dtype, shape) : Nd4j.zeros(dtype, shape);
            } else if (name.endsWith(".bias")) {
                value = Nd4j.zeros(dtype, shape);
            } else {
                value = normal(rng, name.endsWith("c_proj.weight") ? residualStd : initStd, dtype, shape);
            }
            p.put(name, value);
        }
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
