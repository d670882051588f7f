package rlhf4j.stage.ppo;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import rlhf4j.checkpoint.Json;

/**
 * The KL coefficient β of the PPO reward {@code −β·KL}: either fixed, or adaptive (Ziegler et al. 2019,
 * as in TRL), which moves β so that the observed KL per response tracks a target. Its {@link #state()}
 * is saved with a PPO checkpoint and {@link #fromState} restores it, so a resumed run continues with
 * the very same β (a double survives the JSON round trip exactly).
 *
 * <p>Not thread-safe: one instance belongs to one training loop.
 */
public final class KlController {
    public static final String FIXED = "fixed";
    public static final String ADAPTIVE = "adaptive";
    /** The proportional error is clipped to ±this before it moves β. */
    public static final double MAX_ERROR = 0.2;

    private final boolean adaptive;
    private final double target;
    private final int horizon;
    private double beta;

    private KlController(boolean adaptive, double beta, double target, int horizon) {
        this.adaptive = adaptive;
        this.beta = beta;
        this.target = target;
        this.horizon = horizon;
    }

    /** A controller whose β never changes; {@code beta} finite and ≥ 0 (0 turns the KL penalty off). */
    public static KlController fixed(double beta) {
        if (!(beta >= 0.0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("KL beta must be finite and ≥ 0, got " + beta);
        }
        return new KlController(false, beta, Double.NaN, 0);
    }

    /**
     * An adaptive controller starting at {@code initBeta} (finite, &gt; 0) that steers the KL towards
     * {@code target} (finite, &gt; 0) over {@code horizon} (&gt; 0) steps; see {@link #update}.
     */
    public static KlController adaptive(double initBeta, double target, int horizon) {
        if (!(initBeta > 0.0) || Double.isInfinite(initBeta)) {
            throw new IllegalArgumentException("adaptive KL: initial beta must be finite and > 0, got " + initBeta);
        }
        if (!(target > 0.0) || Double.isInfinite(target)) {
            throw new IllegalArgumentException("adaptive KL: target must be finite and > 0, got " + target);
        }
        if (horizon <= 0) {
            throw new IllegalArgumentException("adaptive KL: horizon must be > 0, got " + horizon);
        }
        return new KlController(true, initBeta, target, horizon);
    }

    /** The current coefficient β. */
    public double beta() {
        return beta;
    }

    /** Whether β adapts ({@link #update} changes it). */
    public boolean isAdaptive() {
        return adaptive;
    }

    /** The KL target of an adaptive controller; NaN for a fixed one. */
    public double target() {
        return target;
    }

    /** The horizon of an adaptive controller; 0 for a fixed one. */
    public int horizon() {
        return horizon;
    }

    /**
     * Feeds the KL observed over the last {@code nSteps} steps (samples, as TRL counts them). Adaptive:
     * {@code e = clip(KL/target − 1, −0.2, 0.2)}, {@code β ← β·(1 + e·nSteps/horizon)}. Fixed: nothing
     * changes. {@code observedKl} must be finite (it may be negative, with the k1 estimator);
     * {@code nSteps ≥ 0}.
     */
    public void update(double observedKl, int nSteps) {
        if (!Double.isFinite(observedKl)) {
            throw new IllegalArgumentException("observed KL must be finite, got " + observedKl);
        }
        if (nSteps < 0) {
            throw new IllegalArgumentException("nSteps must be ≥ 0, got " + nSteps);
        }
        if (!adaptive) {
            return;
        }
        double error = Math.max(-MAX_ERROR, Math.min(MAX_ERROR, observedKl / target - 1.0));
        double mult = 1.0 + error * nSteps / horizon;
        beta *= mult;
    }

    /**
     * What {@link #fromState} needs, in a fixed key order: {@code kind} ("fixed" or "adaptive") and
     * {@code beta}; an adaptive controller adds {@code target} and {@code horizon}.
     */
    public Map<String, Object> state() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("kind", adaptive ? ADAPTIVE : FIXED);
        s.put("beta", beta);
        if (adaptive) {
            s.put("target", target);
            s.put("horizon", horizon);
        }
        return s;
    }

    /** Restores a controller from {@link #state()} (read back from JSON); see {@link #fromState(JsonNode)}. */
    public static KlController fromState(Map<String, Object> state) {
        if (state == null) {
            throw new IllegalArgumentException("KL controller state is missing");
        }
        return fromState(Json.parse(Json.toString(state)));
    }

    /**
     * Restores a controller from a JSON object written from {@link #state()}, with exactly its β. Missing,
     * mistyped, unknown or invalid fields throw {@link IllegalArgumentException}.
     */
    public static KlController fromState(JsonNode state) {
        if (state == null || !state.isObject()) {
            throw new IllegalArgumentException("KL controller state must be a JSON object, got " + state);
        }
        String kind = text(state, "kind");
        double beta = number(state, "beta");
        switch (kind) {
            case FIXED:
                allowOnly(state, Set.of("kind", "beta"));
                return fixed(beta);
            case ADAPTIVE:
                allowOnly(state, Set.of("kind", "beta", "target", "horizon"));
                JsonNode h = state.get("horizon");
                if (h == null || !h.isIntegralNumber() || !h.canConvertToInt()) {
                    throw new IllegalArgumentException("KL controller state: 'horizon' must be an int, got " + h);
                }
                return adaptive(beta, number(state, "target"), h.intValue());
            default:
                throw new IllegalArgumentException("KL controller state: unknown kind '" + kind
                        + "' (expected " + FIXED + " or " + ADAPTIVE + ")");
        }
    }

    private static String text(JsonNode state, String key) {
        JsonNode n = state.get(key);
        if (n == null || !n.isTextual()) {
            throw new IllegalArgumentException("KL controller state: '" + key + "' must be a string, got " + n);
        }
        return n.textValue();
    }

    private static double number(JsonNode state, String key) {
        JsonNode n = state.get(key);
        if (n == null || !n.isNumber()) {
            throw new IllegalArgumentException("KL controller state: '" + key + "' must be a number, got " + n);
        }
        return n.doubleValue();
    }

    private static void allowOnly(JsonNode state, Set<String> keys) {
        for (Iterator<String> it = state.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!keys.contains(key)) {
                throw new IllegalArgumentException("KL controller state: unexpected field '" + key
                        + "' (expected " + keys + ")");
            }
        }
    }

    @Override
    public String toString() {
        return adaptive
                ? "KlController[adaptive, beta=" + beta + ", target=" + target + ", horizon=" + horizon + "]"
                : "KlController[fixed, beta=" + beta + "]";
    }
}
