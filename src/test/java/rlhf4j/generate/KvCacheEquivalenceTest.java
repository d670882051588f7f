package rlhf4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptSpec;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.InferenceModel;
import rlhf4j.model.KvCache;
import rlhf4j.model.Norm;
import rlhf4j.model.Position;
import rlhf4j.model.TokenBatch;
import rlhf4j.nn.Matmuls;
import rlhf4j.nn.Precision;

/** The KV-cache inference path gives the training graph's logits (within 1e-4) at every position. */
class KvCacheEquivalenceTest {
    private static final GptSpec SPEC = new GptSpec(2, 4, 32, 16, 50);

    /** The reference: the whole-model SameDiff graph (the FLOAT inference path runs the kernels). */
    private static INDArray graphLogits(Gpt gpt, TokenBatch batch) {
        gpt.setEngine(Engine.GRAPH);
        return gpt.forward(HeadRequest.lm(new int[batch.tokens().length]).withLogits(), batch).logits(); // [B*T, V]
    }

    @Test
    void doubleModelsRunTheOpPathAndMatchToo() {
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, 11, 0.2);
        int[] seq = {3, 7, 7, 1, 49};
        INDArray expected = graphLogits(gpt, TokenBatch.causal(new int[][] {seq}));
        InferenceModel model = new InferenceModel(SPEC, gpt.params());
        KvCache cache = model.newCache(1, seq.length);
        for (int t = 0; t < seq.length; t++) {
            INDArray logits = model.forward(cache, 1, new int[] {seq[t]}, new int[] {t}, new int[] {1}); // [1, V]
            assertArrayEquals(expected.getRow(t).toDoubleVector(), logits.getRow(0).toDoubleVector(), 1e-9);
        }
    }

    /** A model's decoder runs on the model's engine: a FLOAT model on the graph engine decodes with ND4J ops. */
    @Test
    void theDecoderFollowsItsModelsEngine() {
        Gpt gpt = Gpt.create(SPEC, DataType.FLOAT, 12, 0.2);
        int[] seq = {3, 7, 7, 1, 49};
        INDArray expected = graphLogits(gpt, TokenBatch.causal(new int[][] {seq}));   // leaves gpt on the graph engine
        assertEquals(Engine.GRAPH, gpt.engine());
        InferenceModel model = gpt.decoder();
        KvCache cache = model.newCache(1, seq.length);
        for (int t = 0; t < seq.length; t++) {
            INDArray logits = model.forward(cache, 1, new int[] {seq[t]}, new int[] {t}, new int[] {1}); // [1, V]
            assertArrayEquals(expected.getRow(t).toFloatVector(), logits.getRow(0).toFloatVector(), 1e-4f);
        }
        Gpt doubles = Gpt.create(SPEC, DataType.DOUBLE, 12, 0.2);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new InferenceModel(SPEC, doubles.params(), Engine.KERNELS), "the kernels decode FLOAT only");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> doubles.setEngine(Engine.KERNELS), "and train FLOAT only");
    }

    /** RMSNorm and rotary positions, decoded token by token over both decoding engines, with left padding. */
    @Test
    void rmsNormAndRotaryDecodeAsTheGraphComputes() {
        GptSpec spec = new GptSpec(2, 2, 24, 12, 30, Norm.RMSNORM, Position.ROPE);
        int[] tokens = {0, 0, 4, 5, 6, 1, 2, 3, 2, 9};
        int[] positions = {0, 0, 0, 1, 2, 0, 1, 2, 3, 4};
        int[] valid = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
        for (DataType dtype : List.of(DataType.DOUBLE, DataType.FLOAT)) {
            Gpt gpt = Gpt.create(spec, dtype, 21, 0.3);
            INDArray graph = graphLogits(gpt, new TokenBatch(2, 5, tokens, positions, valid));  // [2*5, V]
            InferenceModel model = new InferenceModel(spec, gpt.params());
            KvCache cache = model.newCache(2, 5);
            for (int t = 0; t < 5; t++) {
                INDArray step = model.forward(cache, 1, new int[] {tokens[t], tokens[5 + t]},
                        new int[] {positions[t], positions[5 + t]}, new int[] {valid[t], valid[5 + t]}); // [2, V]
                for (int b = 0; b < 2; b++) {
                    if (valid[b * 5 + t] == 1) {
                        assertArrayEquals(graph.getRow(b * 5 + t).toDoubleVector(), step.getRow(b).toDoubleVector(),
                                dtype == DataType.DOUBLE ? 1e-9 : 1e-4, dtype + " b=" + b + " t=" + t);
                    }
                }
            }
        }
    }

    @Test
    void widerModelWithPaddingAndPrefillMatchesTheGraph() {
        GptSpec spec = new GptSpec(2, 2, 72, 20, 40);   // head size 36: vector loops plus tails
        Gpt gpt = Gpt.create(spec, DataType.FLOAT, 16, 0.2);
        int[] tokens = {0, 0, 0, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7};
        int[] positions = {0, 0, 0, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6};
        int[] valid = {0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        INDArray graph = graphLogits(gpt, new TokenBatch(2, 7, tokens, positions, valid));        // [2*7, V]
        InferenceModel model = new InferenceModel(spec, gpt.params());
        KvCache cache = model.newCache(2, 7);
        INDArray prefill = model.forward(cache, 5, new int[] {0, 0, 0, 4, 5, 1, 2, 3, 4, 5},
                new int[] {0, 0, 0, 0, 1, 0, 1, 2, 3, 4}, new int[] {0, 0, 0, 1, 1, 1, 1, 1, 1, 1}); // [2*5, V]
        for (int t = 3; t < 5; t++) {
            assertArrayEquals(graph.getRow(t).toDoubleVector(), prefill.getRow(t).toDoubleVector(), 1e-4);
            assertArrayEquals(graph.getRow(7 + t).toDoubleVector(), prefill.getRow(5 + t).toDoubleVector(), 1e-4);
        }
        for (int t = 5; t < 7; t++) {
            INDArray step = model.forward(cache, 1, new int[] {tokens[t], tokens[7 + t]}, new int[] {t - 3, t},
                    new int[] {1, 1});
            assertArrayEquals(graph.getRow(t).toDoubleVector(), step.getRow(0).toDoubleVector(), 1e-4);
            assertArrayEquals(graph.getRow(7 + t).toDoubleVector(), step.getRow(1).toDoubleVector(), 1e-4);
        }
    }

    @Test
    void tokenByTokenMatchesTheGraphAtEveryPosition() {
        Gpt gpt = Gpt.create(SPEC, DataType.FLOAT, 11, 0.2);
        int[] seq = {3, 7, 7, 1, 49, 0, 22, 22, 5, 8};
        INDArray expected = graphLogits(gpt, TokenBatch.causal(new int[][] {seq}));
        InferenceModel model = new InferenceModel(SPEC, gpt.params());
        KvCache cache = model.newCache(1, seq.length);
        for (int t = 0; t < seq.length; t++) {
            INDArray logits = model.forward(cache, 1, new int[] {seq[t]}, new int[] {t}, new int[] {1}); // [1, V]
            assertArrayEquals(expected.getRow(t).toDoubleVector(), logits.getRow(0).toDoubleVector(), 1e-4,
                    "position " + t);
        }
    }

    /**
     * A longer sequence (keys past several vectors' width) on the FP32 kernels and on the BF16 kernels, whose
     * decoding reads packed BF16 weights: FP32 to 1e-4 of the graph, BF16 within its rounding, 2% of the logits'
     * range, and not equal to FP32 where the CPU has BF16.
     */
    @Test
    void longSequencesDecodeAsTheGraphInBothPrecisions() {
        GptSpec spec = new GptSpec(2, 2, 48, 40, 60);
        Gpt gpt = Gpt.create(spec, DataType.FLOAT, 31, 0.3);
        Random rng = new Random(4);
        int[] seq = new int[37];
        for (int t = 0; t < seq.length; t++) {
            seq[t] = rng.nextInt(60);
        }
        INDArray expected = graphLogits(gpt, TokenBatch.causal(new int[][] {seq}));                // [T, V]
        double range = expected.maxNumber().doubleValue() - expected.minNumber().doubleValue();
        for (Engine engine : List.of(Engine.KERNELS, Engine.KERNELS_BF16)) {
            InferenceModel model = new InferenceModel(spec, gpt.params(), engine);
            KvCache cache = model.newCache(1, seq.length);
            INDArray prefill = model.forward(cache, 3, Arrays.copyOf(seq, 3), new int[] {0, 1, 2},
                    new int[] {1, 1, 1});                                                              // [3, V]
            double worst = maxDifference(expected.getRow(2), prefill.getRow(2));
            for (int t = 3; t < seq.length; t++) {
                INDArray logits = model.forward(cache, 1, new int[] {seq[t]}, new int[] {t}, new int[] {1}); // [1, V]
                worst = Math.max(worst, maxDifference(expected.getRow(t), logits.getRow(0)));
            }
            if (engine == Engine.KERNELS) {
                assertTrue(worst <= 1e-4, "FP32 kernels off the graph by " + worst);
            } else {
                assertTrue(worst <= 0.02 * range, "BF16 kernels off the graph by " + worst + " of " + range);
                if (Matmuls.effective(Precision.BF16) == Precision.BF16) {
                    assertTrue(worst > 1e-4, "BF16 decoding rounds: " + worst);
                }
            }
        }
    }

    private static double maxDifference(INDArray a, INDArray b) {
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    @Test
    void prefillThenStepsMatchesTheGraph() {
        Gpt gpt = Gpt.create(SPEC, DataType.FLOAT, 12, 0.2);
        int[][] rows = {{1, 2, 3, 4, 5, 6}, {9, 9, 8, 8, 7, 7}};
        INDArray expected = graphLogits(gpt, TokenBatch.causal(rows));
        InferenceModel model = new InferenceModel(SPEC, gpt.params());
        KvCache cache = model.newCache(2, 6);
        INDArray prefill = model.forward(cache, 4, new int[] {1, 2, 3, 4, 9, 9, 8, 8},
                new int[] {0, 1, 2, 3, 0, 1, 2, 3}, new int[] {1, 1, 1, 1, 1, 1, 1, 1});        // [2*4, V]
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 4; t++) {
                assertArrayEquals(expected.getRow(b * 6 + t).toDoubleVector(),
                        prefill.getRow(b * 4 + t).toDoubleVector(), 1e-4);
            }
        }
        for (int t = 4; t < 6; t++) {
            INDArray step = model.forward(cache, 1, new int[] {rows[0][t], rows[1][t]}, new int[] {t, t},
                    new int[] {1, 1});
            assertArrayEquals(expected.getRow(t).toDoubleVector(), step.getRow(0).toDoubleVector(), 1e-4);
            assertArrayEquals(expected.getRow(6 + t).toDoubleVector(), step.getRow(1).toDoubleVector(), 1e-4);
        }
    }

    @Test
    void leftPaddedBatchMatchesEachSequenceAlone() {
        Gpt gpt = Gpt.create(SPEC, DataType.FLOAT, 13, 0.2);
        InferenceModel model = new InferenceModel(SPEC, gpt.params());
        int[] shortSeq = {4, 5, 6};
        INDArray alone = graphLogits(gpt, TokenBatch.causal(new int[][] {shortSeq}));          // [3, V]
        KvCache cache = model.newCache(2, 5);
        INDArray logits = model.forward(cache, 5, new int[] {0, 0, 4, 5, 6, 1, 2, 3, 4, 5},
                new int[] {0, 0, 0, 1, 2, 0, 1, 2, 3, 4}, new int[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1});
        for (int t = 0; t < 3; t++) {
            assertArrayEquals(alone.getRow(t).toDoubleVector(), logits.getRow(2 + t).toDoubleVector(), 1e-4);
        }
        // the training graph with the same padding agrees too
        TokenBatch padded = new TokenBatch(2, 5, new int[] {0, 0, 4, 5, 6, 1, 2, 3, 4, 5},
                new int[] {0, 0, 0, 1, 2, 0, 1, 2, 3, 4}, new int[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1});
        INDArray graph = graphLogits(gpt, padded);
        for (int r : new int[] {2, 3, 4, 5, 9}) {
            assertArrayEquals(graph.getRow(r).toDoubleVector(), logits.getRow(r).toDoubleVector(), 1e-4);
        }
    }

    @Test
    void samplerIsDeterministicForASeedAndStopsAtTheStopToken() {
        Gpt gpt = Gpt.create(SPEC, DataType.FLOAT, 14, 0.2);
        Sampler sampler = new Sampler(new InferenceModel(SPEC, gpt.params()), 0);
        SamplingParams params = new SamplingParams(1.0, 10, 0.9, 8);
        List<int[]> prompts = List.of(new int[] {1, 2, 3}, new int[] {4});
        List<Sampler.Generation> a = sampler.generate(prompts, params, new Random(5), t -> false);
        List<Sampler.Generation> b = sampler.generate(prompts, params, new Random(5), t -> false);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(a.get(i).tokens(), b.get(i).tokens());
            assertEquals(8, a.get(i).tokens().length);
        }
        int stop = a.get(0).tokens()[2];
        Sampler.Generation g = sampler.generate(prompts, params, new Random(5), t -> t == stop).get(0);
        assertEquals(stop, g.tokens()[g.tokens().length - 1]);
        assertTrue(g.stopped());
        assertTrue(g.tokens().length <= 3);
    }

    @Test
    void greedyDecodingFollowsTheGraphArgmax() {
        Gpt gpt = Gpt.create(SPEC, DataType.FLOAT, 15, 0.5);
        Sampler sampler = new Sampler(new InferenceModel(SPEC, gpt.params()), 0);
        int[] prompt = {5, 6, 7};
        Sampler.Generation g = sampler.generate(List.of(prompt), SamplingParams.greedy(4), new Random(1), t -> false).get(0);
        int[] seq = new int[prompt.length + g.tokens().length];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(g.tokens(), 0, seq, prompt.length, g.tokens().length);
        INDArray logits = graphLogits(gpt, TokenBatch.causal(new int[][] {seq}));
        for (int t = 0; t < g.tokens().length; t++) {
            assertEquals(logits.getRow(prompt.length - 1 + t).argMax().getInt(0), g.tokens()[t]);
        }
    }
}
