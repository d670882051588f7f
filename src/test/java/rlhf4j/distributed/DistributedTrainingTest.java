package rlhf4j.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.stage.pretrain.MicroRun;

/** Smoke: pretraining through Spark local[2] ends with the bits of one JVM. */
class DistributedTrainingTest {
    @Test
    void pretrainOnLocalSparkEqualsOneJvm(@TempDir Path tmp) throws IOException {
        Files.createDirectories(Path.of(System.getenv("SPARK_HOME"), "jars"));
        MicroRun run = new MicroRun(tmp);
        MicroRun.Result one = run.pretrain("--set", "run.name=one", "--set", "pretrain.grad_accum_steps=2",
                "--set", "pretrain.max_steps=4");
        assertEquals(0, one.code(), one.err());
        MicroRun.Result two = run.pretrain("--set", "run.name=two", "--set", "pretrain.grad_accum_steps=2",
                "--set", "pretrain.max_steps=4", "--set", "distributed.master=" + System.getProperty("master", "local[2]"));
        assertEquals(0, two.code(), two.err());
        for (String f : new String[] {StageCheckpoint.MODEL, StageCheckpoint.OPTIMIZER}) {
            assertArrayEquals(Files.readAllBytes(run.stageDir("one").resolve(f)),
                    Files.readAllBytes(run.stageDir("two").resolve(f)), f);
        }
    }
}
