package rlhf4j.train;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.config.ConfigException;
import rlhf4j.model.GptSpec;
import rlhf4j.stage.pretrain.MicroRun;

/** The memory a training step needs, estimated before allocation, and the runs refused by it. */
class MemoryBudgetTest {
    @Test
    void estimatesByHand() {
        GptSpec spec = new GptSpec(2, 4, 128, 128, 1024);
        assertEquals(16.0 * spec.paramCount(), MemoryBudget.parameterBytes(spec));
        // per token: 2 layers x (17 x 128 + 2 x 4 x 128) + 2 x 1024 = 2 x 3200 + 2048 = 8448 floats
        assertEquals(4.0 * 2 * 16 * 128 * 8448, MemoryBudget.activationBytes(spec, 16, 128));
    }

    @Test
    void samplingByHand() {
        GptSpec spec = new GptSpec(2, 4, 128, 128, 1024);
        // per position: keys and values of 2 layers (2 x 2 x 128 = 512) + 1024 logits = 1536 floats
        assertEquals(4.0 * (8 * 100 * 1536 + spec.paramCount()), MemoryBudget.samplingBytes(spec, 8, 100));
    }

    @Test
    void namesTheKeyThatDominates() {
        GptSpec deep = new GptSpec(1_000_000, 4, 128, 128, 1024);
        String model = assertThrows(ConfigException.class,
                () -> MemoryBudget.check(deep, 16, 128, "pretrain.batch_size", 3L << 30)).getMessage();
        assertTrue(model.startsWith("model.n_layer"), model);
        GptSpec tiny = new GptSpec(2, 4, 128, 128, 1024);
        String batch = assertThrows(ConfigException.class,
                () -> MemoryBudget.check(tiny, 200_000, 128, "pretrain.batch_size", 3L << 30)).getMessage();
        assertTrue(batch.startsWith("pretrain.batch_size (200000 sequences"), batch);
        assertTrue(batch.contains("RLHF4J_JAVA_OPTS"), batch);
        assertDoesNotThrow(() -> MemoryBudget.check(tiny, 16, 128, "pretrain.batch_size", 3L << 30));
        assertDoesNotThrow(() -> MemoryBudget.check(deep, 16, 128, "pretrain.batch_size", 0), "no cap, no check");
    }

    @Test
    void theShippedConfigsFitTheLaunchersCap() {
        long cap = 3L << 30;                                   // -Dorg.bytedeco.javacpp.maxbytes=3g
        assertDoesNotThrow(() -> MemoryBudget.check(new GptSpec(8, 4, 64, 128, 1024), 32, 128, "rm.batch_size", cap));
        assertDoesNotThrow(() -> MemoryBudget.check(new GptSpec(8, 4, 96, 128, 1024), 32, 128, "rm.batch_size", cap));
        assertDoesNotThrow(() -> MemoryBudget.check(new GptSpec(6, 6, 384, 256, 4096), 16, 256, "pretrain.batch_size",
                cap), "the 12.3M bench shape at the default pretraining batch");
    }

    @Test
    void aRunThatCannotFitIsRefusedBeforeItStarts(@TempDir Path tmp) throws Exception {
        MicroRun run = new MicroRun(tmp);
        MicroRun.Result deep = run.pretrain("--set", "model.n_layer=1000000");
        assertEquals(2, deep.code(), deep.err());
        assertTrue(deep.err().startsWith("error: model.n_layer"), deep.err());
        MicroRun.Result wide = run.pretrain("--set", "pretrain.batch_size=200000000");
        assertEquals(2, wide.code(), wide.err());
        assertTrue(wide.err().contains("pretrain.batch_size"), wide.err());
    }
}
