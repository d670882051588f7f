package rlhf4j.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Our own central-difference gradient checker (docs/SAMEDIFF.md: the library's checker once passed a wrong
 * gradient). For each parameter it perturbs up to {@code samplesPerParam} entries by ±eps in DOUBLE,
 * recomputes the loss, and compares (L+ − L−)/2eps with the analytic gradient.
 */
public final class GradientChecker {
    private final double eps;
    private final double relTolerance;
    private final double absTolerance;
    private final int samplesPerParam;

    public GradientChecker(double eps, double relTolerance, double absTolerance, int samplesPerParam) {
        this.eps = eps;
        this.relTolerance = relTolerance;
        this.absTolerance = absTolerance;
        this.samplesPerParam = samplesPerParam;
    }

    public static GradientChecker standard() {
        return new GradientChecker(1e-6, 1e-5, 1e-7, 40);
    }

    /** One disagreement between analytic and numeric gradient. */
    public record Mismatch(String param, long index, double analytic, double numeric) {}

    /**
     * @param params   the arrays the loss reads (DOUBLE), perturbed in place and restored
     * @param analytic gradient per parameter name (a missing entry means the gradient is zero)
     * @param loss     recomputes the scalar loss from the current parameter values
     * @return every mismatch found (empty when the gradient is right); also fails if nothing was checked
     */
    public List<Mismatch> check(Map<String, INDArray> params, Map<String, INDArray> analytic, DoubleSupplier loss) {
        Random rng = new Random(42);
        List<Mismatch> bad = new ArrayList<>();
        int checked = 0;
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            INDArray p = e.getValue();
            if (p.dataType() != DataType.DOUBLE) {
                throw new IllegalArgumentException("gradient checks run in DOUBLE: " + e.getKey());
            }
            INDArray flat = p.reshape(p.length());
            INDArray g = analytic.get(e.getKey());
            INDArray gFlat = g == null ? null : g.reshape(g.length());
            long n = p.length();
            for (int s = 0; s < Math.min(n, samplesPerParam); s++) {
                long i = n <= samplesPerParam ? s : (long) (rng.nextDouble() * n);
                double original = flat.getDouble(i);
                flat.putScalar(i, original + eps);
                double plus = loss.getAsDouble();
                flat.putScalar(i, original - eps);
                double minus = loss.getAsDouble();
                flat.putScalar(i, original);
                double numeric = (plus - minus) / (2 * eps);
                double a = gFlat == null ? 0.0 : gFlat.getDouble(i);
                double diff = Math.abs(a - numeric);
                double scale = Math.max(Math.abs(a), Math.abs(numeric));
                if (diff > absTolerance && diff > relTolerance * scale) {
                    bad.add(new Mismatch(e.getKey(), i, a, numeric));
                }
                checked++;
            }
        }
        if (checked == 0) {
            throw new IllegalStateException("nothing was checked");
        }
        return bad;
    }
}
