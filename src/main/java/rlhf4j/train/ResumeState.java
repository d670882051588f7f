package rlhf4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.io.DataException;
import rlhf4j.optim.AdamW;

/**
 * What a resumed run continues from, read strictly from a checkpoint before anything is written: the step,
 * the training time so far and the skipped steps of {@code trainer_state.json}, and the AdamW state of an
 * optimizer file checked against the model. A field that is missing, of the wrong type, out of range or
 * inconsistent with the config or the weights is bad input (exit 3) naming the file and the field, so an
 * edited or damaged state can never train with a negative learning rate or replace good weights.
 *
 * @param step           optimizer steps done, 0 ≤ step ≤ the config's max_steps
 * @param elapsedSeconds training time before this run, finite and ≥ 0
 * @param skippedSteps   steps skipped for non-finite values, 0 ≤ skipped ≤ step
 */
public record ResumeState(int step, double elapsedSeconds, int skippedSteps) {
    /** The trainer-state field of the updates skipped as non-finite. */
    public static final String SKIPPED = "skipped_steps";
    private static final String LEGACY_SKIPPED = "skipped";

    /**
     * Reads the fields of {@code dir}'s trainer state (the skipped updates from {@code skipped_steps},
     * or {@code skipped} in PPO checkpoints written before the stages shared one loop; absent means 0);
     * {@code maxStepsKey} is the config key the step must not exceed.
     */
    public static ResumeState read(Path dir, JsonNode state, String maxStepsKey, int maxSteps, long seed,
                                   boolean acceptChanges) {
        Path file = dir.resolve(StageCheckpoint.TRAINER_STATE);
        JsonNode saved = state.get("seed");
        if (saved == null || !saved.isIntegralNumber() || !saved.canConvertToLong()) {
            throw new DataException(file, "seed: must be the run's whole-number seed, got " + saved);
        }
        if (saved.asLong() != seed && !acceptChanges) {
            throw new ConfigException("run.seed: " + seed + " is not the seed " + saved.asLong() + " this checkpoint was "
                    + "trained with: a resumed run draws the same batches as an uninterrupted one only with its own "
                    + "seed (set run.seed=" + saved.asLong() + ", start a new run, or add --accept-changes)");
        }
        int step = integer(file, state, "step", 0, Integer.MAX_VALUE);
        if (step > maxSteps) {
            throw new ConfigException(maxStepsKey + ": " + maxSteps + " is less than the step " + step + " of "
                    + file + ": nothing to resume (raise it to train further)");
        }
        JsonNode e = state.get("elapsed_s");
        if (e == null || !e.isNumber() || !Double.isFinite(e.asDouble()) || e.asDouble() < 0) {
            throw new DataException(file, "elapsed_s: must be a number of seconds >= 0, got " + e);
        }
        String skippedKey = state.has(SKIPPED) || !state.has(LEGACY_SKIPPED) ? SKIPPED : LEGACY_SKIPPED;
        int skipped = state.has(skippedKey) ? integer(file, state, skippedKey, 0, step) : 0;
        return new ResumeState(step, e.asDouble(), skipped);
    }

    /**
     * Refuses to resume on other data than the checkpoint trained on ({@code data_sha256}, {@link DataFingerprint});
     * a checkpoint written before the fingerprint existed is not checked.
     */
    public static void checkData(Path dir, JsonNode state, String dataSha256, String dataKey, boolean acceptChanges) {
        JsonNode saved = state.get("data_sha256");
        if (saved != null && !saved.asText().equals(dataSha256) && !acceptChanges) {
            throw new ConfigException(dataKey + ": the training data is not the data " + dir + " was trained on (its "
                    + "SHA-256 changed): resuming would continue on other batches; restore the data, start over "
                    + "with --overwrite, or add --accept-changes");
        }
    }

    private static int integer(Path file, JsonNode state, String field, int min, int max) {
        JsonNode n = state.get(field);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw new DataException(file, field + ": must be a whole number from " + min + " to " + max + ", got " + n);
        }
        return (int) n.asLong();
    }

    /**
     * Checks an optimizer file's AdamW state against the model's parameters: one {@code step} entry, a whole
     * number from 0 to {@code maxUpdates}; for every parameter an {@code exp_avg.} and an {@code exp_avg_sq.}
     * entry of its shape, finite, the second never negative; nothing else.
     */
    public static void checkOptimizer(Path file, Map<String, INDArray> state, Map<String, INDArray> params,
                                      long maxUpdates) {
        INDArray s = state.get(AdamW.STEP_KEY);
        if (s == null || s.length() != 1) {
            throw new DataException(file, AdamW.STEP_KEY + ": missing (one whole number expected)");
        }
        double count = s.getDouble(0);
        if (count != Math.rint(count) || count < 0 || count > maxUpdates) {
            throw new DataException(file, AdamW.STEP_KEY + ": must be a whole number from 0 to " + maxUpdates
                    + " (the updates the trainer state allows), got " + count);
        }
        if (count == 0 && state.size() == 1) {
            return;                                            // no update has run yet: no moments
        }
        Set<String> expected = new HashSet<>();
        expected.add(AdamW.STEP_KEY);
        for (Map.Entry<String, INDArray> p : params.entrySet()) {
            for (String prefix : new String[] {AdamW.EXP_AVG, AdamW.EXP_AVG_SQ}) {
                String key = prefix + p.getKey();
                expected.add(key);
                INDArray m = state.get(key);
                if (m == null) {
                    throw new DataException(file, key + ": missing");
                }
                if (!Arrays.equals(m.shape(), p.getValue().shape())) {
                    throw new DataException(file, key + ": shape " + Arrays.toString(m.shape()) + " is not the "
                            + "parameter's " + Arrays.toString(p.getValue().shape()));
                }
                double sum = m.sumNumber().doubleValue();
                if (!Double.isFinite(sum) || (prefix.equals(AdamW.EXP_AVG_SQ) && m.minNumber().doubleValue() < 0)) {
                    throw new DataException(file, key + ": holds " + (Double.isFinite(sum) ? "negative" : "non-finite")
                            + " values");
                }
            }
        }
        for (String key : state.keySet()) {
            if (!expected.contains(key)) {
                throw new DataException(file, key + ": no parameter of the model has this entry");
            }
        }
    }
}
