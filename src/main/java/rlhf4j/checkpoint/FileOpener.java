package rlhf4j.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens the files a checkpoint is written to ({@link StageCheckpoint#save(Path, StageCheckpoint.Contents, FileOpener)},
 * {@link SafeTensors#write(Path, java.util.Map, java.util.Map, FileOpener)}). {@link #FILES} is the real
 * thing; tests pass one whose channels fail part-way, like a full disk, to check that a failed save
 * leaves the last good checkpoint as it was.
 */
@FunctionalInterface
public interface FileOpener {
    /** Plain files: created or truncated. */
    FileOpener FILES = file -> FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);

    /** A channel writing {@code file} from its start, replacing what was there. */
    WritableByteChannel open(Path file) throws IOException;
}
