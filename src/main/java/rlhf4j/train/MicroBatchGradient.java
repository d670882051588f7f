package rlhf4j.train;

import java.io.Serializable;
import rlhf4j.model.Gpt;

/**
 * The loss and gradients of micro-batch {@code micro} of optimizer step {@code step}, as a pure function of the
 * model's parameters and those two numbers: the stage's data and settings travel with it (it is serialisable), so a
 * Spark executor can run it on its own copy of the model and give back the same bits this JVM would.
 */
@FunctionalInterface
public interface MicroBatchGradient extends Serializable {
    TrainingTask.MicroStep compute(Gpt gpt, int step, int micro);
}
