package rlhf4j.tokenizer.jinja;

import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import rlhf4j.tokenizer.jinja.Node.Stmt;

/**
 * A Jinja chat template, as Hugging Face's {@code apply_chat_template} evaluates it: Python's Jinja2 with
 * {@code trim_blocks} and {@code lstrip_blocks}, transformers' sandbox and globals. It covers the language chat
 * templates are written in (if/for/set/macro, Python's operators, methods, filters and tests) and refuses the
 * rest with a {@link TemplateError} rather than rendering something Python would not.
 *
 * <p>Why not a Java Jinja library: the one on Maven Central (HubSpot's Jinjava) implements HubSpot's dialect,
 * renders {@code true} as "true" where Python prints "True", formats {@code tojson} without Python's spaces,
 * lacks Python's string methods ({@code startswith}) and brings Guava and old Jackson modules onto Spark's
 * classpath; a chat template rendered slightly differently silently changes every training example.
 */
public final class JinjaTemplate {
    private final List<Stmt> body;

    private JinjaTemplate(List<Stmt> body) {
        this.body = body;
    }

    /**
     * Parses a template.
     *
     * @throws TemplateError when it is not valid Jinja or uses a tag this interpreter does not implement
     */
    public static JinjaTemplate parse(String source) {
        return new JinjaTemplate(Parser.parse(source));
    }

    /**
     * Renders with the given variables (strings, numbers, booleans, null, lists and maps of them), the current
     * local time serving {@code strftime_now} as in transformers.
     *
     * @throws TemplateError when rendering fails, including the template's own {@code raise_exception}
     */
    public String render(Map<String, ?> variables) {
        return render(variables, LocalDateTime::now);
    }

    /** Renders with {@code strftime_now} reading the given clock. */
    public String render(Map<String, ?> variables, Supplier<LocalDateTime> clock) {
        @SuppressWarnings("unchecked")
        Map<String, Object> vars = (Map<String, Object>) variables;
        return new Interpreter(clock).render(body, vars);
    }
}
