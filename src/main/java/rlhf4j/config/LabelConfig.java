package rlhf4j.config;

import static rlhf4j.config.Check.require;

import java.util.List;
import rlhf4j.data.RankingData;

/**
 * The {@code label} section: the SFT model answers training prompts several times and a labeler ranks the
 * answers, giving the reward model comparisons of the policy's own outputs (InstructGPT's comparison data).
 */
public record LabelConfig(
        @Doc("prompts to answer and rank") LabelDataPaths data,
        @Doc("stage folder whose model writes the candidates; empty = this run's sft folder") String initFrom,
        @Doc("prompts to label (drawn by the run seed from the training prompts; sft's and ppo's held-out prompts "
                + "are never labelled); 0 = all") int numPrompts,
        @Doc("answers sampled per prompt (K); the labeler ranks the distinct ones") int numCandidates,
        @Doc("sampling temperature of the candidates") double temperature,
        @Doc("nucleus sampling of the candidates: keep the smallest set of tokens with this much probability; 1 = off") double topP,
        @Doc("longest candidate answer, in tokens") int maxNewTokens,
        @Doc("prompts answered per sampling batch (each K times)") int batchSize,
        @Doc("who ranks: reference (a simulated annotator ranking by chrF against the prompt's reference completion), "
                + "sentiment (a simulated annotator ranking by how positive and natural an answer is: AFINN-165 "
                + "valence less penalties for repetition, unknown words, length and an unfinished sentence), "
                + "human (a web page for people), command (an external judge, label.command)") String labeler,
        @Doc("for labeler sentiment (and the sentiment judge): a file of known words, one a line; each answer word "
                + "outside it costs 1 point; empty = no such penalty") String knownWords,
        @Doc("for labeler command: a shell command reading one JSON object a line ({prompt, responses, reference}) "
                + "and writing {\"ranking\": [...]} or {\"scores\": [...]} a line") String command,
        @Doc("for labeler command: seconds one answer may take; past them the judge and its children are stopped "
                + "and the stage ends with an error (what was judged stays)") int commandTimeout,
        @Doc("for labeler human: the address the web page listens on") String host,
        @Doc("for labeler human: the port; 0 = any free port") int port) {

    public static final List<String> LABELERS = List.of("reference", "sentiment", "human", "command");

    public LabelConfig {
        require(data != null, "data", "must be given");
        require(initFrom != null, "init_from", "must be given (empty for the run's sft folder)");
        require(numPrompts >= 0, "num_prompts", "must not be negative (0 = all), got %d", numPrompts);
        require(numCandidates >= 2 && numCandidates <= RankingData.MAX_RESPONSES, "num_candidates",
                "must be between 2 and %d, got %d", RankingData.MAX_RESPONSES, numCandidates);
        require(temperature > 0 && Double.isFinite(temperature), "temperature",
                "must be positive (candidates are sampled; greedy answers would all be the same), got %s", temperature);
        require(topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got %s", topP);
        require(maxNewTokens >= 1, "max_new_tokens", "must be at least 1, got %d", maxNewTokens);
        require(batchSize >= 1, "batch_size", "must be at least 1, got %d", batchSize);
        require(labeler != null && LABELERS.contains(labeler), "labeler", "must be one of %s, got '%s'", LABELERS,
                labeler);
        require(knownWords != null, "known_words", "must be given (empty for none)");
        require(command != null, "command", "must be given (empty unless labeler is command)");
        require(commandTimeout >= 1 && commandTimeout <= 86_400, "command_timeout",
                "must be between 1 and 86400 seconds, got %d", commandTimeout);
        require(!labeler.equals("command") || !command.isBlank(), "command",
                "names no command, and label.labeler is command");
        require(host != null && !host.isBlank(), "host", "must name an address");
        require(port >= 0 && port <= 65535, "port", "must be between 0 and 65535, got %d", port);
    }

    /** The judge whose measure the labeler ranks by, for a simulated labeler; null for people and commands. */
    public String judge() {
        return switch (labeler) {
            case "reference" -> "chrf";
            case "sentiment" -> "sentiment";
            default -> null;
        };
    }

    public static LabelConfig defaults() {
        return new LabelConfig(LabelDataPaths.defaults(), "", 512, 4, 1.0, 1.0, 56, 16, "reference", "", "", 300,
                "127.0.0.1", 0);
    }
}
