package rlhf4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.DataException;

/**
 * Imported chat templates (Llama-3.2's headers, Qwen2.5's ChatML, Zephyr's as TinyLlama uses it): the end-of-turn
 * token each implies, and the SFT loss mask derived by rendering prefixes, checked by decoding what it trains on.
 */
class ChatTemplateJinjaTest {
    private static final Path LLAMA = HfLlamaTokenizerTest.FIXTURES.resolve("llama3-tiny");
    private static final Path QWEN = HfLlamaTokenizerTest.FIXTURES.resolve("qwen2-tiny");
    private static final List<Message> CONV = List.of(Message.system("Be brief."), Message.user("A?"),
            Message.assistant(" B. "), Message.user("C?"), Message.assistant("D\nend."));
    private static final String ZEPHYR = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
            + "{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
            + "{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
            + "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
            + "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    @TempDir
    Path tmp;

    private static ChatTemplate load(Path folder) {
        return ChatTemplate.load(BpeTokenizer.load(folder.resolve("tokenizer.json")),
                folder.resolve("tokenizer_config.json"));
    }

    /** The text of the tokens the mask trains on, one string per run of trained tokens. */
    private static List<String> trained(BpeTokenizer tok, ChatTemplate.Rendered r) {
        List<String> runs = new java.util.ArrayList<>();
        StringBuilder run = null;
        for (int i = 0; i < r.length(); i++) {
            if (r.lossMask()[i] == 1) {
                run = run == null ? new StringBuilder() : run;
                run.append(tok.decode(new int[] {r.ids()[i]}));
            } else if (run != null) {
                runs.add(run.toString());
                run = null;
            }
        }
        if (run != null) {
            runs.add(run.toString());
        }
        return runs;
    }

    @Test
    void llamaTrainsOnTrimmedAnswersThroughEotId() {
        BpeTokenizer tok = BpeTokenizer.load(LLAMA.resolve("tokenizer.json"));
        ChatTemplate t = load(LLAMA);
        assertEquals(tok.id("<|eot_id|>"), t.endOfTurn());
        ChatTemplate.Rendered r = t.render(CONV);
        assertEquals(List.of("B.<|eot_id|>", "D\nend.<|eot_id|>"), trained(tok, r));
        assertTrue(tok.decode(r.ids()).startsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: "));
        int[] prompt = t.renderPrompt(CONV.subList(0, 4));
        assertTrue(tok.decode(prompt).endsWith("C?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"));
        assertArrayEquals(prompt, java.util.Arrays.copyOf(r.ids(), prompt.length), "the prompt starts the full rendering");
    }

    @Test
    void qwenTrainsThroughImEndButNotTheNewlineAfterIt() {
        BpeTokenizer tok = BpeTokenizer.load(QWEN.resolve("tokenizer.json"));
        ChatTemplate t = load(QWEN);
        assertEquals(tok.id("<|im_end|>"), t.endOfTurn());
        assertEquals(List.of(" B. <|im_end|>", "D\nend.<|im_end|>"), trained(tok, t.render(CONV)));
        String text = t.text(List.of(Message.user("Hi")), true);
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                + "<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", text);
        assertTrue(t.jinjaSource().contains("You are Qwen"));
    }

    @Test
    void zephyrEndsTurnsWithTheEosToken() {
        BpeTokenizer tok = BpeTokenizer.load(QWEN.resolve("tokenizer.json")).withSpecialTokens(List.of("</s>"));
        ChatTemplate t = ChatTemplate.fromJinja(tok, ZEPHYR, Map.of("eos_token", "</s>", "bos_token", "<s>"), null);
        assertEquals(tok.id("</s>"), t.endOfTurn());
        assertEquals(List.of(" B. </s>", "D\nend.</s>"), trained(tok, t.render(CONV)));
        assertEquals("<|user|>\nA?</s>\n<|assistant|>\n", t.text(List.of(Message.user("A?")), true));
    }

    @Test
    void withoutATemplateTheProjectsChatMlIsUnchanged() throws IOException {
        BpeTokenizer tok = BpeTokenizer.byteLevel(SpecialTokens.DEFAULT);
        ChatTemplate chatMl = ChatTemplate.of(tok);
        Path config = tmp.resolve("tokenizer_config.json");
        Files.writeString(config, "{\"eos_token\": \"<|im_end|>\"}");
        for (ChatTemplate t : List.of(ChatTemplate.load(tok, null), ChatTemplate.load(tok, config))) {
            assertNull(t.jinjaSource());
            assertArrayEquals(chatMl.render(CONV).ids(), t.render(CONV).ids());
            assertArrayEquals(chatMl.render(CONV).lossMask(), t.render(CONV).lossMask());
            assertEquals(chatMl.endOfTurn(), t.endOfTurn());
        }
        BpeTokenizer llama = BpeTokenizer.load(LLAMA.resolve("tokenizer.json"));
        DataException e = assertThrows(DataException.class, () -> ChatTemplate.load(llama, config));
        assertTrue(e.getMessage().contains("no chat_template"), e.getMessage());
    }

    @Test
    void aChatTemplateJinjaFileBesideTheConfigWins() throws IOException {
        BpeTokenizer tok = BpeTokenizer.load(QWEN.resolve("tokenizer.json")).withSpecialTokens(List.of("</s>"));
        Files.copy(QWEN.resolve("tokenizer_config.json"), tmp.resolve("tokenizer_config.json"));
        Files.writeString(tmp.resolve("chat_template.jinja"), ZEPHYR.replace("eos_token", "'</s>'"));
        ChatTemplate t = ChatTemplate.load(tok, tmp.resolve("tokenizer_config.json"));
        assertEquals(tok.id("</s>"), t.endOfTurn());
    }

    @Test
    void templatesWithoutAnEndOfTurnOrThatFailAreDataErrors() {
        BpeTokenizer tok = BpeTokenizer.load(QWEN.resolve("tokenizer.json"));
        Path where = Path.of("model", "tokenizer_config.json");
        String noEnd = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
                + "{% if add_generation_prompt %}assistant: {% endif %}";
        DataException e = assertThrows(DataException.class, () -> ChatTemplate.fromJinja(tok, noEnd, Map.of(), where));
        assertTrue(e.getMessage().startsWith(where + ": ") && e.getMessage().contains("end-of-turn"), e.getMessage());
        String raising = "{{ raise_exception('Conversation roles must alternate user/assistant') }}";
        e = assertThrows(DataException.class, () -> ChatTemplate.fromJinja(tok, raising, Map.of(), where));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
        e = assertThrows(DataException.class, () -> ChatTemplate.fromJinja(tok, "{% include 'x' %}", Map.of(), where));
        assertTrue(e.getMessage().contains("include"), e.getMessage());
    }
}
