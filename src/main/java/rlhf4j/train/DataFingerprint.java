package rlhf4j.train;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 of the training data exactly as a stage feeds it to the model (token ids, in order), kept in
 * {@code trainer_state.json} as {@code data_sha256}: a resumed run whose data changed since the checkpoint would
 * silently continue on other batches, so it is refused instead.
 */
public final class DataFingerprint {
    private final MessageDigest digest;

    public DataFingerprint() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }

    /** Adds a sequence: its length, then its values, so [1, 2][3] and [1][2, 3] differ. */
    public DataFingerprint add(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * (values.length + 1)).putInt(values.length);
        for (int v : values) {
            b.putInt(v);
        }
        digest.update(b.array());
        return this;
    }

    public DataFingerprint add(double value) {
        digest.update(ByteBuffer.allocate(8).putDouble(value).array());
        return this;
    }

    public String hex() {
        return HexFormat.of().formatHex(digest.digest());
    }
}
