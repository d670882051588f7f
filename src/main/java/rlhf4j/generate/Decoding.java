package rlhf4j.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;
import rlhf4j.model.InferenceModel;

/**
 * How answers that are scored get decoded: greedily ({@code beams} = 1) or by {@link BeamSearch} with
 * {@code beams} beams and its length penalty. Sampling (PPO's rollouts, best-of-K) does not use this.
 */
public record Decoding(int beams, double lengthPenalty) implements java.io.Serializable {
    /**
     * Cache rows one beam search runs at once: a batch of prompts is searched in groups of 16 / beams. On one
     * thread, 4 beams over 16 rows answered 256 test prompts in 25 s (small config) and 9 s (tiny), over 128 rows
     * in 83 s and 20 s: a large batch waits for its longest answer and pads to its longest prompt.
     */
    private static final int BEAM_ROWS = 16;

    public Decoding {
        if (beams < 1) {
            throw new IllegalArgumentException("beams must be >= 1, got " + beams);
        }
        if (!Double.isFinite(lengthPenalty)) {
            throw new IllegalArgumentException("length penalty must be a finite number, got " + lengthPenalty);
        }
    }

    public static Decoding greedy() {
        return new Decoding(1, 1.0);
    }

    /** "greedy" or "beam-K", as systems are named in tables and metrics. */
    public String label() {
        return beams == 1 ? "greedy" : "beam-" + beams;
    }

    /** The answers to {@code prompts} (one batch: {@code beams} cache rows each), ending at a stop token or {@code maxNewTokens}. */
    public List<Sampler.Generation> answer(InferenceModel model, int padToken, List<int[]> prompts, int maxNewTokens,
                                           IntPredicate isStop) {
        if (beams == 1) {
            return new Sampler(model, padToken).generate(prompts, SamplingParams.greedy(maxNewTokens), new Random(0), isStop);
        }
        BeamSearch search = new BeamSearch(model, padToken);
        int group = Math.max(1, BEAM_ROWS / beams);
        List<Sampler.Generation> out = new ArrayList<>(prompts.size());
        for (int from = 0; from < prompts.size(); from += group) {
            out.addAll(search.search(prompts.subList(from, Math.min(prompts.size(), from + group)), beams, lengthPenalty,
                    maxNewTokens, isStop));
        }
        return out;
    }
}
