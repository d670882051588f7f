package rlhf4j.generate;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import rlhf4j.model.InferenceModel;
import rlhf4j.model.KvCache;
import rlhf4j.model.PhaseTimes;

/**
 * Batched generation with the KV cache: prompts of different lengths are left-padded, run through
 * the model in one prefill pass, then extended one token per step until each sequence produces a
 * stop token or reaches {@code maxNewTokens} (or the context is full).
 */
public final class Sampler {
    private final InferenceModel model;
    private final int padToken;
    private PhaseTimes times = PhaseTimes.OFF;

    public Sampler(InferenceModel model, int padToken) {
        this.model = model;
        this.padToken = padToken;
    }

    /** Where the phases of {@link #generate} are timed ({@link PhaseTimes#OFF} by default). */
    public void setPhaseTimes(PhaseTimes times) {
        this.times = times == null ? PhaseTimes.OFF : times;
        model.setPhaseTimes(this.times);
    }

    /**
     * One generated continuation.
     *
     * @param tokens   the new tokens, the stop token included when one was produced
     * @param logProbs log-probability of each new token under the temperature-scaled distribution
     * @param stopped  true when a stop token ended it (false: length limit)
     */
    public record Generation(int[] prompt, int[] tokens, double[] logProbs, boolean stopped)
            implements Serializable {}

    /** Continuations of {@code prompts} (one batch), every row drawing its tokens from the one {@code rng}. */
    public List<Generation> generate(List<int[]> prompts, SamplingParams params, Random rng, IntPredicate isStop) {
        return generate(prompts, params, Collections.nCopies(prompts.size(), rng), isStop);
    }

    /**
     * Continuations of {@code prompts} (one batch), row i drawing from {@code rngs.get(i)}: with a generator of its
     * own per row, a row's draws do not depend on how many other rows share the batch.
     */
    public List<Generation> generate(List<int[]> prompts, SamplingParams params, List<Random> rngs, IntPredicate isStop) {
        int b = prompts.size();
        if (rngs.size() != b) {
            throw new IllegalArgumentException(rngs.size() + " generators for " + b + " prompts");
        }
        int blockSize = model.spec().blockSize();
        int maxNew = Math.min(params.maxNewTokens(), blockSize - 1);
        PromptBatch batch = PromptBatch.of(prompts, 1, blockSize, maxNew, padToken);
        List<int[]> cropped = batch.cropped();
        int promptLen = batch.length();
        KvCache cache = model.newCache(b, Math.min(blockSize, promptLen + maxNew));
        INDArray logits;                                                                        // [B*P, V]
        try (PhaseTimes.Scope s = times.phase("prefill forward")) {
            logits = model.forward(cache, promptLen, batch.tokens(), batch.positions(), batch.valid());
        }
        double[][] last;                                                                        // [B][V]
        try (PhaseTimes.Scope s = times.phase("logits to Java")) {
            last = lastRows(logits, b, promptLen);
        }
        List<List<Integer>> out = new ArrayList<>();
        List<List<Double>> outLogp = new ArrayList<>();
        boolean[] done = new boolean[b];
        boolean[] stopped = new boolean[b];
        int[] nextPos = new int[b];
        for (int i = 0; i < b; i++) {
            out.add(new ArrayList<>());
            outLogp.add(new ArrayList<>());
            nextPos[i] = cropped.get(i).length;
        }
        for (int step = 0; step < maxNew; step++) {
            int[] next = new int[b];
            int[] stepValid = new int[b];
            boolean anyActive = false;
            PhaseTimes.Scope picking = times.phase("token pick");
            for (int i = 0; i < b; i++) {
                if (done[i]) {
                    next[i] = padToken;
                    continue;
                }
                TokenPicker.Pick pick = TokenPicker.pick(last[i], params, rngs.get(i));
                out.get(i).add(pick.token());
                outLogp.get(i).add(pick.logProb());
                next[i] = pick.token();
                stepValid[i] = 1;
                if (isStop.test(pick.token())) {
                    done[i] = true;
                    stopped[i] = true;
                } else {
                    anyActive = true;
                }
            }
            picking.close();
            if (!anyActive || step == maxNew - 1 || cache.length() >= cache.capacity()) {
                break;
            }
            int[] pos = new int[b];
            for (int i = 0; i < b; i++) {
                pos[i] = done[i] ? 0 : nextPos[i]++;
                if (done[i]) {
                    stepValid[i] = 0;
                }
            }
            INDArray stepLogits;                                                                // [B, V]
            try (PhaseTimes.Scope s = times.phase("decode forward")) {
                stepLogits = model.forward(cache, 1, next, pos, stepValid);
            }
            try (PhaseTimes.Scope s = times.phase("logits to Java")) {
                last = lastRows(stepLogits, b, 1);                                              // [B][V]
            }
        }
        List<Generation> result = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            int[] t = out.get(i).stream().mapToInt(Integer::intValue).toArray();
            double[] lp = outLogp.get(i).stream().mapToDouble(Double::doubleValue).toArray();
            result.add(new Generation(prompts.get(i), t, lp, stopped[i]));
        }
        return result;
    }

    /** The logits of each sequence's last position: [B*n, V] → [B][V], one bulk copy out of native memory. */
    static double[][] lastRows(INDArray logits, int b, int n) {
        int v = (int) logits.size(1);
        INDArray last = n == 1 ? logits : logits.reshape(b, n, v).get(NDArrayIndex.all(), NDArrayIndex.point(n - 1),
                NDArrayIndex.all());                                                            // [B, V]
        double[] flat = last.dup('c').data().asDouble();                                       // [B*V]
        double[][] rows = new double[b][];
        for (int i = 0; i < b; i++) {
            rows[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
        }
        return rows;
    }
}
