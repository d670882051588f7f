package rlhf4j.model;

import java.nio.ByteBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Rotary position embedding ({@link Ops#rotary}) for every engine: the angle table and the rotation
 * of the query and key blocks of qkv [N, 3C]. In head h, dimensions i and i + D/2 of a token at
 * position p are rotated by {@code p · 10000^(−2i/D)}. Angles come from {@link StrictMath}, so the
 * table is the same bits on every JVM (bitwise resume depends on it). A model makes its tables once
 * ({@link #of}) and hands them to every pass.
 */
final class Rotary {
    private static final double BASE = 10_000.0;

    private final int heads;
    private final int d;
    private final int half;
    private final double[] cos;   // [T_max, D/2]
    private final double[] sin;   // [T_max, D/2]

    /** The tables of a model with rotary positions, or null for learned positions. */
    static Rotary of(GptSpec spec) {
        return spec.position() == Position.ROPE ? new Rotary(spec) : null;
    }

    Rotary(GptSpec spec) {
        this.heads = spec.nHead();
        this.d = spec.headDim();
        this.half = d / 2;
        this.cos = new double[spec.blockSize() * half];
        this.sin = new double[spec.blockSize() * half];
        for (int p = 0; p < spec.blockSize(); p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * StrictMath.pow(BASE, -2.0 * i / d);
                cos[p * half + i] = StrictMath.cos(angle);
                sin[p * half + i] = StrictMath.sin(angle);
            }
        }
    }

    /**
     * FLOAT kernel: {@code dst} = qkv [N, 3C] with q and k rotated by each row's position ({@code
     * inverse}: rotated back, which is the backward of the rotation); v copied. dst may not be src.
     */
    void apply(ByteBuffer src, ByteBuffer dst, int[] positions, boolean inverse) {
        int c = heads * d;
        int stride = 3 * c;
        float sign = inverse ? -1f : 1f;
        for (int r = 0; r < positions.length; r++) {
            int row = r * stride;
            int t = positions[r] * half;
            for (int block = 0; block < 2; block++) {                  // q, then k
                for (int h = 0; h < heads; h++) {
                    int o = row + block * c + h * d;
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
            for (int j = 2 * c; j < stride; j++) {
                dst.putFloat((row + j) * 4, src.getFloat((row + j) * 4));
            }
        }
    }

    /** Any dtype, for decoding over ND4J ops: qkv [N, 3C] → a new array with q and k rotated. */
    INDArray apply(INDArray qkv, int[] positions) {
        int c = heads * d;
        int stride = 3 * c;
        double[] x = qkv.dup('c').data().asDouble();
        for (int r = 0; r < positions.length; r++) {
            int t = positions[r] * half;
            for (int block = 0; block < 2; block++) {
                for (int h = 0; h < heads; h++) {
                    int o = r * stride + block * c + h * d;
                    for (int i = 0; i < half; i++) {
                        double a = x[o + i];
                        double b = x[o + i + half];
                        x[o + i] = a * cos[t + i] - b * sin[t + i];
                        x[o + i + half] = b * cos[t + i] + a * sin[t + i];
                    }
                }
            }
        }
        return Nd4j.create(x, qkv.shape(), DataType.DOUBLE).castTo(qkv.dataType());
    }

    /**
     * For a graph: the factors [N, 3C] with which {@code rotated = qkv ⊙ cos + (qkv · R) ⊙ sin},
     * R being {@link #rotateHalf}: cos and sin of each q and k column's angle, 1 and 0 for v.
     */
    INDArray[] factors(int[] positions, DataType dtype) {
        int c = heads * d;
        int stride = 3 * c;
        double[] cs = new double[positions.length * stride];
        double[] sn = new double[positions.length * stride];
        for (int r = 0; r < positions.length; r++) {
            int t = positions[r] * half;
            for (int j = 0; j < stride; j++) {
                int o = r * stride + j;
                if (j >= 2 * c) {
                    cs[o] = 1;
                    continue;
                }
                int i = (j % d) % half;
                cs[o] = cos[t + i];
                sn[o] = sin[t + i];
            }
        }
        long[] shape = {positions.length, stride};
        return new INDArray[] {Nd4j.create(cs, shape, dtype), Nd4j.create(sn, shape, dtype)};
    }

    /** The constant R [3C, 3C] with (x·R) = (−x₂, x₁) in each q and k head (x₁, x₂ its halves), 0 for v. */
    INDArray rotateHalf(DataType dtype) {
        int c = heads * d;
        int stride = 3 * c;
        double[] m = new double[stride * stride];
        for (int block = 0; block < 2; block++) {
            for (int h = 0; h < heads; h++) {
                int o = block * c + h * d;
                for (int i = 0; i < half; i++) {
                    m[(o + i + half) * stride + (o + i)] = -1;   // out_i = −x_{i+D/2}
                    m[(o + i) * stride + (o + i + half)] = 1;    // out_{i+D/2} = x_i
                }
            }
        }
        return Nd4j.create(m, new long[] {stride, stride}, dtype);
    }
}
