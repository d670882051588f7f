package rlhf4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.io.DataException;
import rlhf4j.tokenizer.jinja.JinjaTemplate;
import rlhf4j.tokenizer.jinja.TemplateError;

/**
 * Renders a conversation to token ids and says which tokens an SFT loss trains on: 1 on the assistant's content
 * tokens and its end-of-turn token (so the model learns to stop), 0 elsewhere. The same template serves SFT, the
 * reward model, PPO prompts and {@code ./train sample --chat}: a prompt ends with the assistant's header and
 * generation stops at {@link #endOfTurn()}.
 *
 * <p>Two kinds, chosen by what the tokenizer carries ({@link #of}). The project's own, ChatML, for models trained
 * here:
 * <pre>
 * &lt;|im_start|&gt;user\nCorrect this sentence: He go home.&lt;|im_end|&gt;\n
 * &lt;|im_start|&gt;assistant\nHe goes home.&lt;|im_end|&gt;\n
 * </pre>
 * And an imported model's, the Jinja {@code chat_template} of its {@code tokenizer_config.json}
 * ({@link #load}), rendered as Hugging Face's {@code apply_chat_template} renders it and encoded as a whole, as
 * HF encodes it. Its loss mask comes from rendering prefixes of the conversation: assistant message i's tokens
 * are those the conversation through message i adds to the conversation before it with the generation prompt,
 * up to and including the end-of-turn token; that token is the added token the template puts right after an
 * assistant's message.
 */
public final class ChatTemplate {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    /** transformers saves the template in this file beside tokenizer_config.json, and reads it first. */
    static final String TEMPLATE_FILE = "chat_template.jinja";
    /** The special tokens transformers passes to the template when the tokenizer has them. */
    private static final List<String> TEMPLATE_TOKENS = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token");

    private final BpeTokenizer tokenizer;
    private final int endOfTurn;
    // ChatML
    private final int imStart;
    private final int[] newline;
    // a Jinja template
    private final JinjaTemplate jinja;
    private final String jinjaSource;
    private final Map<String, Object> tokenVariables;
    private final Path source;
    private final LocalDate date;

    /** The project's ChatML template; the tokenizer must have {@code <|im_start|>} and {@code <|im_end|>}. */
    private ChatTemplate(BpeTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.imStart = tokenizer.id(SpecialTokens.IM_START);
        this.endOfTurn = tokenizer.id(SpecialTokens.IM_END);
        this.newline = tokenizer.encode("\n");
        this.jinja = null;
        this.jinjaSource = null;
        this.tokenVariables = Map.of();
        this.source = null;
        this.date = null;
    }

    private ChatTemplate(BpeTokenizer tokenizer, String template, Map<String, String> specialTokens, Path source,
                         LocalDate date) {
        this.tokenizer = tokenizer;
        this.source = source;
        this.date = date;
        this.jinjaSource = template;
        this.imStart = -1;
        this.newline = null;
        this.tokenVariables = new LinkedHashMap<>(specialTokens);
        try {
            this.jinja = JinjaTemplate.parse(template);
        } catch (TemplateError e) {
            throw bad("chat_template: " + e.getMessage());
        }
        this.endOfTurn = findEndOfTurn();
    }

    /**
     * The chat template of a Hugging Face tokenizer folder: its {@code chat_template.jinja} when there is one,
     * else the {@code chat_template} of {@code tokenizer_config.json} (the one named "default" when it lists
     * several), with the config's special tokens ({@code bos_token}, {@code eos_token}, ...) as the variables
     * transformers gives it. ChatML when {@code tokenizerConfig} is null or names no template.
     *
     * @throws DataException when the file cannot be read, its template cannot be parsed or rendered, or no
     *                       end-of-turn token follows an assistant message in it; or, for ChatML, when the
     *                       tokenizer lacks ChatML's tokens
     */
    public static ChatTemplate load(BpeTokenizer tokenizer, Path tokenizerConfig) {
        return of(tokenizer.withChatTemplate(source(tokenizer, tokenizerConfig)));
    }

    /**
     * The template {@code tokenizer} carries: an imported model's ({@link BpeTokenizer#chatTemplate}), or the
     * project's ChatML.
     *
     * @throws DataException as {@link #load} does
     */
    public static ChatTemplate of(BpeTokenizer tokenizer) {
        ChatTemplateSource imported = tokenizer.chatTemplate();
        return imported == null ? new ChatTemplate(tokenizer)
                : new ChatTemplate(tokenizer, imported.jinja(), imported.specialTokens(), imported.file(), imported.date());
    }

    /**
     * The chat template a Hugging Face tokenizer folder gives ({@link #load}), without rendering it; null for the
     * project's ChatML (no {@code tokenizerConfig}, or one naming no template, with the tokenizer holding ChatML's
     * tokens).
     *
     * @throws DataException when the file cannot be read or names no template for a tokenizer without ChatML's tokens
     */
    public static ChatTemplateSource source(BpeTokenizer tokenizer, Path tokenizerConfig) {
        if (tokenizerConfig == null) {
            return null;
        }
        JsonNode config = readConfig(tokenizerConfig);
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String key : TEMPLATE_TOKENS) {
            String token = tokenText(config.get(key), tokenizerConfig, key);
            if (token != null) {
                tokens.put(key, token);
            }
        }
        Path templateFile = tokenizerConfig.resolveSibling(TEMPLATE_FILE);
        if (Files.isRegularFile(templateFile)) {
            try {
                return new ChatTemplateSource(Files.readString(templateFile, StandardCharsets.UTF_8), tokens,
                        templateFile, renderDate(config, templateFile));
            } catch (IOException e) {
                throw new DataException(templateFile, "cannot read chat template: " + e);
            }
        }
        String template = templateText(config.get("chat_template"), tokenizerConfig);
        if (template != null) {
            return new ChatTemplateSource(template, tokens, tokenizerConfig, renderDate(config, tokenizerConfig));
        }
        if (!tokenizer.addedTokens().contains(SpecialTokens.IM_START)
                || !tokenizer.addedTokens().contains(SpecialTokens.IM_END)) {
            throw new DataException(tokenizerConfig, "has no chat_template, and the tokenizer lacks "
                    + SpecialTokens.IM_START + " and " + SpecialTokens.IM_END + " for the default ChatML template");
        }
        return null;
    }

    /**
     * A Jinja chat template given as text, with the special-token variables it may use ({@code bos_token} →
     * its text, ...); {@code source} names it in errors.
     *
     * @throws DataException as {@link #load} does
     */
    public static ChatTemplate fromJinja(BpeTokenizer tokenizer, String template, Map<String, String> specialTokens,
            Path source) {
        return new ChatTemplate(tokenizer, template, specialTokens, source, null);
    }

    /** The key of tokenizer_config.json in which a stage folder records its template's render date. */
    public static final String RENDER_DATE_KEY = "rlhf4j_render_date";

    /**
     * The date {@code strftime_now} renders: the one a stage folder recorded ({@link #RENDER_DATE_KEY}), else the
     * day (UTC) the template's file was last changed, which stays the same for a folder on disk.
     */
    private static LocalDate renderDate(JsonNode config, Path templateFile) {
        JsonNode recorded = config.get(RENDER_DATE_KEY);
        if (recorded != null && recorded.isTextual()) {
            try {
                return LocalDate.parse(recorded.asText());
            } catch (DateTimeParseException e) {
                throw new DataException(templateFile, RENDER_DATE_KEY + ": \"" + recorded.asText()
                        + "\" is not a date (YYYY-MM-DD)");
            }
        }
        try {
            return LocalDate.ofInstant(Files.getLastModifiedTime(templateFile).toInstant(), ZoneOffset.UTC);
        } catch (IOException e) {
            throw new DataException(templateFile, "cannot read: " + e.getMessage());
        }
    }

    private static JsonNode readConfig(Path file) {
        try {
            JsonNode root = MAPPER.readTree(Files.readAllBytes(file));
            if (root == null || !root.isObject()) {
                throw new DataException(file, "tokenizer_config.json must hold a JSON object");
            }
            return root;
        } catch (IOException e) {
            throw new DataException(file, "cannot read tokenizer config: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** A special token as the config writes it: its text, or an AddedToken object with its content. */
    private static String tokenText(JsonNode node, Path file, String key) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isObject() && node.path("content").isTextual()) {
            return node.get("content").asText();
        }
        throw new DataException(file, key + " must be a string or an object with a \"content\" string");
    }

    private static String templateText(JsonNode node, Path file) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isArray()) { // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
            for (JsonNode t : node) {
                if (t.path("name").asText().equals("default") && t.path("template").isTextual()) {
                    return t.get("template").asText();
                }
            }
            throw new DataException(file, "chat_template lists templates but none is named \"default\"");
        }
        throw new DataException(file, "chat_template must be a string or a list of named templates");
    }

    /** Token ids and the loss mask (same length). */
    public record Rendered(int[] ids, int[] lossMask) implements Serializable {
        public int length() {
            return ids.length;
        }
    }

    /** The whole conversation, with the loss mask on assistant turns. */
    public Rendered render(List<Message> messages) {
        if (jinja == null) {
            Builder b = new Builder();
            for (Message m : messages) {
                appendTurn(b, m);
            }
            return b.build();
        }
        LocalDateTime now = renderTime();
        String full = renderText(messages, false, now);
        int[] ids = tokenizer.encodeWithSpecials(full);
        int[] mask = new int[ids.length];
        String end = tokenizer.tokenString(endOfTurn);
        for (int i = 0; i < messages.size(); i++) {
            if (!Message.ASSISTANT.equals(messages.get(i).role())) {
                continue;
            }
            String before = renderText(messages.subList(0, i), true, now);
            String through = renderText(messages.subList(0, i + 1), false, now);
            if (!through.startsWith(before) || !full.startsWith(through)) {
                throw bad("the chat template does not render conversations incrementally (message " + i + " changes "
                        + "what comes before it), so the assistant's tokens cannot be told apart");
            }
            int stop = through.lastIndexOf(end);
            if (stop < before.length()) {
                throw bad("the chat template puts no end-of-turn token " + end + " after assistant message " + i);
            }
            int from = commonPrefix(tokenizer.encodeWithSpecials(before), ids);
            int[] upToEnd = tokenizer.encodeWithSpecials(full.substring(0, stop + end.length()));
            if (!Arrays.equals(upToEnd, 0, upToEnd.length, ids, 0, upToEnd.length)) {
                throw new IllegalStateException("the end-of-turn token does not end a prefix of the encoding");
            }
            Arrays.fill(mask, from, upToEnd.length, 1);
        }
        return new Rendered(ids, mask);
    }

    /** A prompt ready for generation: the conversation, then the assistant's header. */
    public int[] renderPrompt(List<Message> messages) {
        if (jinja == null) {
            Builder b = new Builder();
            for (Message m : messages) {
                appendTurn(b, m);
            }
            b.add(imStart, 0);
            b.addAll(tokenizer.encode("assistant\n"), 0);
            return b.build().ids();
        }
        return tokenizer.encodeWithSpecials(renderText(messages, true, renderTime()));
    }

    /** The conversation as text, with the assistant's header after it when addGenerationPrompt is set. */
    public String text(List<Message> messages, boolean addGenerationPrompt) {
        if (jinja == null) {
            return format(messages) + (addGenerationPrompt ? SpecialTokens.IM_START + "assistant\n" : "");
        }
        return renderText(messages, addGenerationPrompt, renderTime());
    }

    /** The end-of-turn token that stops generation. */
    public int endOfTurn() {
        return endOfTurn;
    }

    /** The Jinja source of an imported template; null for the project's ChatML. */
    public String jinjaSource() {
        return jinjaSource;
    }

    /** A conversation as ChatML text, for documentation and debugging. */
    public static String format(List<Message> messages) {
        StringBuilder sb = new StringBuilder();
        for (Message m : messages) {
            sb.append(SpecialTokens.IM_START).append(m.role()).append('\n').append(m.content())
                    .append(SpecialTokens.IM_END).append('\n');
        }
        return sb.toString();
    }

    /**
     * What {@code strftime_now} renders (Llama 3's templates put "Today Date" in every system header): the source's
     * fixed date, so that the same folder renders the same conversations on any day (resume compares the rendered
     * data with the checkpoint's), or the current time for a template given without one.
     */
    private LocalDateTime renderTime() {
        return date == null ? LocalDateTime.now() : date.atStartOfDay();
    }

    private String renderText(List<Message> messages, boolean addGenerationPrompt, LocalDateTime now) {
        Map<String, Object> vars = new LinkedHashMap<>(tokenVariables);
        vars.put("messages", Message.toJson(messages));
        vars.put("tools", null); // transformers passes these even when a conversation has none
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        try {
            return jinja.render(vars, () -> now);
        } catch (TemplateError e) {
            throw bad("chat_template: " + e.getMessage());
        }
    }

    /**
     * The added token right after an assistant's message: rendering one user turn with the generation prompt,
     * then with an assistant answer, the answer's text is followed by that token (white space may come between).
     */
    private int findEndOfTurn() {
        String answer = "Hello.";
        LocalDateTime now = renderTime();
        String prompt = renderText(List.of(Message.user("Hi")), true, now);
        String full = renderText(List.of(Message.user("Hi"), Message.assistant(answer)), false, now);
        int at = full.indexOf(answer, prompt.length());
        if (!full.startsWith(prompt) || at < 0) {
            throw bad("the chat template's generation prompt is not where an assistant message starts, so the "
                    + "assistant's tokens cannot be found");
        }
        String tail = full.substring(at + answer.length());
        for (int id : tokenizer.encodeWithSpecials(tail)) {
            if (tokenizer.isAdded(id)) {
                return id;
            }
            if (!tokenizer.decode(new int[] {id}).isBlank()) {
                break;
            }
        }
        throw bad("the chat template puts no added token (such as an end-of-turn token) right after an assistant "
                + "message, so generation would have nothing to stop at");
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = 0;
        while (n < a.length && n < b.length && a[n] == b[n]) {
            n++;
        }
        return n;
    }

    private DataException bad(String what) {
        return new DataException(source, what);
    }

    private void appendTurn(Builder b, Message m) {
        int train = "assistant".equals(m.role()) ? 1 : 0;
        b.add(imStart, 0);
        b.addAll(tokenizer.encode(m.role() + "\n"), 0);
        b.addAll(tokenizer.encode(m.content()), train);
        b.add(endOfTurn, train);
        b.addAll(newline, 0);
    }

    /** Accumulates ids with their mask values. */
    private static final class Builder {
        private final IntList ids = new IntList();
        private final IntList mask = new IntList();

        void add(int id, int m) {
            ids.add(id);
            mask.add(m);
        }

        void addAll(int[] tokens, int m) {
            for (int t : tokens) {
                add(t, m);
            }
        }

        Rendered build() {
            return new Rendered(ids.toArray(), mask.toArray());
        }
    }
}
