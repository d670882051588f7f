package rlhf4j.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.optim.AdamW;
import rlhf4j.optim.GradAccumulator;

/**
 * The step of pretrain, SFT and RM: the mean gradient of {@code gradAccumSteps} micro-batches of the
 * task (summed in micro-batch order, wherever the {@link MicroBatchRunner} computed them), clipped to a
 * global norm, then one AdamW update (or none, when the loss or norm is not finite and the stage skips
 * such updates).
 */
public final class GradientStep implements TrainingStep {
    private final MicroBatchRunner runner;
    private final Map<String, INDArray> params;
    private final ClippedUpdate update;
    private final int gradAccumSteps;
    private final GradAccumulator accumulator = new GradAccumulator();

    public GradientStep(TrainingTask task, Map<String, INDArray> params, AdamW optimizer, int gradAccumSteps,
                        double gradClip, boolean skipNonfinite) {
        this(MicroBatchRunner.local(task), params, optimizer, gradAccumSteps, gradClip, skipNonfinite);
    }

    /** With the micro-batches computed by {@code runner} (here, or on Spark's executors). */
    public GradientStep(MicroBatchRunner runner, Map<String, INDArray> params, AdamW optimizer, int gradAccumSteps,
                        double gradClip, boolean skipNonfinite) {
        this.runner = runner;
        this.params = params;
        this.update = new ClippedUpdate(optimizer, gradClip, skipNonfinite);
        this.gradAccumSteps = gradAccumSteps;
    }

    @Override
    public Outcome run(int step, double lr) {
        long start = System.nanoTime();
        accumulator.reset();
        double lossSum = 0;
        long tokens = 0;
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (TrainingTask.MicroStep ms : runner.run(step, gradAccumSteps)) {              // in micro-batch order
            accumulator.add(ms.grads());
            lossSum += ms.loss();
            tokens += ms.tokens();
            ms.metrics().forEach((k, v) -> metrics.merge(k, v / gradAccumSteps, Double::sum));
        }
        double loss = lossSum / gradAccumSteps;
        ClippedUpdate.Result update = this.update.apply(step, "", loss, params, accumulator.mean(), lr);
        double norm = update.norm();
        List<String> warnings = new ArrayList<>();
        int skipped = 0;
        if (!update.applied()) {
            skipped = 1;
            warnings.add("step " + (step + 1) + ": " + update.skipped() + ", update skipped");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Outcome(loss, norm, tokens, seconds, skipped, metrics, String.format("loss %.4f, ", loss),
                String.format("loss %.4f lr %.2e %.0f tok/s", loss, lr, tokens / seconds), warnings);
    }
}
