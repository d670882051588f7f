package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.stage.pretrain.MicroRun;
import rlhf4j.train.ChildJvm;

/**
 * The launcher passes a signal sent to its own pid on to java and returns java's exit code: a batch scheduler that
 * stops {@code ./train} stops the training, and no java process is left holding the stage lock.
 */
class LauncherSignalTest {
    @Test
    void sigtermToTheLauncherStopsJava(@TempDir Path tmp) throws Exception {
        MicroRun micro = new MicroRun(tmp);
        String[] settings = {"--set", "pretrain.max_steps=" + STEPS, "--set", "pretrain.eval_every=1000000",
            "--set", "pretrain.checkpoint_every=1000000"};
        List<String> args = new java.util.ArrayList<>(List.of("bash", Path.of("train").toAbsolutePath().toString(),
                "pretrain", "--config", micro.config.toString()));
        args.addAll(List.of(settings));
        ProcessBuilder pb = new ProcessBuilder(args);
        pb.environment().put("RLHF4J_CLASSPATH", ChildJvm.classPath());
        pb.environment().put("RLHF4J_JAVA_OPTS", "-Xmx512m");
        pb.redirectErrorStream(true).redirectOutput(tmp.resolve("out.txt").toFile());
        Process launcher = pb.start();
        Path metrics = micro.stageDir("micro").resolve("metrics.csv");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!(Files.exists(metrics) && Files.readAllLines(metrics).size() > 3)) {
            assertTrue(launcher.isAlive(), "the run is training: " + Files.readString(tmp.resolve("out.txt")));
            assertTrue(System.nanoTime() < deadline, "no training rows after 3 minutes");
            Thread.sleep(200);
        }
        List<ProcessHandle> java = launcher.descendants().filter(p -> p.info().command().orElse("").endsWith("java"))
                .toList();
        assertEquals(1, java.size(), "one java child: " + launcher.descendants().map(p -> p.info().command()).toList());

        ProcessHandle.of(launcher.pid()).orElseThrow().destroy();                  // SIGTERM to the launcher only
        assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), "the launcher returns");
        assertEquals(143, launcher.exitValue(), "java's exit code for SIGTERM: " + Files.readString(tmp.resolve("out.txt")));
        assertTrue(java.get(0).onExit().get(30, TimeUnit.SECONDS) != null);
        assertFalse(java.get(0).isAlive(), "java stopped with the launcher");

        // the stop came after a finished step, checkpointed although checkpoint_every is far away: nothing is lost
        Path dir = micro.stageDir("micro");
        int step = rlhf4j.checkpoint.StageCheckpoint.load(dir).trainerState().path("step").asInt();
        List<String> rows = Files.readAllLines(metrics);
        assertTrue(step >= 3, "checkpoint at step " + step);
        assertEquals(step, Integer.parseInt(rows.get(rows.size() - 1).split(",")[0]), "metrics end at the checkpoint");
        assertTrue(Files.readString(tmp.resolve("out.txt")).contains("stopped after step " + step + " by a signal"));
        assertTrue(step < STEPS, "stopped before the end, at " + step);
        List<String> resume = new java.util.ArrayList<>(List.of(settings));
        resume.add("--resume");
        MicroRun.Result resumed = micro.pretrain(resume.toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());

        List<String> straight = new java.util.ArrayList<>(List.of(settings));
        straight.addAll(List.of("--set", "run.name=straight"));
        assertEquals(0, micro.pretrain(straight.toArray(String[]::new)).code());
        assertArrayEquals(Files.readAllBytes(micro.stageDir("straight").resolve("model.safetensors")),
                Files.readAllBytes(dir.resolve("model.safetensors")), "signalled + resumed == uninterrupted, bitwise");
    }

    /**
     * SIGTERM while the label stage samples its candidates: nothing is judged yet, so it stops at the next batch
     * and exits 143 at once (it used to wait out the 120 s grace for a loop that never looked), leaving no run.
     */
    @Test
    void sigtermWhileTheLabelStageSamplesStopsItAtOnce(@TempDir Path tmp) throws Exception {
        MicroRun micro = new MicroRun(tmp);
        assertEquals(0, micro.pretrain("--set", "pretrain.max_steps=2", "--set", "model.block_size=64",
                "--set", "model.n_embd=32").code());
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 4000; i++) {
            rows.append("{\"prompt\": \"Say the word ").append(i).append("\", \"completion\": \"word\"}\n");
        }
        Path prompts = Files.writeString(tmp.resolve("prompts.jsonl"), rows.toString());
        List<String> args = new java.util.ArrayList<>(List.of("bash", Path.of("train").toAbsolutePath().toString(),
                "label", "--config", micro.config.toString(), "--set", "run.name=signal", "--set",
                "label.init_from=" + micro.stageDir("micro"), "--set", "label.data.prompts=" + prompts,
                "--set", "label.num_prompts=0", "--set", "label.max_new_tokens=40", "--set", "label.batch_size=2",
                "--set", "model.block_size=64"));
        ProcessBuilder pb = new ProcessBuilder(args);
        pb.environment().put("RLHF4J_CLASSPATH", ChildJvm.classPath());
        pb.environment().put("RLHF4J_JAVA_OPTS", "-Xmx512m");
        pb.redirectErrorStream(true).redirectOutput(tmp.resolve("out.txt").toFile());
        Process launcher = pb.start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.readString(tmp.resolve("out.txt")).contains("prompts answered")) {
            assertTrue(launcher.isAlive(), "the stage is sampling: " + Files.readString(tmp.resolve("out.txt")));
            assertTrue(System.nanoTime() < deadline, "no sampling progress after 3 minutes");
            Thread.sleep(100);
        }
        ProcessHandle.of(launcher.pid()).orElseThrow().destroy();
        assertTrue(launcher.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s, not after the 120 s grace: "
                + Files.readString(tmp.resolve("out.txt")));
        assertEquals(143, launcher.exitValue(), Files.readString(tmp.resolve("out.txt")));
        assertTrue(Files.readString(tmp.resolve("out.txt")).contains("label stopped by a signal while sampling"),
                Files.readString(tmp.resolve("out.txt")));
        assertFalse(Files.exists(tmp.resolve("ckpt/signal/label/candidates.jsonl")), "no half-made run");
    }

    /** Long enough that the signal lands mid-run (the micro model trains a few hundred steps a second). */
    private static final int STEPS = 6_000;

    @Test
    void exitCodesAndErrorLinesComeThroughTheLauncher(@TempDir Path tmp) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of("train").toAbsolutePath().toString(), "pretrain",
                "--config", tmp.resolve("missing.yaml").toString());
        pb.environment().put("RLHF4J_CLASSPATH", ChildJvm.classPath());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.startsWith("error: config file not found"), out);
        assertFalse(out.contains(ChildJvm.VECTOR_NOTICE), "the JVM's notice is filtered: " + out);
    }
}
