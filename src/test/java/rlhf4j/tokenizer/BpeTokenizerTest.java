package rlhf4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class BpeTokenizerTest {
    private static final BpeTokenizer BYTES = BpeTokenizer.byteLevel(SpecialTokens.DEFAULT);
    private static final BpeTokenizer TRAINED = Corpus.trained(600);

    private static final List<String> TRICKY = List.of(
            "", " ", "  ", "\n", "\r\n", "\n\n\n", "\t \t", "a", "Hello, world!", "  leading and trailing  ",
            "don't you're we'll I'd THEY'RE", "café naïve Größe", "日本語のテキスト", "中文 文本\u3000全角",
            "😀🎉👍🏽👨‍👩‍👧‍👦", "e\u0301 combining", "\u00A0nbsp\u2028line sep\u0085nel", "12345 67.89 1e10",
            "<|endoftext|>", "a<|endoftext|>b<|im_start|>user\nhi<|im_end|>", "<|pad|><|pad|>",
            "\uFFFD replacement char", "\uD834\uDD1E musical symbol", "tab\tseparated\tvalues\n",
            "x".repeat(1000), " ".repeat(500) + "y", "ab".repeat(300));

    @Test
    void specialTokensComeFirstThenBytes() {
        for (BpeTokenizer tok : List.of(BYTES, TRAINED)) {
            assertEquals(SpecialTokens.DEFAULT, tok.specialTokens());
            for (int i = 0; i < 4; i++) {
                assertEquals(i, tok.id(SpecialTokens.DEFAULT.get(i)));
                assertTrue(tok.isSpecial(i));
            }
            assertFalse(tok.isSpecial(4));
            assertFalse(tok.isSpecial(-1));
            assertFalse(tok.isSpecial(tok.vocabSize()));
            assertEquals("Ā", tok.tokenString(4));      // byte 0
            assertEquals("Ġ", tok.tokenString(4 + 32)); // space
            assertEquals("Ċ", tok.tokenString(4 + 10)); // newline
            assertEquals("a", tok.tokenString(4 + 'a'));
            assertEquals("Ń", tok.tokenString(4 + 0xAD));
            assertEquals("<|im_end|>", tok.tokenString(3));
        }
        assertEquals(260, BYTES.vocabSize());
        assertEquals(0, BYTES.mergeCount());
        assertArrayEquals(new int[] {4 + 'h', 4 + 'i'}, BYTES.encode("hi"));
    }

    @Test
    void unknownSpecialAndBadIds() {
        assertThrows(IllegalArgumentException.class, () -> TRAINED.id("<|nope|>"));
        assertThrows(IllegalArgumentException.class, () -> TRAINED.decode(new int[] {TRAINED.vocabSize()}));
        assertThrows(IllegalArgumentException.class, () -> TRAINED.decode(new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> TRAINED.tokenString(-1));
    }

    @Test
    void invalidSpecialLists() {
        assertThrows(IllegalArgumentException.class, () -> BpeTokenizer.byteLevel(List.of("<a>", "<a>")));
        assertThrows(IllegalArgumentException.class, () -> BpeTokenizer.byteLevel(List.of("")));
        // "Ġ" is the vocab string of the space byte: it cannot also name a special token
        assertThrows(IllegalArgumentException.class, () -> BpeTokenizer.byteLevel(List.of("Ġ")));
        assertEquals(256, BpeTokenizer.byteLevel(List.of()).vocabSize());
    }

    @Test
    void encodeTreatsSpecialsAsTextButEncodeWithSpecialsDoesNot() {
        for (BpeTokenizer tok : List.of(BYTES, TRAINED)) {
            int[] plain = tok.encode("<|endoftext|>");
            assertTrue(plain.length > 1);
            assertTrue(Arrays.stream(plain).noneMatch(tok::isSpecial));
            assertArrayEquals(new int[] {0}, tok.encodeWithSpecials("<|endoftext|>"));

            String text = "Hi<|im_start|>user\nhello<|im_end|><|endoftext|><|pad|>";
            int[] ids = tok.encodeWithSpecials(text);
            List<Integer> specials = new ArrayList<>();
            for (int id : ids) {
                if (tok.isSpecial(id)) {
                    specials.add(id);
                }
            }
            assertEquals(List.of(2, 3, 0, 1), specials);
            assertEquals(text, tok.decode(ids));
            assertEquals("Hiuser\nhello", tok.decode(ids, true));
            assertArrayEquals(concat(tok.encode("Hi"), new int[] {2}, tok.encode("user\nhello"),
                    new int[] {3, 0, 1}), ids);
            assertArrayEquals(tok.encode("plain text"), tok.encodeWithSpecials("plain text"));
        }
    }

    @Test
    void longestSpecialWinsWhenTwoStartTogether() {
        BpeTokenizer tok = BpeTokenizer.byteLevel(List.of("<s>", "<s><s>"));
        assertArrayEquals(new int[] {1, 0}, tok.encodeWithSpecials("<s><s><s>"));
    }

    @Test
    void trickyStringsRoundTrip() {
        for (BpeTokenizer tok : List.of(BYTES, TRAINED)) {
            for (String s : TRICKY) {
                assertEquals(s, tok.decode(tok.encode(s)), s);
                assertEquals(s, tok.decode(tok.encodeWithSpecials(s)), s);
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                assertArrayEquals(tok.encode(s), tok.encodeBytes(utf8), s);
                assertArrayEquals(utf8, tok.decodeBytes(tok.encode(s)), s);
            }
        }
    }

    @Test
    void randomStringsRoundTrip() {
        Random random = new Random(42);
        for (int n = 0; n < 2000; n++) {
            String s = RandomText.string(random, 30);
            for (BpeTokenizer tok : List.of(BYTES, TRAINED)) {
                assertEquals(s, tok.decode(tok.encode(s)));
                assertEquals(s, tok.decode(tok.encodeWithSpecials(s)));
            }
        }
    }

    @Test
    void randomBytesRoundTrip() {
        Random random = new Random(43);
        for (int n = 0; n < 2000; n++) {
            byte[] bytes = n % 2 == 0 ? randomBytes(random) : mixedBytes(random);
            for (BpeTokenizer tok : List.of(BYTES, TRAINED)) {
                assertArrayEquals(bytes, tok.decodeBytes(tok.encodeBytes(bytes)));
            }
        }
    }

    @Test
    void invalidUtf8DecodesToReplacementCharacter() {
        int ff = 4 + 0xFF;
        assertEquals("a\uFFFDb", TRAINED.decode(new int[] {4 + 'a', ff, 4 + 'b'}));
        byte[] broken = {'x', (byte) 0xE6, (byte) 0x97, 'y', (byte) 0xC0, (byte) 0x80, (byte) 0xED, (byte) 0xA0,
            (byte) 0x80};
        int[] ids = TRAINED.encodeBytes(broken);
        assertArrayEquals(broken, TRAINED.decodeBytes(ids));
        assertEquals(new String(broken, StandardCharsets.UTF_8), TRAINED.decode(ids));
    }

    @Test
    void mergesShortenText() {
        String s = "The quick brown fox jumps over the lazy dog.";
        assertTrue(TRAINED.encode(s).length < BYTES.encode(s).length / 2);
        assertEquals(600, TRAINED.vocabSize());
        assertEquals(600 - 260, TRAINED.mergeCount());
    }

    @Test
    void applyMergesMatchesNaiveGpt2Loop() {
        Random random = new Random(44);
        Map<List<Integer>, Integer> ranks = new HashMap<>();
        for (int r = 0; r < TRAINED.mergeCount(); r++) {
            int[] m = TRAINED.merge(r);
            ranks.putIfAbsent(List.of(m[0], m[1]), r);
        }
        for (int n = 0; n < 3000; n++) {
            byte[] bytes = RandomText.string(random, 12).getBytes(StandardCharsets.UTF_8);
            if (n % 3 == 0) {
                bytes = Corpus.DOCS.get(random.nextInt(Corpus.DOCS.size())).getBytes(StandardCharsets.UTF_8);
                int from = random.nextInt(bytes.length);
                bytes = Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + random.nextInt(30)));
            }
            int[] ids = new int[bytes.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = 4 + (bytes[i] & 0xFF);
            }
            assertArrayEquals(naiveMerge(TRAINED, ranks, ids), TRAINED.applyMerges(ids));
        }
    }

    @Test
    void concurrentEncodingAgreesWithSequential() throws Exception {
        BpeTokenizer tok = Corpus.trained(500);
        List<String> texts = new ArrayList<>();
        Random random = new Random(45);
        for (int n = 0; n < 400; n++) {
            texts.add(Corpus.DOCS.get(n % Corpus.DOCS.size()) + RandomText.string(random, 20));
        }
        BpeTokenizer fresh = Corpus.trained(500);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (String t : texts) {
                results.add(pool.submit(() -> tok.encode(t)));
            }
            for (int i = 0; i < texts.size(); i++) {
                assertArrayEquals(fresh.encode(texts.get(i)), results.get(i).get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void fingerprintDependsOnContent() {
        assertEquals(TRAINED.fingerprint(), Corpus.trained(600).fingerprint());
        assertNotEquals(TRAINED.fingerprint(), Corpus.trained(599).fingerprint());
        assertNotEquals(BYTES.fingerprint(), BpeTokenizer.byteLevel(List.of("<|endoftext|>")).fingerprint());
        assertEquals(64, TRAINED.fingerprint().length());
    }

    /** GPT-2's reference loop: merge every occurrence of the lowest-rank pair, until none applies. */
    private static int[] naiveMerge(BpeTokenizer tok, Map<List<Integer>, Integer> ranks, int[] ids) {
        List<Integer> word = new ArrayList<>();
        for (int id : ids) {
            word.add(id);
        }
        while (word.size() > 1) {
            int best = -1;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer r = ranks.get(List.of(word.get(i), word.get(i + 1)));
                if (r != null && (best < 0 || r < best)) {
                    best = r;
                }
            }
            if (best < 0) {
                break;
            }
            int[] m = tok.merge(best);
            List<Integer> next = new ArrayList<>();
            for (int i = 0; i < word.size(); i++) {
                if (i + 1 < word.size() && word.get(i) == m[0] && word.get(i + 1) == m[1]) {
                    next.add(m[2]);
                    i++;
                } else {
                    next.add(word.get(i));
                }
            }
            word = next;
        }
        return word.stream().mapToInt(Integer::intValue).toArray();
    }

    private static byte[] randomBytes(Random random) {
        byte[] bytes = new byte[random.nextInt(40)];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Valid UTF-8 text with random bytes spliced in. */
    private static byte[] mixedBytes(Random random) {
        byte[] text = RandomText.string(random, 20).getBytes(StandardCharsets.UTF_8);
        byte[] noise = randomBytes(random);
        byte[] out = new byte[text.length + noise.length];
        int t = 0;
        int z = 0;
        for (int i = 0; i < out.length; i++) {
            boolean takeText = z >= noise.length || (t < text.length && random.nextInt(4) != 0);
            out[i] = takeText ? text[t++] : noise[z++];
        }
        return out;
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }
}
