package rlhf4j.tokenizer.jinja;

/**
 * A chat template that cannot be parsed or rendered: a syntax error, a construct this interpreter does not
 * implement, an operation Python's Jinja would also refuse, or the template's own {@code raise_exception}. The
 * message names the template line when it is known.
 */
public final class TemplateError extends RuntimeException {
    public TemplateError(int line, String message) {
        super(line > 0 ? "line " + line + ": " + message : message);
    }

    public TemplateError(String message) {
        this(0, message);
    }
}
