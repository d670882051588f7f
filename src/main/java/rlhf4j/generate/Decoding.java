package rlhf4j.generate;

import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;
import rlhf4j.model.InferenceModel;

/**
 * How answers that are scored get decoded: greedily ({@code beams} = 1) or by {@link BeamSearch} with
 * {@code beams} beams and its length penalty. Sampling (PPO's rollouts, best-of-K) does not use this.
 */
public record Decoding(int beams, double lengthPenalty) implements java.io.Serializable {
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
        return new BeamSearch(model, padToken).search(prompts, beams, lengthPenalty, maxNewTokens, isStop);
    }
}
