package rlhf4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Llama-3 and Qwen2 style tokenizer folders of {@code scripts/hf_llama_tokenizer_fixture.py} read by the
 * project and by Hugging Face's own JavaScript packages ({@code @huggingface/tokenizers} and
 * {@code @huggingface/jinja}, installed by npm into {@code target/hf-js} as {@code HfFilesTest} does): every
 * hostile text must encode to the same ids, special and plain added tokens included, and every conversation
 * must render to the same text, prompt and ids through the folder's chat template. Skipped, with a message, only
 * where node is not installed.
 */
class HfLlamaTokenizerTest {
    private static final String TOKENIZERS = "@huggingface/tokenizers@0.2.0";
    private static final String JINJA = "@huggingface/jinja@0.5.13";
    private static final Path NODE_DIR = Path.of("target", "hf-js");
    static final Path FIXTURES = Path.of("src", "test", "resources", "hf");
    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    @TempDir
    Path tmp;

    /** Texts where a careless pre-tokenizer, normalizer or added-token matcher goes wrong. */
    static List<String> hostileTexts() {
        return List.of("Hello world", "I'LL say it: DON'T, you'RE, she'S, we'Ve, they'd", "'s's 'S", "12345",
                "1234567 3.14159 x1y22z333 ١٢٣٤٥ ½ ²", "line\r\nCRLF\r\n\r\nend\r", "many      spaces   \t\ttabs  ",
                "trailing   ", "\n\n\n", "   leading", "Grüße, naïve café — crème brûlée", "e\u0301 vs \u00e9 and A\u030a",
                "日本語のテキスト、句読点。한국어", "😀 🎉 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈", "a\u00a0b\u3000c\u2028d\u0085e\u200bf", "a\u0085\u0085b a\u3000\u3000b a\u200b\u200bb  \u2003x",
                "<|im_start|>user\nhi<|im_end|>\n", "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nok",
                "<tool_call>{\"name\": \"f\"}</tool_call>", "<|begin_of_text|><|begin_of_text|>x<|endoftext|>",
                "<|im_start<|im_end|>|>", " inconceivable inconceivable Supercalifragilistic", "def f(x):\n    return x  # ok\n",
                "!!!??? ... ,,, ;;; $$$ ###", "αβγ ΔΕΖ ПРИВЕТ мир", "ǅemal ǈ Ǳ");
    }

    static List<List<Message>> conversations() {
        return List.of(
                List.of(Message.user("Correct this sentence: He go home."), Message.assistant("He goes home.")),
                List.of(Message.system("  You fix grammar.  "), Message.user("Grüße\r\n I'LL pay 12345 😀 "),
                        Message.assistant("\nIt is fine!  ")),
                List.of(Message.user("Two turns?"), Message.assistant("Yes."), Message.user("And a third\nline"),
                        Message.assistant("  Indented, with <tool_call> and e\u0301.")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3-tiny", "qwen2-tiny"})
    void huggingFaceEncodesAndRendersAsTheProjectDoes(String folder) throws IOException, InterruptedException {
        installHuggingFacePackages();
        // a fresh copy: the project renders strftime_now as the day the template file was last changed, and
        // Hugging Face's Jinja renders today
        Path dir = Files.createDirectories(tmp.resolve("copy-" + folder));
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(FIXTURES.resolve(folder).resolve(f), dir.resolve(f));
        }
        BpeTokenizer tok = BpeTokenizer.load(dir.resolve("tokenizer.json"));
        ChatTemplate template = ChatTemplate.load(tok, dir.resolve("tokenizer_config.json"));
        JsonNode hf = check(dir);
        List<String> texts = hostileTexts();
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(ints(hf.get("ids").get(i)), tok.encodeWithSpecials(texts.get(i)),
                    folder + ": ids of " + texts.get(i));
        }
        List<List<Message>> convs = conversations();
        for (int i = 0; i < convs.size(); i++) {
            List<Message> c = convs.get(i);
            assertEquals(hf.get("rendered").get(i).asText(), template.text(c, false), folder + ": rendering " + i);
            assertArrayEquals(ints(hf.get("renderedIds").get(i)), template.render(c).ids(), folder + ": ids " + i);
            List<Message> prompt = c.subList(0, c.size() - 1);
            assertEquals(hf.get("prompts").get(i).asText(), template.text(prompt, true), folder + ": prompt " + i);
            assertArrayEquals(ints(hf.get("promptIds").get(i)), template.renderPrompt(prompt), folder + ": prompt ids " + i);
        }
    }

    private JsonNode check(Path dir) throws IOException, InterruptedException {
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("texts", hostileTexts());
        List<Object> convs = new ArrayList<>();
        for (List<Message> c : conversations()) {
            convs.add(Message.toJson(c));
        }
        input.put("conversations", convs);
        Path in = tmp.resolve("input.json");
        Path out = tmp.resolve("output.json");
        MAPPER.writeValue(in.toFile(), input);
        run(NODE_DIR, "node", "check_tokenizer.mjs", dir.toAbsolutePath().toString(), in.toAbsolutePath().toString(),
                out.toAbsolutePath().toString());
        return MAPPER.readTree(out.toFile());
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static boolean onPath(String command) {
        try {
            Process p = new ProcessBuilder(command, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed:\n" + output);
        }
    }

    /** The packages in {@link #NODE_DIR} (installed once, shared with HfFilesTest); skips where node is absent. */
    private static void installHuggingFacePackages() throws IOException, InterruptedException {
        boolean node = onPath("node");
        if (!node) {
            System.out.println("HfLlamaTokenizerTest skipped: node is not installed (apt-get install -y nodejs npm)");
        }
        Assumptions.assumeTrue(node, "node is not installed");
        Files.createDirectories(NODE_DIR);
        if (!Files.isDirectory(NODE_DIR.resolve("node_modules/@huggingface/jinja"))
                || !Files.isDirectory(NODE_DIR.resolve("node_modules/@huggingface/tokenizers"))) {
            run(NODE_DIR, "npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", ".", TOKENIZERS, JINJA);
        }
        Files.copy(HfLlamaTokenizerTest.class.getResourceAsStream("/hf/check_tokenizer.mjs"),
                NODE_DIR.resolve("check_tokenizer.mjs"), StandardCopyOption.REPLACE_EXISTING);
    }
}
