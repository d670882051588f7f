package rlhf4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.cli.Train;

/**
 * {@code ./train bench --peer} against a stand-in peer script (it records its arguments and prints fixed figures):
 * the peer gets the shape and {@code --precision bf16} when asked, and the ratio is ours over its figure.
 */
class PeerBenchTest {
    @Test
    void thePeerRunsInOurPrecision(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(hasPython(), "python3");
        Path args = tmp.resolve("args.txt");
        Path script = Files.writeString(tmp.resolve("peer.py"), String.join("\n",
                "import json, sys",
                "open(" + pyString(args.toString()) + ", 'a').write(' '.join(sys.argv[1:]) + '\\n')",
                "print(json.dumps({'peer': 'stand-in', 'train_tokens_per_s': 1000.0}))",
                "print(json.dumps({'peer': 'stand-in', 'gen_tokens_per_s': 500.0}))",
                ""));
        Path config = Files.writeString(tmp.resolve("bench.yaml"), String.join("\n",
                "model: {n_layer: 1, n_head: 2, n_embd: 16, block_size: 16}",
                "tokenizer: {vocab_size: 300}",
                "bench: {batch_size: 2, steps: 2, warmup_steps: 1, gen_batch: 2, gen_tokens: 4, gen_prompt_tokens: 4}",
                ""));
        for (String precision : List.of("fp32", "bf16")) {
            StringWriter err = new StringWriter();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.PrintStream stdout = System.out;
            int code;
            try {
                System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
                code = Train.run(new PrintWriter(err, true), new String[] {"bench", "--peer", "--rounds", "1",
                    "--config", config.toString(), "--peer-script", script.toString(), "--python", "python3",
                    "--set", "model.precision=" + precision});
            } finally {
                System.setOut(stdout);
            }
            assertEquals(0, code, err.toString());
            String printed = out.toString(java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(printed.contains(precision.equals("bf16") ? "torch.autocast" : "in FP32"), printed);
            assertTrue(printed.contains("ours (" + precision.toUpperCase(java.util.Locale.ROOT) + ")"), printed);
            assertTrue(printed.contains("| ours MFU | PyTorch MFU |"), printed);
        }
        List<String> calls = Files.readAllLines(args);
        assertEquals(2, calls.size());
        assertTrue(calls.get(0).contains("--dim 16") && !calls.get(0).contains("--precision"), calls.get(0));
        assertTrue(calls.get(1).endsWith("--precision bf16"), calls.get(1));
    }

    @Test
    void anUnknownPrecisionIsAConfigError(@TempDir Path tmp) {
        StringWriter err = new StringWriter();
        int code = Train.run(new PrintWriter(err, true), new String[] {"bench", "--peer", "--peer-precision", "fp8",
            "--peer-script", tmp.resolve("peer.py").toString()});
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("--peer-precision fp8"), err.toString());
    }

    private static String pyString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static boolean hasPython() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "pass").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
