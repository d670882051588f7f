package rlhf4j.train;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What a gradient-trained stage gives the shared loop ({@link GradientStep}): gradients per micro-batch, evaluations, samples. */
public interface TrainingTask extends Evaluation {
    /** Loss and gradients of one micro-batch; must depend only on (step, micro) so resume is exact. */
    MicroStep microStep(int step, int micro);

    /**
     * The same micro-batches as a function an executor can run on its own copy of the model ({@link
     * MicroBatchGradient}), or null when this task can run in this JVM only (then a distributed run refuses it).
     */
    default MicroBatchGradient gradient() {
        return null;
    }

    /**
     * @param loss    the micro-batch's loss
     * @param grads   gradient per parameter name
     * @param tokens  tokens processed (for tokens/s)
     * @param metrics the task's own per-step numbers (e.g. RM accuracy), averaged over micro-batches
     *                into the step's metrics.csv row; the stage lists their names as columns
     */
    record MicroStep(double loss, Map<String, INDArray> grads, long tokens, Map<String, Double> metrics) {
        public MicroStep(double loss, Map<String, INDArray> grads, long tokens) {
            this(loss, grads, tokens, Map.of());
        }
    }
}
