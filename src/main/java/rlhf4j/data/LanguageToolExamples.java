package rlhf4j.data;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import rlhf4j.io.DataException;

/**
 * The example sentences of a LanguageTool 6.x rule file ({@code grammar.xml}, {@code style.xml}).
 *
 * <p>{@code <example correction="a|b">He <marker>go</marker> home.</example>} is an incorrect sentence: the
 * corrected one replaces the marked span with the first correction (an empty first alternative, as in
 * {@code correction="|kindly"}, deletes the span). {@code correction=""} means the rule flags the sentence but
 * offers no fix ("Please {@code <marker>}do not{@code </marker>} the cat."), so it yields no pair. An
 * {@code <example>} without {@code correction} and not {@code type="incorrect"} is a correct sentence. Whitespace
 * inside a sentence is collapsed and trimmed; pairs whose two sides end up equal are dropped.
 *
 * @param correct correct sentences, in file order (duplicates kept)
 * @param pairs   incorrect sentences with their corrections, in file order
 */
public record LanguageToolExamples(List<String> correct, List<Pair> pairs) {

    /** An incorrect sentence, its corrected form and the id of the rule (or rule group) that flags it. */
    public record Pair(String wrong, String corrected, String ruleId) {
    }

    public LanguageToolExamples {
        correct = List.copyOf(correct);
        pairs = List.copyOf(pairs);
    }

    /**
     * Parses one rule file. Internal DTD entities are expanded; external entities and DTDs are never loaded.
     *
     * @param sourceName names the file in error messages
     * @throws DataException when the XML is malformed ({@code sourceName:LINE: ...})
     */
    public static LanguageToolExamples parse(InputStream xml, String sourceName) {
        List<String> correct = new ArrayList<>();
        List<Pair> pairs = new ArrayList<>();
        Deque<String> ruleIds = new ArrayDeque<>();
        XMLStreamReader reader = null;
        try {
            reader = factory().createXMLStreamReader(xml);
            while (reader.hasNext()) {
                int event = reader.next();
                if (event == XMLStreamConstants.START_ELEMENT) {
                    String name = reader.getLocalName();
                    if (name.equals("rule") || name.equals("rulegroup")) {
                        String id = reader.getAttributeValue(null, "id");
                        ruleIds.push(id != null ? id : ruleIds.isEmpty() ? "" : ruleIds.peek());
                    } else if (name.equals("example")) {
                        String rule = ruleIds.isEmpty() ? "" : ruleIds.peek();
                        addExample(reader, rule, correct, pairs);
                    }
                } else if (event == XMLStreamConstants.END_ELEMENT) {
                    String name = reader.getLocalName();
                    if (name.equals("rule") || name.equals("rulegroup")) {
                        ruleIds.pop();
                    }
                }
            }
        } catch (XMLStreamException e) {
            int line = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getLineNumber());
            throw new DataException(Path.of(sourceName), line, "invalid XML: " + reason(e));
        } finally {
            close(reader);
        }
        return new LanguageToolExamples(correct, pairs);
    }

    /** Reads one {@code <example>} (the reader is on its start tag) and files it as correct or as a pair. */
    private static void addExample(XMLStreamReader reader, String rule, List<String> correct, List<Pair> pairs)
            throws XMLStreamException {
        String correction = reader.getAttributeValue(null, "correction");
        String type = reader.getAttributeValue(null, "type");
        StringBuilder text = new StringBuilder();
        int markStart = -1;
        int markEnd = -1;
        int depth = 1;
        while (depth > 0) {
            int event = reader.next();
            switch (event) {
                case XMLStreamConstants.START_ELEMENT -> {
                    depth++;
                    if (reader.getLocalName().equals("marker") && markStart < 0) {
                        markStart = text.length();
                    }
                }
                case XMLStreamConstants.END_ELEMENT -> {
                    depth--;
                    if (reader.getLocalName().equals("marker") && markEnd < 0) {
                        markEnd = text.length();
                    }
                }
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE ->
                        text.append(reader.getText());
                default -> {
                    // comments and processing instructions carry no sentence text
                }
            }
        }
        if (correction == null) {
            if (!"incorrect".equals(type)) {
                String sentence = normalize(text);
                if (!sentence.isEmpty()) {
                    correct.add(sentence);
                }
            }
            return;
        }
        if (correction.isEmpty() || markStart < 0 || markEnd < markStart) {
            return; // flagged without a suggested fix, or no span to replace
        }
        String first = correction.split("\\|", -1)[0];
        String before = text.substring(0, markStart);
        String after = text.substring(markEnd);
        String wrong = normalize(text);
        String corrected = normalize(first.isEmpty() ? delete(before, after) : before + first + after);
        if (!wrong.isEmpty() && !corrected.isEmpty() && !wrong.equals(corrected)) {
            pairs.add(new Pair(wrong, corrected, rule));
        }
    }

    /** Joins the text around a deleted span with one space, or none before punctuation or at either end. */
    static String delete(String before, String after) {
        String left = before.stripTrailing();
        String right = after.stripLeading();
        boolean glue = left.isEmpty() || right.isEmpty() || ",.;:!?)".indexOf(right.charAt(0)) >= 0;
        return glue ? left + right : left + " " + right;
    }

    /** Collapses runs of whitespace (space, tab, line breaks) to one space and trims; no-break spaces stay. */
    static String normalize(CharSequence s) {
        return s.toString().replaceAll("[ \\t\\n\\x0B\\f\\r]+", " ").trim();
    }

    private static XMLInputFactory factory() {
        XMLInputFactory factory = XMLInputFactory.newDefaultFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, true); // the internal subset declares the entities
        factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, true);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_COALESCING, true);
        factory.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        factory.setXMLResolver((publicId, systemId, baseUri, namespace) -> {
            throw new XMLStreamException("external entity not allowed: " + systemId);
        });
        return factory;
    }

    /** The parser's explanation without its "ParseError at [row,col]" preamble, on one line. */
    private static String reason(XMLStreamException e) {
        String m = e.getMessage() == null ? "malformed" : e.getMessage();
        int at = m.indexOf("Message:");
        return (at < 0 ? m : m.substring(at + "Message:".length())).replaceAll("\\s+", " ").strip();
    }

    private static void close(XMLStreamReader reader) {
        if (reader != null) {
            try {
                reader.close();
            } catch (XMLStreamException ignored) {
                // nothing left to release
            }
        }
    }
}
