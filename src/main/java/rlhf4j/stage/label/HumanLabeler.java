package rlhf4j.stage.label;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import rlhf4j.config.ConfigException;
import rlhf4j.train.Preemption;

/**
 * People rank the answers in a browser. {@link #label} serves a small page ({@link LabelPage}) and its JSON API
 * ({@link LabelApi}) on {@code host:port} for as long as tasks are pending, prints the address once (it carries a
 * fresh random token, checked on every request by {@link TokenCheck}) and returns when every task is ranked or
 * skipped, or when the stage is asked to stop (Ctrl-C). Each judgement is in the {@link RankingsJournal} on disk
 * before the page hears "ok", so stopping loses nothing, and a restart on the same journal asks only about the
 * tasks still pending. The answers of each task are shown in a shuffled order fixed by the seed and the task id
 * ({@link DisplayOrder}); the API speaks in that order and the journal in the task's own.
 *
 * <p>Tests (and a caller that wants to open the page itself) learn the address, token included, from the
 * {@code started} listener, called once the server listens and the address is printed.
 */
public final class HumanLabeler implements Labeler {
    public static final String NAME = "human";
    /** How often {@link #label} looks at the stop request between judgements. */
    private static final long POLL_MILLIS = 200;
    /** How long a stop waits for answers in progress (a POST whose judgement is on disk, its 200 not yet sent). */
    private static final long DRAIN_MILLIS = 5_000;
    /**
     * Handler threads. The JDK server reads a request's headers on a handler thread, so a few connections that
     * send half a request would hold them all and freeze the page for everyone (four did, with four threads);
     * with 64, a page served to a few people keeps threads free while the stalled ones are cut off.
     */
    private static final int THREADS = 64;
    /** Seconds a client may take to send its whole request, and to read the answer, before the server hangs up. */
    static final int REQUEST_SECONDS = 10;
    static final int RESPONSE_SECONDS = 30;

    static {
        // The JDK server reads these limits once, when the JVM creates its first server, and only the labeler
        // creates one; a value given on the command line (-D...) is kept.
        setIfAbsent("sun.net.httpserver.maxReqTime", String.valueOf(REQUEST_SECONDS));
        setIfAbsent("sun.net.httpserver.maxRspTime", String.valueOf(RESPONSE_SECONDS));
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private final String host;
    private final int port;
    private final long seed;
    private final Consumer<URI> started;

    /**
     * @param host the address to listen on ({@code 127.0.0.1}: this machine only; {@code 0.0.0.0}: every interface)
     * @param port the port, 0 for any free one
     * @param seed fixes the order in which each task's answers are shown
     */
    public HumanLabeler(String host, int port, long seed) {
        this(host, port, seed, uri -> {});
    }

    /**
     * @param started told the page's address ({@code http://HOST:PORT/?token=TOKEN}) once the server listens; it
     *     runs on the thread that called {@link #label}, so it must not block
     */
    public HumanLabeler(String host, int port, long seed, Consumer<URI> started) {
        this.host = Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new ConfigException("label.port: " + port + " is not a port (0..65535; 0 picks a free one)");
        }
        this.port = port;
        this.seed = seed;
        this.started = Objects.requireNonNull(started, "started");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void label(List<LabelTask> tasks, RankingsJournal journal, Preemption preemption, PrintStream out) {
        Semaphore changed = new Semaphore(0);
        LabelApi api = new LabelApi(tasks, journal, seed, NAME, changed::release, out);
        if (api.finished()) {
            out.println("label: nothing to rank (" + tasks.size() + " of " + tasks.size() + " done)");
            return;
        }
        String token = TokenCheck.newToken(new SecureRandom());
        LabelPage page = new LabelPage();
        InFlight inFlight = new InFlight(THREADS * 3 / 4);     // a quarter of the threads stay free to say "busy"
        TokenCheck tokenCheck = new TokenCheck(token);
        HttpServer server = bind();
        ExecutorService threads = Executors.newFixedThreadPool(THREADS, daemonThreads());
        boolean interrupted = false;
        try {
            for (HttpContext context : List.of(server.createContext("/api/", api), server.createContext("/", page))) {
                context.getFilters().add(inFlight);
                context.getFilters().add(tokenCheck);
            }
            server.setExecutor(threads);
            server.start();
            URI uri = URI.create("http://" + urlHost(server.getAddress()) + ":" + server.getAddress().getPort()
                    + "/?token=" + token);
            out.println("label: rank the answers at " + uri + "  (" + api.done() + " of " + tasks.size()
                    + " done; Ctrl-C stops, everything ranked is saved)");
            if (server.getAddress().getAddress().isAnyLocalAddress() || !server.getAddress().getAddress()
                    .isLoopbackAddress()) {
                out.println("label: listening on " + listening(server.getAddress()) + ", reachable from other "
                        + "machines. The page is plain HTTP: the token and the rankings travel in clear text. On a "
                        + "network you do not trust, keep label.host at 127.0.0.1 and reach it through an SSH tunnel "
                        + "(ssh -L " + server.getAddress().getPort() + ":127.0.0.1:" + server.getAddress().getPort()
                        + " HOST) or a TLS proxy in front of it.");
            }
            out.flush();
            started.accept(uri);
            // woken by each judgement, so the last one ends the stage at once; the timeout is for the stop request,
            // which is a flag with nothing to wait on
            while (!api.finished() && !preemption.requested()) {
                changed.tryAcquire(POLL_MILLIS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            try {
                inFlight.close(DRAIN_MILLIS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
            server.stop(0);
            threads.shutdownNow();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        int done = api.done();
        int ranked = (int) tasks.stream().filter(t -> journal.judged(t.id())).count();
        String counts = ranked + " ranked, " + (done - ranked) + " skipped";
        if (done == tasks.size()) {
            out.println("label: all " + tasks.size() + " done (" + counts + ")");
        } else {
            out.println("label: stopped at " + done + " of " + tasks.size() + " done (" + counts
                    + "); --resume continues");
        }
    }

    /**
     * Fails now, as label() would after sampling, when the address cannot be listened on (a port in use, a host
     * that does not resolve): a half-made run would otherwise sit in the stage folder and block the corrected command.
     */
    public void checkAddress() {
        bind().stop(0);
    }

    private HttpServer bind() {
        String where = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new ConfigException("label.host: cannot resolve " + host + " (use e.g. 127.0.0.1 or 0.0.0.0)");
        }
        try {
            return HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new ConfigException("label.host/label.port: cannot listen on " + where + " (" + e.getMessage()
                    + "); choose another label.port (0 picks a free one) or label.host");
        }
    }

    /** Where others reach a server bound to every interface (or to one outside loopback), in words. */
    private static String listening(InetSocketAddress bound) {
        InetAddress a = bound.getAddress();
        if (!a.isAnyLocalAddress()) {
            return a.getHostAddress() + ":" + bound.getPort();
        }
        String here;
        try {
            here = InetAddress.getLocalHost().getHostAddress();
        } catch (IOException e) {
            here = "this machine's address";
        }
        return "every interface (" + a.getHostAddress() + ":" + bound.getPort() + "; e.g. http://" + here + ":"
                + bound.getPort() + "/)";
    }

    /** The host part of the printed address; a wildcard bind is reachable as localhost at least. */
    private static String urlHost(InetSocketAddress bound) {
        InetAddress a = bound.getAddress();
        if (a.isAnyLocalAddress()) {
            return "localhost";
        }
        String literal = a.getHostAddress();
        return literal.contains(":") ? "[" + literal + "]" : literal;
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            // daemon: a server thread must never keep the JVM alive after the stage returns or fails
            Thread t = new Thread(r, "rlhf4j-label-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
