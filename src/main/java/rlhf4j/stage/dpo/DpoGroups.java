package rlhf4j.stage.dpo;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rlhf4j.data.PromptSplit;
import rlhf4j.data.RankingExample;
import rlhf4j.model.Gpt;
import rlhf4j.rollout.PolicyPasses;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutBatch;
import rlhf4j.rollout.RolloutMath;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;

/**
 * The rankings DPO learns from, each response laid out as the policy would have generated it — the prompt rendered
 * up to the assistant header, then the response's tokens and {@code <|im_end|>} — with its log-probability under the
 * frozen reference, computed once. Split into training and validation by a hash of the prompt, the rule rm uses, so
 * every pair of one prompt lands on the same side. A prompt too long for block_size loses its start (counted); a
 * response that alone does not fit is dropped with its ranking (counted), as is a ranking whose judgement gives no
 * pair.
 */
record DpoGroups(List<Group> train, List<Group> val, int truncated, int tooLong, int withoutPairs) {

    /** One prompt's ranking, its responses as rollouts and their reference log-probabilities [K]. */
    record Group(RankingExample ranking, List<Rollout> responses, double[] refLogp) implements Serializable {}

    /** Sequences per reference pass: enough to keep the pass efficient, few enough for any machine. */
    private static final int REFERENCE_ROWS = 32;

    static DpoGroups of(List<RankingExample> rows, BpeTokenizer tokenizer, Gpt reference, int pad, double valFraction) {
        ChatTemplate template = ChatTemplate.of(tokenizer);
        int blockSize = reference.spec().blockSize();
        List<Group> train = new ArrayList<>();
        List<Group> val = new ArrayList<>();
        int truncated = 0;
        int tooLong = 0;
        int withoutPairs = 0;
        for (RankingExample row : rows) {
            if (row.pairs().isEmpty()) {
                withoutPairs++;
                continue;
            }
            int[] prompt = template.renderPrompt(row.prompt());
            List<Rollout> responses = new ArrayList<>(row.responses().size());
            boolean cut = false;
            boolean fits = true;
            for (String text : row.responses()) {
                int[] encoded = tokenizer.encode(text);
                int[] response = Arrays.copyOf(encoded, encoded.length + 1);                     // [L]
                response[encoded.length] = template.endOfTurn();
                int room = blockSize + 1 - response.length;                                      // prompt tokens that fit
                if (room < 1) {
                    fits = false;
                    break;
                }
                int[] ids = prompt.length > room ? Arrays.copyOfRange(prompt, prompt.length - room, prompt.length) : prompt;
                cut |= ids.length < prompt.length;
                responses.add(new Rollout(row.prompt(), ids, response, new double[response.length], true, null));
            }
            if (!fits) {
                tooLong++;
                continue;
            }
            truncated += cut ? 1 : 0;
            Group g = new Group(row, responses, null);
            (PromptSplit.isValidation(row.prompt(), valFraction) ? val : train).add(g);
        }
        return new DpoGroups(withReference(train, reference, pad), withReference(val, reference, pad), truncated,
                tooLong, withoutPairs);
    }

    /** The groups with each response's log-probability under {@code reference}, in passes of a few rankings. */
    private static List<Group> withReference(List<Group> groups, Gpt reference, int pad) {
        List<Group> out = new ArrayList<>(groups.size());
        int from = 0;
        while (from < groups.size()) {
            int to = from;
            int rows = 0;
            while (to < groups.size() && (rows == 0 || rows + groups.get(to).responses().size() <= REFERENCE_ROWS)) {
                rows += groups.get(to++).responses().size();
            }
            double[] seq = sequenceLogp(reference, flatten(groups.subList(from, to)), pad);     // [rows]
            int k = 0;
            for (Group g : groups.subList(from, to)) {
                double[] ref = Arrays.copyOfRange(seq, k, k + g.responses().size());            // [K]
                k += g.responses().size();
                out.add(new Group(g.ranking(), g.responses(), ref));
            }
            from = to;
        }
        return out;
    }

    /** Every response of {@code groups}, group after group. */
    static List<Rollout> flatten(List<Group> groups) {
        List<Rollout> rows = new ArrayList<>();
        groups.forEach(g -> rows.addAll(g.responses()));
        return rows;
    }

    /** log π(response | prompt) of each row: the sum over its response tokens, at temperature 1 [N]. */
    static double[] sequenceLogp(Gpt gpt, List<Rollout> rows, int pad) {
        RolloutBatch batch = RolloutBatch.of(rows, gpt.spec().blockSize(), pad);
        return RolloutMath.rowSums(PolicyPasses.logProbs(gpt, batch, 1.0));
    }

    static int pairs(List<Group> groups) {
        return groups.stream().mapToInt(g -> g.ranking().pairs().size()).sum();
    }
}
