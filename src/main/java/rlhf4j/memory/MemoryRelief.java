package rlhf4j.memory;

import java.lang.reflect.Method;
import org.bytedeco.javacpp.Pointer;

/**
 * Asks for a garbage collection at a pass boundary before the process's resident memory reaches JavaCPP's cap
 * ({@code -Dorg.bytedeco.javacpp.maxphysicalbytes}, set by the launcher). ND4J frees an array's native buffer only
 * once the collector finds the array unreachable, and the small Java objects of decoding (logits, caches, beam
 * reorders) fill the heap far more slowly than their buffers fill native memory. Left alone, the garbage grows until
 * one allocation crosses the cap; JavaCPP then collects inside that allocation, racing ND4J's asynchronous
 * deallocator, and sometimes loses: the small config's PPO test evaluation sat at 5.5-6.3 GiB under a 6 GiB cap and
 * once died there out of memory. A collection is asked for once resident memory is past half the cap and has grown
 * by an eighth of the cap since the last one. At the next check, once ND4J's deallocator threads have freed the
 * buffers, the level is the new floor; if it is still past three quarters of the cap, the C heap's free pages first
 * go back to the system ({@code malloc_trim}, through JavaCPP's own {@code Pointer.trimMemory}, which it calls only
 * at the cap). Without the trim the freed memory stays resident and the floor ratchets up to the cap (measured: 3.3
 * to 6.3 GiB over the same evaluation). Memory is read at most every 100 ms, so the check costs nothing per pass.
 */
public final class MemoryRelief {
    private static final long CHECK_EVERY_NANOS = 100_000_000L;
    private static final Method TRIM = trimMethod();                 // null where JavaCPP does not offer it

    private final long cap;
    private long nextCheck;
    private long floor;
    private int collections;
    private boolean trimPending;

    /** {@code cap}: the resident-memory limit in bytes; 0 or less turns the relief off. */
    MemoryRelief(long cap) {
        this.cap = cap;
    }

    /** With JavaCPP's cap of this JVM. */
    public static MemoryRelief ofThisJvm() {
        return new MemoryRelief(Pointer.maxPhysicalBytes());
    }

    /** Collects when resident memory calls for it; called before each pass. */
    public void check() {
        if (cap <= 0) {
            return;
        }
        long now = System.nanoTime();
        if (now - nextCheck < 0) {
            return;
        }
        nextCheck = now + CHECK_EVERY_NANOS;
        if (trimPending) {
            trimPending = false;
            long rss = Pointer.physicalBytes();
            if (rss > cap / 4 * 3) {       // trimming every time costs page faults later: 60% longer best-of-4
                trim();
                rss = Pointer.physicalBytes();
            }
            collected(rss);
        } else if (due(Pointer.physicalBytes())) {
            System.gc();
            trimPending = true;
        }
    }

    /** Records a collection after which resident memory was {@code rss} bytes. */
    void collected(long rss) {
        collections++;
        floor = rss;
    }

    /**
     * Whether resident memory {@code rss} bytes calls for a collection: past half the cap and an eighth of it above
     * the last floor, or past seven eighths of the cap whatever the floor. Without the second rule a floor above
     * seven eighths would put the next collection beyond the cap.
     */
    boolean due(long rss) {
        return rss > cap / 2 && (rss > floor + cap / 8 || rss > cap / 8 * 7);
    }

    private static void trim() {
        if (TRIM != null) {
            try {
                TRIM.invoke(null);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // a trim is an optimisation: without it the collection still lets the memory be reused
            }
        }
    }

    private static Method trimMethod() {
        try {
            Method m = Pointer.class.getDeclaredMethod("trimMemory");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** Collections asked for so far. */
    int collections() {
        return collections;
    }
}
