package rlhf4j.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntPredicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.model.InferenceModel;
import rlhf4j.model.KvCache;

/**
 * Beam search with the KV cache: each prompt keeps its K most probable continuations, extends them by
 * every token, and keeps the K best again, until K have ended with a stop token and no unfinished one
 * can still beat them. A finished continuation is scored by its summed log-probability divided by its
 * length to the power {@code lengthPenalty} (1 = mean log-probability per token, 0 = the plain sum,
 * which favours short answers). The answer is the best-scored finished continuation, or the best
 * unfinished one when the length limit came first (unfinished ones then compete too). With one beam
 * this is greedy decoding. The candidates (2K per step, a stop counting only among the K best), the
 * stopping rule and the scores follow what Hugging Face's {@code generate(num_beams=K)} does by
 * default (length penalty 1, no early stopping).
 */
public final class BeamSearch {
    private final InferenceModel model;
    private final int padToken;

    public BeamSearch(InferenceModel model, int padToken) {
        this.model = model;
        this.padToken = padToken;
    }

    /** One continuation: its tokens (the stop token included when it stopped) and their log-probabilities. */
    private record Hypothesis(int[] tokens, double[] logProbs, double sum, boolean stopped) {
        /** The summed log-probability over the length to the power {@code lengthPenalty}; the stop token does not count. */
        double score(double lengthPenalty) {
            return sum / Math.pow(Math.max(1, tokens.length - (stopped ? 1 : 0)), lengthPenalty);
        }

        Hypothesis extend(int token, double logProb, boolean stop) {
            int[] t = Arrays.copyOf(tokens, tokens.length + 1);
            double[] lp = Arrays.copyOf(logProbs, logProbs.length + 1);
            t[tokens.length] = token;
            lp[logProbs.length] = logProb;
            return new Hypothesis(t, lp, sum + logProb, stop);
        }
    }

    /** A candidate for the next beams: beam {@code beam} of its prompt extended by {@code token}. */
    private record Candidate(int beam, int token, double logProb, double sum) {}

    /** The best continuation of each prompt (one batch), as {@link Sampler.Generation}s with the model's log-probabilities. */
    public List<Sampler.Generation> search(List<int[]> prompts, int beams, double lengthPenalty, int maxNewTokens,
                                           IntPredicate isStop) {
        if (beams < 1) {
            throw new IllegalArgumentException("beams must be >= 1, got " + beams);
        }
        int n = prompts.size();
        int rows = n * beams;
        int blockSize = model.spec().blockSize();
        int maxNew = Math.min(maxNewTokens, blockSize - 1);
        PromptBatch batch = PromptBatch.of(prompts, beams, blockSize, maxNew, padToken);
        KvCache cache = model.newCache(rows, Math.min(blockSize, batch.length() + maxNew));
        INDArray prefill = model.forward(cache, batch.length(), batch.tokens(), batch.positions(), batch.valid()); // [R*P, V]
        double[][] last = Sampler.lastRows(prefill, rows, batch.length());                      // [R][V]

        List<List<Hypothesis>> live = new ArrayList<>();        // per prompt, its beams in row order
        List<List<Hypothesis>> finished = new ArrayList<>();    // per prompt, at most K
        boolean[] done = new boolean[n];
        boolean[] outOfRoom = new boolean[n];                   // ended by the length limit, not by the stopping rule
        int[] nextPos = new int[n];
        for (int p = 0; p < n; p++) {
            List<Hypothesis> beamsOfP = new ArrayList<>();
            // only the first copy starts live: K identical beams would fill every beam with one continuation
            for (int k = 0; k < beams; k++) {
                beamsOfP.add(new Hypothesis(new int[0], new double[0], k == 0 ? 0 : Double.NEGATIVE_INFINITY, false));
            }
            live.add(beamsOfP);
            finished.add(new ArrayList<>());
            nextPos[p] = batch.cropped().get(p * beams).length;
        }
        for (int step = 0; step < maxNew; step++) {
            int[] source = new int[rows];
            int[] next = new int[rows];
            int[] pos = new int[rows];
            int[] valid = new int[rows];
            boolean anyLive = false;
            for (int p = 0; p < n; p++) {
                for (int k = 0; k < beams; k++) {
                    source[p * beams + k] = p * beams + k;
                    next[p * beams + k] = padToken;
                }
                if (done[p]) {
                    continue;
                }
                List<Candidate> candidates = candidates(live.get(p), last, p * beams, 2 * beams);
                List<Hypothesis> kept = new ArrayList<>();
                for (int rank = 0; rank < candidates.size() && kept.size() < beams; rank++) {
                    Candidate c = candidates.get(rank);
                    Hypothesis parent = live.get(p).get(c.beam());
                    boolean stop = isStop.test(c.token());
                    if (stop) {
                        // a stop only counts among the K best candidates, as in the reference implementation
                        if (rank < beams) {
                            addFinished(finished.get(p), parent.extend(c.token(), c.logProb(), true), beams, lengthPenalty);
                        }
                        continue;
                    }
                    int row = p * beams + kept.size();
                    source[row] = p * beams + c.beam();
                    next[row] = c.token();
                    valid[row] = 1;
                    kept.add(parent.extend(c.token(), c.logProb(), false));
                }
                while (kept.size() < beams) {             // fewer real candidates than beams (tiny vocabularies)
                    kept.add(new Hypothesis(new int[0], new double[0], Double.NEGATIVE_INFINITY, false));
                }
                live.set(p, kept);
                boolean lastStep = step == maxNew - 1 || cache.length() >= cache.capacity();
                if (lastStep || isDone(finished.get(p), kept.get(0), beams, lengthPenalty)) {
                    done[p] = true;
                    outOfRoom[p] = lastStep;
                    for (int k = 0; k < beams; k++) {
                        valid[p * beams + k] = 0;
                        next[p * beams + k] = padToken;
                    }
                } else {
                    anyLive = true;
                }
            }
            if (!anyLive) {
                break;
            }
            cache.reorder(source);
            for (int p = 0; p < n; p++) {
                int position = done[p] ? 0 : nextPos[p]++;
                for (int k = 0; k < beams; k++) {
                    pos[p * beams + k] = position;
                }
            }
            INDArray stepLogits = model.forward(cache, 1, next, pos, valid);                     // [R, V]
            last = Sampler.lastRows(stepLogits, rows, 1);                                        // [R][V]
        }
        List<Sampler.Generation> out = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            List<Hypothesis> pool = new ArrayList<>(finished.get(p));
            if (outOfRoom[p] || pool.isEmpty()) {
                live.get(p).stream().filter(h -> h.sum() > Double.NEGATIVE_INFINITY).forEach(pool::add);
            }
            Hypothesis best = Collections.max(pool, Comparator.comparingDouble(h -> h.score(lengthPenalty)));
            out.add(new Sampler.Generation(prompts.get(p), best.tokens(), best.logProbs(), best.stopped()));
        }
        return out;
    }

    /** The {@code count} best extensions over a prompt's beams (rows from {@code firstRow}), best first. */
    private static List<Candidate> candidates(List<Hypothesis> beamsOfP, double[][] last, int firstRow, int count) {
        List<Candidate> all = new ArrayList<>();
        for (int k = 0; k < beamsOfP.size(); k++) {
            Hypothesis h = beamsOfP.get(k);
            if (h.sum() == Double.NEGATIVE_INFINITY) {
                continue;
            }
            double[] logProbs = logSoftmax(last[firstRow + k]);                                  // [V]
            for (int token : topTokens(logProbs, count)) {
                all.add(new Candidate(k, token, logProbs[token], h.sum() + logProbs[token]));
            }
        }
        all.sort(Comparator.comparingDouble(Candidate::sum).reversed());
        return all.subList(0, Math.min(count, all.size()));
    }

    /** Keeps the K best-scored finished continuations. */
    private static void addFinished(List<Hypothesis> finished, Hypothesis h, int beams, double lengthPenalty) {
        finished.add(h);
        if (finished.size() > beams) {
            finished.remove(Collections.min(finished, Comparator.comparingDouble(x -> x.score(lengthPenalty))));
        }
    }

    /** K continuations have finished and the best live one, scored at its current length, is worse than all of them. */
    private static boolean isDone(List<Hypothesis> finished, Hypothesis bestLive, int beams, double lengthPenalty) {
        if (finished.size() < beams) {
            return false;
        }
        if (bestLive.sum() == Double.NEGATIVE_INFINITY) {
            return true;
        }
        double worst = finished.stream().mapToDouble(h -> h.score(lengthPenalty)).min().orElseThrow();
        return bestLive.score(lengthPenalty) <= worst;
    }

    private static double[] logSoftmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : logits) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (double x : logits) {
            sum += Math.exp(x - max);
        }
        double logZ = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - logZ;
        }
        return out;
    }

    /** The indices of the {@code count} largest values, largest first (ties: lower index first). */
    private static int[] topTokens(double[] x, int count) {
        int k = Math.min(count, x.length);
        int[] top = new int[k];
        int filled = 0;
        for (int i = 0; i < x.length; i++) {
            if (filled < k || x[i] > x[top[filled - 1]]) {
                int j = filled < k ? filled++ : k - 1;
                while (j > 0 && x[top[j - 1]] < x[i]) {
                    top[j] = top[j - 1];
                    j--;
                }
                top[j] = i;
            }
        }
        return top;
    }
}
