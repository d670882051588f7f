package rlhf4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.config.ConfigLoader;
import rlhf4j.model.Activation;
import rlhf4j.model.Bias;
import rlhf4j.model.GptSpec;
import rlhf4j.model.Mlp;
import rlhf4j.model.Norm;
import rlhf4j.model.ParamNames;
import rlhf4j.model.Position;
import rlhf4j.model.RopeScaling;
import rlhf4j.stage.pretrain.MicroRun;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * What a stage folder declares to Hugging Face, checked against an independent forward of the declared architecture.
 * {@code src/test/resources/hf-written/<model_type>/} are folders this project wrote (GPT-2 for learned positions;
 * GPT-NeoX for rotary positions, with this project's quick GELU and LayerNorm without epsilon, as the shipped configs
 * train; Llama with grouped-query attention, an untied head, rope_theta 500000 and Llama 3's rope scaling; Qwen2 with q/k/v biases and one
 * key/value head), every tensor filled with seeded noise so that a misplaced bias or a wrong q/k/v grouping shows; their
 * {@code expected_logits.json} were computed from the written files by {@code scripts/hf_reference_logits.py}, which
 * implements each architecture as {@code transformers} defines it. {@code scripts/hf_written_fixtures.sh} writes
 * both again. Where {@code /usr/bin/python3} has torch, a folder fresh from {@code ./train pretrain} with rotary
 * positions is checked live the same way.
 */
class HfWrittenFolderTest {
    private static final int[] TOKENS = {1, 5, 9, 200, 7, 7, 42, 260, 13, 99, 3, 150};

    /** The architectures a stage folder may declare for transformers, with the spec each fixture is written from. */
    private enum Case {
        GPT2("gpt2", new GptSpec(2, 2, 16, 32, 1, Norm.LAYERNORM, Position.LEARNED, Activation.GELU_NEW, 1e-5)),
        GPT_NEOX("gpt_neox", new GptSpec(2, 2, 16, 32, 1, Norm.LAYERNORM, Position.ROPE, Activation.QUICK_GELU, 0.0)),
        LLAMA("llama", new GptSpec(2, 4, 16, 32, 1, Norm.RMSNORM, Position.ROPE).withKvHeads(2)
                .withMlp(Mlp.SWIGLU, 24).withBias(Bias.NONE).withRopeTheta(500_000).withRmsNormEpsilon(1e-5)
                .withTiedHead(false).withRopeScaling(new RopeScaling(8, 1, 4, 16))),
        QWEN2("qwen2", new GptSpec(2, 4, 16, 32, 1, Norm.RMSNORM, Position.ROPE).withKvHeads(1)
                .withMlp(Mlp.SWIGLU, 40).withBias(Bias.QKV).withRopeTheta(1_000_000));

        final String modelType;
        final GptSpec spec;

        Case(String modelType, GptSpec spec) {
            this.modelType = modelType;
            this.spec = spec;
        }
    }

    private static Path committed(Case c) throws URISyntaxException {
        return Path.of(HfWrittenFolderTest.class.getResource("/hf-written/" + c.modelType + "/config.json").toURI())
                .getParent();
    }

    /** The fixture's contents: a small trained tokenizer and every tensor seeded noise (no ND4J random stream). */
    private static StageCheckpoint.Contents contents(Case c) {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the cat sat on the mat, the cat sat"), 270, SpecialTokens.DEFAULT);
        GptSpec spec = c.spec.withVocabSize(tok.vocabSize());
        Random random = new Random(11);
        Map<String, INDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> t : ParamNames.layout(spec, false).entrySet()) {
            float[] v = new float[(int) java.util.Arrays.stream(t.getValue()).reduce(1, (a, b) -> a * b)];
            boolean gain = t.getKey().contains("ln_") && t.getKey().endsWith(".weight");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((gain ? 1 : 0) + 0.3 * random.nextGaussian());
            }
            params.put(t.getKey(), Nd4j.createFromArray(v).reshape(t.getValue()));
        }
        return new StageCheckpoint.Contents("pretrain", spec, params, tok, Map.of("step", 0), Map.of());
    }

    /** Writes the fixture folders (run by scripts/hf_written_fixtures.sh with -Drlhf4j.writeFixtures=DIR). */
    @Test
    @EnabledIfSystemProperty(named = "rlhf4j.writeFixtures", matches = ".+")
    void writeFixtures() {
        for (Case c : Case.values()) {
            StageCheckpoint.save(Path.of(System.getProperty("rlhf4j.writeFixtures")).resolve(c.modelType), contents(c));
        }
    }

    /** Today's writer writes the very files the reference forward was computed from. */
    @Test
    void theWriterWritesTheCheckedFolders(@TempDir Path tmp) throws Exception {
        for (Case c : Case.values()) {
            Path dir = tmp.resolve(c.modelType);
            StageCheckpoint.save(dir, contents(c));
            for (String file : List.of(StageCheckpoint.MODEL, StageCheckpoint.CONFIG)) {
                assertArrayEquals(Files.readAllBytes(committed(c).resolve(file)), Files.readAllBytes(dir.resolve(file)),
                        c.modelType + " " + file);
            }
            JsonNode config = Json.readTree(dir.resolve(StageCheckpoint.CONFIG));
            assertEquals(c.modelType, config.path("model_type").asText());
        }
    }

    /** The folder, read back, gives the declared architecture's logits on both engines and through the KV cache. */
    @Test
    void theDeclaredArchitectureComputesTheSameLogits() throws Exception {
        for (Case c : Case.values()) {
            JsonNode expected = Json.readTree(committed(c).resolve("expected_logits.json"));
            assertArrayEquals(TOKENS, ints(expected.get("tokens")));
            StageCheckpoint.Loaded loaded = StageCheckpoint.load(committed(c));
            ReferenceLogits.assertMatches(expected, loaded, true, c.modelType);
        }
    }

    /** The shipped configs train rotary models: their folders say GPT-NeoX; RMSNorm models name no transformers class. */
    @Test
    void eachSpecDeclaresTheArchitectureItIs() {
        for (String config : List.of("configs/tiny.yaml", "configs/grammar-tiny.yaml", "configs/grammar-small.yaml")) {
            GptSpec spec = ConfigLoader.load(Path.of(config)).model().spec(300);
            assertSame(NeoXArchitecture.INSTANCE, HfArchitecture.forSpec(spec), config);
        }
        GptSpec rms = new GptSpec(1, 2, 16, 16, 300, Norm.RMSNORM, Position.ROPE);
        assertEquals("rlhf4j_gpt", HfArchitecture.forSpec(rms).modelType(), "RMSNorm with a GELU MLP and biases");
        assertEquals("rlhf4j_gpt", HfArchitecture.forSpec(new GptSpec(1, 2, 16, 16, 300).withKvHeads(1)).modelType(),
                "GPT-2's block with grouped-query attention");
        for (Case c : Case.values()) {
            assertEquals(c.modelType, HfArchitecture.forSpec(c.spec).modelType());
        }
        assertEquals("gpt2", HfArchitecture.forSpec(new GptSpec(1, 2, 16, 16, 300)).modelType());
    }

    /** A rotary pretrain folder written by ./train, checked live against the reference where torch is installed. */
    @Test
    void aFreshRotaryPretrainFolderMatchesTheReference(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(ReferenceLogits.hasTorch(), "/usr/bin/python3 with torch (apt-get install python3-torch)");
        MicroRun run = new MicroRun(tmp);
        assertEquals(0, run.pretrain("--set", "model.position=rope", "--set", "pretrain.max_steps=4").code());
        Path dir = run.stageDir("micro");
        assertEquals("gpt_neox", Json.readTree(dir.resolve(StageCheckpoint.CONFIG)).path("model_type").asText());
        StageCheckpoint.Loaded loaded = StageCheckpoint.load(dir);
        int[] tokens = loaded.tokenizer().encode("the cat sat on the mat");
        JsonNode reference = ReferenceLogits.compute(dir, tmp.resolve("reference.json"), tokens);
        ReferenceLogits.assertMatches(reference, loaded, true, "fresh pretrain folder");
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
