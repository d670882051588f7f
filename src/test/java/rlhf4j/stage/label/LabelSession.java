package rlhf4j.stage.label;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import rlhf4j.tokenizer.Message;
import rlhf4j.train.Preemption;

/**
 * Test helper: a {@link HumanLabeler} running {@code label()} on its own thread, as the label stage would, with the
 * address it announced, its output, and a stop request the test controls. {@link #close} stops it in any case, so a
 * failing test leaves no server behind.
 */
final class LabelSession implements AutoCloseable {
    static final long SEED = 20240611L;
    static final long WAIT_SECONDS = 60;

    final URI page;
    final String token;
    final Preemption preemption = Preemption.manual();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private final Thread thread;

    private LabelSession(List<LabelTask> tasks, RankingsJournal journal) throws InterruptedException {
        LinkedBlockingQueue<URI> announced = new LinkedBlockingQueue<>();
        HumanLabeler labeler = new HumanLabeler("127.0.0.1", 0, SEED, announced::add);
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        thread = new Thread(() -> {
            try {
                labeler.label(tasks, journal, preemption, out);
                finished.complete(null);
            } catch (Throwable e) {
                finished.completeExceptionally(e);
            }
        }, "label-session");
        thread.setDaemon(true);
        thread.start();
        URI uri = null;
        while (uri == null && !finished.isDone()) {
            uri = announced.poll(100, TimeUnit.MILLISECONDS);
        }
        if (uri == null) {
            finished.join(); // rethrows what label() threw
        }
        assertNotNull(uri, "label() returned without announcing an address: " + output());
        page = uri;
        token = page.getQuery().substring("token=".length());
    }

    static LabelSession start(List<LabelTask> tasks, RankingsJournal journal) throws InterruptedException {
        return new LabelSession(tasks, journal);
    }

    /** {@code path} on this server (no token). */
    URI at(String path) {
        return page.resolve(path);
    }

    String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Waits for {@code label()} to return by itself (rethrowing what it threw). */
    void awaitEnd() throws Exception {
        finished.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    boolean ended() {
        return finished.isDone();
    }

    @Override
    public void close() throws Exception {
        preemption.request();
        thread.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    }

    /** Three prompts to correct: four candidate answers for the first, three for the others. */
    static List<LabelTask> tasks() {
        Message system = Message.system("Correct the grammar of the sentence.");
        return List.of(
                new LabelTask("p000000", List.of(system, Message.user("She go to school every day.")),
                        List.of("She goes to school every day.", "She went to school every day.",
                                "She go to school every day.", "She is go to school every day."),
                        "She goes to school every day."),
                new LabelTask("p000001", List.of(system, Message.user("They was happy <b>& loud</b>.")),
                        List.of("They were happy <b>& loud</b>.", "They was happy <b>& loud</b>.",
                                "They is happy <b>& loud</b>."),
                        null),
                new LabelTask("p000002", List.of(system, Message.user("He don't like apples.")),
                        List.of("He doesn't like apples.", "He didn't liked apples.", "He don't likes apples."),
                        "He doesn't like apples."));
    }
}
