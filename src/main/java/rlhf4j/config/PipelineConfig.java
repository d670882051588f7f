package rlhf4j.config;

import static rlhf4j.config.Check.require;

import java.util.HashSet;
import java.util.List;

/**
 * The {@code pipeline} section: which alignment methods {@code ./train pipeline} runs after the reward model, each
 * from the same SFT model, and compares in one report.
 */
public record PipelineConfig(
        @Doc("the alignment stages to run after rm, in order, each from the SFT model: any of ppo, dpo, grpo")
        List<String> methods) {
    /** The methods there are. */
    public static final List<String> METHODS = List.of("ppo", "dpo", "grpo");

    public PipelineConfig {
        require(methods != null && !methods.isEmpty(), "methods", "must name at least one of %s", METHODS);
        for (String m : methods) {
            require(METHODS.contains(m), "methods", "unknown method '%s' (one of %s)", m, String.join(", ", METHODS));
        }
        require(new HashSet<>(methods).size() == methods.size(), "methods", "names a method twice: %s", methods);
        methods = List.copyOf(methods);
    }

    public static PipelineConfig defaults() {
        return new PipelineConfig(List.of("ppo"));
    }
}
