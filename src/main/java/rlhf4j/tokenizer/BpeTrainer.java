package rlhf4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Learns byte-level BPE merges from a corpus: counts pre-tokenized words, then repeatedly merges the most
 * frequent adjacent pair (ties: lowest left id, then lowest right id). Pair counts are updated
 * incrementally: each pair keeps the list of words it occurs in, and a lazily-corrected max-heap finds
 * the next pair, so each merge only touches the words that contain it.
 *
 * <p>Token ids: byte b is {@code firstByteId + b}; merge i creates {@code firstByteId + 256 + i}.
 */
final class BpeTrainer {
    private final int firstByteId;
    private final Set<String> taken;

    // the corpus as distinct words, each a sequence of token ids with a weight (its count)
    private int[][] words;
    private int[] wordLength;
    private long[] wordWeight;

    // pair statistics, indexed by a slot number from pairSlots
    private final PairMap pairSlots = new PairMap(1 << 16);
    private int pairCount;
    private long[] count = new long[1 << 16];
    private int[] left = new int[1 << 16];
    private int[] right = new int[1 << 16];
    private IntList[] occurrences = new IntList[1 << 16];
    private int[] lastWord = new int[1 << 16];
    private int[] touchedBy = new int[1 << 16];
    private boolean[] banned = new boolean[1 << 16];

    private final PriorityQueue<Candidate> queue = new PriorityQueue<>();
    private final List<byte[]> tokenBytes = new ArrayList<>();
    private final List<int[]> merges = new ArrayList<>();

    /** A heap entry: a pair and its count when pushed (never below the current count). */
    private record Candidate(long count, int left, int right, int slot) implements Comparable<Candidate> {
        @Override
        public int compareTo(Candidate o) {
            if (count != o.count) {
                return Long.compare(o.count, count);
            }
            if (left != o.left) {
                return Integer.compare(left, o.left);
            }
            return Integer.compare(right, o.right);
        }
    }

    /**
     * @param firstByteId id of byte 0 (the number of special tokens)
     * @param specials    the special tokens' texts: a merge must not produce one (nor an existing token),
     *                    since tokenizer.json's vocab maps each string to one id
     */
    BpeTrainer(int firstByteId, Collection<String> specials) {
        this.firstByteId = firstByteId;
        this.taken = new HashSet<>(specials);
        for (int b = 0; b < 256; b++) {
            byte[] bytes = {(byte) b};
            tokenBytes.add(bytes);
            taken.add(ByteUnicode.encode(bytes));
        }
    }

    /** Learns up to maxMerges merges; returns them in order as {left id, right id}. */
    List<int[]> train(Iterable<String> documents, int maxMerges) {
        loadWords(countWords(documents));
        countPairs();
        while (merges.size() < maxMerges) {
            Candidate best = nextPair();
            if (best == null) {
                break;
            }
            int newId = firstByteId + 256 + merges.size();
            merges.add(new int[] {best.left, best.right});
            byte[] bytes = concat(bytesOf(best.left), bytesOf(best.right));
            tokenBytes.add(bytes);
            taken.add(ByteUnicode.encode(bytes));
            applyMerge(best.slot, best.left, best.right, newId);
        }
        return merges;
    }

    private static Map<String, long[]> countWords(Iterable<String> documents) {
        Map<String, long[]> counts = new HashMap<>();
        for (String doc : documents) {
            PreTokenizer.split(doc, (text, start, end) ->
                    counts.computeIfAbsent(text.substring(start, end), w -> new long[1])[0]++);
        }
        return counts;
    }

    private void loadWords(Map<String, long[]> counts) {
        int n = counts.size();
        words = new int[n][];
        wordLength = new int[n];
        wordWeight = new long[n];
        int w = 0;
        for (Map.Entry<String, long[]> e : counts.entrySet()) {
            byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] ids = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                ids[i] = firstByteId + (bytes[i] & 0xFF);
            }
            words[w] = ids;
            wordLength[w] = ids.length;
            wordWeight[w] = e.getValue()[0];
            w++;
        }
    }

    private void countPairs() {
        for (int w = 0; w < words.length; w++) {
            int[] ids = words[w];
            for (int i = 0; i + 1 < wordLength[w]; i++) {
                int slot = slotOf(ids[i], ids[i + 1]);
                count[slot] += wordWeight[w];
                noteOccurrence(slot, w);
            }
        }
        for (int slot = 0; slot < pairCount; slot++) {
            queue.add(new Candidate(count[slot], left[slot], right[slot], slot));
        }
    }

    /** Pops until the top entry is current; re-pushes stale entries with their current count. */
    private Candidate nextPair() {
        while (!queue.isEmpty()) {
            Candidate top = queue.poll();
            long current = count[top.slot];
            if (current <= 0 || banned[top.slot]) {
                continue;
            }
            if (current != top.count) {
                queue.add(new Candidate(current, top.left, top.right, top.slot));
                continue;
            }
            String merged = ByteUnicode.encode(concat(bytesOf(top.left), bytesOf(top.right)));
            if (taken.contains(merged)) {
                banned[top.slot] = true;
                continue;
            }
            return top;
        }
        return null;
    }

    /** Rewrites every word holding (a, b); adjusts pair counts; pushes the pairs that now hold newId. */
    private void applyMerge(int slot, int a, int b, int newId) {
        IntList touched = new IntList();
        IntList holders = occurrences[slot];
        for (int k = 0; k < holders.size(); k++) {
            int w = holders.get(k);
            if (!contains(w, a, b)) {
                continue; // a duplicate entry, or a word the pair left through an earlier merge
            }
            addPairs(w, -wordWeight[w], newId, null);
            mergeInWord(w, a, b, newId);
            addPairs(w, wordWeight[w], newId, touched);
        }
        occurrences[slot] = null;
        for (int k = 0; k < touched.size(); k++) {
            int s = touched.get(k);
            queue.add(new Candidate(count[s], left[s], right[s], s));
        }
    }

    private boolean contains(int w, int a, int b) {
        int[] ids = words[w];
        for (int i = 0; i + 1 < wordLength[w]; i++) {
            if (ids[i] == a && ids[i + 1] == b) {
                return true;
            }
        }
        return false;
    }

    /** Adds delta to the count of every adjacent pair of word w; records words for pairs with newId. */
    private void addPairs(int w, long delta, int newId, IntList touched) {
        int[] ids = words[w];
        for (int i = 0; i + 1 < wordLength[w]; i++) {
            int slot = slotOf(ids[i], ids[i + 1]);
            count[slot] += delta;
            if (touched != null && (ids[i] == newId || ids[i + 1] == newId)) {
                if (touchedBy[slot] != newId) {
                    touchedBy[slot] = newId;
                    touched.add(slot);
                }
                noteOccurrence(slot, w);
            }
        }
    }

    /** Replaces each non-overlapping (a, b), left to right, by newId. */
    private void mergeInWord(int w, int a, int b, int newId) {
        int[] ids = words[w];
        int n = wordLength[w];
        int out = 0;
        for (int i = 0; i < n; i++) {
            if (i + 1 < n && ids[i] == a && ids[i + 1] == b) {
                ids[out++] = newId;
                i++;
            } else {
                ids[out++] = ids[i];
            }
        }
        wordLength[w] = out;
    }

    private void noteOccurrence(int slot, int w) {
        if (lastWord[slot] == w) {
            return;
        }
        lastWord[slot] = w;
        if (occurrences[slot] == null) {
            occurrences[slot] = new IntList(4);
        }
        occurrences[slot].add(w);
    }

    private int slotOf(int a, int b) {
        int slot = pairSlots.get(a, b);
        if (slot >= 0) {
            return slot;
        }
        slot = pairCount++;
        if (slot == count.length) {
            growSlots();
        }
        left[slot] = a;
        right[slot] = b;
        lastWord[slot] = -1;
        pairSlots.put(a, b, slot);
        return slot;
    }

    private void growSlots() {
        int n = count.length * 2;
        count = Arrays.copyOf(count, n);
        left = Arrays.copyOf(left, n);
        right = Arrays.copyOf(right, n);
        occurrences = Arrays.copyOf(occurrences, n);
        lastWord = Arrays.copyOf(lastWord, n);
        touchedBy = Arrays.copyOf(touchedBy, n);
        banned = Arrays.copyOf(banned, n);
    }

    private byte[] bytesOf(int id) {
        return tokenBytes.get(id - firstByteId);
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }
}
