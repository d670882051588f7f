package rlhf4j.generate;

import java.io.Serializable;

/**
 * How to pick the next token: temperature (0 = greedy), top-k (0 = off), nucleus top-p (1 = off),
 * and how many new tokens at most.
 */
public record SamplingParams(double temperature, int topK, double topP, int maxNewTokens) implements Serializable {
    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1]");
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max new tokens must be >= 0");
        }
    }

    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(0.0, 0, 1.0, maxNewTokens);
    }

    public boolean isGreedy() {
        return temperature == 0.0;
    }
}
