package rlhf4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Key-name mapping and typo suggestions. */
class NamesTest {
    @Test
    void camelAndSnake() {
        assertEquals("n_embd", Names.toSnake("nEmbd"));
        assertEquals("layer_norm_epsilon", Names.toSnake("layerNormEpsilon"));
        assertEquals("beta1", Names.toSnake("beta1"));
        assertEquals("gen_prompt_tokens", Names.toSnake("genPromptTokens"));
        assertEquals("nEmbd", Names.toCamel("n_embd"));
        assertEquals("layerNormEpsilon", Names.toCamel(Names.toSnake("layerNormEpsilon")));
    }

    @Test
    void suggestions() {
        List<String> known = List.of("max_steps", "batch_size", "eval_every");
        assertEquals("max_steps", Names.closest("max_stepz", known));
        assertEquals("max_steps", Names.closest("maxSteps", known));
        assertEquals("batch_size", Names.closest("batch-size", known));
        assertNull(Names.closest("temperature", known));
    }
}
