package rlhf4j.train;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.optim.AdamW;
import rlhf4j.optim.GradClip;

/**
 * One optimizer update as every stage makes it: clip the gradients to a global norm, apply the non-finite rule
 * ({@link NonFiniteException#check}: fail, or skip and count when the stage skips such updates), then one AdamW step.
 *
 * @param gradClip      the global norm to clip to; 0 = off
 * @param skipNonfinite skip a non-finite update instead of failing
 */
public record ClippedUpdate(AdamW optimizer, double gradClip, boolean skipNonfinite) {

    /** The gradients' norm before clipping, and what was wrong when the update was skipped (null: applied). */
    public record Result(double norm, String skipped) {
        public boolean applied() {
            return skipped == null;
        }
    }

    /**
     * @param step  the 0-based step, for the message
     * @param model what the loss belongs to, "" or e.g. "policy "
     */
    public Result apply(int step, String model, double loss, Map<String, INDArray> params, Map<String, INDArray> grads,
                        double lr) {
        double norm = GradClip.clipGlobalNorm(grads, gradClip);
        String problem = NonFiniteException.check(step + 1, model, loss, norm, skipNonfinite);
        if (problem == null) {
            optimizer.step(params, grads, lr);
        }
        return new Result(norm, problem);
    }
}
