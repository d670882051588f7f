package rlhf4j.train;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;

/**
 * The two models every alignment stage (ppo, dpo, grpo) starts from: the policy it trains and the frozen reference it
 * is held to, both the checkpoint in {@code <stage>.init_from} (default: the run's sft folder), or, on resume, the
 * policy from the stage's own checkpoint and the reference from the folder that checkpoint recorded. The policy gets
 * its own copy of the weights, so training never moves the reference.
 *
 * @param init the folder the reference came from (recorded as {@code init_from} in the trainer state)
 * @param sft  that checkpoint (its tokenizer and spec are the run's)
 */
public record PolicyAndReference(Path init, StageCheckpoint.Loaded sft, Gpt policy, Gpt reference) {

    /**
     * @param previous the stage's own checkpoint when resuming, else null
     * @param initFrom the configured {@code <stage>.init_from} (empty: the run's sft folder)
     */
    public static PolicyAndReference load(ExperimentConfig config, String stage, String initFrom,
                                          StageCheckpoint.Loaded previous, Engine engine, PrintStream out) {
        Path init = previous != null ? Path.of(previous.trainerState().path("init_from").asText())
                : initFrom.isEmpty() ? StageDir.of(config.run(), "sft") : Path.of(initFrom);
        if (!StageCheckpoint.exists(init)) {
            throw new ConfigException(stage + ".init_from: " + init + " holds no checkpoint (run ./train sft first, or "
                    + "set " + stage + ".init_from)");
        }
        StageCheckpoint.Loaded sft = StageCheckpoint.load(init);
        if (!List.of("sft", stage).contains(sft.stage())) {
            out.printf("note: %s.init_from %s is a %s checkpoint, not sft%n", stage, init, sft.stage());
        }
        StageDir.checkBlockSize(config.model().blockSize(), sft.spec(), init);
        Gpt policy = new Gpt(sft.spec(), previous != null ? previous.params() : copy(sft.params()), engine);
        Gpt reference = new Gpt(sft.spec(), sft.params(), engine);
        return new PolicyAndReference(init, sft, policy, reference);
    }

    /** A deep copy of {@code params}, in order. */
    public static LinkedHashMap<String, INDArray> copy(Map<String, INDArray> params) {
        LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.dup('c')));
        return out;
    }
}
