package rlhf4j.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A configuration error about one key. Records throw it with the key relative to their own section
 * ({@code n_embd}); the binder qualifies it with the section path ({@code model.n_embd}) and the place
 * the value came from ({@code configs/tiny.yaml:7}). Other keys named in the message pattern are
 * written as {@code {n_head}} and are qualified the same way; values go in as format arguments.
 */
public class ConfigKeyException extends ConfigException {
    private static final Pattern KEY_REF = Pattern.compile("\\{([A-Za-z0-9_.]+)}");

    private final String origin;
    private final String key;
    private final String pattern;
    private final Object[] args;

    /**
     * @param pattern a {@link String#format} pattern saying what is wrong; other keys written as {@code {name}}
     * @param args the pattern's arguments (values; never scanned for key references)
     */
    public ConfigKeyException(String key, String pattern, Object... args) {
        this(null, key, pattern, args);
    }

    private ConfigKeyException(String origin, String key, String pattern, Object[] args) {
        super(render(origin, key, pattern, args));
        this.origin = origin;
        this.key = key;
        this.pattern = pattern;
        this.args = args.clone();
    }

    private static String render(String origin, String key, String pattern, Object[] args) {
        String detail = KEY_REF.matcher(pattern).replaceAll("$1");
        if (args.length > 0) {
            Object[] shown = new Object[args.length];
            for (int i = 0; i < args.length; i++) {
                shown[i] = args[i] instanceof Double d ? Values.format(d) : args[i];
            }
            detail = String.format(Locale.ROOT, detail, shown);
        }
        return (origin == null ? "" : origin + ": ") + key + ": " + detail;
    }

    /** The dotted key, as far as it is known where the exception is seen. */
    public String key() {
        return key;
    }

    /** Where the offending value came from ("FILE:LINE", "--set", the file), or null. */
    public String origin() {
        return origin;
    }

    /** The same error with the key and every referenced key placed under {@code section}. */
    public ConfigKeyException under(String section) {
        if (section == null || section.isEmpty()) {
            return this;
        }
        String qualified = KEY_REF.matcher(pattern)
                .replaceAll(m -> Matcher.quoteReplacement("{" + section + "." + m.group(1) + "}"));
        return new ConfigKeyException(origin, section + "." + key, qualified, args);
    }

    /** The same error, saying where the value came from. */
    public ConfigKeyException at(String where) {
        return where == null ? this : new ConfigKeyException(where, key, pattern, args);
    }
}
