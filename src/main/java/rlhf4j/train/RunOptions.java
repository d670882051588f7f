package rlhf4j.train;

/**
 * How a stage job is asked to run.
 *
 * @param resume     continue from the stage folder's checkpoint
 * @param overwrite  start over even if the folder holds a checkpoint
 * @param stopAtStep checkpoint and stop after this step, as if interrupted; 0 = run to the end
 * @param preemption a stop requested by a signal: checkpoint after the current step and stop
 * @param acceptChanges resume even though run.seed or the training data changed since the checkpoint
 */
public record RunOptions(boolean resume, boolean overwrite, int stopAtStep, Preemption preemption,
                         boolean acceptChanges) {
    public RunOptions(boolean resume, boolean overwrite, int stopAtStep) {
        this(resume, overwrite, stopAtStep, Preemption.none(), false);
    }

    public RunOptions(boolean resume, boolean overwrite, int stopAtStep, Preemption preemption) {
        this(resume, overwrite, stopAtStep, preemption, false);
    }

    public static RunOptions fresh() {
        return new RunOptions(false, false, 0);
    }
}
