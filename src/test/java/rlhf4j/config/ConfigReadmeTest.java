package rlhf4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration reference is exactly what the config records generate. */
class ConfigReadmeTest {
    @Test
    void readmeReferenceMatchesTheRecords() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("<!-- config-reference:start");
        int end = readme.indexOf("<!-- config-reference:end -->");
        assertTrue(start >= 0 && end > start, "README has the reference markers");
        String block = readme.substring(readme.indexOf('\n', start) + 1, end);
        assertEquals(ConfigReference.markdown(), block,
                "regenerate the README's config reference from ConfigReference.markdown()");
    }
}
