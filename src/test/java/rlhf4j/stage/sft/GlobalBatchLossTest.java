package rlhf4j.stage.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import rlhf4j.data.ConversationBatch;
import rlhf4j.loss.Losses;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptSpec;
import rlhf4j.model.HeadRequest;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.train.Seeds;

/**
 * SFT's loss over a step of several micro-batches is the mean over every assistant token of the step, not the mean
 * of the micro-batches' own means: with answers of different lengths the two differ, and only the first is the same
 * however the conversations fall into micro-batches (or onto Spark workers).
 */
class GlobalBatchLossTest {
    private static final int BATCH = 3;
    private static final long SEED = 9;

    @Test
    void theStepsLossIsTheMeanOverAllItsAssistantTokens() {
        GptSpec spec = new GptSpec(1, 2, 8, 16, 20);
        Gpt gpt = Gpt.create(spec, DataType.DOUBLE, 3, 0.2);
        Random rng = new Random(5);
        List<ChatTemplate.Rendered> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int len = 4 + rng.nextInt(10);
            int answer = 1 + rng.nextInt(len - 2);                     // answers of 1 .. len-2 tokens
            int[] ids = new int[len];
            int[] mask = new int[len];
            for (int j = 0; j < len; j++) {
                ids[j] = 1 + rng.nextInt(spec.vocabSize() - 1);
                mask[j] = j >= len - answer ? 1 : 0;
            }
            rows.add(new ChatTemplate.Rendered(ids, mask));
        }
        int step = 2;
        int micros = 2;
        SftTask.Conversations conversations = new SftTask.Conversations(rows, BATCH, spec.blockSize(), 0, SEED, micros);
        double nllSum = 0;
        long tokens = 0;
        double meanOfMeans = 0;
        double stepLoss = 0;
        for (int micro = 0; micro < micros; micro++) {
            // the micro-batch's rows drawn as the task draws them, and their summed NLL on the assistant tokens
            Random draw = Seeds.microBatch(SEED, step, micro);
            List<ChatTemplate.Rendered> picked = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) {
                picked.add(rows.get(draw.nextInt(rows.size())));
            }
            ConversationBatch b = ConversationBatch.of(picked, spec.blockSize(), 0);
            double sum = gpt.forwardBackward(HeadRequest.lm(b.targets()), b.batch(),
                    out -> Losses.lm(out.logp(), b.mask())).loss().value();
            nllSum += sum;
            tokens += b.maskedIn();
            meanOfMeans += sum / b.maskedIn() / micros;
            stepLoss += conversations.compute(gpt, step, micro).loss() / micros;   // what GradientStep averages
        }
        assertEquals(nllSum / tokens, stepLoss, 1e-12, "the step's loss is the global token mean");
        assertNotEquals(meanOfMeans, stepLoss, 1e-6, "this batch's micro-batches hold different token counts");
    }
}
