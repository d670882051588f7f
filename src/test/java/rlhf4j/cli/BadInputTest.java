package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.stage.pretrain.MicroRun;

/**
 * Bad input never crashes with a stack trace: one line {@code error: ...} naming the file (and line)
 * or the key, exit 2 for usage/config and 3 for data, and the last good checkpoint stays as it was.
 */
class BadInputTest {
    private static void assertOneLineError(MicroRun.Result r, int code, String... fragments) {
        assertEquals(code, r.code(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertTrue(lines[0].startsWith("error: "), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "expected '" + f + "' in: " + r.err());
        }
    }

    @Test
    void unknownConfigKeyIsAUsageError(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertOneLineError(run.pretrain("--set", "pretrain.max_stepz=3"), 2, "pretrain.max_stepz");
    }

    @Test
    void impossibleModelShapeNamesTheKeys(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertOneLineError(run.pretrain("--set", "model.n_head=3"), 2, "model.n_embd", "model.n_head");
    }

    @Test
    void missingConfigFile(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertOneLineError(run.train("pretrain", "--config", tmp.resolve("nope.yaml").toString()), 2, "nope.yaml");
    }

    @Test
    void missingCorpusFile(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertOneLineError(run.pretrain("--set", "pretrain.data.train=" + tmp.resolve("missing.txt")), 3, "missing.txt");
    }

    @Test
    void emptyCorpusFile(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "");
        assertOneLineError(run.pretrain("--set", "pretrain.data.train=" + empty), 3, "empty.txt", "empty");
    }

    @Test
    void invalidUtf8NamesFileAndLine(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        Path bad = tmp.resolve("bad.txt");
        Files.write(bad, new byte[] {'o', 'k', '\n', 'f', 'i', 'n', 'e', '\n', (byte) 0xC3, (byte) 0x28, '\n'});
        assertOneLineError(run.pretrain("--set", "pretrain.data.train=" + bad), 3, "bad.txt:3", "UTF-8");
    }

    @Test
    void blockSizeLargerThanTheData(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        Path small = Files.writeString(tmp.resolve("small.txt"), "A short text of a few words only.\n");
        assertOneLineError(run.pretrain("--set", "pretrain.data.train=" + small), 3, "small.txt", "block_size");
    }

    @Test
    void resumeWithoutCheckpointAndRestartOverOne(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertOneLineError(run.pretrain("--resume"), 2, "no checkpoint");
        assertEquals(0, run.pretrain("--set", "pretrain.max_steps=4").code());
        assertOneLineError(run.pretrain("--set", "pretrain.max_steps=4"), 2, "--resume", "--overwrite");
    }

    @Test
    void badDataNeverTouchesTheLastGoodCheckpoint(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertEquals(0, run.pretrain("--set", "pretrain.max_steps=4").code());
        Path weights = run.stageDir("micro").resolve("model.safetensors");
        byte[] before = Files.readAllBytes(weights);
        Path bad = tmp.resolve("bad.txt");
        Files.write(bad, new byte[] {(byte) 0xFF, (byte) 0xFE, 'x'});
        assertOneLineError(run.pretrain("--overwrite", "--set", "pretrain.data.train=" + bad), 3, "bad.txt:1");
        assertOneLineError(run.pretrain("--resume", "--set", "pretrain.data.train=" + bad), 3, "bad.txt");
        assertArrayEquals(before, Files.readAllBytes(weights));
    }

    @Test
    void corruptCheckpointIsBadData(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertEquals(0, run.pretrain("--set", "pretrain.max_steps=3").code());
        Path weights = run.stageDir("micro").resolve("model.safetensors");
        Files.write(weights, new byte[] {1, 2, 3});
        assertOneLineError(run.train("sample", "--checkpoint", run.stageDir("micro").toString(), "--prompt", "x"), 3,
                "model.safetensors");
    }

    @Test
    void unknownOptionIsAUsageError(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertOneLineError(run.pretrain("--bogus"), 2, "--bogus");
    }

    @Test
    void malformedSftDataNamesFileAndLineBeforeTraining(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertEquals(0, run.pretrain("--set", "pretrain.max_steps=3").code());
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\"\n");
        MicroRun.Result r = run.train("sft", "--config", run.config.toString(), "--set", "sft.data.train=" + bad);
        assertOneLineError(r, 3, "bad.jsonl:2");
        assertFalse(Files.exists(tmp.resolve("ckpt/micro/sft/model.safetensors")));
    }
}
