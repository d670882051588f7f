package rlhf4j.model;

import java.util.List;

/**
 * Any engine's {@link Ops}, each call timed under "fwd: <operation>" ({@code ./train bench
 * --profile}); the maths stays free of timing code. {@link #of} returns the engine itself when
 * nothing is recorded.
 */
final class TimedOps<T> implements Ops<T> {
    private final Ops<T> inner;
    private final PhaseTimes times;

    private TimedOps(Ops<T> inner, PhaseTimes times) {
        this.inner = inner;
        this.times = times;
    }

    static <T> Ops<T> of(Ops<T> ops, PhaseTimes times) {
        return times == PhaseTimes.OFF ? ops : new TimedOps<>(ops, times);
    }

    @Override
    public T param(String name) {
        return inner.param(name);
    }

    @Override
    public T embed(String tokenTable, String positionTable) {
        try (PhaseTimes.Scope s = times.phase("fwd: embedding")) {
            return inner.embed(tokenTable, positionTable);
        }
    }

    @Override
    public T linear(T x, T w, T b) {
        try (PhaseTimes.Scope s = times.phase("fwd: linear")) {
            return inner.linear(x, w, b);
        }
    }

    @Override
    public List<T> split(T x, int... widths) {
        try (PhaseTimes.Scope s = times.phase("fwd: split")) {
            return inner.split(x, widths);
        }
    }

    @Override
    public T layerNorm(T x, T gain, T bias, double eps) {
        try (PhaseTimes.Scope s = times.phase("fwd: layer norm")) {
            return inner.layerNorm(x, gain, bias, eps);
        }
    }

    @Override
    public T rmsNorm(T x, T gain) {
        try (PhaseTimes.Scope s = times.phase("fwd: rms norm")) {
            return inner.rmsNorm(x, gain);
        }
    }

    @Override
    public T rotary(T x, int heads) {
        try (PhaseTimes.Scope s = times.phase("fwd: rotary")) {
            return inner.rotary(x, heads);
        }
    }

    @Override
    public T gelu(T x) {
        try (PhaseTimes.Scope s = times.phase("fwd: gelu")) {
            return inner.gelu(x);
        }
    }

    @Override
    public T geluTanh(T x) {
        try (PhaseTimes.Scope s = times.phase("fwd: gelu")) {
            return inner.geluTanh(x);
        }
    }

    @Override
    public T swiglu(T gate, T up) {
        try (PhaseTimes.Scope s = times.phase("fwd: swiglu")) {
            return inner.swiglu(gate, up);
        }
    }

    @Override
    public T add(T x, T y) {
        try (PhaseTimes.Scope s = times.phase("fwd: add")) {
            return inner.add(x, y);
        }
    }

    @Override
    public T causalAttention(int layer, T q, T k, T v) {
        try (PhaseTimes.Scope s = times.phase("fwd: attention")) {
            return inner.causalAttention(layer, q, k, v);
        }
    }

    @Override
    public T logits(T x, T table, double scale) {
        try (PhaseTimes.Scope s = times.phase("fwd: logits")) {
            return inner.logits(x, table, scale);
        }
    }

    @Override
    public T tokenLogProbs(T logits, int[] targets) {
        try (PhaseTimes.Scope s = times.phase("fwd: log-probabilities")) {
            return inner.tokenLogProbs(logits, targets);
        }
    }

    @Override
    public T entropy(T logits) {
        try (PhaseTimes.Scope s = times.phase("fwd: entropy")) {
            return inner.entropy(logits);
        }
    }
}
