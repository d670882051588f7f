package rlhf4j.report;

import java.util.Locale;
import java.util.Optional;

/**
 * One line of the report's results table: a stage's headline number, optionally next to the number
 * it should be compared with (the first evaluation, the SFT policy, the training pairs), and where
 * both were read.
 *
 * @param stage         pretrain, sft, rm or ppo
 * @param label         what the number is, with units
 * @param value         the number
 * @param baseline      the number to compare with, if any
 * @param baselineLabel what the baseline is ("" when there is none)
 * @param source        the file (and step) the numbers come from
 */
public record ResultRow(String stage, String label, Cell value, Optional<Cell> baseline, String baselineLabel,
                        String source) {

    /**
     * A number as read from a stage file, with the key it carries in the HTML
     * ({@code data-key="stage.metric"}) and the decimals it is shown with.
     */
    public record Cell(String key, double value, int decimals) {
        /** The value with {@code decimals} fixed decimals (Locale.ROOT), as the table shows it. */
        public String formatted() {
            if (!Double.isFinite(value)) {
                return Double.toString(value);
            }
            return String.format(Locale.ROOT, "%." + decimals + "f", value);
        }

        /** The full-precision value as the HTML's {@code data-value} carries it ({@link Double#toString}). */
        public String exact() {
            return Double.toString(value);
        }
    }

    public ResultRow {
        if (baseline.isEmpty()) {
            baselineLabel = "";
        }
    }
}
