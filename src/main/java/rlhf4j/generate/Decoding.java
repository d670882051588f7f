package rlhf4j.generate;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;
import rlhf4j.model.InferenceModel;

/**
 * How answers that are scored get decoded: greedily ({@code beams} = 1), by {@link BeamSearch} with {@code beams}
 * beams and its length penalty, or, when {@code temperature} > 0, by sampling at that temperature with nucleus
 * {@code topP}. A small model decoded greedily repeats itself on open-ended prompts, so a continuation task is
 * judged on samples, as its users would read them. A sampled answer draws from a generator seeded by
 * {@code seed} and the prompt's tokens alone: the same prompt gets the same random numbers whichever model answers
 * it and whatever batch it is in, so two models' answers are compared on common random numbers.
 */
public record Decoding(int beams, double lengthPenalty, double temperature, double topP, long seed)
        implements Serializable {
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
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        if (temperature > 0 && beams > 1) {
            throw new IllegalArgumentException("beam search does not sample: beams must be 1 when temperature > 0");
        }
    }

    /** Greedy ({@code beams} = 1) or beam search. */
    public Decoding(int beams, double lengthPenalty) {
        this(beams, lengthPenalty, 0, 1, 0);
    }

    public static Decoding greedy() {
        return new Decoding(1, 1.0);
    }

    public boolean sampled() {
        return temperature > 0;
    }

    /** "greedy", "beam-K" or "sampled-T" (with "-pP" for nucleus sampling), as systems are named in tables and metrics. */
    public String label() {
        if (sampled()) {
            return "sampled-" + trim(temperature) + (topP < 1 ? "-p" + trim(topP) : "");
        }
        return beams == 1 ? "greedy" : "beam-" + beams;
    }

    /** In words, for reports: "sampled at temperature 0.7, top-p 0.9". */
    public String describe() {
        if (sampled()) {
            return "sampled at temperature " + trim(temperature) + (topP < 1 ? ", top-p " + trim(topP) : "");
        }
        return beams == 1 ? "greedy" : beams + "-beam search";
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** The generator of one prompt's sampled answer: a function of the seed and the prompt's tokens only. */
    static Random promptRandom(long seed, int[] prompt) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (int t : prompt) {
            h = (h ^ t) * 0x100000001B3L;
        }
        return new Random(h);
    }

    /** The answers to {@code prompts} (one batch: {@code beams} cache rows each), ending at a stop token or {@code maxNewTokens}. */
    public List<Sampler.Generation> answer(InferenceModel model, int padToken, List<int[]> prompts, int maxNewTokens,
                                           IntPredicate isStop) {
        if (sampled()) {
            List<Random> rngs = prompts.stream().map(p -> promptRandom(seed, p)).toList();
            return new Sampler(model, padToken).generate(prompts, new SamplingParams(temperature, 0, topP, maxNewTokens),
                    rngs, isStop);
        }
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
