package rlhf4j.tokenizer;

import java.util.List;

/**
 * The special tokens of rlhf4j tokenizers. Special tokens take ids 0..k-1 in list order, ahead of the 256
 * byte tokens; they are only recognised by {@link BpeTokenizer#encodeWithSpecials(String)}.
 */
public final class SpecialTokens {
    /** Document separator; also the end-of-sequence marker. */
    public static final String ENDOFTEXT = "<|endoftext|>";
    /** Padding. */
    public static final String PAD = "<|pad|>";
    /** Start of a chat message (followed by the role). */
    public static final String IM_START = "<|im_start|>";
    /** End of a chat message. */
    public static final String IM_END = "<|im_end|>";

    /** The default special tokens, in id order: ENDOFTEXT=0, PAD=1, IM_START=2, IM_END=3. */
    public static final List<String> DEFAULT = List.of(ENDOFTEXT, PAD, IM_START, IM_END);

    private SpecialTokens() {
    }
}
