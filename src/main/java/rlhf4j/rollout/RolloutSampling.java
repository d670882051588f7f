package rlhf4j.rollout;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import rlhf4j.generate.Sampler;
import rlhf4j.generate.SamplingParams;
import rlhf4j.model.Gpt;
import rlhf4j.tokenizer.BpeTokenizer;

/**
 * How an RL step (PPO, GRPO) samples its answers, as a value an executor can run on its own copy of the policy:
 * one {@link Chunk} of rows (prompts; for GRPO each prompt once per answer) is one batched generation, and each row
 * draws from a generator of its own (its seed is a function of the run's seed, the step and the row's place in the
 * step, {@code Seeds.rolloutSample}). The step's rows always go in the same chunks, so its answers are the same wherever and on how many workers the
 * chunks run.
 *
 * @param pad    the padding token
 * @param stop   the token that ends an answer ({@code <|im_end|>})
 * @param params temperature, top-k, top-p and length
 */
public record RolloutSampling(int pad, int stop, SamplingParams params) implements Serializable {
    /** Prompt ids (already rendered and cut to fit) and one generator seed per prompt. */
    public record Chunk(List<int[]> ids, long[] seeds) implements Serializable {
        public Chunk {
            ids = List.copyOf(ids);
            if (seeds.length != ids.size()) {
                throw new IllegalArgumentException(seeds.length + " seeds for " + ids.size() + " prompts");
            }
        }
    }

    /** Sampling with {@code params}, padding and stopping with {@code tokenizer}'s tokens. */
    public static RolloutSampling of(BpeTokenizer tokenizer, SamplingParams params) {
        RolloutGenerator g = new RolloutGenerator(tokenizer);
        return new RolloutSampling(g.pad(), g.endOfTurn(), params);
    }

    /** The chunk's answers on {@code policy}, in prompt order. */
    public ArrayList<Sampler.Generation> sample(Gpt policy, Chunk chunk) {
        List<Random> rngs = new ArrayList<>(chunk.seeds().length);
        for (long s : chunk.seeds()) {
            rngs.add(new Random(s));
        }
        return new ArrayList<>(new Sampler(policy.decoder(), pad).generate(chunk.ids(), params, rngs, t -> t == stop));
    }
}
