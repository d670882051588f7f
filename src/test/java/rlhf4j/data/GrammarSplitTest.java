package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The split rule: deterministic, as documented (checked against an independent computation), about 80/10/10. */
class GrammarSplitTest {

    /** The documented rule computed another way: BigInteger of the first 8 digest bytes, mod 100. */
    private static String reference(String sentence) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(sentence.getBytes(StandardCharsets.UTF_8));
        int bucket = new BigInteger(1, Arrays.copyOf(digest, 8)).mod(BigInteger.valueOf(100)).intValue();
        return bucket < 80 ? "train" : bucket < 90 ? "val" : "test";
    }

    @Test
    void followsTheDocumentedRuleIncludingUnsignedHashes() throws Exception {
        int negative = 0;
        for (int i = 0; i < 2000; i++) {
            String s = "He go to school number " + i + ". Ünïcödé ✓";
            assertEquals(reference(s), GrammarDataset.split(s), s);
            negative += GrammarSplit.hash64(s) < 0 ? 1 : 0;
        }
        assertTrue(negative > 0, "some hashes have the top bit set, exercising the unsigned reading");
    }

    @Test
    void isDeterministic() {
        String s = "Their is a cat on the mat.";
        String first = GrammarDataset.split(s);
        for (int i = 0; i < 10; i++) {
            assertEquals(first, GrammarDataset.split(new String(s.toCharArray())));
        }
        assertEquals(GrammarSplit.of(s), first);
    }

    @Test
    void isRoughly80_10_10() {
        int n = 20_000;
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(GrammarDataset.split("Sentence " + i + " goes here."), 1, Integer::sum);
        }
        assertEquals(n, counts.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(0.80, counts.get("train") / (double) n, 0.015, counts.toString());
        assertEquals(0.10, counts.get("val") / (double) n, 0.01, counts.toString());
        assertEquals(0.10, counts.get("test") / (double) n, 0.01, counts.toString());
    }

    @Test
    void bucketsMapToSplitsAtTheThresholds() {
        assertEquals("train", GrammarSplit.ofBucket(0));
        assertEquals("train", GrammarSplit.ofBucket(79));
        assertEquals("val", GrammarSplit.ofBucket(80));
        assertEquals("val", GrammarSplit.ofBucket(89));
        assertEquals("test", GrammarSplit.ofBucket(90));
        assertEquals("test", GrammarSplit.ofBucket(99));
    }
}
