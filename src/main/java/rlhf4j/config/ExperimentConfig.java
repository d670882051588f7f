package rlhf4j.config;

import static rlhf4j.config.Check.require;

/**
 * One experiment: the whole YAML file. A new stage adds its section here as a record component (with
 * {@link Doc} and a default in {@link #defaults()}); loading, overrides, toMap and the reference follow.
 */
public record ExperimentConfig(
        @Doc("run identity") RunConfig run,
        @Doc("model shape") ModelConfig model,
        @Doc("tokenizer") TokenizerConfig tokenizer,
        @Doc("pretraining stage") PretrainConfig pretrain,
        @Doc("supervised fine-tuning stage") SftConfig sft,
        @Doc("label stage: the SFT model's answers ranked for the reward model") LabelConfig label,
        @Doc("reward-model stage") RmConfig rm,
        @Doc("PPO stage") PpoConfig ppo,
        @Doc("DPO stage: preference optimisation on the rankings, without a reward model") DpoConfig dpo,
        @Doc("GRPO stage: critic-free RL from groups of answers per prompt") GrpoConfig grpo,
        @Doc("answer evaluations") EvalConfig eval,
        @Doc("what ./train pipeline runs after the reward model") PipelineConfig pipeline,
        @Doc("throughput benchmark") BenchConfig bench,
        @Doc("data-parallel training on Apache Spark") DistributedConfig distributed) {

    public ExperimentConfig {
        require(run != null, "run", "must be given");
        require(model != null, "model", "must be given");
        require(tokenizer != null, "tokenizer", "must be given");
        require(pretrain != null, "pretrain", "must be given");
        require(sft != null, "sft", "must be given");
        require(label != null, "label", "must be given");
        require(rm != null, "rm", "must be given");
        require(ppo != null, "ppo", "must be given");
        require(dpo != null, "dpo", "must be given");
        require(grpo != null, "grpo", "must be given");
        require(eval != null, "eval", "must be given");
        require(pipeline != null, "pipeline", "must be given");
        require(bench != null, "bench", "must be given");
        require(distributed != null, "distributed", "must be given");
    }

    public static ExperimentConfig defaults() {
        return new ExperimentConfig(RunConfig.defaults(), ModelConfig.defaults(), TokenizerConfig.defaults(),
                PretrainConfig.defaults(), SftConfig.defaults(), LabelConfig.defaults(), RmConfig.defaults(),
                PpoConfig.defaults(), DpoConfig.defaults(), GrpoConfig.defaults(),
                EvalConfig.defaults(), PipelineConfig.defaults(), BenchConfig.defaults(),
                DistributedConfig.defaults());
    }
}
