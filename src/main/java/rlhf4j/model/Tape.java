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
    private final List<Runnable> steps = new ArrayList<>();

    void record(Runnable backwardStep) {
        steps.add(backwardStep);
    }

    /** Replays the recorded steps in reverse; the tape is then empty. */
    void backward() {
        for (int i = steps.size() - 1; i >= 0; i--) {
            steps.get(i).run();
        }
        steps.clear();
    }
}
