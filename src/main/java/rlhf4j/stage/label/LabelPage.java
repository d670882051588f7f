package rlhf4j.stage.label;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Serves the labeling page, {@code rlhf4j/label/page.html} on the classpath: one self-contained file (HTML, CSS and
 * script inline) so the page works on a machine without internet access and loads nothing from anywhere else, which
 * its Content-Security-Policy enforces. Everything else outside {@code /api/} is 404.
 */
final class LabelPage implements HttpHandler {
    static final String RESOURCE = "/rlhf4j/label/page.html";
    private static final String POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final byte[] html;

    LabelPage() {
        try (InputStream in = LabelPage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the labeling page " + RESOURCE + " is missing from the classpath");
            }
            html = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the labeling page " + RESOURCE, e);
        }
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            ex.getRequestBody().close();
            String path = ex.getRequestURI().getPath();
            if (!path.equals("/") && !path.equals("/index.html")) {
                Replies.text(ex, 404, "not found: " + Replies.quote(path));
            } else if (!ex.getRequestMethod().equals("GET")) {
                Replies.wrongMethod(ex, "GET", false);
            } else {
                ex.getResponseHeaders().set("Content-Security-Policy", POLICY);
                ex.getResponseHeaders().set("X-Frame-Options", "DENY");
                Replies.send(ex, 200, "text/html; charset=utf-8", html);
            }
        }
    }
}
