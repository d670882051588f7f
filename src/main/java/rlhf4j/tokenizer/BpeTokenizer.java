package rlhf4j.tokenizer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE tokenizer (GPT-2 style): trains merges from a corpus, encodes text and bytes to token ids,
 * decodes ids back, and reads/writes the Hugging Face {@code tokenizer.json} format: GPT-2's, and the Llama-3 and
 * Qwen2 kind (a {@code Split} regex before byte-level BPE, optional NFC, {@code ignore_merges}; see
 * {@link EncodingRules}).
 *
 * <p>Added tokens (a file's {@code added_tokens}) are matched whole in text by {@link #encodeWithSpecials} and
 * never split by BPE. Most are special tokens; a file may also add plain ones ({@code "special": false}, as
 * Qwen2's {@code <tool_call>}), which decoding keeps even when it skips special tokens.
 *
 * <p>Id layout of trained and {@link #byteLevel} tokenizers: the k special tokens take 0..k-1, the 256
 * byte tokens k..k+255 (in byte order), merged tokens follow in merge order. A loaded file may use any
 * layout. Immutable; encode and decode are thread-safe (the per-piece cache is a concurrent map).
 */
public final class BpeTokenizer {
    private static final int CACHE_LIMIT = 100_000;
    private static final int MAX_CACHED_PIECE = 256;

    private final byte[][] tokenBytes;
    /** Per id, the added token's text, or null for an ordinary (BPE) token. */
    private final String[] specialText;
    /** Per id, whether it is a special token; false for ordinary tokens and plain added tokens. */
    private final boolean[] special;
    /** The added tokens, in id order. */
    private final List<String> added;
    private final Map<String, Integer> specialIds;
    private final int[] byteIds;
    private final int[][] merges;
    private final PairMap ranks;
    private final EncodingRules rules;
    /** For ignore_merges: each ordinary token's bytes (as ISO-8859-1 text) to its id; empty otherwise. */
    private final Map<String, Integer> wholeTokens;
    private final String fingerprint;
    /** The imported model's chat template (tokenizer_config.json's), or null for this project's ChatML. */
    private final ChatTemplateSource chatTemplate;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * A tokenizer with GPT-2's rules whose added tokens are all special.
     *
     * @param tokenBytes  per id, the token's bytes (for a special token: its UTF-8 text)
     * @param specialText per id, the special token's text, or null for an ordinary token
     * @param merges      in rank order, {left id, right id, result id}
     * @throws IllegalArgumentException when the parts are inconsistent
     */
    BpeTokenizer(byte[][] tokenBytes, String[] specialText, int[][] merges) {
        this(tokenBytes, specialText, allAdded(specialText), merges, EncodingRules.GPT2);
    }

    /**
     * @param addedText per id, the added token's text, or null for an ordinary token
     * @param special   per id, whether the added token there is special (false for ordinary tokens)
     * @param rules     what happens to text before BPE
     * @throws IllegalArgumentException when the parts are inconsistent
     */
    BpeTokenizer(byte[][] tokenBytes, String[] addedText, boolean[] special, int[][] merges, EncodingRules rules) {
        if (tokenBytes.length != addedText.length || tokenBytes.length != special.length) {
            throw new IllegalArgumentException("token bytes and special flags differ in length");
        }
        this.tokenBytes = tokenBytes.clone();
        this.specialText = addedText.clone();
        this.special = special.clone();
        for (int id = 0; id < special.length; id++) {
            if (this.special[id] && this.specialText[id] == null) {
                throw new IllegalArgumentException("token " + id + " is special but not an added token");
            }
        }
        this.merges = merges.clone();
        this.rules = rules;
        this.specialIds = indexSpecials(this.specialText);
        this.added = listSpecials(this.specialText);
        this.byteIds = indexBytes(this.tokenBytes, this.specialText);
        checkUniqueStrings();
        this.ranks = indexMerges();
        this.wholeTokens = rules.ignoreMerges() ? indexWholeTokens() : Map.of();
        this.fingerprint = computeFingerprint();
        this.chatTemplate = null;
    }

    /** {@code base} with another chat template (the tables are shared: both are immutable). */
    private BpeTokenizer(BpeTokenizer base, ChatTemplateSource chatTemplate) {
        this.tokenBytes = base.tokenBytes;
        this.specialText = base.specialText;
        this.special = base.special;
        this.added = base.added;
        this.specialIds = base.specialIds;
        this.byteIds = base.byteIds;
        this.merges = base.merges;
        this.ranks = base.ranks;
        this.rules = base.rules;
        this.wholeTokens = base.wholeTokens;
        this.fingerprint = base.fingerprint;
        this.chatTemplate = chatTemplate;
    }

    /**
     * This tokenizer with an imported model's chat template, which {@link ChatTemplate#of} then renders (as a
     * Hugging Face tokenizer carries its {@code chat_template}); null for this project's ChatML.
     */
    public BpeTokenizer withChatTemplate(ChatTemplateSource template) {
        return template == chatTemplate ? this : new BpeTokenizer(this, template);
    }

    /** The imported chat template, or null for this project's ChatML. */
    public ChatTemplateSource chatTemplate() {
        return chatTemplate;
    }

    private static boolean[] allAdded(String[] addedText) {
        boolean[] special = new boolean[addedText.length];
        for (int id = 0; id < addedText.length; id++) {
            special[id] = addedText[id] != null;
        }
        return special;
    }

    // ---------------------------------------------------------------- construction

    /**
     * Trains a tokenizer with {@code vocabSize} tokens in all: the special tokens, the 256 bytes and
     * {@code vocabSize - k - 256} merges. When the corpus runs out of pairs to merge, training stops early
     * and {@link #vocabSize()} is smaller than requested. Special-token strings in the documents are
     * treated as plain text. Deterministic: the same documents give the same merges.
     *
     * @throws IllegalArgumentException when vocabSize is below k + 256, or the special tokens are invalid
     */
    public static BpeTokenizer train(Iterable<String> documents, int vocabSize, List<String> specialTokens) {
        checkSpecials(specialTokens);
        int k = specialTokens.size();
        if (vocabSize < k + 256) {
            throw new IllegalArgumentException("vocab_size " + vocabSize + " is below " + (k + 256)
                    + " (" + k + " special tokens + 256 bytes)");
        }
        List<int[]> pairs = new BpeTrainer(k, specialTokens).train(documents, vocabSize - k - 256);
        return fromLayout(specialTokens, pairs);
    }

    /** A tokenizer without merges: the special tokens, then the 256 byte tokens. */
    public static BpeTokenizer byteLevel(List<String> specialTokens) {
        checkSpecials(specialTokens);
        return fromLayout(specialTokens, List.of());
    }

    /**
     * Reads a Hugging Face tokenizer.json holding a byte-level BPE model: as written by {@link #save}, as GPT-2
     * ships it, or as Llama-3, Qwen2 and models built on them (SmolLM2, Llama-3.2) ship it. Anything in the file
     * this tokenizer would not reproduce exactly (another normalizer, pre-tokenizer or model type, byte fallback,
     * added tokens that strip spaces) is refused rather than approximated.
     *
     * @throws rlhf4j.io.DataException when the file cannot be read or is not such a tokenizer
     */
    public static BpeTokenizer load(Path file) {
        return TokenizerJson.read(file);
    }

    /** Reads a GPT-2 style {@code vocab.json} and {@code merges.txt} pair. */
    public static BpeTokenizer loadVocabMerges(Path vocab, Path merges) {
        return TokenizerJson.readVocabMerges(vocab, merges);
    }

    /**
     * This tokenizer with each of {@code tokens} it lacks appended as a special token, in order, at the next
     * ids (what Hugging Face's {@code add_special_tokens} does); the same tokenizer when it has them all.
     */
    public BpeTokenizer withSpecialTokens(List<String> tokens) {
        List<String> missing = tokens.stream().filter(t -> !specialIds.containsKey(t)).toList();
        if (missing.isEmpty()) {
            return this;
        }
        byte[][] bytes = Arrays.copyOf(tokenBytes, tokenBytes.length + missing.size());
        String[] text = Arrays.copyOf(specialText, specialText.length + missing.size());
        boolean[] isSpecial = Arrays.copyOf(special, special.length + missing.size());
        for (int i = 0; i < missing.size(); i++) {
            bytes[tokenBytes.length + i] = missing.get(i).getBytes(StandardCharsets.UTF_8);
            text[tokenBytes.length + i] = missing.get(i);
            isSpecial[tokenBytes.length + i] = true;
        }
        return new BpeTokenizer(bytes, text, isSpecial, merges, rules).withChatTemplate(chatTemplate);
    }

    /**
     * Writes this tokenizer as a Hugging Face tokenizer.json (stable key order).
     *
     * @throws java.io.UncheckedIOException when the file cannot be written
     */
    public void save(Path file) {
        TokenizerJson.write(this, file);
    }

    /** Writes this tokenizer's tokenizer.json text to {@code out} (left open). */
    public void save(OutputStream out) throws IOException {
        TokenizerJson.write(this, out);
    }

    /** Builds the standard layout: specials 0..k-1, bytes k..k+255, then one token per merge. */
    private static BpeTokenizer fromLayout(List<String> specialTokens, List<int[]> pairs) {
        int k = specialTokens.size();
        int size = k + 256 + pairs.size();
        byte[][] bytes = new byte[size][];
        String[] special = new String[size];
        for (int i = 0; i < k; i++) {
            special[i] = specialTokens.get(i);
            bytes[i] = special[i].getBytes(StandardCharsets.UTF_8);
        }
        for (int b = 0; b < 256; b++) {
            bytes[k + b] = new byte[] {(byte) b};
        }
        int[][] merges = new int[pairs.size()][];
        for (int r = 0; r < pairs.size(); r++) {
            int[] p = pairs.get(r);
            int id = k + 256 + r;
            merges[r] = new int[] {p[0], p[1], id};
            bytes[id] = concat(bytes[p[0]], bytes[p[1]]);
        }
        return new BpeTokenizer(bytes, special, merges);
    }

    private static void checkSpecials(List<String> specialTokens) {
        Set<String> seen = new HashSet<>();
        for (String s : specialTokens) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("special tokens must be non-empty strings");
            }
            if (!seen.add(s)) {
                throw new IllegalArgumentException("duplicate special token " + s);
            }
        }
    }

    // ---------------------------------------------------------------- encoding

    /** Encodes plain text: special-token strings are encoded as ordinary text. */
    public int[] encode(String text) {
        IntList out = new IntList(text.length() / 3 + 16);
        encodeInto(normalize(text), out);
        return out.toArray();
    }

    /**
     * Encodes text, emitting the id of each exact occurrence of an added token's string (special or not), as
     * Hugging Face's {@code encode(text, add_special_tokens=False)} does: the earliest occurrence first, the
     * longest on a tie; the text between them is normalized and encoded.
     */
    public int[] encodeWithSpecials(String text) {
        IntList out = new IntList(text.length() / 3 + 16);
        int[] next = new int[added.size()];
        Arrays.fill(next, -2);
        int pos = 0;
        while (pos < text.length()) {
            int found = nextSpecial(text, pos, next);
            int start = found < 0 ? text.length() : next[found];
            encodeInto(normalize(text.substring(pos, start)), out);
            if (found < 0) {
                break;
            }
            out.add(specialIds.get(added.get(found)));
            pos = start + added.get(found).length();
        }
        return out.toArray();
    }

    /**
     * Encodes arbitrary bytes: well-formed UTF-8 runs like {@link #encode} but never normalized, each other byte
     * as its byte token. {@code decodeBytes(encodeBytes(b))} equals b for every array.
     */
    public int[] encodeBytes(byte[] bytes) {
        IntList out = new IntList(bytes.length / 3 + 16);
        int runStart = 0;
        int i = 0;
        while (i < bytes.length) {
            int len = Utf8.sequenceLength(bytes, i);
            if (len > 0) {
                i += len;
                continue;
            }
            encodeInto(new String(bytes, runStart, i - runStart, StandardCharsets.UTF_8), out);
            out.add(byteIds[bytes[i] & 0xFF]);
            i++;
            runStart = i;
        }
        encodeInto(new String(bytes, runStart, bytes.length - runStart, StandardCharsets.UTF_8), out);
        return out.toArray();
    }

    /**
     * Index (into specials) of the earliest special occurrence at or after pos, the longest on a tie;
     * -1 if none. next[] caches each special's next occurrence between calls (-2: not searched yet).
     */
    private int nextSpecial(String text, int pos, int[] next) {
        int best = -1;
        for (int s = 0; s < next.length; s++) {
            if (next[s] == -2 || (next[s] >= 0 && next[s] < pos)) {
                next[s] = text.indexOf(added.get(s), pos);
            }
            if (next[s] < 0) {
                continue;
            }
            if (best < 0 || next[s] < next[best]
                    || (next[s] == next[best] && added.get(s).length() > added.get(best).length())) {
                best = s;
            }
        }
        return best;
    }

    /** NFC when the tokenizer's normalizer asks for it (Qwen2); the text itself otherwise. */
    private String normalize(String text) {
        return rules.nfc() ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
    }

    private void encodeInto(String text, IntList out) {
        rules.preTokenizer().pieces(text, (t, start, end) -> out.addAll(encodePiece(t.substring(start, end))));
    }

    private int[] encodePiece(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        Integer whole = wholeTokens.isEmpty() ? null : wholeTokens.get(new String(bytes, StandardCharsets.ISO_8859_1));
        if (whole != null) {
            return new int[] {whole}; // ignore_merges: Hugging Face looks the piece up before merging
        }
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = byteIds[bytes[i] & 0xFF];
        }
        ids = applyMerges(ids);
        if (piece.length() <= MAX_CACHED_PIECE) {
            if (cache.size() >= CACHE_LIMIT) {
                cache.clear();
            }
            cache.put(piece, ids);
        }
        return ids;
    }

    /**
     * Standard BPE: repeatedly merges the adjacent pair of lowest rank (leftmost on a tie), using a
     * linked list of symbols and a min-heap of candidate (rank, position) entries; O(n log n).
     */
    int[] applyMerges(int[] ids) {
        int n = ids.length;
        if (n < 2 || merges.length == 0) {
            return ids;
        }
        int[] sym = ids.clone();
        int[] next = new int[n];
        int[] prev = new int[n];
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            if (i + 1 < n) {
                pushPair(heap, sym, i, i + 1);
            }
        }
        int alive = n;
        while (!heap.isEmpty()) {
            long entry = heap.pop();
            int rank = (int) (entry >>> 32);
            int i = (int) entry;
            int j = sym[i] < 0 ? -1 : next[i];
            if (j < 0 || ranks.get(sym[i], sym[j]) != rank) {
                continue; // stale: the pair at i changed since it was pushed
            }
            sym[i] = merges[rank][2];
            sym[j] = -1;
            next[i] = next[j];
            if (next[j] >= 0) {
                prev[next[j]] = i;
                pushPair(heap, sym, i, next[i]);
            }
            if (prev[i] >= 0) {
                pushPair(heap, sym, prev[i], i);
            }
            alive--;
        }
        int[] out = new int[alive];
        for (int i = 0, o = 0; i >= 0; i = next[i]) {
            out[o++] = sym[i];
        }
        return out;
    }

    private void pushPair(LongHeap heap, int[] sym, int i, int j) {
        int rank = ranks.get(sym[i], sym[j]);
        if (rank >= 0) {
            heap.push(((long) rank << 32) | i);
        }
    }

    // ---------------------------------------------------------------- decoding

    /** Decodes to text; special tokens appear as their text, invalid UTF-8 as U+FFFD. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /** Decodes to text, leaving special tokens (not plain added ones) out when skipSpecials is set. */
    public String decode(int[] ids, boolean skipSpecials) {
        return new String(bytes(ids, skipSpecials), StandardCharsets.UTF_8);
    }

    /** The bytes the ids stand for; special tokens contribute their UTF-8 text. */
    public byte[] decodeBytes(int[] ids) {
        return bytes(ids, false);
    }

    private byte[] bytes(int[] ids, boolean skipSpecials) {
        int length = 0;
        for (int id : ids) {
            checkId(id);
            if (!(skipSpecials && special[id])) {
                length += tokenBytes[id].length;
            }
        }
        byte[] out = new byte[length];
        int pos = 0;
        for (int id : ids) {
            if (!(skipSpecials && special[id])) {
                byte[] b = tokenBytes[id];
                System.arraycopy(b, 0, out, pos, b.length);
                pos += b.length;
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- vocabulary

    /**
     * The number of tokens. For a trained tokenizer this is the requested vocab size, or less when the
     * corpus ran out of pairs to merge.
     */
    public int vocabSize() {
        return tokenBytes.length;
    }

    /** The number of merges. */
    public int mergeCount() {
        return merges.length;
    }

    /**
     * The id of an added token (special or plain).
     *
     * @throws IllegalArgumentException when token is not one of this tokenizer's added tokens
     */
    public int id(String token) {
        Integer id = specialIds.get(token);
        if (id == null) {
            throw new IllegalArgumentException("unknown special token " + token);
        }
        return id;
    }

    /** Whether the id is a special token (false for ids out of range and for plain added tokens). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    /** The special tokens, in id order. */
    public List<String> specialTokens() {
        if (added.stream().allMatch(t -> special[specialIds.get(t)])) {
            return added;
        }
        return added.stream().filter(t -> special[specialIds.get(t)]).toList();
    }

    /** Whether the id is an added token, special or plain (false for ids out of range). */
    public boolean isAdded(int id) {
        return id >= 0 && id < specialText.length && specialText[id] != null;
    }

    /** Every added token, special or plain, in id order. */
    public List<String> addedTokens() {
        return added;
    }

    /** What happens to text before BPE (for writing the file). */
    EncodingRules rules() {
        return rules;
    }

    /** The token as written in tokenizer.json's vocab: GPT-2 byte-to-unicode string, or the special text. */
    public String tokenString(int id) {
        checkId(id);
        return specialText[id] != null ? specialText[id] : ByteUnicode.encode(tokenBytes[id]);
    }

    /** SHA-256 (hex) over the vocabulary and merges: equal for tokenizers that encode alike. */
    public String fingerprint() {
        return fingerprint;
    }

    /** The merge of the given rank as {left id, right id, result id}. */
    int[] merge(int rank) {
        return merges[rank].clone();
    }

    private void checkId(int id) {
        if (id < 0 || id >= tokenBytes.length) {
            throw new IllegalArgumentException("token id " + id + " out of range [0, " + tokenBytes.length + ")");
        }
    }

    // ---------------------------------------------------------------- validation and indexes

    private static Map<String, Integer> indexSpecials(String[] specialText) {
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < specialText.length; id++) {
            if (specialText[id] != null && ids.put(specialText[id], id) != null) {
                throw new IllegalArgumentException("duplicate special token " + specialText[id]);
            }
        }
        return Collections.unmodifiableMap(ids);
    }

    private static List<String> listSpecials(String[] specialText) {
        List<String> list = new ArrayList<>();
        for (String s : specialText) {
            if (s != null) {
                list.add(s);
            }
        }
        return List.copyOf(list);
    }

    private static int[] indexBytes(byte[][] tokenBytes, String[] specialText) {
        int[] ids = new int[256];
        Arrays.fill(ids, -1);
        for (int id = 0; id < tokenBytes.length; id++) {
            if (specialText[id] == null && tokenBytes[id].length == 1) {
                ids[tokenBytes[id][0] & 0xFF] = id;
            }
        }
        for (int b = 0; b < 256; b++) {
            if (ids[b] < 0) {
                throw new IllegalArgumentException("no token for byte " + b);
            }
        }
        return ids;
    }

    private void checkUniqueStrings() {
        Map<String, Integer> seen = new HashMap<>();
        for (int id = 0; id < tokenBytes.length; id++) {
            if (specialText[id] == null && tokenBytes[id].length == 0) {
                throw new IllegalArgumentException("token " + id + " is empty");
            }
            Integer other = seen.put(tokenString(id), id);
            if (other != null) {
                throw new IllegalArgumentException("tokens " + other + " and " + id + " are both "
                        + tokenString(id));
            }
        }
    }

    private PairMap indexMerges() {
        PairMap map = new PairMap(merges.length);
        for (int r = 0; r < merges.length; r++) {
            int[] m = merges[r];
            for (int part : m) {
                checkId(part);
                if (specialText[part] != null) {
                    throw new IllegalArgumentException("merge " + r + " uses special token " + part);
                }
            }
            if (!Arrays.equals(tokenBytes[m[2]], concat(tokenBytes[m[0]], tokenBytes[m[1]]))) {
                throw new IllegalArgumentException("merge " + r + ": " + tokenString(m[0]) + " + "
                        + tokenString(m[1]) + " does not make " + tokenString(m[2]));
            }
            if (map.get(m[0], m[1]) < 0) {
                map.put(m[0], m[1], r); // a repeated merge keeps its first (lowest) rank
            }
        }
        return map;
    }

    private String computeFingerprint() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            StringBuilder text = new StringBuilder("rlhf4j-bpe-v1\n");
            for (int id = 0; id < tokenBytes.length; id++) {
                text.append(special[id] ? "S " : specialText[id] != null ? "A " : "T ").append(tokenString(id))
                        .append('\n');
            }
            for (int[] m : merges) {
                text.append("M ").append(m[0]).append(' ').append(m[1]).append(' ').append(m[2]).append('\n');
            }
            if (!rules.isGpt2()) { // GPT-2's rules add nothing, so fingerprints from before they existed still hold
                String regex = rules.preTokenizer().hfRegex();
                text.append("P ").append(regex == null ? "gpt2" : regex).append('\n');
                text.append("N ").append(rules.nfc() ? "NFC" : "none").append('\n');
                text.append("I ").append(rules.ignoreMerges()).append('\n');
            }
            return HexFormat.of().formatHex(sha.digest(text.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private Map<String, Integer> indexWholeTokens() {
        Map<String, Integer> map = new HashMap<>();
        for (int id = 0; id < tokenBytes.length; id++) {
            if (specialText[id] == null) {
                map.put(new String(tokenBytes[id], StandardCharsets.ISO_8859_1), id);
            }
        }
        return map;
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }
}
