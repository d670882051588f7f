package rlhf4j.config;

import static rlhf4j.config.Check.require;

/** The {@code tokenizer} section: the byte-level BPE vocabulary. */
public record TokenizerConfig(
        @Doc("vocabulary size: 4 special tokens + 256 bytes + BPE merges") int vocabSize) {

    /** 4 special tokens + 256 byte tokens + at least one merge. */
    public static final int MIN_VOCAB_SIZE = 261;

    public TokenizerConfig {
        require(vocabSize >= MIN_VOCAB_SIZE, "vocab_size",
                "must be at least %d (4 special tokens + 256 bytes + 1 merge), got %d", MIN_VOCAB_SIZE, vocabSize);
    }

    public static TokenizerConfig defaults() {
        return new TokenizerConfig(1024);
    }
}
