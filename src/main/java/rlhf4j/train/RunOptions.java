package rlhf4j.train;

import rlhf4j.model.Engine;
import rlhf4j.nn.Precision;

/**
 * How a stage job is asked to run.
 *
 * @param engine     what the stage's FLOAT models compute with (the CLI reads the launcher's choice once, {@link
 *                   Engine#launcher})
 * @param resume     continue from the stage folder's checkpoint
 * @param overwrite  start over even if the folder holds a checkpoint
 * @param stopAtStep checkpoint and stop after this step, as if interrupted; 0 = run to the end
 * @param preemption a stop requested by a signal: checkpoint after the current step and stop
 * @param acceptChanges resume even though run.seed or the training data changed since the checkpoint
 */
public record RunOptions(boolean resume, boolean overwrite, int stopAtStep, Preemption preemption,
                         boolean acceptChanges, Engine engine) {
    public RunOptions(boolean resume, boolean overwrite, int stopAtStep) {
        this(resume, overwrite, stopAtStep, Preemption.none(), false, Engine.launcher());
    }

    public RunOptions(boolean resume, boolean overwrite, int stopAtStep, Preemption preemption) {
        this(resume, overwrite, stopAtStep, preemption, false, Engine.launcher());
    }

    /** These options with the engine's products in the run's precision ({@link Engine#at}: where the CPU has it). */
    public RunOptions at(Precision precision) {
        return new RunOptions(resume, overwrite, stopAtStep, preemption, acceptChanges, engine.at(precision));
    }

    public static RunOptions fresh() {
        return new RunOptions(false, false, 0);
    }
}
