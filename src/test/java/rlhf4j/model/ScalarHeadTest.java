package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.nn.GradientChecker;

/** The scalar (reward/value) head: read at the last real token, unaffected by padding, gradient-checked. */
class ScalarHeadTest {
    private static final GptSpec SPEC = new GptSpec(1, 2, 8, 5, 11);

    private static Gpt modelWithHead() {
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, 4, 0.3);
        GptInit.addScoreHead(gpt.params(), SPEC, DataType.DOUBLE, 4, false);
        return gpt;
    }

    private static INDArray lastToken(int b, int t, int... lastIndex) {
        INDArray m = Nd4j.zeros(DataType.DOUBLE, b, t);
        for (int i = 0; i < b; i++) {
            m.putScalar(i, lastIndex[i], 1.0);
        }
        return m;
    }

    @Test
    void gradientOfTheWholeModelThroughTheScalarHead() {
        Gpt gpt = modelWithHead();
        TokenBatch batch = TokenBatch.causal(new int[][] {{1, 2, 3, 3, 0}, {4, 4, 5, 6, 7}});
        Map<String, INDArray> extra = Map.of(ScalarHead.LAST_TOKEN, lastToken(2, 5, 2, 4),
                ScalarHead.SCORE_WEIGHT, Nd4j.createFromArray(1.0, -0.5));
        ScalarHead head = new ScalarHead(true);
        Gpt.Step step = gpt.forwardBackward(head, batch, extra, List.of(ScalarHead.LOSS));
        assertTrue(step.grads().containsKey("score.weight"));
        List<GradientChecker.Mismatch> bad = GradientChecker.standard().check(gpt.params(), step.grads(),
                () -> gpt.forward(head, batch, extra, ScalarHead.LOSS).get(ScalarHead.LOSS).getDouble(0));
        assertTrue(bad.isEmpty(), "mismatches: " + bad.subList(0, Math.min(5, bad.size())));
    }

    @Test
    void scoreIsReadAtTheLastRealTokenAndPaddingAfterItDoesNotMatter() {
        Gpt gpt = modelWithHead();
        ScalarHead head = new ScalarHead(false);
        double alone = gpt.forward(head, TokenBatch.causal(new int[][] {{3, 1, 4}}),
                Map.of(ScalarHead.LAST_TOKEN, lastToken(1, 3, 2)), ScalarHead.SCORE).get(ScalarHead.SCORE).getDouble(0);
        double padded = gpt.forward(head, TokenBatch.causal(new int[][] {{3, 1, 4, 1, 1}}),
                Map.of(ScalarHead.LAST_TOKEN, lastToken(1, 5, 2)), ScalarHead.SCORE).get(ScalarHead.SCORE).getDouble(0);
        assertEquals(alone, padded, 1e-12);
    }
}
