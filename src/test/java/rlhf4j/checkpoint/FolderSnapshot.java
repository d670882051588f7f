package rlhf4j.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** SHA-256 of every regular file under a folder, by relative path: "nothing was written over" in one equals. */
public final class FolderSnapshot {
    private FolderSnapshot() {}

    /** {@code relative path -> sha256 hex} of the files under {@code dir} (empty when it does not exist). */
    public static Map<String, String> of(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            out.put(dir.relativize(f).toString(), sha256(Files.readAllBytes(f)));
        }
        return out;
    }

    /** As {@link #of}, only the given files of {@code dir}. */
    public static Map<String, String> of(Path dir, List<String> names) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String n : names) {
            Path f = dir.resolve(n);
            out.put(n, Files.exists(f) ? sha256(Files.readAllBytes(f)) : "missing");
        }
        return out;
    }

    /** The checkpoint proper (not the live metrics.csv and samples.txt a resumed run appends to). */
    public static final List<String> CHECKPOINT_FILES = List.of(StageCheckpoint.MODEL, StageCheckpoint.CONFIG,
            StageCheckpoint.TOKENIZER, StageCheckpoint.TRAINER_STATE, StageCheckpoint.OPTIMIZER);

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
