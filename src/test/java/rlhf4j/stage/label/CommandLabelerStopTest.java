package rlhf4j.stage.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.tokenizer.Message;
import rlhf4j.train.Preemption;

/** A stop request while a judge thinks ends the wait at once and takes the judge and its children with it. */
class CommandLabelerStopTest {
    @Test
    void aStopRequestEndsTheWaitAndTheJudge(@TempDir Path dir) throws Exception {
        String marker = "7013" + ProcessHandle.current().pid();
        List<LabelTask> tasks = List.of(new LabelTask("p000000", List.of(Message.user("Continue: We")),
                List.of("a", "b"), null));
        Preemption stop = Preemption.manual();
        Thread asker = new Thread(() -> {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stop.request();
        });
        asker.start();
        long t0 = System.nanoTime();
        RankingsJournal journal = RankingsJournal.open(dir);
        new CommandLabeler("sleep " + marker + " & wait", dir, 300).label(tasks, journal, stop,
                new PrintStream(new ByteArrayOutputStream()));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 10, "returned after " + seconds + " s, not the 300 s timeout");
        assertEquals(0, journal.judgedCount());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long left;
        do {
            left = ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(marker)).count();
        } while (left > 0 && System.nanoTime() < deadline);
        assertEquals(0, left, "the judge's child is gone");
    }
}
