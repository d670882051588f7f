package rlhf4j.stage.ppo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.PpoConfig;
import rlhf4j.data.PromptExample;
import rlhf4j.eval.HeldOutAnswers;
import rlhf4j.eval.PolicyEval;
import rlhf4j.eval.PolicyTestEval;
import rlhf4j.eval.RewardModel;
import rlhf4j.eval.RewardNorm;
import rlhf4j.eval.RmReward;
import rlhf4j.eval.judge.GoldJudges;
import rlhf4j.eval.judge.Judge;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.model.ParamNames;
import rlhf4j.nn.VectorSupport;
import rlhf4j.optim.AdamW;
import rlhf4j.rollout.PromptSets;
import rlhf4j.rollout.PromptStream;
import rlhf4j.rollout.RolloutRunner;
import rlhf4j.stage.Runners;
import rlhf4j.train.Evaluation;
import rlhf4j.train.MemoryBudget;
import rlhf4j.train.PolicyAndReference;
import rlhf4j.train.ResumeState;
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

    /** The job proper, holding the lock of {@code dir}. */
    private static Result run(ExperimentConfig config, RunOptions options, PrintStream out, Path dir) {
        PpoConfig cfg = config.ppo();
        StageCheckpoint.Loaded previous = options.resume() ? StageCheckpoint.load(dir) : null;
        PolicyAndReference pair = PolicyAndReference.load(config, STAGE, cfg.initFrom(), previous, options.engine(), out);
        Path init = pair.init();
        StageCheckpoint.Loaded sft = pair.sft();
        Path rmDir = previous != null ? Path.of(previous.trainerState().path("reward_model").asText())
                : cfg.rewardModel().isEmpty() ? StageDir.of(config.run(), "rm") : Path.of(cfg.rewardModel());
        MemoryBudget.check(sft.spec(), cfg.batchSize(), sft.spec().blockSize(), "ppo.batch_size");
        StageCheckpoint.Loaded rm = load(rmDir, "ppo.reward_model", "run ./train rm first, or set ppo.reward_model");
        RewardModel rewardModel = new RewardModel(scoreModel(rm, rmDir, options.engine()), rm.tokenizer(),
                RewardNorm.read(rmDir));
        if (!rewardModel.norm().fitted()) {
            out.printf("note: %s has no reward normalisation (its run did not finish): PPO uses its raw scores%n", rmDir);
        }
        if (!rm.tokenizer().fingerprint().equals(sft.tokenizer().fingerprint())) {
            throw new ConfigException("ppo.reward_model: " + rmDir + " uses a different tokenizer from the policy in "
                    + init + " (the reward model must be trained from the same run's checkpoints)");
        }
        if (cfg.maxNewTokens() >= sft.spec().blockSize()) {
            throw new ConfigException("ppo.max_new_tokens: " + cfg.maxNewTokens() + " leaves no room for the prompt in "
                    + "block_size " + sft.spec().blockSize() + " of " + init);
        }

        List<Judge> judges = GoldJudges.of(config, out);      // before training: a judge that cannot load fails now
        Gpt policy = pair.policy();
        Gpt reference = pair.reference();
        Gpt value = new Gpt(rm.spec(), previous != null ? StageCheckpoint.readTensors(dir, VALUE_MODEL)
                : valueInit(rm.params(), rewardModel.norm()), options.engine());

        PromptSets prompts = PromptSets.read(cfg.data().prompts(), cfg.data().valFraction(), cfg.evalPrompts(), out);
        List<PromptExample> train = prompts.train();
        List<PromptExample> val = prompts.val();
        List<PromptExample> evalPrompts = prompts.evalPrompts();
        Path promptFile = prompts.file();
        String dataSha = prompts.fingerprint();
        if (previous != null) {
            ResumeState.checkData(dir, previous.trainerState(), dataSha, "ppo.data.prompts",
                    options.acceptChanges());
        }
        out.println(VectorSupport.engineLine(policy.engine() == Engine.KERNELS));
        out.printf("data: %d training and %d held-out prompts from %s; policy %s, reward model %s%n", train.size(),
                val.size(), promptFile, init, rmDir);

        AdamW policyOpt = StageRunner.optimizer(cfg);
        AdamW valueOpt = StageRunner.optimizer(cfg);
        KlController kl = cfg.adaptiveKl() ? KlController.adaptive(cfg.klCoef(), cfg.targetKl(), cfg.klHorizon())
                : KlController.fixed(cfg.klCoef());
        int startStep = 0;
        double elapsedBefore = 0;
        int skippedBefore = 0;
        if (previous != null) {
            ResumeState state = ResumeState.read(dir, previous.trainerState(), "ppo.max_steps",
                    cfg.maxSteps(), config.run().seed(), options.acceptChanges());
            long updates = (long) state.step() * cfg.ppoEpochs() * cfg.numMiniBatches();
            Map<String, INDArray> valueState = StageCheckpoint.readTensors(dir, VALUE_OPTIMIZER);
            ResumeState.checkOptimizer(dir.resolve(StageCheckpoint.OPTIMIZER), previous.optimizer(), policy.params(),
                    updates);
            ResumeState.checkOptimizer(dir.resolve(VALUE_OPTIMIZER), valueState, value.params(), updates);
            policyOpt.load(previous.optimizer());
            valueOpt.load(valueState);
            kl = KlController.fromState(previous.trainerState().path("kl_controller"));
            startStep = state.step();
            elapsedBefore = state.elapsedSeconds();
            skippedBefore = state.skippedSteps();
            out.printf("resuming %s at step %d of %d (β %.6g)%n", dir, startStep, cfg.maxSteps(), kl.beta());
        }
        PpoModels models = new PpoModels(policy, reference, value, new RmReward(rewardModel), sft.tokenizer());
        try (RolloutRunner rollouts = Runners.rollouts(config, STAGE, policy, PpoAlgorithm.sampling(cfg, sft.tokenizer()))) {
            if (rollouts.describe() != null) {
                out.println(rollouts.describe());
            }
            PpoAlgorithm algorithm = new PpoAlgorithm(cfg, models, policyOpt, valueOpt, kl,
                    new PromptStream(train, config.run().seed()), config.run().seed(), rollouts);
            Evaluation evaluation = new HeldOutAnswers(new HeldOutAnswers.Setup(policy, reference, models.reward(),
                    sft.tokenizer(), cfg.batchSize(), cfg.maxNewTokens(), config.eval().decoding(config.run().seed()),
                    cfg.temperature()), evalPrompts, judges);
            // gradient accumulation, clipping and the non-finite rule live in PpoAlgorithm's updates
            PpoStep ppoStep = new PpoStep(algorithm, cfg.targetKl(), cfg.evalEvery());
            final KlController controller = kl;
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("init_from", init.toString());
            extra.put("reward_model", rmDir.toString());
            extra.put("train_prompts", train.size());
            extra.put("val_prompts", val.size());
            extra.put("prompts_per_step", cfg.batchSize());
            StageRunner.Start start = new StageRunner.Start(policy, policyOpt, startStep, elapsedBefore, skippedBefore);
            StageRunner.Loop loop = new StageRunner.Loop(ppoStep, evaluation, PpoStep.COLUMNS, "the initial policy",
                    "step s rolls out positions s*B..s*B+B-1 of the seeded prompt permutations; "
                            + "prompt i samples from Random(f(seed, s, i)), the minibatch order from "
                            + "Random(f(seed, s))",
                    () -> Map.of("kl_controller", controller.state()),
                    () -> {
                        Map<String, Map<String, INDArray>> tensors = new LinkedHashMap<>();
                        tensors.put(VALUE_MODEL, value.params());
                        tensors.put(VALUE_OPTIMIZER, valueOpt.state());
                        return tensors;
                    });
            Trainer.Summary summary = StageRunner.run(new StageRunner.Job(STAGE, dir, config, cfg, options, List.of(),
                    sft.tokenizer(), start, extra, dataSha), loop, out);
            double total = ppoStep.rolloutSeconds() + ppoStep.updateSeconds();
            String timing = total == 0 ? "no step trained in this run"
                    : String.format("%.1fs per step (rollout %.0f%% = "
                            + "generation %.0f%% + scoring passes %.0f%%, update %.0f%%)",
                    total / Math.max(1, ppoStep.steps()),
                    100 * ppoStep.rolloutSeconds() / total, 100 * ppoStep.generateSeconds() / total,
                    100 * (ppoStep.rolloutSeconds() - ppoStep.generateSeconds()) / total,
                    100 * ppoStep.updateSeconds() / total);
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
                PolicyTestEval.Setup setup = new PolicyTestEval.Setup(config, STAGE, policy, reference, models.reward(),
                        sft.tokenizer(), PolicyTestEval.pretrained(config, options.engine()), judges, cfg.batchSize(),
                        cfg.maxNewTokens(), cfg.temperature(), cfg.bestOf(), cfg.bestOfSamplingTemperature());
                PolicyTestEval.Outcome outcome = PolicyTestEval.runAndWrite(setup, cfg.data().test(), cfg.testPrompts(),
                        evalPrompts, dir, out);
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

    private static StageCheckpoint.Loaded load(Path dir, String key, String hint) {
        if (!StageCheckpoint.exists(dir)) {
            throw new ConfigException(key + ": " + dir + " holds no checkpoint (" + hint + ")");
        }
        return StageCheckpoint.load(dir);
    }

    private static Gpt scoreModel(StageCheckpoint.Loaded rm, Path dir, Engine engine) {
        Gpt gpt = new Gpt(rm.spec(), rm.params(), engine);
        if (!gpt.hasScoreHead()) {
            throw new ConfigException("ppo.reward_model: " + dir + " is a " + rm.stage() + " checkpoint without a score "
                    + "head (score.weight): a reward model is an rm stage folder (./train rm)");
        }
        return gpt;
    }

    /** The reward model's weights with its normalisation folded into the head: w·g, b·g + bias. */
    static LinkedHashMap<String, INDArray> valueInit(Map<String, INDArray> rm, RewardNorm norm) {
        LinkedHashMap<String, INDArray> v = PolicyAndReference.copy(rm);
        v.get(ParamNames.SCORE_WEIGHT).muli(norm.gain());
        v.get(ParamNames.SCORE_BIAS).muli(norm.gain()).addi(norm.bias());
        return v;
    }
}
