package rlhf4j.stage.rm;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.data.PromptSplit;
import rlhf4j.data.RankingExample;
import rlhf4j.eval.RankingMetrics;
import rlhf4j.eval.RewardModel;
import rlhf4j.eval.RewardNorm;
import rlhf4j.tokenizer.ChatTemplate;

/**
 * The rankings (a preference pair is a ranking of two) rendered as the reward model reads them (prompt +
 * assistant(response), see {@link RewardModel}) and split into training and validation by a hash of the
 * prompt, the rule SFT uses, so every pair of one prompt lands on the same side. Responses longer than
 * block_size + 1 tokens lose the start of their prompt and are counted; rankings whose judgement gives no
 * pair (all scores equal) teach nothing and are dropped and counted.
 */
record RmGroups(List<Group> train, List<Group> val, int truncated, int withoutPairs) {

    /** One prompt's ranking and its rendered responses (serialisable, for Spark). */
    record Group(RankingExample ranking, List<ChatTemplate.Rendered> responses) implements Serializable {}

    static RmGroups of(List<RankingExample> rows, RewardModel model, double valFraction) {
        List<Group> train = new ArrayList<>();
        List<Group> val = new ArrayList<>();
        int truncated = 0;
        int withoutPairs = 0;
        for (RankingExample row : rows) {
            if (row.pairs().isEmpty()) {
                withoutPairs++;
                continue;
            }
            List<ChatTemplate.Rendered> rendered = new ArrayList<>(row.responses().size());
            boolean cut = false;
            for (String response : row.responses()) {
                ChatTemplate.Rendered full = model.renderFull(row.prompt(), response);
                cut |= model.truncates(full);
                rendered.add(model.fit(full));
            }
            truncated += cut ? 1 : 0;
            (PromptSplit.isValidation(row.prompt(), valFraction) ? val : train).add(new Group(row, rendered));
        }
        return new RmGroups(train, val, truncated, withoutPairs);
    }

    /** Raw scores of the groups under {@code model}, one array per group. */
    static List<double[]> score(RewardModel model, List<Group> groups) {
        return model.rawScores(groups.stream().map(Group::responses).toList());
    }

    /** The metrics of {@code groups} from their raw scores, with {@code norm} for the reward statistics. */
    static RankingMetrics metrics(List<Group> groups, List<double[]> raw, RewardNorm norm) {
        return RankingMetrics.of(groups.stream().map(Group::ranking).toList(), raw, norm);
    }

    static int pairs(List<Group> groups) {
        return groups.stream().mapToInt(g -> g.ranking().pairs().size()).sum();
    }
}
