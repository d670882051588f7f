package rlhf4j.stage.label;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/**
 * Counts the exchanges being handled, so the human labeler can stop its server without cutting off an answer: the
 * last POST's judgement is on disk before its 200 goes out, and the person should see that 200 rather than a broken
 * connection. (The JDK 17 {@code HttpServer.stop(delay)} always waits the whole delay, so it cannot do this itself.)
 * After {@link #close} new requests get 503. It also refuses cleanly under overload: past {@code maxActive} exchanges
 * at once a request gets 503 with Retry-After at once, so the handler threads left over keep answering instead of
 * every request queueing behind slow ones.
 */
final class InFlight extends Filter {
    private final int maxActive;
    private int active;
    private boolean closed;

    InFlight(int maxActive) {
        this.maxActive = maxActive;
    }

    @Override
    public void doFilter(HttpExchange ex, Chain chain) throws IOException {
        synchronized (this) {
            if (closed) {
                ex.getRequestBody().close();
                Replies.text(ex, 503, "the labeling session has ended; everything submitted is saved");
                return;
            }
            if (active >= maxActive) {
                ex.getResponseHeaders().set("Retry-After", "1");
                Replies.text(ex, 503, "the labeling page is busy; try again in a moment");
                return;
            }
            active++;
        }
        try {
            chain.doFilter(ex);
        } finally {
            synchronized (this) {
                active--;
                notifyAll();
            }
        }
    }

    /** Refuses new exchanges and waits, at most {@code timeoutMillis}, for those in progress to finish. */
    synchronized void close(long timeoutMillis) throws InterruptedException {
        closed = true;
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (active > 0) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return;
            }
            wait(left);
        }
    }

    @Override
    public String description() {
        return "in-flight count";
    }
}
