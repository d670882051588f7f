package rlhf4j.data;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import rlhf4j.tokenizer.Message;

/**
 * One prompt's comparisons for the reward model: the prompt conversation (ending with a user message), its K ≥ 2
 * candidate responses, and the pairs a labeler's judgement implies — each {@link Pair} says response
 * {@code better} beats response {@code worse} (indices into {@code responses}), by at least {@code margin}. A
 * ranking of K responses gives all K(K−1)/2 pairs; scores give one pair per two different scores; a preference
 * pair row is the K = 2 case with one pair. With the file and 1-based line it was read from. Serialisable (for Spark)
 * without the file, which a {@code Path} cannot be: it arrives with a null source.
 */
public record RankingExample(Path source, int line, List<Message> prompt, List<String> responses, List<Pair> pairs)
        implements Serializable {

    /** Response {@code better} is preferred to response {@code worse}, by at least {@code margin} (0 when none). */
    public record Pair(int better, int worse, double margin) implements Serializable {}

    public RankingExample {
        prompt = List.copyOf(prompt);
        responses = List.copyOf(responses);
        pairs = List.copyOf(pairs);
        if (prompt.isEmpty() || !prompt.get(prompt.size() - 1).role().equals(Message.USER)) {
            throw new IllegalArgumentException("a ranking's prompt must end with a user message");
        }
        if (responses.size() < 2) {
            throw new IllegalArgumentException("a ranking needs at least two responses");
        }
        for (Pair p : pairs) {
            Objects.checkIndex(p.better(), responses.size());
            Objects.checkIndex(p.worse(), responses.size());
            if (p.better() == p.worse()) {
                throw new IllegalArgumentException("a pair compares two different responses");
            }
        }
    }

    /** What a ranking sends: everything but its source file. */
    private record Sent(int line, List<Message> prompt, List<String> responses, List<Pair> pairs)
            implements Serializable {
        private Object readResolve() {
            return new RankingExample(null, line, prompt, responses, pairs);
        }
    }

    private Object writeReplace() {
        return new Sent(line, prompt, responses, pairs);
    }

    /** The K = 2 ranking of a preference pair: chosen (0) beats rejected (1) by the pair's margin. */
    public static RankingExample of(PreferenceExample pair) {
        return new RankingExample(pair.source(), pair.line(), pair.prompt(), List.of(pair.chosen(), pair.rejected()),
                List.of(new Pair(0, 1, pair.margin())));
    }

    /**
     * The best response: one that loses no pair and wins the most (the first such on a tie), or -1 when
     * the judgement gives no pair (all scores equal).
     */
    public int best() {
        int k = responses.size();
        int[] wins = new int[k];
        boolean[] lost = new boolean[k];
        for (Pair p : pairs) {
            wins[p.better()]++;
            lost[p.worse()] = true;
        }
        int best = -1;
        for (int i = 0; i < k; i++) {
            if (!lost[i] && wins[i] > 0 && (best < 0 || wins[i] > wins[best])) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The worst response: one that wins no pair and loses the most (the first on a tie), or -1 when the judgement
     * gives no pair.
     */
    public int worst() {
        int k = responses.size();
        int[] losses = new int[k];
        boolean[] won = new boolean[k];
        for (Pair p : pairs) {
            losses[p.worse()]++;
            won[p.better()] = true;
        }
        int worst = -1;
        for (int i = 0; i < k; i++) {
            if (!won[i] && losses[i] > 0 && (worst < 0 || losses[i] > losses[worst])) {
                worst = i;
            }
        }
        return worst;
    }
}
