package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommandTest {
    @Test
    void diagnosisPrefersTheLastStderrLine() {
        assertEquals("npm error 404 Not Found",
                Command.diagnosis(List.of("npm notice x", "npm error 404 Not Found"), List.of("out")));
    }

    @Test
    void diagnosisFallsBackToMavensFirstErrorLineOnStdout() {
        assertEquals("Could not resolve artifact x",
                Command.diagnosis(List.of(), List.of("[INFO] hi", "[ERROR] Could not resolve artifact x -> [Help 1]",
                        "[ERROR] more")));
    }
}
