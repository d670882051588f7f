package rlhf4j.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.ChatTemplateSource;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * The Hugging Face files that tell HF tools how to use a stage folder's tokenizer and model, beside
 * {@code config.json} and {@code tokenizer.json}: {@code tokenizer_config.json} (the special tokens, the
 * context length and the chat template as the Jinja text {@code apply_chat_template} renders, producing
 * exactly what {@link rlhf4j.tokenizer.ChatTemplate} produces), {@code special_tokens_map.json}, and for
 * stages whose model answers chats, {@code generation_config.json} with the end-of-turn token as the end of
 * generation. {@code HfFilesTest} renders and encodes with Hugging Face's own JavaScript packages and
 * compares with the project.
 */
public final class HfTokenizerFiles {
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
    public static final String GENERATION_CONFIG = "generation_config.json";

    /**
     * ChatML, as {@code ChatTemplate} renders it: every message as {@code <|im_start|>role\ncontent<|im_end|>\n},
     * then, for a prompt, the assistant's header.
     */
    public static final String CHAT_TEMPLATE = "{% for message in messages %}"
            + "{{ '" + SpecialTokens.IM_START + "' + message['role'] + '\\n' + message['content'] + '"
            + SpecialTokens.IM_END + "' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '" + SpecialTokens.IM_START + "assistant\\n' }}{% endif %}";

    private static final List<String> CHAT_STAGES = List.of("sft", "ppo", "dpo", "grpo");

    private HfTokenizerFiles() {}

    /** Whether a stage's model answers chats (its generation ends at the end-of-turn token). */
    public static boolean isChatStage(String stage) {
        return CHAT_STAGES.contains(stage);
    }

    /**
     * {@code tokenizer_config.json}: added tokens, the special tokens, the chat template and the context length. An
     * imported model's template ({@link BpeTokenizer#chatTemplate}) is written as it came, with the special tokens it
     * was given; the project's ChatML otherwise.
     */
    public static Map<String, Object> tokenizerConfig(BpeTokenizer tokenizer, int blockSize, String stage) {
        ChatTemplateSource imported = tokenizer.chatTemplate();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("add_bos_token", false);
        m.put("add_eos_token", false);
        m.put("add_prefix_space", false);
        Map<String, Object> added = new LinkedHashMap<>();
        for (String token : tokenizer.addedTokens()) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("content", token);
            t.put("lstrip", false);
            t.put("normalized", false);
            t.put("rstrip", false);
            t.put("single_word", false);
            t.put("special", tokenizer.isSpecial(tokenizer.id(token)));
            added.put(Integer.toString(tokenizer.id(token)), t);
        }
        m.put("added_tokens_decoder", added);
        m.putAll(specialTokens(tokenizer, stage));
        m.put("additional_special_tokens", List.of(SpecialTokens.IM_START, SpecialTokens.IM_END));
        m.put("chat_template", imported == null ? CHAT_TEMPLATE : imported.jinja());
        if (imported != null && imported.date() != null) {
            m.put(ChatTemplate.RENDER_DATE_KEY, imported.date().toString());
        }
        m.put("clean_up_tokenization_spaces", false);
        m.put("model_max_length", blockSize);
        m.put("tokenizer_class", imported == null ? "GPT2Tokenizer" : "PreTrainedTokenizerFast");
        return m;
    }

    /**
     * The chat template a stage folder's {@code tokenizer_config.json} holds, for its tokenizer: null for the
     * project's ChatML (the template this class writes), else the imported one it was written from.
     */
    public static ChatTemplateSource chatTemplate(BpeTokenizer tokenizer, Path tokenizerConfig) {
        if (!Files.isRegularFile(tokenizerConfig)) {
            return null;
        }
        ChatTemplateSource source = ChatTemplate.source(tokenizer, tokenizerConfig);
        return source == null || source.jinja().equals(CHAT_TEMPLATE) ? null : source;
    }

    /** {@code special_tokens_map.json}: the same special tokens as {@code tokenizer_config.json}. */
    public static Map<String, Object> specialTokensMap(BpeTokenizer tokenizer, String stage) {
        Map<String, Object> m = new LinkedHashMap<>(specialTokens(tokenizer, stage));
        m.put("additional_special_tokens", List.of(SpecialTokens.IM_START, SpecialTokens.IM_END));
        return m;
    }

    /** {@code generation_config.json} of a chat stage: generation ends at the chat template's end-of-turn token. */
    public static Map<String, Object> generationConfig(BpeTokenizer tokenizer) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bos_token_id", tokenizer.id(SpecialTokens.ENDOFTEXT));
        m.put("eos_token_id", ChatTemplate.of(tokenizer).endOfTurn());
        m.put("pad_token_id", tokenizer.id(SpecialTokens.PAD));
        return m;
    }

    /**
     * bos, eos, pad and unk: an imported template's own (the variables it was given, {@code <|pad|>} where it has no
     * pad token); otherwise end-of-text, the end-of-turn token for chat stages (end-of-text for the others), pad and
     * none (byte-level).
     */
    private static Map<String, Object> specialTokens(BpeTokenizer tokenizer, String stage) {
        ChatTemplateSource imported = tokenizer.chatTemplate();
        Map<String, Object> m = new LinkedHashMap<>();
        if (imported != null) {
            for (String key : List.of("bos_token", "eos_token", "pad_token", "unk_token")) {
                m.put(key, imported.specialTokens().get(key));
            }
            if (m.get("pad_token") == null) {
                m.put("pad_token", SpecialTokens.PAD);
            }
            return m;
        }
        m.put("bos_token", SpecialTokens.ENDOFTEXT);
        m.put("eos_token", isChatStage(stage) ? SpecialTokens.IM_END : SpecialTokens.ENDOFTEXT);
        m.put("pad_token", SpecialTokens.PAD);
        m.put("unk_token", null);
        return m;
    }
}
