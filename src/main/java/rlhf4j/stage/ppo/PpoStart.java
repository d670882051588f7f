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
import rlhf4j.train.MemoryBudget;
import rlhf4j.train.PolicyAndReference;
import rlhf4j.train.ResumeState;
import rlhf4j.train.RunOptions;
import rlhf4j.train.StageDir;
import rlhf4j.train.StageRunner;

/**
 * What a PPO run starts from, loaded and checked before its first step: the policy and the frozen reference
 * ({@code ppo.init_from}), the frozen reward model and the value model made from it ({@code ppo.reward_model}), the
 * prompts, the judges, both optimizers and the KL controller — fresh, or as the stage's checkpoint left them
 * ({@code --resume}), with the step, time and skipped updates it had reached.
 *
 * @param rmDir the reward model's folder (recorded as {@code reward_model} in the trainer state)
 * @param start the policy, its optimizer and where the loop starts
 */
record PpoStart(PolicyAndReference pair, Path rmDir, PpoModels models, AdamW valueOptimizer, KlController kl,
                StageRunner.Start start, PromptSets prompts, String dataSha, List<Judge> judges) {

    static PpoStart load(ExperimentConfig config, RunOptions options, Path dir, PrintStream out) {
        PpoConfig cfg = config.ppo();
        StageCheckpoint.Loaded previous = options.resume() ? StageCheckpoint.load(dir) : null;
        PolicyAndReference pair = PolicyAndReference.load(config, PpoJob.STAGE, cfg.initFrom(), previous,
                options.engine(), out);
        StageCheckpoint.Loaded sft = pair.sft();
        Path rmDir = previous != null ? Path.of(previous.trainerState().path("reward_model").asText())
                : cfg.rewardModel().isEmpty() ? StageDir.of(config.run(), "rm") : Path.of(cfg.rewardModel());
        MemoryBudget.check(sft.spec(), cfg.batchSize(), sft.spec().blockSize(), "ppo.batch_size");
        RewardModel rewardModel = RewardModel.forPolicy(rmDir, "ppo.reward_model", sft.tokenizer(), options.engine(),
                out);
        if (cfg.maxNewTokens() >= sft.spec().blockSize()) {
            throw new ConfigException("ppo.max_new_tokens: " + cfg.maxNewTokens() + " leaves no room for the prompt in "
                    + "block_size " + sft.spec().blockSize() + " of " + pair.init());
        }
        List<Judge> judges = GoldJudges.of(config, out);      // before training: a judge that cannot load fails now
        Gpt policy = pair.policy();
        Gpt value = new Gpt(rewardModel.gpt().spec(), previous != null ? StageCheckpoint.readTensors(dir, PpoJob.VALUE_MODEL)
                : valueInit(rewardModel.gpt().params(), rewardModel.norm()), options.engine());
        PromptSets prompts = PromptSets.read(cfg.data().prompts(), cfg.data().valFraction(), cfg.evalPrompts(), out);
        String dataSha = prompts.fingerprint();
        if (previous != null) {
            ResumeState.checkData(dir, previous.trainerState(), dataSha, "ppo.data.prompts", options.acceptChanges());
        }
        out.println(VectorSupport.engineLine(policy.engine().kernels(), policy.engine().precision()));
        out.printf("data: %d training and %d held-out prompts from %s; policy %s, reward model %s%n",
                prompts.train().size(), prompts.val().size(), prompts.file(), pair.init(), rmDir);

        AdamW policyOpt = StageRunner.optimizer(cfg);
        AdamW valueOpt = StageRunner.optimizer(cfg);
        KlController kl = cfg.adaptiveKl() ? KlController.adaptive(cfg.klCoef(), cfg.targetKl(), cfg.klHorizon())
                : KlController.fixed(cfg.klCoef());
        StageRunner.Start start = new StageRunner.Start(policy, policyOpt, 0, 0, 0);
        if (previous != null) {
            ResumeState state = ResumeState.read(dir, previous.trainerState(), "ppo.max_steps",
                    cfg.maxSteps(), config.run().seed(), options.acceptChanges());
            long updates = (long) state.step() * cfg.ppoEpochs() * cfg.numMiniBatches();
            Map<String, INDArray> valueState = StageCheckpoint.readTensors(dir, PpoJob.VALUE_OPTIMIZER);
            ResumeState.checkOptimizer(dir.resolve(StageCheckpoint.OPTIMIZER), previous.optimizer(), policy.params(),
                    updates);
            ResumeState.checkOptimizer(dir.resolve(PpoJob.VALUE_OPTIMIZER), valueState, value.params(), updates);
            policyOpt.load(previous.optimizer());
            valueOpt.load(valueState);
            kl = KlController.fromState(previous.trainerState().path("kl_controller"));
            start = new StageRunner.Start(policy, policyOpt, state.step(), state.elapsedSeconds(), state.skippedSteps());
            out.printf("resuming %s at step %d of %d (β %.6g)%n", dir, state.step(), cfg.maxSteps(), kl.beta());
        }
        PpoModels models = new PpoModels(policy, pair.reference(), value, new RmReward(rewardModel), sft.tokenizer());
        return new PpoStart(pair, rmDir, models, valueOpt, kl, start, prompts, dataSha, judges);
    }

    /** The reward model's weights with its normalisation folded into the head: w·g, b·g + bias. */
    static LinkedHashMap<String, INDArray> valueInit(Map<String, INDArray> rm, RewardNorm norm) {
        LinkedHashMap<String, INDArray> v = PolicyAndReference.copy(rm);
        v.get(ParamNames.SCORE_WEIGHT).muli(norm.gain());
        v.get(ParamNames.SCORE_BIAS).muli(norm.gain()).addi(norm.bias());
        return v;
    }
}
