package rlhf4j.stage.label;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Lets through only requests that carry the session's token, in the {@code X-Token} header (the page's API calls)
 * or the {@code token} query parameter (the address the stage prints). The server may listen on a shared machine or
 * a public interface; without the token nobody else can read the prompts or write rankings. A wrong token gets 403,
 * whatever the path, so the server tells strangers nothing.
 */
final class TokenCheck extends Filter {
    static final String HEADER = "X-Token";

    private final byte[] token;

    TokenCheck(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    /** 128 random bits, URL-safe base64 without padding (22 characters). */
    static String newToken(SecureRandom random) {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public void doFilter(HttpExchange ex, Chain chain) throws IOException {
        String given = ex.getRequestHeaders().getFirst(HEADER);
        if (given == null) {
            given = queryParameter(ex.getRequestURI().getRawQuery(), "token");
        }
        // constant time: the comparison must not tell an attacker how many leading characters were right
        if (given != null && MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
            chain.doFilter(ex);
            return;
        }
        String message = given == null ? "no token: open the address the label stage printed (it ends ?token=...)"
                : "wrong token: open the address the label stage printed";
        if (ex.getRequestURI().getPath().startsWith("/api/")) {
            Replies.error(ex, 403, message);
        } else {
            Replies.text(ex, 403, message);
        }
    }

    @Override
    public String description() {
        return "token check";
    }

    /** The first value of {@code name} in a raw query string, decoded, or {@code null}. */
    static String queryParameter(String rawQuery, String name) {
        if (rawQuery == null) {
            return null;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (decode(key).equals(name)) {
                return eq < 0 ? "" : decode(pair.substring(eq + 1));
            }
        }
        return null;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException badEscape) {
            return s;
        }
    }
}
