package rlhf4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The skipped-updates count of a trainer state: {@code skipped_steps}, or {@code skipped} in older PPO checkpoints. */
class ResumeStateTest {
    private static ResumeState read(String json) throws Exception {
        JsonNode state = new ObjectMapper().readTree(json);
        return ResumeState.read(Path.of("stage"), state, "ppo.max_steps", 10, 7, false);
    }

    @Test
    void readsTheSharedKeyAndTheOlderPpoOne() throws Exception {
        assertEquals(2, read("{\"step\": 4, \"seed\": 7, \"elapsed_s\": 1.5, \"skipped_steps\": 2}").skippedSteps());
        assertEquals(3, read("{\"step\": 4, \"seed\": 7, \"elapsed_s\": 1.5, \"skipped\": 3}").skippedSteps());
        assertEquals(0, read("{\"step\": 4, \"seed\": 7, \"elapsed_s\": 1.5}").skippedSteps());
        assertEquals(4, read("{\"step\": 4, \"seed\": 7, \"elapsed_s\": 1.5}").step());
    }
}
