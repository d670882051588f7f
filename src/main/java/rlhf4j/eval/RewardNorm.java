package rlhf4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import rlhf4j.checkpoint.Json;
import rlhf4j.io.DataException;

/**
 * The affine map applied to a reward model's raw score, {@code r = gain · raw + bias}, fitted after
 * training so that the rewards of a reference set (the training pairs' chosen responses) have mean 0
 * and standard deviation 1, as InstructGPT normalises its RM before PPO. Stored as
 * {@code reward_norm.json} in the rm folder; {@code count == 0} marks the identity (not fitted).
 *
 * @param gain      1 / std of the reference raw scores (1 when they are all equal)
 * @param bias      −mean · gain
 * @param rawMean   mean of the reference raw scores
 * @param rawStd    population standard deviation of the reference raw scores
 * @param count     reference scores the fit used
 * @param reference what the reference set was, in words
 */
public record RewardNorm(double gain, double bias, double rawMean, double rawStd, int count, String reference) {
    public static final String FILE = "reward_norm.json";

    public RewardNorm {
        if (!(gain > 0) || !Double.isFinite(gain) || !Double.isFinite(bias)) {
            throw new IllegalArgumentException("reward normalisation needs a finite positive gain and a finite bias");
        }
    }

    public static RewardNorm identity() {
        return new RewardNorm(1.0, 0.0, 0.0, 1.0, 0, "none (raw scores)");
    }

    /** The map taking {@code raw} to mean 0, standard deviation 1. */
    public static RewardNorm fit(double[] raw, String reference) {
        double mean = RankingMetrics.mean(raw);
        double std = RankingMetrics.std(raw);
        double gain = std > 0 ? 1.0 / std : 1.0;
        return new RewardNorm(gain, -mean * gain, mean, std, raw.length, reference);
    }

    public boolean fitted() {
        return count > 0;
    }

    public double apply(double raw) {
        return gain * raw + bias;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gain", gain);
        m.put("bias", bias);
        m.put("raw_mean", rawMean);
        m.put("raw_std", rawStd);
        m.put("count", count);
        m.put("reference", reference);
        m.put("rule", "reward = gain * raw_score + bias");
        return m;
    }

    public void write(Path dir) {
        Path file = dir.resolve(FILE);
        try {
            Json.write(file, toMap());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The normalisation stored in {@code dir}, or the identity when there is none. */
    public static RewardNorm read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            return identity();
        }
        try {
            JsonNode n = Json.readTree(file);
            for (String key : new String[] {"gain", "bias", "raw_mean", "raw_std", "count"}) {
                if (!n.path(key).isNumber()) {
                    throw new DataException(file, "missing or non-numeric \"" + key + "\"");
                }
            }
            return new RewardNorm(n.get("gain").asDouble(), n.get("bias").asDouble(), n.get("raw_mean").asDouble(),
                    n.get("raw_std").asDouble(), n.get("count").asInt(), n.path("reference").asText(""));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (IllegalArgumentException e) {
            throw new DataException(file, e.getMessage());
        }
    }
}
