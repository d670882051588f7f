package rlhf4j.train;

import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What the user watches during a run: on a terminal a progress bar (step, ETA, and a message with
 * loss, lr and tokens/s); without one (CI, a log file) a plain line every {@code logEvery} steps.
 */
public final class Progress implements AutoCloseable {
    private final ProgressBar bar;
    private final PrintStream out;
    private final int logEvery;
    private final int maxSteps;
    private final long startNanos = System.nanoTime();
    private final int firstStep;

    public Progress(String task, int firstStep, int maxSteps, int logEvery, PrintStream out) {
        this.out = out;
        this.logEvery = Math.max(1, logEvery);
        this.maxSteps = maxSteps;
        this.firstStep = firstStep;
        this.bar = System.console() == null ? null : new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(maxSteps)
                .startsFrom(firstStep, Duration.ZERO)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(out, 110))
                .continuousUpdate()
                .build();
    }

    /** Called after each optimizer step with the step just completed (1-based) and its message. */
    public void step(int step, String message) {
        if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(message);
        } else if (step % logEvery == 0 || step == maxSteps) {
            out.printf("step %d/%d  %s  eta %s%n", step, maxSteps, message, eta(step));
        }
    }

    /** A line printed above the bar (eval results, samples). */
    public void println(String line) {
        if (bar != null) {
            out.print("\r" + " ".repeat(110) + "\r");
        }
        out.println(line);
    }

    private String eta(int step) {
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        int done = step - firstStep;
        if (done <= 0) {
            return "?";
        }
        long seconds = Math.round(elapsed / done * (maxSteps - step));
        return String.format("%d:%02d", seconds / 60, seconds % 60);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
