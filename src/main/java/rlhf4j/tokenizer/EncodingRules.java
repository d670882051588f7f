package rlhf4j.tokenizer;

/**
 * What a tokenizer does to text before and around BPE, beyond the vocabulary and merges: the pre-tokenizer, NFC
 * normalization (Qwen2) and {@code ignore_merges} (Llama-3: a piece that is itself in the vocabulary is that one
 * token, whatever the merges would make of it). {@link #GPT2} is what trained tokenizers and GPT-2's files use.
 */
record EncodingRules(PreTokenizer preTokenizer, boolean nfc, boolean ignoreMerges) {
    static final EncodingRules GPT2 = new EncodingRules(PreTokenizer.GPT2, false, false);

    boolean isGpt2() {
        return preTokenizer == PreTokenizer.GPT2 && !nfc && !ignoreMerges;
    }
}
