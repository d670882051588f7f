package rlhf4j.tokenizer.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.LocalDateTime;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The interpreter against Python's Jinja2 as transformers configures it: {@code golden.json}, recorded by
 * {@code scripts/jinja_golden.py}, holds real chat templates (SmolLM2, Qwen2.5, Llama-3, Llama-3.2 with tools,
 * Zephyr) on several conversations and templates written to exercise whitespace control, scoping, operators,
 * filters, tests, methods, tojson and errors, each with Python's output or error.
 */
class JinjaTemplateTest {
    private static final LocalDateTime CLOCK = LocalDateTime.of(2025, 3, 7, 9, 5);

    @Test
    @SuppressWarnings("unchecked")
    void rendersAsPythonsJinjaDoes() throws IOException {
        JsonMapper mapper = JsonMapper.builder().build();
        JsonNode cases;
        try (InputStream in = JinjaTemplateTest.class.getResourceAsStream("/jinja/golden.json")) {
            cases = mapper.readTree(in);
        }
        assertTrue(cases.size() > 60, "the golden file holds the cases");
        int errors = 0;
        for (int i = 0; i < cases.size(); i++) {
            JsonNode c = cases.get(i);
            String template = c.get("template").asText();
            Map<String, Object> context = mapper.convertValue(c.get("context"), Map.class);
            if (c.has("error")) {
                errors++;
                assertThrows(TemplateError.class, () -> JinjaTemplate.parse(template).render(context, () -> CLOCK),
                        "case " + i + " fails in Python: " + c.get("error").asText());
            } else {
                assertEquals(c.get("expected").asText(), JinjaTemplate.parse(template).render(context, () -> CLOCK),
                        "case " + i + ": " + template.substring(0, Math.min(80, template.length())));
            }
        }
        assertEquals(3, errors, "raise_exception, an undefined attribute, a list mutation");
    }

    @Test
    void unsupportedTagsAndFiltersAreNamedInTheError() {
        TemplateError e = assertThrows(TemplateError.class, () -> JinjaTemplate.parse("a\n{% include 'x.j2' %}"));
        assertEquals("line 2: the {% include %} tag is not supported", e.getMessage());
        e = assertThrows(TemplateError.class, () -> JinjaTemplate.parse("{{ x|wordwrap }}").render(Map.of("x", "y")));
        assertTrue(e.getMessage().contains("wordwrap"), e.getMessage());
        e = assertThrows(TemplateError.class, () -> JinjaTemplate.parse("{% if x %}open"));
        assertTrue(e.getMessage().contains("endif"), e.getMessage());
    }
}
