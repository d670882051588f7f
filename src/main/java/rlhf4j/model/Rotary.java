package rlhf4j.model;

import java.nio.ByteBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Rotary position embedding ({@link Ops#rotary}) for every engine: the angle table and the rotation
 * of queries or keys x [N, heads·D]. In each head, dimensions i and i + D/2 of a token at position p
 * are rotated by {@code p · θ^(−2i/D)}, θ the spec's {@link GptSpec#ropeTheta}, the frequency {@code θ^(−2i/D)}
 * rescaled where the spec has {@link GptSpec#ropeScaling}. Angles come from
 * {@link StrictMath}, so the table is the same bits on every JVM (bitwise resume depends on it). A model
 * makes its tables once ({@link #of}) and hands them to every pass.
 */
final class Rotary {
    private final int d;
    private final int half;
    private final double[] cos;   // [T_max, D/2]
    private final double[] sin;   // [T_max, D/2]
    private final double[] frequency;   // radians per position, [D/2]

    /** The tables of a model with rotary positions, or null for learned positions. */
    static Rotary of(GptSpec spec) {
        return spec.position() == Position.ROPE ? new Rotary(spec) : null;
    }

    Rotary(GptSpec spec) {
        this.d = spec.headDim();
        this.half = d / 2;
        this.cos = new double[spec.blockSize() * half];
        this.sin = new double[spec.blockSize() * half];
        double base = spec.ropeTheta();
        this.frequency = new double[half];
        for (int i = 0; i < half; i++) {
            frequency[i] = StrictMath.pow(base, -2.0 * i / d);
            if (spec.ropeScaling() != null) {
                frequency[i] = spec.ropeScaling().apply(frequency[i]);
            }
        }
        for (int p = 0; p < spec.blockSize(); p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * frequency[i];
                cos[p * half + i] = StrictMath.cos(angle);
                sin[p * half + i] = StrictMath.sin(angle);
            }
        }
    }

    /** The rotation, in radians per position, of dimension pair (i, i + D/2). */
    double frequency(int i) {
        return frequency[i];
    }

    /**
     * FLOAT kernel: {@code dst} = x [N, heads·D] with every head rotated by its row's position ({@code inverse}:
     * rotated back, which is the backward of the rotation). dst may not be src.
     */
    void apply(ByteBuffer src, ByteBuffer dst, int[] positions, int heads, boolean inverse) {
        int stride = heads * d;
        float sign = inverse ? -1f : 1f;
        for (int r = 0; r < positions.length; r++) {
            int row = r * stride;
            int t = positions[r] * half;
            for (int h = 0; h < heads; h++) {
                int o = row + h * d;
                for (int i = 0; i < half; i++) {
                    float cs = (float) cos[t + i];
                    float sn = sign * (float) sin[t + i];
                    float a = src.getFloat((o + i) * 4);
                    float b = src.getFloat((o + i + half) * 4);
                    dst.putFloat((o + i) * 4, a * cs - b * sn);
                    dst.putFloat((o + i + half) * 4, b * cs + a * sn);
                }
            }
        }
    }

    /** Any dtype, for decoding over ND4J ops: x [N, heads·D] → a new array with every head rotated. */
    INDArray apply(INDArray x, int[] positions) {
        int stride = (int) x.size(1);
        int heads = stride / d;
        double[] v = x.dup('c').data().asDouble();
        for (int r = 0; r < positions.length; r++) {
            int t = positions[r] * half;
            for (int h = 0; h < heads; h++) {
                int o = r * stride + h * d;
                for (int i = 0; i < half; i++) {
                    double a = v[o + i];
                    double b = v[o + i + half];
                    v[o + i] = a * cos[t + i] - b * sin[t + i];
                    v[o + i + half] = b * cos[t + i] + a * sin[t + i];
                }
            }
        }
        return Nd4j.create(v, x.shape(), DataType.DOUBLE).castTo(x.dataType());
    }

    /**
     * For a graph: the factors [N, heads·D] with which {@code rotated = x ⊙ cos + (x · R) ⊙ sin}, R being
     * {@link #rotateHalf}: cos and sin of each column's angle. Every head has the same columns, so the first
     * Hkv·D columns of the queries' factors are the keys'.
     */
    INDArray[] factors(int[] positions, int heads, DataType dtype) {
        int stride = heads * d;
        double[] cs = new double[positions.length * stride];
        double[] sn = new double[positions.length * stride];
        for (int r = 0; r < positions.length; r++) {
            int t = positions[r] * half;
            for (int j = 0; j < stride; j++) {
                int i = (j % d) % half;
                cs[r * stride + j] = cos[t + i];
                sn[r * stride + j] = sin[t + i];
            }
        }
        long[] shape = {positions.length, stride};
        return new INDArray[] {Nd4j.create(cs, shape, dtype), Nd4j.create(sn, shape, dtype)};
    }

    /**
     * The constant R [heads·D, heads·D] with (x·R) = (−x₂, x₁) in each head (x₁, x₂ its halves). It is block
     * diagonal, so its top-left [Hkv·D, Hkv·D] block is the keys'.
     */
    INDArray rotateHalf(int heads, DataType dtype) {
        int stride = heads * d;
        double[] m = new double[stride * stride];
        for (int h = 0; h < heads; h++) {
            int o = h * d;
            for (int i = 0; i < half; i++) {
                m[(o + i + half) * stride + (o + i)] = -1;   // out_i = −x_{i+D/2}
                m[(o + i) * stride + (o + i + half)] = 1;    // out_{i+D/2} = x_i
            }
        }
        return Nd4j.create(m, new long[] {stride, stride}, dtype);
    }
}
