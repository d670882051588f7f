package rlhf4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
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

/**
 * Beam search against exhaustive search: with as many beams as there are continuations it must find
 * the most probable one (scored by the training graph), with and without a stop token, on both
 * decoding engines; with one beam it is greedy decoding; and the cache reordering it relies on moves
 * whole rows.
 */
class BeamSearchTest {
    private static final int VOCAB = 5;
    private static final GptSpec SPEC = new GptSpec(2, 2, 16, 16, VOCAB, Norm.LAYERNORM, Position.ROPE);

    /** Summed log-probability of {@code answer} after {@code prompt}, from the whole-model graph. */
    private static double logProb(Gpt gpt, int[] prompt, int[] answer) {
        int[] seq = new int[prompt.length + answer.length];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(answer, 0, seq, prompt.length, answer.length);
        gpt.setEngine(Engine.GRAPH);
        INDArray logits = gpt.forward(HeadRequest.lm(new int[seq.length]).withLogits(),
                TokenBatch.causal(new int[][] {seq})).logits();                                   // [T, V]
        double sum = 0;
        for (int t = 0; t < answer.length; t++) {
            double[] row = logits.getRow(prompt.length - 1 + t).toDoubleVector();                 // [V]
            double max = Arrays.stream(row).max().orElseThrow();
            double logZ = max + Math.log(Arrays.stream(row).map(x -> Math.exp(x - max)).sum());
            sum += row[answer[t]] - logZ;
        }
        return sum;
    }

    /** Every answer of at most {@code maxNew} tokens: ending with {@code stop}, or {@code maxNew} long without it. */
    private static List<int[]> allAnswers(int maxNew, int stop) {
        List<int[]> out = new ArrayList<>();
        List<int[]> open = List.of(new int[0]);
        for (int len = 1; len <= maxNew; len++) {
            List<int[]> longer = new ArrayList<>();
            for (int[] prefix : open) {
                for (int v = 0; v < VOCAB; v++) {
                    int[] a = Arrays.copyOf(prefix, len);
                    a[len - 1] = v;
                    (v == stop || len == maxNew ? out : longer).add(a);
                }
            }
            open = longer;
        }
        return out;
    }

    private static int[] exhaustiveBest(Gpt gpt, int[] prompt, int maxNew, int stop) {
        int[] best = null;
        double bestLp = Double.NEGATIVE_INFINITY;
        for (int[] a : allAnswers(maxNew, stop)) {
            double lp = logProb(gpt, prompt, a);
            if (lp > bestLp) {
                bestLp = lp;
                best = a;
            }
        }
        return best;
    }

    @Test
    void enoughBeamsFindTheMostProbableAnswerOnBothEngines() {
        List<int[]> prompts = List.of(new int[] {1, 3, 4}, new int[] {2}, new int[] {4, 4, 0, 1, 2});
        for (DataType dtype : List.of(DataType.DOUBLE, DataType.FLOAT)) {
            for (int stop : new int[] {-1, 2}) {
                Gpt gpt = Gpt.create(SPEC, dtype, 31 + stop, 1.0);
                // the sum (length penalty 0) makes "no live beam can win" exact; 25 beams hold every 2-token prefix
                List<Sampler.Generation> got = new BeamSearch(new InferenceModel(SPEC, gpt.params()), 0)
                        .search(prompts, 25, 0.0, 3, t -> t == stop);
                for (int i = 0; i < prompts.size(); i++) {
                    int[] expected = exhaustiveBest(gpt, prompts.get(i), 3, stop);
                    Sampler.Generation g = got.get(i);
                    assertArrayEquals(expected, g.tokens(), dtype + " stop " + stop + " prompt " + i);
                    assertEquals(logProb(gpt, prompts.get(i), expected), Arrays.stream(g.logProbs()).sum(),
                            dtype == DataType.DOUBLE ? 1e-9 : 1e-4);
                    assertEquals(expected[expected.length - 1] == stop, g.stopped());
                }
            }
        }
    }

    @Test
    void oneBeamIsGreedyDecoding() {
        Gpt gpt = Gpt.create(SPEC.withVocabSize(40), DataType.FLOAT, 7, 0.8);
        InferenceModel model = new InferenceModel(SPEC.withVocabSize(40), gpt.params());
        List<int[]> prompts = List.of(new int[] {5, 6, 7}, new int[] {9}, new int[] {1, 2, 3, 4, 5, 6});
        List<Sampler.Generation> greedy = new Sampler(model, 0).generate(prompts, SamplingParams.greedy(8),
                new Random(0), t -> t == 3);
        List<Sampler.Generation> beam = new BeamSearch(model, 0).search(prompts, 1, 1.0, 8, t -> t == 3);
        for (int i = 0; i < prompts.size(); i++) {
            assertArrayEquals(greedy.get(i).tokens(), beam.get(i).tokens(), "prompt " + i);
            assertEquals(greedy.get(i).stopped(), beam.get(i).stopped());
        }
    }

    /** More beams never find a less probable answer than greedy under the length-free score. */
    @Test
    void beamsScoreAtLeastAsWellAsGreedy() {
        GptSpec spec = SPEC.withVocabSize(30);
        Gpt gpt = Gpt.create(spec, DataType.FLOAT, 8, 1.5);
        InferenceModel model = new InferenceModel(spec, gpt.params());
        List<int[]> prompts = new ArrayList<>();
        Random rng = new Random(3);
        for (int i = 0; i < 12; i++) {
            prompts.add(rng.ints(1 + rng.nextInt(6), 0, 30).toArray());
        }
        List<Sampler.Generation> greedy = new BeamSearch(model, 0).search(prompts, 1, 0.0, 6, t -> false);
        List<Sampler.Generation> beams = new BeamSearch(model, 0).search(prompts, 4, 0.0, 6, t -> false);
        boolean better = false;                          // FLOAT sums differ in the 6th digit between batch sizes
        for (int i = 0; i < prompts.size(); i++) {
            double g = Arrays.stream(greedy.get(i).logProbs()).sum();
            double b = Arrays.stream(beams.get(i).logProbs()).sum();
            assertTrue(b >= g - 1e-4, "prompt " + i + ": beams " + b + " < greedy " + g);
            better |= b > g + 1e-3;
        }
        assertTrue(better, "with 12 prompts, 4 beams should beat greedy somewhere");
    }

    @Test
    void reorderCopiesWholeRowsOfTheCache() {
        Gpt gpt = Gpt.create(SPEC, DataType.FLOAT, 9, 1.0);
        InferenceModel model = new InferenceModel(SPEC, gpt.params());
        KvCache cache = model.newCache(3, 6);
        model.forward(cache, 2, new int[] {1, 2, 0, 3, 4, 4}, new int[] {0, 1, 0, 0, 0, 1}, new int[] {1, 1, 0, 1, 1, 1});
        KvCache copy = model.newCache(3, 6);
        model.forward(copy, 2, new int[] {1, 2, 0, 3, 4, 4}, new int[] {0, 1, 0, 0, 0, 1}, new int[] {1, 1, 0, 1, 1, 1});
        INDArray before = model.forward(copy, 1, new int[] {3, 3, 3}, new int[] {2, 1, 2}, new int[] {1, 1, 1}); // [3, V]
        cache.reorder(new int[] {2, 0, 0});
        INDArray after = model.forward(cache, 1, new int[] {3, 3, 3}, new int[] {2, 2, 2}, new int[] {1, 1, 1}); // [3, V]
        assertArrayEquals(before.getRow(2).toFloatVector(), after.getRow(0).toFloatVector(), 1e-5f);
        assertArrayEquals(before.getRow(0).toFloatVector(), after.getRow(1).toFloatVector(), 1e-5f);
        assertArrayEquals(before.getRow(0).toFloatVector(), after.getRow(2).toFloatVector(), 1e-5f);
    }
}
