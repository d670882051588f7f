package rlhf4j.stage.ppo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.config.ConfigLoader;
import rlhf4j.config.PpoConfig;
import rlhf4j.data.PromptExample;
import rlhf4j.eval.RewardFunction;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptInit;
import rlhf4j.model.GptSpec;
import rlhf4j.optim.AdamW;
import rlhf4j.rollout.PromptStream;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * A PPO setup small enough for unit tests: a byte-level tokenizer, randomly initialised 1-layer policy
 * (its frozen copy as reference) and value model, and a rule reward — +1 for every response token in
 * a chosen set (the ten digit bytes, about 4% of the vocabulary under a near-uniform random policy).
 */
final class ToyPpo {
    static final BpeTokenizer TOKENIZER = BpeTokenizer.byteLevel(SpecialTokens.DEFAULT);
    static final GptSpec SPEC = new GptSpec(1, 2, 32, 32, TOKENIZER.vocabSize());

    /** +1 per response token that is a digit byte. */
    static final RewardFunction DIGITS = rollouts -> rollouts.stream().mapToDouble(r -> {
        int count = 0;
        for (int t : r.response()) {
            String s = TOKENIZER.decode(new int[] {t}, true);
            count += s.length() == 1 && Character.isDigit(s.charAt(0)) ? 1 : 0;
        }
        return count;
    }).toArray();

    final PpoConfig cfg;
    final PpoModels models;
    final AdamW policyOpt;
    final AdamW valueOpt;
    final PpoAlgorithm algorithm;

    ToyPpo(long seed, String... overrides) {
        List<String> sets = new ArrayList<>(List.of("ppo.batch_size=8", "ppo.num_mini_batches=2", "ppo.ppo_epochs=2",
                "ppo.max_new_tokens=8", "ppo.temperature=1.0", "ppo.learning_rate=1e-2", "ppo.min_lr=1e-2",
                "ppo.kl_coef=0.0", "ppo.max_steps=20", "ppo.eval_every=5"));
        sets.addAll(List.of(overrides));
        this.cfg = ConfigLoader.withOverrides(ConfigLoader.defaults(), sets).ppo();
        LinkedHashMap<String, INDArray> init = GptInit.init(SPEC, DataType.FLOAT, seed, 0.02);
        LinkedHashMap<String, INDArray> ref = new LinkedHashMap<>();
        init.forEach((k, v) -> ref.put(k, v.dup('c')));
        LinkedHashMap<String, INDArray> value = GptInit.init(SPEC, DataType.FLOAT, seed + 1, 0.02);
        GptInit.addScoreHead(value, SPEC, DataType.FLOAT, seed, true);
        this.models = new PpoModels(new Gpt(SPEC, init), new Gpt(SPEC, ref), new Gpt(SPEC, value), DIGITS, TOKENIZER);
        this.policyOpt = new AdamW(0.9, 0.95, 1e-8, 0.0, AdamW.gpt2DecayRule(false));
        this.valueOpt = new AdamW(0.9, 0.95, 1e-8, 0.0, AdamW.gpt2DecayRule(false));
        KlController kl = cfg.adaptiveKl() ? KlController.adaptive(cfg.klCoef(), cfg.targetKl(), cfg.klHorizon())
                : KlController.fixed(cfg.klCoef());
        this.algorithm = new PpoAlgorithm(cfg, models, policyOpt, valueOpt, kl, new PromptStream(prompts(), seed), seed);
    }

    static List<PromptExample> prompts() {
        List<PromptExample> out = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            out.add(new PromptExample(java.nio.file.Path.of("toy"), i + 1, List.of(Message.user("say " + i)), null));
        }
        return out;
    }

    /** Runs steps {@code from .. to−1}; returns their metrics rows. */
    List<Map<String, Double>> run(int from, int to) {
        List<Map<String, Double>> rows = new ArrayList<>();
        for (int s = from; s < to; s++) {
            rows.add(algorithm.step(s, cfg.learningRate()).metrics());
        }
        return rows;
    }
}
