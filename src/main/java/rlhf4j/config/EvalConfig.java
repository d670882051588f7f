package rlhf4j.config;

import static rlhf4j.config.Check.require;

import rlhf4j.generate.Decoding;

/** The {@code eval} section: how the answer evaluations of every stage decode, and what they compare the models with. */
public record EvalConfig(
        @Doc("editing tasks: the copy baseline answers each prompt with its last user turn minus this prefix (the "
                + "input unchanged), reported next to the models' scores when every prompt starts with it; empty = none")
        String copyPrefix,
        @Doc("how every scored answer is decoded (validation during training, each stage's test, the report): 1 = "
                + "greedy, K > 1 = beam search keeping the K most probable answers") int numBeams,
        @Doc("beam search: a finished answer scores its summed token log-probability over its length to this power "
                + "(1 = per token; 0 = the plain sum, which favours short answers)") double lengthPenalty) {

    public EvalConfig {
        require(copyPrefix != null, "copy_prefix", "must be given (empty for none)");
        require(numBeams >= 1, "num_beams", "must be >= 1 (1 = greedy), got %s", numBeams);
        require(Double.isFinite(lengthPenalty), "length_penalty", "must be a finite number, got %s", lengthPenalty);
    }

    public static EvalConfig defaults() {
        return new EvalConfig("Correct this sentence: ", 1, 1.0);
    }

    /** The decoding of every scored answer. */
    public Decoding decoding() {
        return new Decoding(numBeams, lengthPenalty);
    }
}
