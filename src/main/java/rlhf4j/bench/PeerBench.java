package rlhf4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import rlhf4j.config.BenchConfig;
import rlhf4j.config.ExperimentConfig;

/**
 * {@code ./train bench --peer}: our benchmark and the PyTorch peer ({@code bench/peer_torch.py}, the
 * same model and timed work as {@link Bench}) back to back on each configured shape, interleaved round by round
 * (ours, peer, next shape, ..., next round) so that both see the same machine load, then the best
 * of the rounds and the ratios ours / PyTorch for training and sampling tokens per second. Every
 * single measurement is printed as it happens, with the load average and the cores other
 * processes used, so a noisy round can be told apart. The peer runs with PyTorch's own thread
 * defaults: {@code OMP_NUM_THREADS} and {@code OPENBLAS_NUM_THREADS} are removed from its
 * environment (its pthread OpenBLAS then uses every core for GEMMs); {@code --peer-threads N} pins
 * it to N threads instead (torch's and OpenBLAS's), for a same-resources comparison. Peak resident
 * memory is reported for both: ours is this JVM's peak so far (shapes run smallest first, so the
 * last shape's figure is its own or an earlier, smaller shape's), the peer's is its process's.
 */
public final class PeerBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The repository's peer, found from the working directory upwards. */
    public static final String DEFAULT_SCRIPT = "bench/peer_torch.py";
    /**
     * The sampling prompt length peers use when not told: passed only when the config differs, so a
     * peer script that knows no {@code --gen_prompt_tokens} (an older one) still runs the bench shapes.
     */
    private static final int PEER_PROMPT_TOKENS = 8;

    private PeerBench() {}

    /** One shape's best figures over the rounds. */
    private static final class Best {
        final String name;
        double oursTrain;
        double oursGen;
        double peerTrain;
        double peerGen;
        double oursRss = Double.NaN;
        double peerRss = Double.NaN;
        double flopsPerToken;
        double peak;                                    // GFLOP/s of our products in the run's precision, best round

        double mfu(double tokensPerSecond) {
            return tokensPerSecond * flopsPerToken / 1e9 / peak;
        }

        Best(String name) {
            this.name = name;
        }
    }

    /**
     * @param configs bench configs, one per shape
     * @param python  the Python interpreter that has torch
     * @param script  peer_torch.py
     */
    public static void run(List<ExperimentConfig> configs, List<String> names, int rounds, String python, Path script,
                           int peerThreads, String peerPrecision, PrintStream out) {
        List<Best> best = new ArrayList<>();
        for (String name : names) {
            best.add(new Best(name));
        }
        for (int r = 1; r <= rounds; r++) {
            for (int i = 0; i < configs.size(); i++) {
                ExperimentConfig c = configs.get(i);
                Best b = best.get(i);
                double load = MachineLoad.loadAverage();
                Bench.Result ours = Bench.measure(c);
                b.oursTrain = Math.max(b.oursTrain, ours.trainTokensPerSecond());
                b.oursGen = Math.max(b.oursGen, ours.genTokensPerSecond());
                b.flopsPerToken = ours.flopsPerToken();
                b.peak = Math.max(b.peak, ours.peakGflops());
                if (ours.trainLine().get("peak_rss_mib") instanceof Number rss) {
                    b.oursRss = rss.doubleValue();
                }
                out.printf(Locale.ROOT, "round %d %-10s ours  train %9.1f tok/s  gen %8.1f tok/s  load %.2f  others %.2f cores%n",
                        r, b.name, ours.trainTokensPerSecond(), ours.genTokensPerSecond(), load,
                        ((Number) ours.trainLine().get("others_cores")).doubleValue());
                load = MachineLoad.loadAverage();
                MachineLoad others = MachineLoad.start();
                double[] peer = peer(c, python, script, peerThreads, peerPrecision);
                b.peerTrain = Math.max(b.peerTrain, peer[0]);
                b.peerGen = Math.max(b.peerGen, peer[1]);
                b.peerRss = Double.isNaN(b.peerRss) ? peer[2] : Math.max(b.peerRss, peer[2]);
                out.printf(Locale.ROOT, "round %d %-10s torch train %9.1f tok/s  gen %8.1f tok/s  load %.2f  others %.2f cores%n",
                        r, b.name, peer[0], peer[1], load, others.othersCores());
                out.flush();
            }
        }
        out.println();
        out.printf(Locale.ROOT, "best of %d rounds, ratio = ours (%s) / PyTorch %s (1.0 = parity); MFU against the "
                        + "best %s product rate this machine's bench measured%n", rounds,
                configs.get(0).model().precision().name(),
                peerPrecision.equals("bf16") ? "under torch.autocast(\"cpu\", dtype=torch.bfloat16)" : "in FP32",
                configs.get(0).model().precision().name());
        out.println("| shape | ours train tok/s | PyTorch train tok/s | train ratio | ours MFU | PyTorch MFU "
                + "| ours gen tok/s | PyTorch gen tok/s | gen ratio | ours peak RSS MiB | PyTorch peak RSS MiB |");
        out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (Best b : best) {
            out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f | **%.2f** | %.2f | %.2f | %,.0f | %,.0f | **%.2f** | %,.0f "
                            + "| %,.0f |%n", b.name, b.oursTrain, b.peerTrain, b.oursTrain / b.peerTrain,
                    b.mfu(b.oursTrain), b.mfu(b.peerTrain), b.oursGen, b.peerGen, b.oursGen / b.peerGen, b.oursRss,
                    b.peerRss);
        }
        out.flush();
    }

    /**
     * Runs the peer's script through {@code python -c}: the script as its own {@code __main__}, then one
     * more JSON line with the process's peak resident memory ({@code VmHWM}; not {@code ru_maxrss}, which on
     * Linux keeps the peak of the forked JVM from before the exec).
     */
    private static final String PEAK_RSS_WRAPPER = String.join("\n",
            "import json, runpy, sys",
            "sys.argv = sys.argv[1:]",
            "try:",
            "    runpy.run_path(sys.argv[0], run_name='__main__')",
            "finally:",
            "    hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')]",
            "    print(json.dumps({'peak_rss_mib': int(hwm[0]) / 1024 if hwm else None}))");

    /** Runs the peer on the config's shape in {@code precision} (fp32 or bf16): {train tokens/s, gen tokens/s, peak RSS MiB}. */
    private static double[] peer(ExperimentConfig c, String python, Path script, int threads, String precision) {
        BenchConfig bench = c.bench();
        List<String> cmd = new ArrayList<>(List.of(python, "-c", PEAK_RSS_WRAPPER, script.toString(),
                "--layers", String.valueOf(c.model().nLayer()), "--dim", String.valueOf(c.model().nEmbd()),
                "--heads", String.valueOf(c.model().nHead()), "--ctx", String.valueOf(c.model().blockSize()),
                "--batch", String.valueOf(bench.batchSize()), "--vocab", String.valueOf(c.tokenizer().vocabSize()),
                "--gen_batch", String.valueOf(bench.genBatch()), "--gen_tokens", String.valueOf(bench.genTokens()),

                "--steps", String.valueOf(Math.max(10, bench.steps()))));
        if (bench.genPromptTokens() != PEER_PROMPT_TOKENS) {
            cmd.addAll(List.of("--gen_prompt_tokens", String.valueOf(bench.genPromptTokens())));
        }
        if (threads > 0) {
            cmd.addAll(List.of("--threads", String.valueOf(threads)));
        }
        if (!precision.equals("fp32")) {
            cmd.addAll(List.of("--precision", precision));
        }
        double train = Double.NaN;
        double gen = Double.NaN;
        double rss = Double.NaN;
        Process p;
        String output;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            // the peer runs with PyTorch's own thread defaults, not the launcher's settings for ND4J,
            // unless a thread count is given
            pb.environment().remove("OMP_NUM_THREADS");
            pb.environment().remove("OPENBLAS_NUM_THREADS");
            if (threads > 0) {
                pb.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
                pb.environment().put("OPENBLAS_NUM_THREADS", String.valueOf(threads));
            }
            p = pb.start();
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("the peer failed (" + String.join(" ", cmd) + "):\n" + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run the peer: " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        for (String line : output.split("\n")) {
            if (!line.startsWith("{")) {
                continue;
            }
            try {
                JsonNode n = JSON.readTree(line);
                if (n.has("train_tokens_per_s")) {
                    train = n.get("train_tokens_per_s").asDouble();
                }
                if (n.has("gen_tokens_per_s")) {
                    gen = n.get("gen_tokens_per_s").asDouble();
                }
                if (n.path("peak_rss_mib").isNumber()) {
                    rss = n.get("peak_rss_mib").asDouble();
                }
            } catch (IOException e) {
                throw new IllegalStateException("unreadable peer output line: " + line, e);
            }
        }
        if (Double.isNaN(train) || Double.isNaN(gen)) {
            throw new IllegalStateException("the peer printed no figures:\n" + output);
        }
        return new double[] {train, gen, rss};
    }

    /** {@link #DEFAULT_SCRIPT} in the working directory or one of its parents, or null. */
    public static Path findScript() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve(DEFAULT_SCRIPT);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
            dir = dir.getParent();
        }
        return null;
    }
}
