package rlhf4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import rlhf4j.data.ConversationBatch;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptSpec;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.TokenBatch;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * The numbers under pretraining's and SFT's validation columns: bits per byte and the masked loss, as sums of
 * per-token log-probabilities taken one sequence at a time (no batching, no padding) and divided by hand.
 */
class LmScoresTest {
    private static final BpeTokenizer TOK = BpeTokenizer.byteLevel(SpecialTokens.DEFAULT);

    private static Gpt model(int blockSize) {
        return Gpt.create(new GptSpec(1, 2, 8, blockSize, TOK.vocabSize()), DataType.DOUBLE, 5, 0.5);
    }

    @Test
    void bitsPerByteByHand() {
        LmEval.Result r = new LmEval.Result(10 * Math.log(2), 4, 5);
        assertEquals(2.0, r.bitsPerByte(), 1e-12);                  // 10 bits over 5 bytes
        assertEquals(10 * Math.log(2) / 4, r.loss(), 1e-12);        // nats per token
    }

    @Test
    void lmEvalSumsEveryWindowsTokensAndTheirBytes() {
        int t = 6;
        Gpt gpt = model(t);
        int[] stream = TOK.encode("Grüße, hello world! ok");                  // multi-byte characters included
        List<int[]> batches = List.of(new int[] {0, 3}, new int[] {5});
        LmEval.Result got = new LmEval(gpt, TOK).score(stream, batches);
        double nats = 0;
        long bytes = 0;
        for (int start : new int[] {0, 3, 5}) {
            int[] window = java.util.Arrays.copyOfRange(stream, start, start + t);
            int[] next = java.util.Arrays.copyOfRange(stream, start + 1, start + t + 1);
            double[] logp = gpt.forward(HeadRequest.lm(next), TokenBatch.causal(new int[][] {window})).logp();
            for (int i = 0; i < t; i++) {
                nats -= logp[i];
                bytes += TOK.decodeBytes(new int[] {next[i]}).length;
            }
        }
        assertEquals(3L * t, got.tokens());
        assertEquals(bytes, got.bytes());
        assertEquals(nats, got.nats(), 1e-9);
        assertEquals(nats / Math.log(2) / bytes, got.bitsPerByte(), 1e-12);
    }

    @Test
    void maskedLossIsTheMeanOverEveryAnswerTokenAcrossBatches() {
        ChatTemplate template = ChatTemplate.of(TOK);
        List<ChatTemplate.Rendered> rows = new ArrayList<>();
        for (String[] c : new String[][] {{"Fix: he go", "He goes."}, {"Fix: a", "A longer answer here."},
            {"Fix: it are fine", "It is."}}) {
            rows.add(template.render(List.of(Message.user(c[0]), Message.assistant(c[1]))));
        }
        int pad = TOK.id(SpecialTokens.PAD);
        Gpt gpt = model(128);
        double nll = 0;
        int count = 0;
        for (ChatTemplate.Rendered r : rows) {                              // each row alone
            ConversationBatch one = ConversationBatch.of(List.of(r), 128, pad);
            double[] logp = gpt.forward(HeadRequest.lm(one.targets()), one.batch()).logp();
            for (int i = 0; i < logp.length; i++) {
                if (one.mask()[i] == 1) {
                    nll -= logp[i];
                    count++;
                }
            }
        }
        // batches of 2 and 1: padded rows, different answer lengths; the mean is over tokens, not batches
        assertEquals(nll / count, MaskedLoss.of(gpt, rows, 2, pad), 1e-9);
    }
}
