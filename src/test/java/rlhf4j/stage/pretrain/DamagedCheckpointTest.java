package rlhf4j.stage.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.checkpoint.SafeTensors;
import rlhf4j.checkpoint.StageCheckpoint;

/**
 * Every tensor of a loaded checkpoint is checked against its config.json, and the tokenizer's special tokens are
 * checked, before any model code sees them: a damaged part is bad input (exit 3) naming the file and the tensor.
 */
class DamagedCheckpointTest {
    @TempDir
    static Path shared;
    private static MicroRun run;
    private static Path good;

    @BeforeAll
    static void trained() throws IOException {
        run = new MicroRun(shared);
        assertEquals(0, run.pretrain("--set", "pretrain.max_steps=4", "--set", "pretrain.warmup_steps=1").code());
        good = run.stageDir("micro");
    }

    private static Path damaged(String name, Consumer<Map<String, INDArray>> edit) throws IOException {
        Path dir = shared.resolve("damaged").resolve(name);
        MicroRun.copyFolder(good, dir);
        Map<String, INDArray> t = new LinkedHashMap<>(StageCheckpoint.readTensors(dir, StageCheckpoint.MODEL));
        edit.accept(t);
        SafeTensors.write(dir.resolve(StageCheckpoint.MODEL), t, Map.of("format", "pt"));
        return dir;
    }

    private static void assertRefused(Path dir, String... words) {
        MicroRun.Result r = run.train("sample", "--checkpoint", dir.toString(), "--prompt", "The", "--max-new-tokens",
                "4");
        assertEquals(3, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        for (String w : words) {
            assertTrue(r.err().contains(w), "'" + w + "' in: " + r.err());
        }
    }

    @Test
    void wrongShapesMissingAndExtraTensorsAreRefused() throws IOException {
        assertRefused(damaged("fc", t -> t.put("h.0.mlp.c_fc.weight", t.get("h.0.mlp.c_fc.weight").reshape(32, 32)
                .dup())), "model.safetensors", "h.0.mlp.c_fc.weight", "shape");
        assertRefused(damaged("wpe", t -> t.put("wpe.weight", Nd4j.zeros(DataType.FLOAT, 4, 16))), "wpe.weight");
        assertRefused(damaged("lnf", t -> t.remove("ln_f.bias")), "missing tensor ln_f.bias");
        assertRefused(damaged("extra", t -> t.put("h.7.ln_1.weight", Nd4j.ones(DataType.FLOAT, 16))),
                "unexpected tensor h.7.ln_1.weight");
        assertRefused(damaged("i32", t -> t.put("h.0.ln_1.weight", Nd4j.ones(DataType.INT, 16))),
                "h.0.ln_1.weight", "INT");
    }

    @Test
    void aTokenizerWithoutItsSpecialTokensIsRefused() throws IOException {
        Path dir = damaged("tok", t -> { });
        Path tok = dir.resolve(StageCheckpoint.TOKENIZER);
        String json = Files.readString(tok);
        Files.writeString(tok, json.replace("<|im_end|>", "<|im_fin|>"));
        MicroRun.Result r = run.train("sample", "--checkpoint", dir.toString(), "--prompt", "The", "--max-new-tokens",
                "4");
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().contains("tokenizer.json"), r.err());
    }

    @Test
    void aFractionalLayerCountAndANanTemperatureAreRefused() throws IOException {
        Path dir = damaged("frac", t -> { });
        Path config = dir.resolve(StageCheckpoint.CONFIG);
        assertTrue(Files.readString(config).contains("\"n_layer\": 1,"));
        Files.writeString(config, Files.readString(config).replaceFirst("\"n_layer\": 1,", "\"n_layer\": 1.5,"));
        assertRefused(dir, "config.json", "n_layer");
        MicroRun.Result nan = run.train("sample", "--checkpoint", good.toString(), "--prompt", "The",
                "--temperature", "NaN");
        assertEquals(2, nan.code(), nan.err());
        assertTrue(nan.err().contains("temperature"), nan.err());
    }

    @Test
    void untrustedSizesAreRefusedBeforeAnythingIsAllocated() throws IOException {
        Path dir = damaged("positions", t -> { });
        Path config = dir.resolve(StageCheckpoint.CONFIG);
        Files.writeString(config, Files.readString(config).replaceFirst("\"n_positions\": 16,",
                "\"n_positions\": 2000000000,"));
        assertRefused(dir, "config.json", "n_positions");

        Path big = damaged("bigtok", t -> { });
        Path tok = big.resolve(StageCheckpoint.TOKENIZER);
        String json = Files.readString(tok);
        Files.writeString(tok, json.substring(0, json.length() - 1) + " ".repeat(65 << 20) + "}");
        assertRefused(big, "tokenizer.json", "MB");

        MicroRun.Result samples = run.train("sample", "--checkpoint", good.toString(), "--prompt", "The",
                "--num-samples", "2147483647");
        assertEquals(2, samples.code(), samples.err());
        MicroRun.Result evals = run.pretrain("--set", "run.name=evals", "--set", "pretrain.eval_batches=2147483647");
        assertEquals(2, evals.code(), evals.err());
        assertTrue(evals.err().contains("pretrain.eval_batches"), evals.err());
    }

    @Test
    void theUndamagedCopySamples() throws IOException {
        MicroRun.Result r = run.train("sample", "--checkpoint", damaged("none", t -> { }).toString(), "--prompt", "The",
                "--max-new-tokens", "4");
        assertEquals(0, r.code(), r.err());
    }
}
