package rlhf4j.tokenizer;

import java.nio.file.Path;
import java.util.Map;

/**
 * An imported model's chat template as its folder gives it: the Jinja text, the special tokens transformers passes
 * to it as variables ({@code bos_token} → its text, ...), and the file it came from (named in errors; null when
 * none). {@link ChatTemplate#of} renders it.
 */
public record ChatTemplateSource(String jinja, Map<String, String> specialTokens, Path file) {
    public ChatTemplateSource {
        specialTokens = Map.copyOf(specialTokens);
    }
}
