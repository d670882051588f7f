package rlhf4j.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the micro-batches of one optimizer step are computed: here, one after another ({@link #local}), or on
 * Spark's executors ({@code rlhf4j.distributed.SparkMicroBatches}). Either way the results come back in
 * micro-batch order, which is the order {@link GradientStep} sums them in: the step's bits do not depend on where,
 * or on how many workers, computed them.
 */
public interface MicroBatchRunner extends AutoCloseable {
    /** Micro-steps {@code 0 .. micros-1} of {@code step}, in that order. */
    List<TrainingTask.MicroStep> run(int step, int micros);

    /** What the stage prints about where its micro-batches run (null: nothing, one JVM). */
    default String describe() {
        return null;
    }

    @Override
    default void close() {}

    /** The task's micro-batches in this JVM, on the driver's model. */
    static MicroBatchRunner local(TrainingTask task) {
        return (step, micros) -> {
            List<TrainingTask.MicroStep> out = new ArrayList<>(micros);
            for (int micro = 0; micro < micros; micro++) {
                out.add(task.microStep(step, micro));
            }
            return out;
        };
    }
}
