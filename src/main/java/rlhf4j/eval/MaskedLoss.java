package rlhf4j.eval;

import java.util.List;
import rlhf4j.data.ConversationBatch;
import rlhf4j.model.Gpt;
import rlhf4j.loss.Losses;
import rlhf4j.model.HeadRequest;
import rlhf4j.tokenizer.ChatTemplate;

/** Mean negative log-likelihood over the masked-in (assistant) tokens of rendered conversations. */
public final class MaskedLoss {
    private MaskedLoss() {}

    /** NaN when no token is masked in. */
    public static double of(Gpt gpt, List<ChatTemplate.Rendered> rows, int batchSize, int pad) {
        double nll = 0;
        long count = 0;
        for (int from = 0; from < rows.size(); from += batchSize) {
            ConversationBatch b = ConversationBatch.of(rows.subList(from, Math.min(rows.size(), from + batchSize)),
                    gpt.spec().blockSize(), pad);
            nll += of(gpt, b) * b.maskedIn();
            count += b.maskedIn();
        }
        return count == 0 ? Double.NaN : nll / count;
    }

    /** The mean NLL over one batch's masked-in tokens (0 when none is). */
    public static double of(Gpt gpt, ConversationBatch b) {
        double[] logp = gpt.forward(HeadRequest.lm(b.targets()), b.batch()).logp();           // [B*T]
        return Losses.lm(logp, Losses.meanWeights(b.mask())).value();
    }
}
