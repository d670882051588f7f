package rlhf4j.generate;

import java.util.Arrays;
import java.util.Random;

/**
 * Turns one row of logits into a token: divide by the temperature, keep the top-k and the smallest
 * set whose probability reaches top-p, renormalise, draw. Also reports the log-probability of the
 * chosen token under the temperature-scaled (unfiltered) distribution, which PPO compares with the
 * training graph's. With no top-k and top-p = 1 nothing is sorted: the draw walks the vocabulary
 * once.
 */
final class TokenPicker {
    private TokenPicker() {}

    record Pick(int token, double logProb) {}

    static Pick pick(double[] logits, SamplingParams params, Random rng) {
        int v = logits.length;
        double temperature = params.isGreedy() ? 1.0 : params.temperature();
        double[] scaled = new double[v];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) {
            scaled[i] = logits[i] / temperature;
            max = Math.max(max, scaled[i]);
        }
        double[] weights = new double[v];                       // exp(scaled - max), unnormalised
        double sum = 0;
        for (int i = 0; i < v; i++) {
            weights[i] = Math.exp(scaled[i] - max);
            sum += weights[i];
        }
        double logZ = max + Math.log(sum);
        int token;
        if (params.isGreedy()) {
            token = argmax(scaled);
        } else if (params.topK() == 0 && params.topP() >= 1.0) {
            token = drawUnfiltered(weights, sum, rng);       // nothing to filter: no sort
        } else {
            token = draw(scaled, logZ, params, rng);
        }
        return new Pick(token, scaled[token] - logZ);
    }

    /** A draw from the whole distribution, in vocabulary order: one uniform number, one pass. */
    private static int drawUnfiltered(double[] weights, double sum, Random rng) {
        double u = rng.nextDouble() * sum;
        int last = 0;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] > 0) {
                last = i;
                u -= weights[i];
                if (u <= 0) {
                    return i;
                }
            }
        }
        return last; // rounding left u above 0: the last token with any weight
    }

    private static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The tokens a filtered draw chooses from, most probable first, with their probabilities under the
     * temperature-scaled distribution (not yet renormalised): the top-k (all when k = 0), cut after the
     * first token at which their cumulative probability reaches top-p.
     */
    record Kept(int[] tokens, double[] probs) {
        /** The distribution a draw follows: the kept probabilities renormalised, as token → probability [V]. */
        double[] renormalised(int vocab) {
            double total = 0;
            for (double p : probs) {
                total += p;
            }
            double[] out = new double[vocab];
            for (int r = 0; r < tokens.length; r++) {
                out[tokens[r]] = probs[r] / total;
            }
            return out;
        }
    }

    /** {@link Kept} for logits already divided by the temperature, with their log-normaliser logZ. */
    static Kept kept(double[] scaled, double logZ, SamplingParams params) {
        int v = scaled.length;
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scaled[b], scaled[a]));
        int keep = params.topK() > 0 ? Math.min(params.topK(), v) : v;
        double[] probs = new double[keep];
        double cumulative = 0;
        int kept = 0;
        for (int r = 0; r < keep; r++) {
            probs[r] = Math.exp(scaled[order[r]] - logZ);
            cumulative += probs[r];
            kept = r + 1;
            if (cumulative >= params.topP()) {
                break;
            }
        }
        int[] tokens = new int[kept];
        for (int r = 0; r < kept; r++) {
            tokens[r] = order[r];
        }
        return new Kept(tokens, Arrays.copyOf(probs, kept));
    }

    private static int draw(double[] scaled, double logZ, SamplingParams params, Random rng) {
        Kept k = kept(scaled, logZ, params);
        double total = 0;
        for (double p : k.probs()) {
            total += p;
        }
        double u = rng.nextDouble() * total;
        for (int r = 0; r < k.tokens().length; r++) {
            u -= k.probs()[r];
            if (u <= 0) {
                return k.tokens()[r];
            }
        }
        return k.tokens()[k.tokens().length - 1];
    }
}
