package rlhf4j.stage.label;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import rlhf4j.checkpoint.Json;

/**
 * How the human labeler's server answers: JSON for the API, text for the rest, always uncached (the answers are per
 * person and change with every judgement) and never sniffed as another type. Every error is one line, so the page
 * can show it as is.
 */
final class Replies {
    private Replies() {}

    static void json(HttpExchange ex, int status, Object body) throws IOException {
        send(ex, status, "application/json; charset=utf-8", Json.line(body).getBytes(StandardCharsets.UTF_8));
    }

    static void error(HttpExchange ex, int status, String message) throws IOException {
        json(ex, status, Map.of("error", oneLine(message)));
    }

    static void text(HttpExchange ex, int status, String message) throws IOException {
        send(ex, status, "text/plain; charset=utf-8", (oneLine(message) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        // the token is in the page's address: no referrer may carry it anywhere
        ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        }
        ex.close();
    }

    /** 405 with the {@code Allow} header the standard asks for. */
    static void wrongMethod(HttpExchange ex, String allowed, boolean api) throws IOException {
        ex.getResponseHeaders().set("Allow", allowed);
        String message = ex.getRequestMethod() + " is not allowed on " + ex.getRequestURI().getPath() + " (use "
                + allowed + ")";
        if (api) {
            error(ex, 405, message);
        } else {
            text(ex, 405, message);
        }
    }

    /** {@code s} as one line: control characters (a newline in an exception message) become spaces. */
    static String oneLine(String s) {
        return s.replaceAll("\\p{Cntrl}", " ");
    }

    /** A value the client sent, quoted and shortened for an error message. */
    static String quote(String s) {
        String clean = s.replaceAll("\\p{Cntrl}", "?");
        return "\"" + (clean.length() <= 40 ? clean : clean.substring(0, 40) + "...") + "\"";
    }
}
