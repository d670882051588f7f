package rlhf4j.eval;

import java.util.List;
import rlhf4j.data.ConversationBatch;
import rlhf4j.model.Gpt;
import rlhf4j.model.LmHead;
import rlhf4j.tokenizer.ChatTemplate;

/** Mean negative log-likelihood over the masked-in (assistant) tokens of rendered conversations. */
public final class MaskedLoss {
    private MaskedLoss() {}

    /** NaN when no token is masked in. */
    public static double of(Gpt gpt, List<ChatTemplate.Rendered> rows, int batchSize, int pad) {
        LmHead head = new LmHead(true);
        double nll = 0;
        long count = 0;
        for (int from = 0; from < rows.size(); from += batchSize) {
            ConversationBatch b = ConversationBatch.of(rows.subList(from, Math.min(rows.size(), from + batchSize)),
                    gpt.spec().blockSize(), pad);
            double loss = gpt.forward(head, b.batch(), b.lmTargets(gpt.spec().vocabSize(), gpt.dataType()),
                    LmHead.LOSS).get(LmHead.LOSS).getDouble(0);
            nll += loss * b.maskedIn();
            count += b.maskedIn();
        }
        return count == 0 ? Double.NaN : nll / count;
    }
}
