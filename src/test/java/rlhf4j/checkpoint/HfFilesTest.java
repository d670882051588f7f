package rlhf4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptSpec;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * A stage folder read by Hugging Face's own JavaScript packages ({@code @huggingface/tokenizers} and {@code
 * @huggingface/jinja}, installed by npm into {@code target/hf-js}): they encode text to the ids the project's
 * tokenizer gives, and the folder's chat template renders each conversation to the text (and, encoded, the
 * ids) of {@link ChatTemplate}, with and without the generation prompt. Skipped, with a message, only where
 * node is not installed.
 */
class HfFilesTest {
    private static final String TOKENIZERS = "@huggingface/tokenizers@0.2.0";
    private static final String JINJA = "@huggingface/jinja@0.5.13";
    private static final Path NODE_DIR = Path.of("target", "hf-js");

    @TempDir
    static Path tmp;

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

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + output);
        return output;
    }

    /** The packages in {@link #NODE_DIR} (installed once); skips the calling test where node is absent. */
    private static void installHuggingFacePackages() throws IOException, InterruptedException {
        boolean node = onPath("node");
        if (!node) {
            System.out.println("HfFilesTest skipped: node is not installed (apt-get install -y nodejs npm)");
        }
        Assumptions.assumeTrue(node, "node is not installed");
        Files.createDirectories(NODE_DIR);
        if (!Files.isDirectory(NODE_DIR.resolve("node_modules/@huggingface/jinja"))
                || !Files.isDirectory(NODE_DIR.resolve("node_modules/@huggingface/tokenizers"))) {
            run(NODE_DIR, "npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", ".", TOKENIZERS, JINJA);
        }
        Files.copy(HfFilesTest.class.getResourceAsStream("/hf/check.mjs"), NODE_DIR.resolve("check.mjs"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<List<Message>> conversations() {
        return List.of(
                List.of(Message.user("Correct this sentence: He go home."), Message.assistant("He goes home.")),
                List.of(Message.system("You fix grammar."), Message.user("Correct this sentence: Grüße, it  are fine!"),
                        Message.assistant("Grüße, it is fine!")),
                List.of(Message.user("Two turns?"), Message.assistant("Yes."), Message.user("And a third\nline"),
                        Message.assistant("  Indented, with 123 digits and émojis 🙂.")));
    }

    private static List<String> texts() {
        return List.of("Hello world", "  leading spaces and trailing ", "Grüße, naïve café — 😀 ok?",
                "numbers 12345 and symbols #$%&*()", "tabs\tand\nnew\n\nlines", "<|im_start|>user\nhi<|im_end|>\n",
                "<|endoftext|>two<|pad|>specials");
    }

    /** Runs the JavaScript check on a stage folder written by {@link StageCheckpoint#save}. */
    private static JsonNode check(Path stageDir) throws IOException, InterruptedException {
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("texts", texts());
        List<Object> convs = new ArrayList<>();
        for (List<Message> c : conversations()) {
            convs.add(c.stream().map(m -> Map.of("role", m.role(), "content", m.content())).toList());
        }
        input.put("conversations", convs);
        Path in = tmp.resolve("input.json");
        Path out = tmp.resolve("output.json");
        Files.writeString(in, Json.toString(input));
        run(NODE_DIR, "node", "check.mjs", stageDir.toAbsolutePath().toString(), in.toAbsolutePath().toString(),
                out.toAbsolutePath().toString());
        return Json.readTree(out);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static Path stageFolder(String stage) {
        List<String> corpus = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            corpus.add("Correct this sentence: He go home. He goes home " + i + ". Grüße, it is fine! numbers 12345");
        }
        BpeTokenizer tok = BpeTokenizer.train(corpus, 400, SpecialTokens.DEFAULT);
        GptSpec spec = new GptSpec(1, 2, 8, 32, tok.vocabSize());
        Gpt gpt = Gpt.create(spec, DataType.FLOAT, 1, 0.02);
        Path dir = tmp.resolve(stage);
        StageCheckpoint.save(dir, new StageCheckpoint.Contents(stage, spec, gpt.params(), tok, Map.of("step", 0),
                Map.of()));
        return dir;
    }

    @Test
    void huggingFaceEncodesAndRendersAsTheProjectDoes() throws IOException, InterruptedException {
        installHuggingFacePackages();
        Path dir = stageFolder("sft");
        BpeTokenizer tok = StageCheckpoint.load(dir).tokenizer();
        JsonNode hf = check(dir);
        List<String> texts = texts();
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(tok.encodeWithSpecials(texts.get(i)), ints(hf.get("ids").get(i)), texts.get(i));
        }
        ChatTemplate template = ChatTemplate.of(tok);
        List<List<Message>> convs = conversations();
        for (int i = 0; i < convs.size(); i++) {
            List<Message> c = convs.get(i);
            assertEquals(ChatTemplate.format(c), hf.get("rendered").get(i).asText(), "rendering of conversation " + i);
            assertArrayEquals(template.render(c).ids(), ints(hf.get("renderedIds").get(i)), "ids of conversation " + i);
            List<Message> prompt = c.subList(0, c.size() - 1);
            assertEquals(ChatTemplate.format(prompt) + SpecialTokens.IM_START + "assistant\n",
                    hf.get("prompts").get(i).asText(), "generation prompt " + i);
            assertArrayEquals(template.renderPrompt(prompt), ints(hf.get("promptIds").get(i)), "prompt ids " + i);
        }
        assertArrayEquals(new int[] {tok.id(SpecialTokens.IM_END)}, ints(hf.get("specialIds").get("eos_token")));
        assertArrayEquals(new int[] {tok.id(SpecialTokens.PAD)}, ints(hf.get("specialIds").get("pad_token")));
        assertArrayEquals(new int[] {tok.id(SpecialTokens.ENDOFTEXT)}, ints(hf.get("specialIds").get("bos_token")));
    }

    @Test
    void chatStagesEndGenerationAtTheEndOfTurnOthersAtTheEndOfText() throws IOException {
        Path sft = stageFolder("sft");
        JsonNode generation = Json.readTree(sft.resolve(HfTokenizerFiles.GENERATION_CONFIG));
        BpeTokenizer tok = StageCheckpoint.load(sft).tokenizer();
        assertEquals(tok.id(SpecialTokens.IM_END), generation.get("eos_token_id").asInt());
        assertEquals(tok.id(SpecialTokens.PAD), generation.get("pad_token_id").asInt());
        JsonNode config = Json.readTree(sft.resolve(HfTokenizerFiles.TOKENIZER_CONFIG));
        assertEquals(32, config.get("model_max_length").asInt());
        assertEquals(SpecialTokens.IM_END, config.get("eos_token").asText());
        assertEquals(4, config.get("added_tokens_decoder").size());
        Path pretrain = stageFolder("pretrain");
        assertFalse(Files.exists(pretrain.resolve(HfTokenizerFiles.GENERATION_CONFIG)), "pretraining does not chat");
        assertEquals(SpecialTokens.ENDOFTEXT,
                Json.readTree(pretrain.resolve(HfTokenizerFiles.SPECIAL_TOKENS_MAP)).get("eos_token").asText());
    }
}
