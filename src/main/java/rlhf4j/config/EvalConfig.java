package rlhf4j.config;

import static rlhf4j.config.Check.require;

/** The {@code eval} section: what the answer evaluations of every stage compare the models with. */
public record EvalConfig(
        @Doc("editing tasks: the copy baseline answers each prompt with its last user turn minus this prefix (the "
                + "input unchanged), reported next to the models' scores when every prompt starts with it; empty = none")
        String copyPrefix) {

    public EvalConfig {
        require(copyPrefix != null, "copy_prefix", "must be given (empty for none)");
    }

    public static EvalConfig defaults() {
        return new EvalConfig("Correct this sentence: ");
    }
}
