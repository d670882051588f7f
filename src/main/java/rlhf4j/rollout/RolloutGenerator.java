package rlhf4j.rollout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import rlhf4j.data.PromptExample;
import rlhf4j.generate.Decoding;
import rlhf4j.generate.Sampler;
import rlhf4j.generate.SamplingParams;
import rlhf4j.model.Gpt;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * Answers prompts with a model's KV-cache sampler, as {@link Rollout}s: each prompt is rendered with the
 * chat template (ending in the assistant header), cut from the left to leave room for
 * {@code maxNewTokens}, and generation stops at {@code <|im_end|>}.
 */
public final class RolloutGenerator {
    private final ChatTemplate template;
    private final int pad;

    public RolloutGenerator(BpeTokenizer tokenizer) {
        this.template = ChatTemplate.of(tokenizer);
        this.pad = tokenizer.id(SpecialTokens.PAD);
    }

    public int pad() {
        return pad;
    }

    /** The end-of-turn token that ends an answer. */
    public int endOfTurn() {
        return template.endOfTurn();
    }

    public List<Rollout> generate(Gpt gpt, List<PromptExample> batch, SamplingParams params, Random rng) {
        List<int[]> ids = promptIds(batch, gpt.spec().blockSize(), params.maxNewTokens());
        Sampler sampler = new Sampler(gpt.decoder(), pad);
        return rollouts(batch, ids, sampler.generate(ids, params, rng, t -> t == template.endOfTurn()));
    }

    /** Answers to score: {@code batch} decoded by {@code decoding} (greedy or beam search), as rollouts. */
    public List<Rollout> answer(Gpt gpt, List<PromptExample> batch, int maxNewTokens, Decoding decoding) {
        List<int[]> ids = promptIds(batch, gpt.spec().blockSize(), maxNewTokens);
        return rollouts(batch, ids, decoding.answer(gpt.decoder(), pad, ids, maxNewTokens, t -> t == template.endOfTurn()));
    }

    /** Each prompt rendered up to the assistant header and cut from the left to leave {@code maxNewTokens} of room. */
    public List<int[]> promptIds(List<PromptExample> batch, int blockSize, int maxNewTokens) {
        int room = blockSize - maxNewTokens;
        if (room < 1) {
            throw new IllegalArgumentException("max_new_tokens " + maxNewTokens + " leaves no room for a prompt "
                    + "in block_size " + blockSize);
        }
        List<int[]> ids = new ArrayList<>(batch.size());
        for (PromptExample p : batch) {
            int[] full = template.renderPrompt(p.prompt());
            ids.add(full.length > room ? Arrays.copyOfRange(full, full.length - room, full.length) : full);
        }
        return ids;
    }

    /** The rollouts of {@code batch}, whose prompts {@code ids} were answered by {@code gens} (same order). */
    public List<Rollout> rollouts(List<PromptExample> batch, List<int[]> ids, List<Sampler.Generation> gens) {
        List<Rollout> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Sampler.Generation g = gens.get(i);
            out.add(new Rollout(batch.get(i).prompt(), ids.get(i), g.tokens(), g.logProbs(), g.stopped(),
                    batch.get(i).reference()));
        }
        return out;
    }

    /** Each prompt of {@code prompts} answered {@code k} times, prompt by prompt: rollouts [prompts × k]. */
    public List<Rollout> generateEach(Gpt gpt, List<PromptExample> prompts, int k, SamplingParams params, Random rng) {
        List<PromptExample> rows = new ArrayList<>(prompts.size() * k);
        for (PromptExample p : prompts) {
            for (int i = 0; i < k; i++) {
                rows.add(p);
            }
        }
        return generate(gpt, rows, params, rng);
    }
}
