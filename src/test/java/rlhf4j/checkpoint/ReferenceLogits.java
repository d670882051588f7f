package rlhf4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.InferenceModel;
import rlhf4j.model.KvCache;
import rlhf4j.model.TokenBatch;

/**
 * The Hugging Face folder tests' check against {@code scripts/hf_reference_logits.py}: running the script where
 * {@code /usr/bin/python3} has torch, and comparing a loaded model's logits with its rows ({@code {"tokens",
 * "logits"}}) on both engines and through the KV cache, to 1e-4.
 */
final class ReferenceLogits {
    private ReferenceLogits() {}

    /** Whether {@code /usr/bin/python3} has torch, which the script needs. */
    static boolean hasTorch() {
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** The script's logits of {@code tokens} for the folder {@code dir}, written to {@code out} and read back. */
    static JsonNode compute(Path dir, Path out, int[] tokens) throws IOException, InterruptedException {
        List<String> cmd = List.of("/usr/bin/python3", "scripts/hf_reference_logits.py", dir.toString(), out.toString(),
                String.join(",", Arrays.stream(tokens).mapToObj(String::valueOf).toList()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, log);
        return Json.readTree(out);
    }

    /**
     * The loaded model's logits of the expected tokens against the expected rows, on both engines and the KV cache.
     * With {@code sameVocabulary} the model has exactly the rows' columns; otherwise at least those (the chat tokens
     * an import adds come after), and the rows are compared on theirs.
     */
    static void assertMatches(JsonNode expected, StageCheckpoint.Loaded loaded, boolean sameVocabulary, String what) {
        JsonNode ids = expected.get("tokens");
        int[] tokens = new int[ids.size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = ids.get(i).asInt();
        }
        TokenBatch batch = TokenBatch.causal(new int[][] {tokens});
        HeadRequest request = HeadRequest.lm(new int[tokens.length]).withLogits();
        for (Engine engine : List.of(Engine.GRAPH, Engine.KERNELS)) {
            Gpt gpt = new Gpt(loaded.spec(), copy(loaded.params()), engine);
            compare(expected, gpt.forward(request, batch).logits(), sameVocabulary, what + ", " + engine + " engine");
        }
        InferenceModel decoder = new Gpt(loaded.spec(), copy(loaded.params())).decoder();
        KvCache cache = decoder.newCache(1, tokens.length);
        List<double[]> rows = new ArrayList<>();
        for (int t = 0; t < tokens.length; t++) {
            rows.add(decoder.forward(cache, 1, new int[] {tokens[t]}, new int[] {t}, new int[] {1}).getRow(0)
                    .toDoubleVector());
        }
        compare(expected, Nd4j.createFromArray(rows.toArray(new double[0][])), sameVocabulary, what + ", KV cache");
    }

    private static LinkedHashMap<String, INDArray> copy(Map<String, INDArray> params) {
        LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.dup()));
        return out;
    }

    private static void compare(JsonNode expected, INDArray logits, boolean sameVocabulary, String what) {
        JsonNode rows = expected.get("logits");
        assertEquals(rows.size(), logits.size(0), what);
        double worst = 0;
        for (int t = 0; t < rows.size(); t++) {
            if (sameVocabulary) {
                assertEquals(rows.get(t).size(), logits.size(1), what);
            } else {
                assertTrue(rows.get(t).size() <= logits.size(1), what);
            }
            for (int j = 0; j < rows.get(t).size(); j++) {
                worst = Math.max(worst, Math.abs(rows.get(t).get(j).asDouble() - logits.getDouble(t, j)));
            }
        }
        assertTrue(worst < 1e-4, what + ": max |ours − reference| = " + worst);
    }
}
