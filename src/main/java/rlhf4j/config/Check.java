package rlhf4j.config;

/** Validation helper for the config records' compact constructors. */
public final class Check {
    private Check() {
    }

    /**
     * Throws a {@link ConfigKeyException} for {@code key} (relative to the record's section) unless {@code ok}.
     *
     * @param pattern a {@link String#format} pattern; other keys of the section written as {@code {name}}
     */
    public static void require(boolean ok, String key, String pattern, Object... args) {
        if (!ok) {
            throw new ConfigKeyException(key, pattern, args);
        }
    }
}
