package rlhf4j.optim;

/**
 * Learning-rate schedule: linear warmup to {@code maxLr}, then cosine decay to {@code minLr} at
 * {@code maxSteps}, constant {@code minLr} afterwards. Steps are 0-based.
 */
public record LrSchedule(double maxLr, double minLr, int warmupSteps, int maxSteps) {

    public LrSchedule {
        if (!(maxLr >= 0) || !(minLr >= 0) || warmupSteps < 0 || maxSteps < 0) {
            throw new IllegalArgumentException("invalid schedule: maxLr=" + maxLr + ", minLr=" + minLr
                    + ", warmupSteps=" + warmupSteps + ", maxSteps=" + maxSteps);
        }
    }

    /** A constant learning rate. */
    public static LrSchedule constant(double lr) {
        return new LrSchedule(lr, lr, 0, 0);
    }

    /** The learning rate to use for the update of 0-based {@code step}. */
    public double lr(int step) {
        if (warmupSteps > 0 && step < warmupSteps) {
            return maxLr * (step + 1) / warmupSteps;
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, maxSteps - warmupSteps);
        progress = Math.min(1.0, Math.max(0.0, progress));
        return minLr + 0.5 * (1.0 + Math.cos(Math.PI * progress)) * (maxLr - minLr);
    }
}
