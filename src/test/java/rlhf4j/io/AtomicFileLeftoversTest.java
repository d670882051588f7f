package rlhf4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.AtomicFile;
import rlhf4j.stage.label.RankingsJournal;

/** A killed writer's temporary file is removed; a live writer's, and files that merely look alike, are kept. */
class AtomicFileLeftoversTest {
    @Test
    void leftoversOfDeadWritersGoAndTheRestStay(@TempDir Path dir) throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long dead = p.pid();
        Path file = dir.resolve(RankingsJournal.RANKINGS);
        Files.writeString(file, "");
        Path deadTmp = Files.writeString(dir.resolve("." + file.getFileName() + ".tmp-" + dead + "-12345"), "{\"id\"");
        Path liveTmp = Files.writeString(dir.resolve("." + file.getFileName() + ".tmp-" + ProcessHandle.current().pid()
                + "-1"), "x");
        Path notOurs = Files.writeString(dir.resolve("." + file.getFileName() + ".tmp-notes"), "x");
        Path skippedTmp = Files.writeString(dir.resolve("." + RankingsJournal.SKIPPED + ".tmp-" + dead + "-9"), "x");
        RankingsJournal.open(dir);                                   // opening the journal tidies both of its files
        assertFalse(Files.exists(deadTmp));
        assertFalse(Files.exists(skippedTmp));
        assertTrue(Files.exists(liveTmp));
        assertTrue(Files.exists(notOurs));
        assertEquals(0, AtomicFile.removeLeftovers(file));
    }
}
