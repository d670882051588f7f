package rlhf4j.stage.rm;

import java.util.ArrayList;
import java.util.List;
import rlhf4j.data.PreferenceExample;
import rlhf4j.data.PromptSplit;
import rlhf4j.eval.RewardModel;
import rlhf4j.tokenizer.ChatTemplate;

/**
 * The preference rows rendered as the reward model reads them (prompt + assistant(response), see
 * {@link RewardModel}) and split into training and validation by a hash of the prompt, the rule SFT
 * uses. Pairs longer than block_size + 1 tokens lose the start of their prompt and are counted.
 */
record RmPairs(List<Pair> train, List<Pair> val, int truncated) {

    /** One comparison, both sides rendered; {@code margin} is the data's (0 when absent). */
    record Pair(ChatTemplate.Rendered chosen, ChatTemplate.Rendered rejected, double margin) {}

    static RmPairs of(List<PreferenceExample> rows, RewardModel model, double valFraction) {
        List<Pair> train = new ArrayList<>();
        List<Pair> val = new ArrayList<>();
        int truncated = 0;
        for (PreferenceExample row : rows) {
            ChatTemplate.Rendered chosen = model.renderFull(row.prompt(), row.chosen());
            ChatTemplate.Rendered rejected = model.renderFull(row.prompt(), row.rejected());
            if (model.truncates(chosen) || model.truncates(rejected)) {
                truncated++;
            }
            Pair pair = new Pair(model.fit(chosen), model.fit(rejected), row.margin());
            (PromptSplit.isValidation(row.prompt(), valFraction) ? val : train).add(pair);
        }
        return new RmPairs(train, val, truncated);
    }

    /** Scores of the pairs under {@code model} (raw) and their metrics with its normalisation. */
    static RewardModel.PairScores score(RewardModel model, List<Pair> pairs) {
        List<ChatTemplate.Rendered> chosen = new ArrayList<>(pairs.size());
        List<ChatTemplate.Rendered> rejected = new ArrayList<>(pairs.size());
        double[] margin = new double[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            chosen.add(pairs.get(i).chosen());
            rejected.add(pairs.get(i).rejected());
            margin[i] = pairs.get(i).margin();
        }
        return model.scorePairs(chosen, rejected, margin);
    }
}
