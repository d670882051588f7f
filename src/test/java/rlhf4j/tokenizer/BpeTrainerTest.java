package rlhf4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {
    @Test
    void handCheckedMerges() {
        // words "aaab" and "Ġaaab". Pair counts: (a,a)=4, (a,b)=2, (Ġ,a)=1 -> "a a".
        // Then (aa,a)=2 ties with (a,b)=2; (a,b) has the lower ids -> "a b".
        // Then (aa,ab)=2 -> "aa ab"; then (Ġ,aaab)=1 -> "Ġ aaab"; then no pairs are left.
        BpeTokenizer tok = BpeTokenizer.train(List.of("aaab aaab"), 1000, SpecialTokens.DEFAULT);
        assertEquals(List.of("a a", "a b", "aa ab", "Ġ aaab"), mergeStrings(tok));
        assertEquals(4 + 256 + 4, tok.vocabSize()); // the corpus ran out of pairs: smaller than asked
        assertArrayEquals(new int[] {262, 263}, tok.encode("aaab aaab"));
        assertEquals("Ġaaab", tok.tokenString(263));
        assertArrayEquals(new int[] {4 + 'b', 260, 4 + 'a'}, tok.encode("baaa"));
    }

    @Test
    void vocabSizeIsExact() {
        for (int size : new int[] {260, 261, 300, 517}) {
            BpeTokenizer tok = Corpus.trained(size);
            assertEquals(size, tok.vocabSize());
            assertEquals(size - 260, tok.mergeCount());
        }
        assertThrows(IllegalArgumentException.class, () -> Corpus.trained(259));
        assertEquals(256 + 10, BpeTokenizer.train(Corpus.DOCS, 266, List.of()).vocabSize());
    }

    @Test
    void specialTextInCorpusIsPlainText() {
        BpeTokenizer tok = BpeTokenizer.train(List.of("<|endoftext|>".repeat(50)), 400, SpecialTokens.DEFAULT);
        for (int id = 260; id < tok.vocabSize(); id++) {
            assertEquals(false, tok.isSpecial(id));
        }
        assertEquals(SpecialTokens.DEFAULT, tok.specialTokens());
    }

    @Test
    void noMergeMayProduceASpecialTokenString() {
        // "<s>" is one pre-token; its merge would collide with the special token "<s>" in the vocab
        BpeTokenizer tok = BpeTokenizer.train(List.of("<s> <s> <s> <s>"), 300, List.of("<s>"));
        for (int id = 1; id < tok.vocabSize(); id++) {
            assertEquals(false, "<s>".equals(tok.tokenString(id)));
        }
        assertEquals("<s> <s> <s> <s>", tok.decode(tok.encode("<s> <s> <s> <s>")));
    }

    @Test
    void deterministic() {
        BpeTokenizer a = Corpus.trained(500);
        BpeTokenizer b = Corpus.trained(500);
        assertEquals(mergeStrings(a), mergeStrings(b));
        assertEquals(a.fingerprint(), b.fingerprint());
    }

    @Test
    void incrementalCountsMatchNaiveTrainer() {
        Random random = new Random(11);
        String[] alphabets = {"ab ", "aab\n ", "abc  'sd", "xyz日本 \t"};
        for (int n = 0; n < 40; n++) {
            String alphabet = alphabets[n % alphabets.length];
            List<String> docs = new ArrayList<>();
            for (int d = 0; d < 1 + random.nextInt(4); d++) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < random.nextInt(200); i++) {
                    sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                docs.add(sb.toString());
            }
            int vocab = 260 + random.nextInt(120);
            BpeTokenizer tok = BpeTokenizer.train(docs, vocab, SpecialTokens.DEFAULT);
            assertEquals(naiveMerges(docs, vocab - 260), mergeStrings(tok), "corpus " + docs);
        }
    }

    private static List<String> mergeStrings(BpeTokenizer tok) {
        List<String> out = new ArrayList<>();
        for (int r = 0; r < tok.mergeCount(); r++) {
            int[] m = tok.merge(r);
            out.add(tok.tokenString(m[0]) + " " + tok.tokenString(m[1]));
        }
        return out;
    }

    /** Recounts every pair at every step; words as lists of vocab strings. */
    private static List<String> naiveMerges(List<String> docs, int maxMerges) {
        Map<String, Integer> counts = new HashMap<>();
        for (String d : docs) {
            for (String piece : PreTokenizer.split(d)) {
                counts.merge(piece, 1, Integer::sum);
            }
        }
        Map<List<String>, Integer> words = new HashMap<>();
        Map<String, Integer> ids = new HashMap<>();
        Set<String> taken = new HashSet<>(SpecialTokens.DEFAULT);
        for (int b = 0; b < 256; b++) {
            String s = ByteUnicode.encode(new byte[] {(byte) b});
            ids.put(s, 4 + b);
            taken.add(s);
        }
        counts.forEach((w, c) -> {
            List<String> syms = new ArrayList<>();
            for (byte x : w.getBytes(StandardCharsets.UTF_8)) {
                syms.add(ByteUnicode.encode(new byte[] {x}));
            }
            words.merge(syms, c, Integer::sum);
        });
        List<String> merges = new ArrayList<>();
        Map<List<String>, Integer> current = words;
        while (merges.size() < maxMerges) {
            String[] best = bestPair(current, ids, taken);
            if (best == null) {
                break;
            }
            merges.add(best[0] + " " + best[1]);
            ids.put(best[0] + best[1], 4 + 256 + merges.size() - 1);
            taken.add(best[0] + best[1]);
            current = applyNaive(current, best);
        }
        return merges;
    }

    private static String[] bestPair(Map<List<String>, Integer> words, Map<String, Integer> ids, Set<String> taken) {
        Map<List<String>, Integer> pairs = new HashMap<>();
        words.forEach((w, c) -> {
            for (int i = 0; i + 1 < w.size(); i++) {
                pairs.merge(List.of(w.get(i), w.get(i + 1)), c, Integer::sum);
            }
        });
        List<String> best = null;
        int bestCount = 0;
        for (Map.Entry<List<String>, Integer> e : pairs.entrySet()) {
            List<String> p = e.getKey();
            if (taken.contains(p.get(0) + p.get(1))) {
                continue;
            }
            int c = e.getValue();
            if (best == null || c > bestCount || (c == bestCount && lower(p, best, ids))) {
                best = p;
                bestCount = c;
            }
        }
        return best == null ? null : new String[] {best.get(0), best.get(1)};
    }

    private static boolean lower(List<String> p, List<String> q, Map<String, Integer> ids) {
        int c = Integer.compare(ids.get(p.get(0)), ids.get(q.get(0)));
        return c != 0 ? c < 0 : ids.get(p.get(1)) < ids.get(q.get(1));
    }

    private static Map<List<String>, Integer> applyNaive(Map<List<String>, Integer> words, String[] pair) {
        Map<List<String>, Integer> out = new HashMap<>();
        words.forEach((w, c) -> {
            List<String> next = new ArrayList<>();
            for (int i = 0; i < w.size(); i++) {
                if (i + 1 < w.size() && w.get(i).equals(pair[0]) && w.get(i + 1).equals(pair[1])) {
                    next.add(pair[0] + pair[1]);
                    i++;
                } else {
                    next.add(w.get(i));
                }
            }
            out.merge(next, c, Integer::sum);
        });
        return out;
    }
}
