package rlhf4j.train;

import java.nio.file.Path;
import rlhf4j.config.ConfigException;

/**
 * A tiny main for lock tests, run in a child JVM: {@code StageLockHolder STAGE_DIR SECONDS} takes
 * the stage folder's lock, prints {@code locked} and holds it for SECONDS (or until killed); when
 * the lock is refused it prints {@code refused: <message>} and exits 2.
 */
public final class StageLockHolder {
    private StageLockHolder() {}

    public static void main(String[] args) throws InterruptedException {
        StageLock lock;
        try {
            lock = StageLock.acquire(Path.of(args[0]));
        } catch (ConfigException e) {
            System.out.println("refused: " + e.getMessage());
            System.out.flush();
            System.exit(2);
            return;
        }
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(Long.parseLong(args[1]) * 1000);
        lock.close();
    }
}
