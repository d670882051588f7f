package rlhf4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.model.Bias;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptInit;
import rlhf4j.model.GptSpec;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.Mlp;
import rlhf4j.model.Norm;
import rlhf4j.model.ParamNames;
import rlhf4j.model.Position;
import rlhf4j.model.RopeScaling;
import rlhf4j.model.TokenBatch;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;

/** Save → load gives the same architecture, tokenizer and bit-identical logits. */
class StageCheckpointTest {
    @Test
    void roundTripGivesIdenticalLogits(@TempDir Path tmp) throws java.io.IOException {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the cat sat on the mat, the cat sat"), 270, SpecialTokens.DEFAULT);
        GptSpec spec = new GptSpec(2, 2, 16, 8, tok.vocabSize());
        roundTrip(tmp.resolve("gpt2"), spec, tok);
        String config = java.nio.file.Files.readString(tmp.resolve("gpt2").resolve(StageCheckpoint.CONFIG));
        for (String key : List.of("num_key_value_heads", "mlp_type", "bias_type", "rope_theta", "rms_norm_eps")) {
            org.junit.jupiter.api.Assertions.assertFalse(config.contains(key), "a GPT-2 config.json has no " + key);
        }
    }

    /** Every LLaMA-family choice survives config.json, and the untied head's and missing biases' tensors too. */
    @Test
    void llamaAndQwen2SpecsRoundTrip(@TempDir Path tmp) {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the cat sat on the mat, the cat sat"), 270, SpecialTokens.DEFAULT);
        GptSpec rope = new GptSpec(2, 4, 16, 8, tok.vocabSize(), Norm.RMSNORM, Position.ROPE);
        roundTrip(tmp.resolve("llama"), rope.withKvHeads(2).withMlp(Mlp.SWIGLU, 40).withBias(Bias.NONE)
                .withRopeTheta(500_000).withRmsNormEpsilon(1e-5).withTiedHead(false), tok);
        roundTrip(tmp.resolve("qwen2"), rope.withKvHeads(1).withMlp(Mlp.SWIGLU, 24).withBias(Bias.QKV)
                .withRopeTheta(1e6), tok);
        StageCheckpoint.Loaded llama = StageCheckpoint.load(tmp.resolve("llama"));
        assertEquals(ParamNames.layout(llama.spec(), false).keySet(), llama.params().keySet());
    }

    /**
     * Every architecture a folder may declare, with the choices its reader must give back (an untied head, a score
     * head, grouped-query attention in a block no transformers class has, rope scaling): the same spec, the same
     * tensors, bit for bit.
     */
    @Test
    void everyArchitectureRoundTripsItsSpecAndTensors(@TempDir Path tmp) {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the cat sat on the mat, the cat sat"), 270, SpecialTokens.DEFAULT);
        GptSpec gpt2 = new GptSpec(2, 4, 16, 8, tok.vocabSize());
        GptSpec rope = new GptSpec(2, 4, 16, 8, tok.vocabSize(), Norm.LAYERNORM, Position.ROPE);
        GptSpec rms = new GptSpec(2, 4, 16, 8, tok.vocabSize(), Norm.RMSNORM, Position.ROPE);
        GptSpec llama = rms.withKvHeads(2).withMlp(Mlp.SWIGLU, 24).withBias(Bias.NONE);
        Map<String, GptSpec> specs = new java.util.LinkedHashMap<>();
        specs.put("gpt2-untied", gpt2.withTiedHead(false));
        specs.put("gpt2-wide-mlp", gpt2.withMlp(Mlp.GELU, 40));
        specs.put("neox-untied", rope.withTiedHead(false).withRopeTheta(20_000));
        specs.put("own-untied", rms.withTiedHead(false).withRmsNormEpsilon(1e-5));
        specs.put("own-gqa", gpt2.withKvHeads(2));
        specs.put("llama-scaled", llama.withRopeScaling(new RopeScaling(8, 1, 4, 4)));
        for (Map.Entry<String, GptSpec> e : specs.entrySet()) {
            for (boolean score : new boolean[] {false, true}) {
                Path dir = tmp.resolve(e.getKey() + (score ? "-score" : ""));
                LinkedHashMap<String, INDArray> params = GptInit.init(e.getValue(), DataType.FLOAT, 5, 0.1);
                if (score) {
                    params.put(ParamNames.SCORE_WEIGHT, Nd4j.rand(DataType.FLOAT, 16, 1));
                    params.put(ParamNames.SCORE_BIAS, Nd4j.rand(DataType.FLOAT, 1));
                }
                StageCheckpoint.save(dir, new StageCheckpoint.Contents("rm", e.getValue(), params, tok, Map.of("step", 1),
                        Map.of()));
                StageCheckpoint.Loaded loaded = StageCheckpoint.load(dir);
                assertEquals(e.getValue(), loaded.spec(), dir.toString());
                assertEquals(params.keySet(), loaded.params().keySet(), dir.toString());
                params.forEach((name, t) -> assertEquals(t, loaded.params().get(name), dir + " " + name));
            }
        }
    }

    private static void roundTrip(Path dir, GptSpec spec, BpeTokenizer tok) {
        Gpt gpt = Gpt.create(spec, DataType.FLOAT, 5, 0.1);
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
