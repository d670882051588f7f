package rlhf4j.stage.grpo;

import java.io.PrintStream;
import java.nio.file.Path;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.GrpoConfig;
import rlhf4j.eval.CommandReward;
import rlhf4j.eval.JudgeReward;
import rlhf4j.eval.RewardFunction;
import rlhf4j.eval.RewardModel;
import rlhf4j.eval.RmReward;
import rlhf4j.eval.judge.GoldJudges;
import rlhf4j.model.Engine;
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
            return new GrpoReward(new RmReward(RewardModel.forPolicy(rmDir, "grpo.reward_model", policyTokenizer, engine,
                    out)), rmDir.toString());
        }
        if (spec.startsWith("judge:")) {
            return new GrpoReward(new JudgeReward(GoldJudges.create(spec.substring("judge:".length()), config, out),
                    policyTokenizer), spec);
        }
        String command = spec.substring("command:".length()).strip();
        return new GrpoReward(new CommandReward(command, policyTokenizer, dir.resolve(LOG), cfg.rewardTimeout()), spec);
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
