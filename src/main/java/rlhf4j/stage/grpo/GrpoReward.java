package rlhf4j.stage.grpo;

import java.io.PrintStream;
import java.nio.file.Path;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.GrpoConfig;
import rlhf4j.eval.CommandReward;
import rlhf4j.eval.JudgeReward;
import rlhf4j.eval.RewardFunction;
import rlhf4j.eval.RewardModel;
import rlhf4j.eval.RewardNorm;
import rlhf4j.eval.RmReward;
import rlhf4j.eval.judge.GoldJudges;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.train.StageDir;

/**
 * What scores GRPO's answers, from {@code grpo.reward}: {@code rm}, the run's reward model (or the one in
 * {@code grpo.reward_model}) with its normalisation; {@code judge:NAME}, a built-in judge (verifiable rewards: a
 * program's score, no model to hack); {@code command:SHELL COMMAND}, an external program asked one question per
 * prompt with that prompt's group of answers, kept running for the stage (its stderr in {@code reward.log}).
 *
 * @param function the reward itself
 * @param source   what it is, for the console and the trainer state (the reward model's folder, or the spec)
 */
record GrpoReward(RewardFunction function, String source) implements AutoCloseable {
    static final String LOG = "reward.log";

    /**
     * @param previousSource on resume, the source the checkpoint recorded (a reward model folder stays the same
     *                       folder); null on a fresh start
     */
    static GrpoReward of(ExperimentConfig config, BpeTokenizer policyTokenizer, Path dir, Engine engine,
                         String previousSource, PrintStream out) {
        GrpoConfig cfg = config.grpo();
        String spec = cfg.reward();
        if (spec.equals("rm")) {
            Path rmDir = previousSource != null ? Path.of(previousSource)
                    : cfg.rewardModel().isEmpty() ? StageDir.of(config.run(), "rm") : Path.of(cfg.rewardModel());
            return new GrpoReward(new RmReward(rewardModel(rmDir, policyTokenizer, engine, out)), rmDir.toString());
        }
        if (spec.startsWith("judge:")) {
            return new GrpoReward(new JudgeReward(GoldJudges.create(spec.substring("judge:".length()), config, out),
                    policyTokenizer), spec);
        }
        String command = spec.substring("command:".length()).strip();
        return new GrpoReward(new CommandReward(command, policyTokenizer, dir.resolve(LOG), cfg.rewardTimeout()), spec);
    }

    private static RewardModel rewardModel(Path rmDir, BpeTokenizer policyTokenizer, Engine engine, PrintStream out) {
        if (!StageCheckpoint.exists(rmDir)) {
            throw new ConfigException("grpo.reward_model: " + rmDir + " holds no checkpoint (run ./train rm first, set "
                    + "grpo.reward_model, or choose another grpo.reward)");
        }
        StageCheckpoint.Loaded rm = StageCheckpoint.load(rmDir);
        Gpt gpt = new Gpt(rm.spec(), rm.params(), engine);
        if (!gpt.hasScoreHead()) {
            throw new ConfigException("grpo.reward_model: " + rmDir + " is a " + rm.stage() + " checkpoint without a "
                    + "score head (score.weight): a reward model is an rm stage folder (./train rm)");
        }
        if (!rm.tokenizer().fingerprint().equals(policyTokenizer.fingerprint())) {
            throw new ConfigException("grpo.reward_model: " + rmDir + " uses a different tokenizer from the policy (the "
                    + "reward model must be trained from the same run's checkpoints)");
        }
        RewardModel model = new RewardModel(gpt, rm.tokenizer(), RewardNorm.read(rmDir));
        if (!model.norm().fitted()) {
            out.printf("note: %s has no reward normalisation (its run did not finish): GRPO uses its raw scores%n", rmDir);
        }
        return model;
    }

    @Override
    public void close() {
        if (function instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot stop the reward command: " + e.getMessage(), e);
            }
        }
    }
}
