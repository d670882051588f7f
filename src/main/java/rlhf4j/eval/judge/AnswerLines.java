package rlhf4j.eval.judge;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import rlhf4j.train.Preemption;

/**
 * A judge's stdout as lines, read on a daemon thread so that waiting for an answer can time out and give way to a
 * stop request instead of blocking in a read that may never return (a hung judge, half a line and no newline).
 * A line is capped at {@link #MAX_LINE} characters: an endless line is reported, not buffered until memory runs out.
 */
final class AnswerLines {
    static final int MAX_LINE = 1 << 20;
    private static final long POLL_MS = 100;

    /** One read: the text (null at the end of the stream), or what happened instead. */
    record Line(String text, boolean timedOut, boolean stopped, boolean tooLong) {
        static final Line END = new Line(null, false, false, false);
    }

    private final BlockingQueue<Line> lines = new LinkedBlockingQueue<>();

    private AnswerLines() {}

    static AnswerLines start(InputStream stdout) {
        AnswerLines a = new AnswerLines();
        Thread t = new Thread(() -> a.read(new InputStreamReader(stdout, StandardCharsets.UTF_8)), "judge-stdout");
        t.setDaemon(true);
        t.start();
        return a;
    }

    private void read(Reader in) {
        StringBuilder line = new StringBuilder();
        try {
            for (int c; (c = in.read()) >= 0; ) {
                if (c == '\n') {
                    lines.add(new Line(line.toString(), false, false, false));
                    line.setLength(0);
                } else if (line.length() >= MAX_LINE) {
                    lines.add(new Line(null, false, false, true));
                    return;
                } else {
                    line.append((char) c);
                }
            }
        } catch (IOException e) {
            // the judge's end of the pipe closed: the end of its answers
        }
        lines.add(Line.END);
    }

    /** Whether a line is already there, before its question was asked. */
    boolean waiting() {
        Line next = lines.peek();
        return next != null && (next.text() != null || next.tooLong());
    }

    /** The next line, waiting at most {@code timeoutSeconds}, and giving up early when a stop is requested. */
    Line next(int timeoutSeconds, Preemption preemption) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        try {
            while (true) {
                Line l = lines.poll(POLL_MS, TimeUnit.MILLISECONDS);
                if (l != null) {
                    return l;
                }
                if (preemption.requested()) {
                    return new Line(null, false, true, false);
                }
                if (System.nanoTime() > deadline) {
                    return new Line(null, true, false, false);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Line(null, false, true, false);
        }
    }
}
