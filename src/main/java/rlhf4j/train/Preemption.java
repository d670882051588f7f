package rlhf4j.train;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A stop requested from outside the process (SIGTERM, SIGINT, SIGHUP: a batch scheduler preempting the job, or
 * Ctrl-C). The JVM runs shutdown hooks on those signals; the hook installed here marks the request and holds the
 * exit until the training loop has finished its current step and saved a checkpoint ({@link #settled}), at most
 * {@link #GRACE_SECONDS}, so {@code --resume} loses no step. The process then exits with 143 (128 + SIGTERM).
 */
public final class Preemption implements AutoCloseable {
    public static final long GRACE_SECONDS = 120;

    private final CountDownLatch settled = new CountDownLatch(1);
    private final Thread hook;
    private volatile boolean requested;

    private Preemption(boolean install) {
        hook = install ? new Thread(this::hold, "rlhf4j-preemption") : null;
        if (hook != null) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
    }

    /** Listens for the signals until closed. */
    public static Preemption install() {
        return new Preemption(true);
    }

    /** Never requested (tests, and runs inside another job). */
    public static Preemption none() {
        return new Preemption(false);
    }

    /**
     * Requested only through {@link #request}: for tests, and for a caller that stops a stage itself. It listens for
     * no signal.
     */
    public static Preemption manual() {
        return new Preemption(false);
    }

    /** Asks for the stop from inside the process, exactly as a signal would (without holding the exit). */
    public void request() {
        requested = true;
    }

    private void hold() {
        requested = true;
        try {
            settled.await(GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether a stop was requested: the loop checkpoints after the current step and stops. */
    public boolean requested() {
        return requested;
    }

    /** The loop has saved what it had (or there is nothing to save): the process may exit now. */
    public void settled() {
        settled.countDown();
    }

    /** Stops listening; when the process is already shutting down, lets it exit. */
    @Override
    public void close() {
        settled();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: settled() above releases it
            }
        }
    }
}
