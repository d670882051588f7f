package rlhf4j.model;

import java.io.Serializable;

/**
 * Llama 3's rescaling of the rotary frequencies ({@code rope_scaling} with {@code rope_type: llama3}), which lets a
 * model trained on {@code originalContext} positions read longer sequences: a frequency whose wavelength
 * {@code 2π / f} is longer than {@code originalContext / lowFreqFactor} is divided by {@code factor}, one shorter
 * than {@code originalContext / highFreqFactor} is kept, and those between are blended, the weight of the kept
 * frequency growing linearly in {@code originalContext / wavelength} from {@code lowFreqFactor} to
 * {@code highFreqFactor} (as {@code transformers}' {@code _compute_llama3_parameters}). The attention scale is
 * unchanged.
 */
public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalContext)
        implements Serializable {
    public RopeScaling {
        if (!(factor >= 1) || !Double.isFinite(factor)) {
            throw new IllegalArgumentException("rope_scaling factor must be a finite number of at least 1");
        }
        if (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || !Double.isFinite(highFreqFactor)) {
            throw new IllegalArgumentException("rope_scaling needs 0 < low_freq_factor < high_freq_factor");
        }
        if (originalContext <= 0) {
            throw new IllegalArgumentException("rope_scaling original_max_position_embeddings must be positive");
        }
    }

    /** The frequency {@code f} (radians per position) as this scaling changes it. */
    public double apply(double f) {
        double wavelength = 2 * Math.PI / f;
        if (wavelength < originalContext / highFreqFactor) {
            return f;
        }
        if (wavelength > originalContext / lowFreqFactor) {
            return f / factor;
        }
        double smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * f / factor + smooth * f;
    }
}
