package rlhf4j.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import rlhf4j.config.BenchConfig;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.generate.Sampler;
import rlhf4j.generate.SamplingParams;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptSpec;
import rlhf4j.loss.Losses;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.PhaseTimes;
import rlhf4j.model.TokenBatch;
import rlhf4j.nn.Gemm;
import rlhf4j.nn.Matmuls;
import rlhf4j.optim.AdamW;
import rlhf4j.optim.GradClip;

/**
 * Throughput benchmark, the counterpart of {@code bench/peer_torch.py}: the same work timed
 * the same way, printed as JSON lines with the peer's keys so the two can be compared directly.
 *
 * <ul>
 *   <li>Training: a FLOAT GPT of the configured shape (vocab = {@code tokenizer.vocab_size},
 *       context = {@code model.block_size}) on fixed random tokens and targets; one step is
 *       forward + backward of the LM loss, global-norm clipping to 1.0 and an AdamW update
 *       (lr 3e-4, weight decay 0.01 on every parameter, PyTorch's defaults). {@code
 *       bench.warmup_steps} untimed steps (and at least {@link #WARMUP_SECONDS} of them, for the
 *       JIT), then {@code bench.steps} timed ones.</li>
 *   <li>FLOPs per step = 6·params·tokens + 12·L·C·T·tokens (parameters plus attention), as the
 *       peer counts; {@code mfu} divides the achieved rate by the best of a few FLOAT 2048×2048
 *       GEMMs through ND4J.</li>
 *   <li>Sampling: KV-cache generation of {@code bench.gen_batch} prompts of {@code
 *       bench.gen_prompt_tokens} random tokens plus {@code bench.gen_tokens} new tokens each
 *       (temperature 1, no top-k/top-p, no stop token); untimed generations first (at least one,
 *       and for at least {@link #WARMUP_SECONDS}).</li>
 * </ul>
 *
 * Threads are not set here: the launcher's environment ({@code OMP_NUM_THREADS}) decides, and the
 * count in effect is reported.
 */
public final class Bench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double LR = 3e-4;
    private static final double WEIGHT_DECAY = 0.01;
    private static final double CLIP_NORM = 1.0;
    private static final int PEAK_N = 2048;
    private static final int PEAK_REPEATS = 5;
    private static final int PAD_TOKEN = 1;
    static final double WARMUP_SECONDS = 5.0;

    private Bench() {}

    /** Runs both benchmarks, prints one JSON line per figure to {@code out} and returns the lines. */
    public static List<String> run(ExperimentConfig config, PrintStream out) {
        Result r = measure(config);
        List<String> lines = new ArrayList<>();
        emit(r.trainLine(), out, lines);
        emit(r.genLine(), out, lines);
        return lines;
    }

    /**
     * One measurement of both figures, with how busy the rest of the machine was meanwhile
     * ({@code others_cores}: cores used by other processes, from {@code /proc}).
     */
    public record Result(Map<String, Object> trainLine, Map<String, Object> genLine) {
        public double trainTokensPerSecond() {
            return ((Number) trainLine.get("train_tokens_per_s")).doubleValue();
        }

        public double genTokensPerSecond() {
            return ((Number) genLine.get("gen_tokens_per_s")).doubleValue();
        }

        /** Training FLOPs per token of this shape (the same work the peer does). */
        public double flopsPerToken() {
            return ((Number) trainLine.get("train_gflops")).doubleValue() * 1e9 / trainTokensPerSecond();
        }

        /** The machine's best product rate in the run's precision, GFLOP/s: what MFU is against. */
        public double peakGflops() {
            return ((Number) trainLine.get("peak_gflops")).doubleValue();
        }
    }

    public static Result measure(ExperimentConfig config) {
        // start from a collected heap: native buffers of an earlier measurement in this JVM (--peer
        // rounds) are freed only when their Java wrappers are collected
        System.gc();
        BenchConfig bench = config.bench();
        Fixture f = Fixture.of(config);
        GptSpec spec = f.gpt.spec();

        MachineLoad load = MachineLoad.start();
        Train train = timeTraining(f, bench);
        double trainOthers = load.othersCores();
        double peak = peakGflops(Matmuls.of(f.gpt.engine().precision()));
        Map<String, Object> trainLine = new LinkedHashMap<>();
        trainLine.put("bench", "rlhf4j");
        trainLine.put("params", spec.paramCount());
        trainLine.put("threads", threadsInEffect());
        trainLine.put("precision", f.gpt.engine().precision().name().toLowerCase(Locale.ROOT));
        trainLine.put("matmul", f.gpt.engine().products());
        trainLine.put("train_ms_per_step", round(train.secondsPerStep * 1000));
        trainLine.put("train_tokens_per_s", round(train.tokens / train.secondsPerStep, 1));
        trainLine.put("train_gflops", round(train.gflops()));
        trainLine.put("peak_gflops", round(peak));
        trainLine.put("mfu", round(train.gflops() / peak, 3));
        trainLine.put("others_cores", round(trainOthers));
        trainLine.put("load1", MachineLoad.loadAverage());
        double peakRss = MachineLoad.peakRssMib();     // the process's peak so far: this shape or an earlier one
        if (Double.isFinite(peakRss)) {
            trainLine.put("peak_rss_mib", round(peakRss, 0));
        }

        load = MachineLoad.start();
        double genTokensPerSecond = timeSampling(f.gpt, bench, f.seed, PhaseTimes.OFF);
        Map<String, Object> genLine = new LinkedHashMap<>();
        genLine.put("bench", "rlhf4j");
        genLine.put("gen_tokens_per_s", round(genTokensPerSecond, 1));
        genLine.put("gen_batch", bench.genBatch());
        genLine.put("gen_tokens", bench.genTokens());
        genLine.put("others_cores", round(load.othersCores()));
        genLine.put("load1", MachineLoad.loadAverage());
        return new Result(trainLine, genLine);
    }

    /**
     * The benchmark's model and fixed inputs: a FLOAT GPT of the configured shape, random tokens
     * and targets, the LM head's placeholders (built once, as the peer builds its targets once).
     */
    record Fixture(Gpt gpt, TokenBatch batch, int[] targets, double[] weight, long seed) {
        static Fixture of(ExperimentConfig config) {
            GptSpec spec = config.model().spec(config.tokenizer().vocabSize());
            long seed = config.run().seed();
            Gpt gpt = Gpt.create(spec, DataType.FLOAT, seed, config.model().initStd());
            gpt.setEngine(gpt.engine().at(config.model().precision()));
            int b = config.bench().batchSize();
            int t = spec.blockSize();
            int v = spec.vocabSize();
            Random rng = new Random(seed);
            int[][] rows = new int[b][t];                                                 // [B][T]
            int[] targets = new int[b * t];                                               // [B*T]
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    rows[i][j] = rng.nextInt(v);
                    targets[i * t + j] = rng.nextInt(v);
                }
            }
            return new Fixture(gpt, TokenBatch.causal(rows), targets, Losses.uniformWeights(b * t), seed); // weight [B*T]
        }
    }

    private record Train(double secondsPerStep, long tokens, double flopsPerStep) {
        double gflops() {
            return flopsPerStep / secondsPerStep / 1e9;
        }
    }

    private static Train timeTraining(Fixture f, BenchConfig bench) {
        GptSpec spec = f.gpt.spec();
        StepRunner runner = new StepRunner(f, PhaseTimes.OFF);
        warmUp(bench.warmupSteps(), runner::step);
        long t0 = System.nanoTime();
        for (int i = 0; i < bench.steps(); i++) {
            runner.step();
        }
        double seconds = (System.nanoTime() - t0) / 1e9 / bench.steps();
        long tokens = (long) bench.batchSize() * spec.blockSize();
        double flops = spec.trainFlopsPerToken(spec.blockSize()) * tokens;
        return new Train(seconds, tokens, flops);
    }

    /** One benchmark training step: fwd + bwd, clipping, AdamW, reading the loss; phases timed into {@code times}. */
    static final class StepRunner {
        private final Fixture f;
        private final PhaseTimes times;
        private final AdamW adamW = new AdamW(0.9, 0.999, 1e-8, WEIGHT_DECAY, null);

        StepRunner(Fixture f, PhaseTimes times) {
            this.f = f;
            this.times = times;
        }

        void step() {
            Gpt.Step step = f.gpt.forwardBackward(HeadRequest.lm(f.targets), f.batch,
                    out -> Losses.lm(out.logp(), f.weight));
            times.time("grad clip", () -> GradClip.clipGlobalNorm(step.grads(), CLIP_NORM));
            times.time("AdamW", () -> adamW.step(f.gpt.params(), step.grads(), LR));
            if (!Double.isFinite(step.loss().value())) {
                throw new IllegalStateException("the bench loss is not finite: " + step.loss().value());
            }
        }
    }

    /**
     * Runs {@code action} at least {@code times} times and for at least {@link #WARMUP_SECONDS}:
     * the JIT compiles the Java kernels (Vector API code is slow until C2 has compiled it) during
     * the first seconds — measured on the 0.44M shape with a core taken by another job: 37 ms/step
     * after 2 s of warm-up, 22.5 ms after 4 s and after 10 s. A training run lasts thousands of
     * steps, so the bench, like the peer, times the steady state.
     */
    static void warmUp(int times, Runnable action) {
        long t0 = System.nanoTime();
        for (int i = 0; i < times || System.nanoTime() - t0 < WARMUP_SECONDS * 1e9; i++) {
            action.run();
        }
    }

    /**
     * Best GEMM rate in GFLOP/s over a few n×n FLOAT products (n = 2048) through the products the kernels use in
     * the run's precision: the peak its MFU is against.
     */
    private static double peakGflops(Gemm gemm) {
        INDArray a = Nd4j.rand(DataType.FLOAT, PEAK_N, PEAK_N);                          // [n, n]
        INDArray bm = Nd4j.rand(DataType.FLOAT, PEAK_N, PEAK_N);                         // [n, n]
        INDArray c = Nd4j.create(DataType.FLOAT, PEAK_N, PEAK_N);                        // [n, n]
        gemm.gemm(a, false, bm, false, c, 1f, 0f); // warm-up
        double best = Double.MAX_VALUE;
        for (int i = 0; i < PEAK_REPEATS; i++) {
            long t0 = System.nanoTime();
            gemm.gemm(a, false, bm, false, c, 1f, 0f);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return 2.0 * PEAK_N * PEAK_N * PEAK_N / best / 1e9;
    }

    /** New tokens per second of KV-cache sampling, after the warm-up generations. */
    static double timeSampling(Gpt gpt, BenchConfig bench, long seed, PhaseTimes times) {
        GptSpec spec = gpt.spec();
        Random rng = new Random(seed + 1);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < bench.genBatch(); i++) {
            int[] prompt = new int[bench.genPromptTokens()];                              // [P]
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = rng.nextInt(spec.vocabSize());
            }
            prompts.add(prompt);
        }
        Sampler sampler = new Sampler(gpt.decoder(), PAD_TOKEN);
        SamplingParams params = new SamplingParams(1.0, 0, 1.0, bench.genTokens());
        warmUp(1, () -> sampler.generate(prompts, params, rng, token -> false));
        sampler.setPhaseTimes(times);
        long t0 = System.nanoTime();
        List<Sampler.Generation> generations = sampler.generate(prompts, params, rng, token -> false);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long produced = 0;
        for (Sampler.Generation g : generations) {
            produced += g.tokens().length;
        }
        return produced / seconds;
    }

    /** The OpenMP thread count libnd4j runs its ops with. */
    static int threadsInEffect() {
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    private static void emit(Map<String, Object> line, PrintStream out, List<String> lines) {
        String json;
        try {
            json = JSON.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.println(json);
        out.flush();
        lines.add(json);
    }

    static double round(double x) {
        return round(x, 2);
    }

    private static double round(double x, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(x * scale) / scale;
    }
}
