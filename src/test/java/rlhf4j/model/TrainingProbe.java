package rlhf4j.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.loss.Losses;
import rlhf4j.nn.Matmuls;
import rlhf4j.nn.Precision;

/**
 * Three training steps of a small GPT on the kernels in the precision the first argument asks for ({@code FP32} or
 * {@code BF16}; {@link Engine#at} gives what this CPU has), each step's loss, logits and gradients folded into one
 * SHA-256: prints the engine, what computed the products and the digest, a line each. A child JVM runs it with a
 * given OpenMP thread count, twice, and the digests must agree ({@link ThreadsDeterminismTest}). Products of 256 rows
 * by widths of 128 and 512 are large enough for oneDNN to split them over threads.
 */
public final class TrainingProbe {
    private TrainingProbe() {}

    public static void main(String[] args) throws Exception {
        Engine engine = Engine.KERNELS.at(Precision.valueOf(args[0]));
        System.out.println(engine);
        System.out.println(Matmuls.of(engine.precision()).describe());
        System.out.println(digest(engine));
    }

    static String digest(Engine engine) throws Exception {
        GptSpec spec = new GptSpec(2, 4, 128, 32, 97);
        Gpt gpt = Gpt.create(spec, DataType.FLOAT, 3, 0.05);
        gpt.setEngine(engine);
        Random rng = new Random(11);
        int b = 8;
        int t = 32;
        int[][] rows = new int[b][t];                                                        // [B][T]
        int[] targets = new int[b * t];                                                      // [B*T]
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (int step = 0; step < 3; step++) {
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    rows[i][j] = rng.nextInt(spec.vocabSize());
                    targets[i * t + j] = rng.nextInt(spec.vocabSize());
                }
            }
            double[] weight = Losses.uniformWeights(b * t);
            Gpt.Step s = gpt.forwardBackward(HeadRequest.lm(targets).withLogits(), TokenBatch.causal(rows),
                    out -> Losses.lm(out.logp(), weight));
            add(sha, s.outputs().logits());
            sha.update(ByteBuffer.allocate(8).putDouble(s.loss().value()).array());
            for (Map.Entry<String, INDArray> g : s.grads().entrySet()) {
                add(sha, g.getValue());
                gpt.params().get(g.getKey()).subi(g.getValue().mul(0.05));                 // a plain SGD step
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void add(MessageDigest sha, INDArray x) {
        float[] v = x.castTo(DataType.FLOAT).data().asFloat();
        ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(v);
        sha.update(buf);
    }
}
