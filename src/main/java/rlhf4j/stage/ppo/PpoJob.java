package rlhf4j.stage.ppo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.PpoConfig;
import rlhf4j.eval.HeldOutAnswers;
import rlhf4j.eval.PolicyEval;
import rlhf4j.eval.PolicyTestEval;
import rlhf4j.model.Gpt;
import rlhf4j.rollout.PromptStream;
import rlhf4j.rollout.RolloutRunner;
import rlhf4j.stage.Runners;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.train.Evaluation;
import rlhf4j.train.RunOptions;
import rlhf4j.train.StageDir;
import rlhf4j.train.StageLock;
import rlhf4j.train.StageRunner;
import rlhf4j.train.Trainer;

/**
 * {@code ./train ppo}: aligns the SFT policy to the reward model with PPO and a KL penalty, writing
 * {@code checkpoints/<run>/ppo/}: the policy as {@code model.safetensors} (so sample and eval use it like any
 * stage), the value model as {@code value.safetensors}, both optimizers, β and the step in
 * {@code trainer_state.json}. The policy and the frozen reference come from {@code ppo.init_from} (default:
 * the run's sft folder); the frozen reward model and the value model's initialisation from
 * {@code ppo.reward_model} (default: the run's rm folder). The value model keeps the reward model's head,
 * with the reward normalisation folded into it, so its first estimates are the normalised reward the
 * returns are made of. At the end the SFT and the PPO policy answer the test prompts side by side
 * ({@code test_metrics.json}).
 */
public final class PpoJob {
    public static final String STAGE = "ppo";
    public static final String VALUE_MODEL = "value.safetensors";
    public static final String VALUE_OPTIMIZER = "value_optimizer.safetensors";

    private PpoJob() {}

    /** How the run ended, and (when it finished) the test comparison. */
    public record Result(Trainer.Summary summary, PolicyEval.Result sftTest, PolicyEval.Result ppoTest) {}

    public static Result run(ExperimentConfig config, RunOptions options, PrintStream out) {
        try (StageLock lock = StageDir.prepare(config.run(), STAGE, options.resume(), options.overwrite())) {
            return run(config, options, out, lock.dir());
        }
    }

    /** The job proper, holding the lock of {@code dir}: the loop over {@link PpoStep}s, then the test evaluation. */
    private static Result run(ExperimentConfig config, RunOptions options, PrintStream out, Path dir) {
        PpoConfig cfg = config.ppo();
        PpoStart begin = PpoStart.load(config, options, dir, out);
        PpoModels models = begin.models();
        Gpt policy = models.policy();
        BpeTokenizer tokenizer = models.tokenizer();
        try (RolloutRunner rollouts = Runners.rollouts(config, STAGE, policy, PpoAlgorithm.sampling(cfg, tokenizer))) {
            if (rollouts.describe() != null) {
                out.println(rollouts.describe());
            }
            PpoAlgorithm algorithm = new PpoAlgorithm(cfg, models, begin.start().optimizer(), begin.valueOptimizer(),
                    begin.kl(), new PromptStream(begin.prompts().train(), config.run().seed()), config.run().seed(),
                    rollouts);
            Evaluation evaluation = new HeldOutAnswers(new HeldOutAnswers.Setup(policy, models.reference(),
                    models.reward(), tokenizer, cfg.batchSize(), cfg.maxNewTokens(),
                    config.eval().decoding(config.run().seed()), cfg.temperature()), begin.prompts().evalPrompts(),
                    begin.judges());
            // gradient accumulation, clipping and the non-finite rule live in PpoAlgorithm's updates
            PpoStep ppoStep = new PpoStep(algorithm, cfg.targetKl(), cfg.evalEvery());
            KlController controller = begin.kl();
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("init_from", begin.pair().init().toString());
            extra.put("reward_model", begin.rmDir().toString());
            extra.put("train_prompts", begin.prompts().train().size());
            extra.put("val_prompts", begin.prompts().val().size());
            extra.put("prompts_per_step", cfg.batchSize());
            StageRunner.Loop loop = new StageRunner.Loop(ppoStep, evaluation, PpoStep.COLUMNS, "the initial policy",
                    "step s rolls out positions s*B..s*B+B-1 of the seeded prompt permutations; "
                            + "prompt i samples from Random(f(seed, s, i)), the minibatch order from "
                            + "Random(f(seed, s))",
                    () -> Map.of("kl_controller", controller.state()),
                    () -> {
                        Map<String, Map<String, INDArray>> tensors = new LinkedHashMap<>();
                        tensors.put(VALUE_MODEL, models.value().params());
                        tensors.put(VALUE_OPTIMIZER, begin.valueOptimizer().state());
                        return tensors;
                    });
            Trainer.Summary summary = StageRunner.run(new StageRunner.Job(STAGE, dir, config, cfg, options, List.of(),
                    tokenizer, begin.start(), extra, begin.dataSha()), loop, out);
            String timing = ppoStep.timing();
            Map<String, Double> last = ppoStep.last().isEmpty() ? summary.lastEval() : ppoStep.last();
            if (summary.steps() < cfg.maxSteps()) {
                out.printf("ppo stopped: %d steps, reward %.3f, kl %.3f; %s, %s → %s%n", summary.steps(),
                        last.getOrDefault("reward_mean", Double.NaN), last.getOrDefault("kl", Double.NaN),
                        timing, StageDir.duration(summary.seconds()), dir);
                return new Result(summary, null, null);
            }
            PolicyEval.Result sftTest = null;
            PolicyEval.Result ppoTest = null;
            String test = "";
            if (!cfg.data().test().isEmpty()) {
                models.value().releaseBuffers();           // training is over: only decoding and scoring follow
                PolicyTestEval.Setup setup = new PolicyTestEval.Setup(config, STAGE, policy, models.reference(),
                        models.reward(), tokenizer, PolicyTestEval.pretrained(config, options.engine()), begin.judges(),
                        cfg.batchSize(), cfg.maxNewTokens(), cfg.temperature(), cfg.bestOf(),
                        cfg.bestOfSamplingTemperature());
                PolicyTestEval.Outcome outcome = PolicyTestEval.runAndWrite(setup, cfg.data().test(), cfg.testPrompts(),
                        begin.prompts().evalPrompts(), dir, out);
                sftTest = outcome.sft();
                ppoTest = outcome.policy();
                test = "\n" + PolicyTestEval.summary(setup, outcome);
            }
            out.printf("ppo done: %d steps, last reward %.3f, kl %.3f, β %.4g; %s, %s → %s%s%n", summary.steps(),
                    last.getOrDefault("reward_mean", Double.NaN), last.getOrDefault("kl", Double.NaN),
                    controller.beta(), timing, StageDir.duration(summary.seconds()), dir, test);
            return new Result(summary, sftTest, ppoTest);
        }
    }
}
