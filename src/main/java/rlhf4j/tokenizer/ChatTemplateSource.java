package rlhf4j.tokenizer;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;

/**
 * An imported model's chat template as its folder gives it: the Jinja text, the special tokens transformers passes
 * to it as variables ({@code bos_token} → its text, ...), the file it came from (named in errors; null when none)
 * and the date its {@code strftime_now} renders (null: the current time). {@link ChatTemplate#of} renders it.
 */
public record ChatTemplateSource(String jinja, Map<String, String> specialTokens, Path file, LocalDate date) {
    public ChatTemplateSource {
        specialTokens = Map.copyOf(specialTokens);
    }
}
