package rlhf4j.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Timing harness (not a test): trains on every .txt file of a folder at the given vocab sizes and reports
 * training time and encode throughput. Usage: TokenizerBench DIR [VOCAB...]
 */
public final class TokenizerBench {
    private TokenizerBench() {
    }

    public static void main(String[] args) throws IOException {
        List<String> docs = readDocs(Path.of(args[0]));
        long bytes = docs.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum();
        double mb = bytes / 1e6;
        System.out.printf("corpus: %d documents, %.2f MB%n", docs.size(), mb);
        timePreTokenizer(docs, mb);
        int[] vocabs = args.length > 1
                ? Arrays.stream(args).skip(1).mapToInt(Integer::parseInt).toArray() : new int[] {1024, 4096};
        for (int vocab : vocabs) {
            long t0 = System.nanoTime();
            BpeTokenizer tok = BpeTokenizer.train(docs, vocab, SpecialTokens.DEFAULT);
            double train = seconds(t0);
            System.out.printf("vocab %d: train %.2f s (%d merges)%n", vocab, train, tok.mergeCount());
            for (int pass = 1; pass <= 2; pass++) {
                long t1 = System.nanoTime();
                long tokens = 0;
                for (String d : docs) {
                    tokens += tok.encode(d).length;
                }
                double enc = seconds(t1);
                System.out.printf("  encode pass %d: %.2f s, %.1f MB/s, %d tokens (%.2f bytes/token)%n",
                        pass, enc, mb / enc, tokens, bytes / (double) tokens);
            }
            for (String d : docs) {
                if (!tok.decode(tok.encode(d)).equals(d)) {
                    throw new AssertionError("round trip failed");
                }
            }
            System.out.println("  round trip ok; fingerprint " + tok.fingerprint().substring(0, 16));
        }
    }

    private static void timePreTokenizer(List<String> docs, double mb) {
        long t0 = System.nanoTime();
        long pieces = 0;
        for (String d : docs) {
            pieces += PreTokenizer.split(d).size();
        }
        double scan = seconds(t0);
        System.out.printf("pre-tokenize: %.2f s (%.1f MB/s, %d pieces)%n", scan, mb / scan, pieces);
    }

    private static List<String> readDocs(Path dir) throws IOException {
        List<String> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".txt")).sorted().toList()) {
                docs.add(Files.readString(f));
            }
        }
        return docs;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
