package rlhf4j.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Runs every {@link FloatKernels} kernel on seeded data and prints one SHA-256 over all outputs.
 * A child JVM runs it interpreted ({@code -Xint}) and fully compiled ({@code -Xcomp}): the digests
 * must agree, or a resumed run would drift from an uninterrupted one ({@link KernelTiersTest}).
 * Sizes are small (the interpreter runs the Vector API's Java fallback) and not multiples of the
 * vector length, so the loop tails run too.
 */
public final class KernelProbe {
    private static final int ROWS = 6;
    private static final int C = 83;   // not a multiple of 4, 8 or 16: vector loop + tail
    private static final int T = 21;

    private KernelProbe() {}

    public static void main(String[] args) throws Exception {
        System.out.println(digest());
    }

    static String digest() throws Exception {
        SplittableRandom rnd = new SplittableRandom(7);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        int n = ROWS * C;

        ByteBuffer x = random(rnd, n, 3f);
        ByteBuffer g = random(rnd, C, 1f);
        ByteBuffer b = random(rnd, C, 1f);
        ByteBuffer y = direct(n);
        float[] mean = new float[ROWS];
        float[] rstd = new float[ROWS];
        FloatKernels.layerNorm(x, g, b, y, mean, rstd, ROWS, C, 0f);
        ByteBuffer yEps = direct(n);
        FloatKernels.layerNorm(x, g, b, yEps, new float[ROWS], new float[ROWS], ROWS, C, 1e-5f);
        add(sha, yEps);
        add(sha, y, mean, rstd);

        ByteBuffer dy = random(rnd, n, 1f);
        ByteBuffer dx = random(rnd, n, 1f);
        float[] dg = new float[C];
        float[] db = new float[C];
        FloatKernels.layerNormBackward(x, mean, rstd, g, dy, dx, dg, db, ROWS, C);
        add(sha, dx, dg, db);

        ByteBuffer wide = random(rnd, n, 40f);   // reaches exp's overflow and underflow ranges
        ByteBuffer out = direct(n);
        FloatKernels.gelu(wide, out, n);
        add(sha, out);
        FloatKernels.geluBackward(wide, dy, out, n);
        add(sha, out);
        FloatKernels.geluTanh(wide, out, n);
        add(sha, out);
        FloatKernels.geluTanhBackward(wide, dy, out, n);
        add(sha, out);
        ByteBuffer dUp = direct(n);
        FloatKernels.swiglu(wide, x, out, n);
        add(sha, out);
        FloatKernels.swigluBackward(wide, x, dy, out, dUp, n);
        add(sha, out, dUp);

        int groups = 3;
        ByteBuffer scores = random(rnd, groups * T * T, 4f);
        ByteBuffer bias = direct(T * T);
        for (int q = 0; q < T; q++) {
            for (int k = 0; k < T; k++) {
                bias.putFloat((q * T + k) * 4, k <= q ? 0f : Float.NEGATIVE_INFINITY);
            }
        }
        int[] widths = FloatKernels.visibleWidths(bias, 1, T);
        FloatKernels.attentionSoftmax(scores, 0.3f, bias, 1, groups, groups, T, widths);
        add(sha, scores);
        ByteBuffer dp = random(rnd, groups * T * T, 1f);
        FloatKernels.softmaxBackward(scores, dp, 0.3f, groups, T, 1, groups, widths);
        add(sha, dp);

        float[] colSum = new float[C];
        FloatKernels.columnSum(x, colSum, ROWS, C);
        add(sha, colSum);

        ByteBuffer logits = random(rnd, n, 5f);
        int[] targets = new int[ROWS];
        for (int r = 0; r < ROWS; r++) {
            targets[r] = rnd.nextInt(C);
        }
        ByteBuffer logp = direct(ROWS);
        ByteBuffer entropy = direct(ROWS);
        float[] lse = new float[ROWS];
        float[] lseH = new float[ROWS];
        FloatKernels.logSoftmaxAt(logits, targets, logp, lse, ROWS, C);
        FloatKernels.entropy(logits, entropy, lseH, ROWS, C);
        ByteBuffer dz = direct(n);
        FloatKernels.logSoftmaxAtBackward(logits, lse, targets, random(rnd, ROWS, 1f), dz, ROWS, C);
        FloatKernels.entropyBackward(logits, lseH, entropy, random(rnd, ROWS, 1f), dz, ROWS, C);
        add(sha, logp, entropy, dz);
        add(sha, lse, lseH);

        int heads = 2;
        int d = 19;
        int cap = 9;
        int keyStride = FloatKernels.KEY_STRIDE_MULTIPLE;
        int batch = 2;
        int steps = 3;
        for (boolean bf16 : new boolean[] {false, true}) {            // FLOAT caches, then bfloat16 ones
            int width = bf16 ? 2 : 4;
            ByteBuffer keys = bytes(batch * heads * keyStride * d * width);
            ByteBuffer values = bytes(batch * heads * cap * d * width);
            int[] keyValid = new int[batch * cap];
            java.util.Arrays.fill(keyValid, 1);
            keyValid[cap] = 0;                       // a padded first position in the second sequence
            ByteBuffer scratch = direct(keyStride);
            for (int s = 0; s < steps; s++) {
                ByteBuffer q = random(rnd, batch * heads * d, 1f);
                ByteBuffer k = random(rnd, batch * heads * d, 1f);
                ByteBuffer v = random(rnd, batch * heads * d, 1f);
                ByteBuffer att = direct(batch * heads * d);
                FloatKernels.cachedAttention(q, k, v, keys, values, keyValid, att, scratch, batch, heads, heads, 1, s,
                        cap, keyStride, d, 0.25f, bf16);
                add(sha, att);
            }
        }

        ByteBuffer p = random(rnd, n, 1f);
        ByteBuffer grad = random(rnd, n, 1f);
        ByteBuffer m = direct(n);
        ByteBuffer v = direct(n);
        for (int step = 1; step <= 3; step++) {
            FloatKernels.adamW(p, grad, m, v, n, 0.999f, 0.9f, 0.95f, 1e-3f / (1f - (float) Math.pow(0.9, step)),
                    (float) Math.sqrt(1 - Math.pow(0.95, step)), 1e-8f);
        }
        add(sha, p, m, v);
        return HexFormat.of().formatHex(sha.digest());
    }

    private static ByteBuffer direct(int floats) {
        return bytes(floats * 4);
    }

    private static ByteBuffer bytes(int count) {
        return ByteBuffer.allocateDirect(count).order(ByteOrder.nativeOrder());
    }

    private static ByteBuffer random(SplittableRandom rnd, int floats, float scale) {
        ByteBuffer buf = direct(floats);
        for (int i = 0; i < floats; i++) {
            buf.putFloat(i * 4, (float) (rnd.nextGaussian() * scale));
        }
        return buf;
    }

    private static void add(MessageDigest sha, Object... parts) {
        for (Object part : parts) {
            if (part instanceof ByteBuffer buf) {
                for (int i = 0; i < buf.capacity(); i++) {
                    sha.update(buf.get(i));
                }
            } else {
                for (float f : (float[]) part) {
                    int bits = Float.floatToRawIntBits(f);
                    sha.update(new byte[] {(byte) bits, (byte) (bits >> 8), (byte) (bits >> 16), (byte) (bits >> 24)});
                }
            }
        }
    }
}
