package rlhf4j.stage.grpo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.config.ConfigLoader;
import rlhf4j.config.GrpoConfig;
import rlhf4j.data.PromptExample;
import rlhf4j.eval.CommandReward;
import rlhf4j.generate.SamplingParams;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptInit;
import rlhf4j.model.GptSpec;
import rlhf4j.optim.AdamW;
import rlhf4j.rollout.PromptStream;
import rlhf4j.rollout.RolloutGenerator;
import rlhf4j.rollout.RolloutRunner;
import rlhf4j.rollout.RolloutSampling;
import rlhf4j.rollout.StepSampler;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;
import rlhf4j.train.TrainingStep;

/**
 * A GRPO setup small enough for unit tests, the counterpart of the PPO toy: a byte-level tokenizer, a randomly
 * initialised 1-layer policy (its frozen copy as reference), and a reward that is a real external program
 * ({@code sh -c python3 ...}, through {@link CommandReward}, as {@code grpo.reward: command:...} runs it) — so the
 * whole path from sampled tokens to decoded text, the JSON protocol and back to group advantages is exercised.
 */
final class ToyGrpo implements AutoCloseable {
    static final BpeTokenizer TOKENIZER = BpeTokenizer.byteLevel(SpecialTokens.DEFAULT);
    static final GptSpec SPEC = new GptSpec(1, 2, 32, 32, TOKENIZER.vocabSize());

    /**
     * +1 per ASCII digit in a response: ten of the ~260 tokens, so a random policy writes one now and then (about
     * 0.3 per 8-token answer) and a group's answers usually differ — enough signal for group advantages to act on.
     */
    static final String DIGITS = """
            import json, sys
            while True:
                line = sys.stdin.readline()
                if not line:
                    break
                q = json.loads(line)
                scores = [sum(c in "0123456789" for c in r) for r in q["responses"]]
                print(json.dumps({"id": q["id"], "scores": scores}), flush=True)
            """;

    /** The same score, 1, for every answer: every group is flat. */
    static final String CONSTANT = """
            import json, sys
            while True:
                line = sys.stdin.readline()
                if not line:
                    break
                q = json.loads(line)
                print(json.dumps({"id": q["id"], "scores": [1.0] * len(q["responses"])}), flush=True)
            """;

    final GrpoConfig cfg;
    final Gpt policy;
    final GrpoStep step;
    private final CommandReward reward;

    /** @param script the python reward program, written into {@code dir} (which also gets the reward's log) */
    ToyGrpo(long seed, Path dir, String script, String... overrides) throws IOException {
        List<String> sets = new ArrayList<>(List.of("grpo.batch_size=4", "grpo.group_size=4",
                "grpo.num_mini_batches=2", "grpo.epochs=2", "grpo.max_new_tokens=8", "grpo.temperature=1.0",
                "grpo.learning_rate=1e-2", "grpo.min_lr=1e-2", "grpo.beta=0.0", "grpo.max_steps=20",
                "grpo.eval_every=5"));
        sets.addAll(List.of(overrides));
        this.cfg = ConfigLoader.withOverrides(ConfigLoader.defaults(), sets).grpo();
        LinkedHashMap<String, INDArray> init = GptInit.init(SPEC, DataType.FLOAT, seed, 0.02);
        LinkedHashMap<String, INDArray> ref = new LinkedHashMap<>();
        init.forEach((k, v) -> ref.put(k, v.dup('c')));
        this.policy = new Gpt(SPEC, init);
        Gpt reference = new Gpt(SPEC, ref);
        Path file = Files.writeString(dir.resolve("reward-" + seed + ".py"), script);
        this.reward = new CommandReward("python3 " + file, TOKENIZER, dir.resolve("reward-" + seed + ".log"), 60);
        RolloutSampling sampling = RolloutSampling.of(TOKENIZER, new SamplingParams(cfg.temperature(), cfg.topK(),
                cfg.topP(), cfg.maxNewTokens()));
        RolloutGenerator generator = new RolloutGenerator(TOKENIZER);
        StepSampler sampler = new StepSampler(RolloutRunner.local(policy, sampling), generator, SPEC.blockSize(),
                cfg.maxNewTokens(), cfg.rolloutBatch(), seed);
        AdamW optimizer = new AdamW(0.9, 0.95, 1e-8, 0.0, AdamW.gpt2DecayRule(false));
        this.step = new GrpoStep(cfg, policy, reference, reward, optimizer, new PromptStream(prompts(), seed), sampler,
                generator.pad(), seed);
    }

    static List<PromptExample> prompts() {
        List<PromptExample> out = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            out.add(new PromptExample(Path.of("toy"), i + 1, List.of(Message.user("say " + i)), null));
        }
        return out;
    }

    /** Runs steps {@code from .. to−1}; returns their outcomes. */
    List<TrainingStep.Outcome> run(int from, int to) {
        List<TrainingStep.Outcome> out = new ArrayList<>();
        for (int s = from; s < to; s++) {
            out.add(step.run(s, cfg.learningRate()));
        }
        return out;
    }

    /** The metrics rows of {@link #run}. */
    static List<Map<String, Double>> metrics(List<TrainingStep.Outcome> outcomes) {
        return outcomes.stream().map(TrainingStep.Outcome::metrics).toList();
    }

    @Override
    public void close() {
        reward.close();
    }
}
