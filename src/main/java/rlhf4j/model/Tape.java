package rlhf4j.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Reverse-mode automatic differentiation for {@link KernelOps}: while the forward runs, each
 * operation records the step that turns its output's gradient into its inputs' gradients;
 * {@link #backward} runs those steps last to first. Because every operation is recorded after the
 * operations that produced its inputs, when a step runs, the gradient of its output is complete.
 */
final class Tape {
    private record Step(String phase, Runnable backward) {}

    private final List<Step> steps = new ArrayList<>();
    private final PhaseTimes times;

    /** @param times where each step's time goes, under its phase name ({@link PhaseTimes#OFF}: nowhere) */
    Tape(PhaseTimes times) {
        this.times = times;
    }

    void record(String phase, Runnable backwardStep) {
        steps.add(new Step(phase, backwardStep));
    }

    /** Replays the recorded steps in reverse; the tape is then empty. */
    void backward() {
        for (int i = steps.size() - 1; i >= 0; i--) {
            Step step = steps.get(i);
            times.time(step.phase(), step.backward());
        }
        steps.clear();
    }
}
