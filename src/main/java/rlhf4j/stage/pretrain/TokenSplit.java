package rlhf4j.stage.pretrain;

import java.util.Arrays;
import java.util.List;
import rlhf4j.data.Document;
import rlhf4j.io.DataException;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * The tokenized corpus split for pretraining: each document, followed by {@code <|endoftext|>},
 * gives its first {@code 1 − val_fraction} of tokens to training and the rest to validation, so
 * every source is represented in both and no validation token is trained on.
 *
 * @param train training token stream
 * @param val   held-out token stream
 */
public record TokenSplit(int[] train, int[] val) {
    public static TokenSplit of(List<Document> docs, BpeTokenizer tokenizer, double valFraction, int blockSize) {
        int eot = tokenizer.id(SpecialTokens.ENDOFTEXT);
        IntBuffer train = new IntBuffer();
        IntBuffer val = new IntBuffer();
        for (Document doc : docs) {
            int[] ids = tokenizer.encode(doc.text());
            int cut = (int) Math.round(ids.length * (1.0 - valFraction));
            train.addAll(ids, 0, cut);
            train.add(eot);
            val.addAll(ids, cut, ids.length);
            val.add(eot);
        }
        TokenSplit split = new TokenSplit(train.toArray(), val.toArray());
        DataException tooSmall = null;
        if (split.train.length < blockSize + 1) {
            tooSmall = new DataException(docs.get(0).source(), "the training text has " + split.train.length
                    + " tokens, fewer than block_size + 1 = " + (blockSize + 1) + "; add text or lower model.block_size");
        } else if (split.val.length < blockSize + 1) {
            tooSmall = new DataException(docs.get(0).source(), "the held-out text has " + split.val.length
                    + " tokens, fewer than block_size + 1 = " + (blockSize + 1)
                    + "; raise pretrain.data.val_fraction or add text");
        }
        if (tooSmall != null) {
            throw tooSmall;
        }
        return split;
    }

    /** A growable int array. */
    private static final class IntBuffer {
        private int[] data = new int[1 << 16];
        private int size;

        void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, data.length * 2);
            }
            data[size++] = v;
        }

        void addAll(int[] src, int from, int to) {
            for (int i = from; i < to; i++) {
                add(src[i]);
            }
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
