package rlhf4j.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.autodiff.samediff.SameDiff;
import rlhf4j.config.BenchConfig;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.model.GptSpec;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.PhaseTimes;

/**
 * {@code ./train bench --profile}: where one benchmark training step's time goes. Runs the
 * bench's warm-up steps, then {@code bench.steps} steps with a SameDiff listener on the graph
 * ({@link OpTimes}) and the Java-side phases timed ({@link PhaseTimes}), and prints
 *
 * <ul>
 *   <li>the top op types by time inside the graph (forward and backward ops, e.g. {@code matmul}
 *       and {@code matmul_bp}), per step, with their share of the step;</li>
 *   <li>the graph executor's own time: the graph's wall time minus the time inside ops;</li>
 *   <li>the parts outside the graph: embedding gather and gradient scatter, attention bias,
 *       gradient clipping, AdamW, and (not part of the bench step, which builds them once) the
 *       LM targets a training stage builds every step;</li>
 *   <li>the same phases of KV-cache sampling.</li>
 * </ul>
 *
 * The listener adds a little time per op; the profiled step is a few per cent slower than an
 * unprofiled one.
 */
public final class BenchProfile {
    private BenchProfile() {}

    public static void run(ExperimentConfig config, int top, PrintStream out) {
        BenchConfig bench = config.bench();
        Bench.Fixture f = Bench.Fixture.of(config);
        GptSpec spec = f.gpt().spec();
        PhaseTimes phases = PhaseTimes.recording();
        Bench.StepRunner runner = new Bench.StepRunner(f, phases);
        Bench.warmUp(Math.max(1, bench.warmupSteps()), runner::step);
        SameDiff sd = f.gpt().graph(HeadRequest.lm(f.targets()), f.batch().batch(), f.batch().seqLen()).sameDiff();
        OpTimes ops = new OpTimes();
        sd.setListeners(ops);
        f.gpt().setPhaseTimes(phases);
        phases.clear();
        int steps = bench.steps();
        MachineLoad load = MachineLoad.start();
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            runner.step();
        }
        double stepMs = (System.nanoTime() - t0) / 1e6 / steps;
        double others = load.othersCores();
        sd.setListeners();
        f.gpt().setPhaseTimes(PhaseTimes.OFF);

        Map<String, long[]> phaseTotals = phases.totals();
        String graphPhase = "graph forward, graph (fwd+bwd)";
        double graphMs = (ms(phaseTotals.get("graph forward")) + ms(phaseTotals.get("graph (fwd+bwd)"))) / steps;
        double opsMs = ops.totalNanos() / 1e6 / steps;
        out.printf(Locale.ROOT, "profile: L=%d C=%d H=%d T=%d B=%d V=%d (%,d params), %d steps after %d warm-up, "
                        + "%d OpenMP thread(s), load average %.2f, other processes %.2f cores%n",
                spec.nLayer(), spec.nEmbd(), spec.nHead(), spec.blockSize(), bench.batchSize(), spec.vocabSize(),
                spec.paramCount(), steps, bench.warmupSteps(), Bench.threadsInEffect(), MachineLoad.loadAverage(),
                others);
        out.printf(Locale.ROOT, "engine %s; train step %.1f ms, of which in SameDiff graphs %.1f ms (inside ops %.1f ms, "
                + "executor %.1f ms)%n", f.gpt().engine(), stepMs, graphMs, opsMs, graphMs - opsMs);
        if (!ops.byType().isEmpty()) {
            out.println();
            out.printf(Locale.ROOT, "%-32s %10s %10s %7s%n", "op type (SameDiff, " + graphPhase + ")", "calls/step",
                    "ms/step", "share");
            List<Map.Entry<String, OpTimes.Entry>> sorted = new ArrayList<>(ops.byType().entrySet());
            sorted.sort((a, b) -> Long.compare(b.getValue().nanos, a.getValue().nanos));
            double shown = 0;
            for (int i = 0; i < Math.min(top, sorted.size()); i++) {
                OpTimes.Entry e = sorted.get(i).getValue();
                double ms = e.nanos / 1e6 / steps;
                shown += ms;
                row(out, sorted.get(i).getKey(), (double) e.calls / steps, ms, stepMs);
            }
            if (sorted.size() > top) {
                long calls = 0;
                for (int i = top; i < sorted.size(); i++) {
                    calls += sorted.get(i).getValue().calls;
                }
                row(out, "(" + (sorted.size() - top) + " other op types)", (double) calls / steps, opsMs - shown, stepMs);
            }
            long allCalls = 0;
            for (OpTimes.Entry e : ops.byType().values()) {
                allCalls += e.calls;
            }
            row(out, "executor, between ops", (double) allCalls / steps, graphMs - opsMs, stepMs);
        }
        out.println();
        out.printf(Locale.ROOT, "%-32s %10s %10s %7s%n", "outside SameDiff (Java, kernels)", "calls/step", "ms/step",
                "share");
        List<Map.Entry<String, long[]>> phaseList = new ArrayList<>(phaseTotals.entrySet());
        phaseList.removeIf(e -> e.getKey().equals("graph forward") || e.getKey().equals("graph (fwd+bwd)"));
        phaseList.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        double outside = 0;
        for (Map.Entry<String, long[]> e : phaseList) {
            double ms = ms(e.getValue()) / steps;
            outside += ms;
            row(out, e.getKey(), (double) e.getValue()[1] / steps, ms, stepMs);
        }
        row(out, "(untimed Java glue)", Double.NaN, stepMs - graphMs - outside, stepMs);

        PhaseTimes gen = PhaseTimes.recording();
        double genTokPerS = Bench.timeSampling(f.gpt(), bench, f.seed(), gen);
        double genMs = bench.genBatch() * bench.genTokens() / genTokPerS * 1000;
        out.println();
        out.printf(Locale.ROOT, "sampling %d x %d tokens: %.1f ms, %.1f tokens/s%n", bench.genBatch(),
                bench.genTokens(), genMs, genTokPerS);
        out.printf(Locale.ROOT, "%-32s %10s %10s %7s%n", "sampling phase", "calls", "ms", "share");
        for (Map.Entry<String, long[]> e : gen.totals().entrySet()) {
            row(out, e.getKey(), e.getValue()[1], ms(e.getValue()), genMs);
        }
        out.flush();
    }

    private static void row(PrintStream out, String name, double calls, double ms, double totalMs) {
        out.printf(Locale.ROOT, "%-32s %10s %10.2f %6.1f%%%n", name,
                Double.isNaN(calls) ? "" : calls == Math.rint(calls) ? String.valueOf((long) calls)
                        : String.format(Locale.ROOT, "%.1f", calls), ms, 100 * ms / totalMs);
    }

    private static double ms(long[] total) {
        return total == null ? 0 : total[0] / 1e6;
    }
}
