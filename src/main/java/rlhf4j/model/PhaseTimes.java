package rlhf4j.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall time of the named phases of a step (embedding gather, attention bias, graph execution,
 * gradient scatter, ...), summed over calls, for {@code ./train bench --profile}. {@link #OFF}
 * records nothing and costs one branch per phase; a recording instance is not thread-safe.
 */
public final class PhaseTimes {
    /** Records nothing. */
    public static final PhaseTimes OFF = new PhaseTimes(false);

    private final boolean on;
    private final Map<String, long[]> totals = new LinkedHashMap<>(); // phase → {nanos, calls}

    private PhaseTimes(boolean on) {
        this.on = on;
    }

    /** A recording instance. */
    public static PhaseTimes recording() {
        return new PhaseTimes(true);
    }

    /** A phase being timed: {@code try (PhaseTimes.Scope s = times.phase("name")) { ... }}. */
    public final class Scope implements AutoCloseable {
        private final String name;
        private final long startNanos;

        private Scope(String name, long startNanos) {
            this.name = name;
            this.startNanos = startNanos;
        }

        @Override
        public void close() {
            if (name != null) {
                stop(name, startNanos);
            }
        }
    }

    private final Scope none = new Scope(null, 0L);

    /** Starts timing {@code name} until the scope closes; allocates nothing when not recording. */
    public Scope phase(String name) {
        return on ? new Scope(name, System.nanoTime()) : none;
    }

    /** Runs {@code action} timed as {@code name}. */
    public void time(String name, Runnable action) {
        try (Scope s = phase(name)) {
            action.run();
        }
    }

    /** Ends a phase begun at {@code startNanos} and adds its time. */
    private void stop(String phase, long startNanos) {
        if (on) {
            long[] t = totals.computeIfAbsent(phase, k -> new long[2]);
            t[0] += System.nanoTime() - startNanos;
            t[1]++;
        }
    }

    /** Phase → {total nanoseconds, calls}, in first-seen order (a copy). */
    public Map<String, long[]> totals() {
        Map<String, long[]> copy = new LinkedHashMap<>();
        totals.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    public void clear() {
        totals.clear();
    }
}
