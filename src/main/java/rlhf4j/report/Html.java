package rlhf4j.report;

/**
 * HTML text escaping for the report: element text and attribute values alike. Control characters
 * other than tab, newline and carriage return become U+FFFD so no input can break the page.
 */
final class Html {
    private Html() {}

    static String esc(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c < 0x20 && c != '\n' && c != '\t' && c != '\r' || c == 0x7f ? '\uFFFD' : c);
            }
        }
        return sb.toString();
    }
}
