package rlhf4j.data;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The one train/val/test split of the grammar data set, decided by the source sentence alone (the wrong sentence
 * of a pair; for an unchanged example the sentence itself): SHA-256 of its UTF-8 bytes, the first 8 bytes read as
 * an unsigned big-endian integer, mod 100 gives a bucket; buckets below 80 are train, below 90 val, the rest test.
 * The same sentence therefore lands in the same split in every file and every run, on every machine.
 */
public final class GrammarSplit {
    public static final String TRAIN = "train";
    public static final String VAL = "val";
    public static final String TEST = "test";
    public static final int BUCKETS = 100;
    public static final int TRAIN_BELOW = 80;
    public static final int VAL_BELOW = 90;
    /** The rule in words, as the manifest records it. */
    public static final String RULE = "SHA-256 of the UTF-8 source sentence (the wrong sentence; for unchanged "
            + "examples the sentence itself), first 8 bytes as an unsigned big-endian integer, mod " + BUCKETS
            + ": < " + TRAIN_BELOW + " train, < " + VAL_BELOW + " val, else test";

    private GrammarSplit() {
    }

    /** {@code "train"}, {@code "val"} or {@code "test"} for a source sentence. */
    public static String of(String sourceSentence) {
        return ofBucket(bucket(sourceSentence));
    }

    /** The split of a bucket, 0 to 99. */
    static String ofBucket(int bucket) {
        return bucket < TRAIN_BELOW ? TRAIN : bucket < VAL_BELOW ? VAL : TEST;
    }

    /** The bucket, 0 to 99, of a source sentence. */
    static int bucket(String sourceSentence) {
        return bucket(sourceSentence, BUCKETS);
    }

    /**
     * {@link #hash64} of {@code text} mod {@code buckets} (unsigned): 0 to {@code buckets - 1}. Other data sets
     * split by the same hash with their own number of buckets.
     */
    static int bucket(String text, int buckets) {
        return (int) Long.remainderUnsigned(hash64(text), buckets);
    }

    /** The first 8 bytes of the SHA-256 of {@code text} (UTF-8), big-endian; compare with Long.compareUnsigned. */
    static long hash64(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }
}
