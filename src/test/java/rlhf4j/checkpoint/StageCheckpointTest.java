package rlhf4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptSpec;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.TokenBatch;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;

/** Save → load gives the same architecture, tokenizer and bit-identical logits. */
class StageCheckpointTest {
    @Test
    void roundTripGivesIdenticalLogits(@TempDir Path tmp) {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the cat sat on the mat, the cat sat"), 270, SpecialTokens.DEFAULT);
        GptSpec spec = new GptSpec(2, 2, 16, 8, tok.vocabSize());
        Gpt gpt = Gpt.create(spec, DataType.FLOAT, 5, 0.1);
        Path dir = tmp.resolve("stage");
        StageCheckpoint.save(dir, new StageCheckpoint.Contents("pretrain", spec, gpt.params(), tok,
                Map.of("step", 3), Map.of()));
        StageCheckpoint.Loaded loaded = StageCheckpoint.load(dir);
        assertEquals(spec, loaded.spec());
        assertEquals(tok.fingerprint(), loaded.tokenizer().fingerprint());
        assertEquals(3, loaded.trainerState().get("step").asInt());
        assertEquals("pretrain", loaded.stage());
        TokenBatch batch = TokenBatch.causal(new int[][] {{1, 5, 9, 200, 7, 7}});
        HeadRequest logits = HeadRequest.lm(new int[] {5, 9, 200, 7, 7, 1}).withLogits();
        INDArray a = gpt.forward(logits, batch).logits();
        INDArray b = new Gpt(loaded.spec(), loaded.params()).forward(logits, batch).logits();
        assertArrayEquals(a.reshape(-1).toFloatVector(), b.reshape(-1).toFloatVector(), 0.0f);
    }
}
