package rlhf4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.generate.Sampler;
import rlhf4j.generate.SamplingParams;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;
import rlhf4j.train.MemoryBudget;

/** {@code ./train sample}: continue a prompt with a checkpoint's model (KV-cache sampler). */
@Command(name = "sample", mixinStandardHelpOptions = true, description = "Generate continuations of a prompt with a checkpoint.")
final class SampleCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "a stage folder, e.g. checkpoints/tiny/pretrain")
    Path checkpoint;

    @Option(names = "--prompt", required = true, description = "text to continue")
    String prompt;

    @Option(names = "--max-new-tokens", defaultValue = "60", description = "tokens to generate (default ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 = greedy (default ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens; 0 = off")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus sampling mass; 1 = off")
    double topP;

    @Option(names = "--seed", defaultValue = "1337", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--num-samples", defaultValue = "1", description = "continuations to draw, batched")
    int numSamples;

    @Option(names = "--chat", description = "wrap the prompt as a user turn of the chat template and print the assistant's answer")
    boolean chat;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        SamplingParams params;
        try {
            params = new SamplingParams(temperature, topK, topP, maxNewTokens);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        if (numSamples < 1 || numSamples > 10_000) {
            throw new ConfigException("--num-samples must be from 1 to 10000, got " + numSamples);
        }
        StageCheckpoint.Loaded ckpt = StageCheckpoint.loadToStartFrom(checkpoint);
        BpeTokenizer tok = ckpt.tokenizer();
        int eot = tok.id(SpecialTokens.ENDOFTEXT);
        ChatTemplate template = ChatTemplate.of(tok);
        int[] start;
        if (chat) {
            start = template.renderPrompt(List.of(Message.user(prompt)));
        } else {
            int[] ids = tok.encode(prompt);
            start = new int[ids.length + 1];
            start[0] = eot;
            System.arraycopy(ids, 0, start, 1, ids.length);
        }
        int stop = chat ? template.endOfTurn() : eot;
        MemoryBudget.checkSampling(ckpt.spec(), numSamples, Math.min(ckpt.spec().blockSize(),
                start.length + maxNewTokens), "--num-samples");
        Sampler sampler = new Sampler(new Gpt(ckpt.spec(), ckpt.params(), Engine.launcher().at(ckpt.precision())).decoder(), tok.id(SpecialTokens.PAD));
        List<int[]> prompts = new ArrayList<>(Collections.nCopies(numSamples, start));
        List<Sampler.Generation> gens = sampler.generate(prompts, params, new Random(seed), t -> t == stop || t == eot);
        for (Sampler.Generation g : gens) {
            String text = tok.decode(g.tokens(), true);
            System.out.println(chat ? text.strip() : prompt + text);
            if (numSamples > 1) {
                System.out.println("---");
            }
        }
        return 0;
    }
}
