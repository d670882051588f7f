package rlhf4j.train;

/** The loss or a gradient became NaN or infinite; the run stops and the last good checkpoint stays. */
public class NonFiniteException extends RuntimeException {
    public NonFiniteException(String message) {
        super(message);
    }

    /**
     * The one rule for a non-finite update, for every stage: null when loss and norm are finite; else
     * what is wrong ("policy loss is NaN") when the stage skips such updates; else this exception.
     *
     * @param step  the 1-based step, for the message
     * @param model what the loss belongs to, "" or e.g. "policy "
     */
    public static String check(int step, String model, double loss, double norm, boolean skip) {
        if (Double.isFinite(loss) && Double.isFinite(norm)) {
            return null;
        }
        String what = !Double.isFinite(loss) ? model + "loss is " + loss : model + "gradient norm is " + norm;
        if (!skip) {
            throw new NonFiniteException("step " + step + ": " + what
                    + "; stopped, the last checkpoint is kept (lower the learning rate, or set skip_nonfinite)");
        }
        return what;
    }
}
