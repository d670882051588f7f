package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static rlhf4j.data.DataFiles.assertError;
import static rlhf4j.data.DataFiles.contents;
import static rlhf4j.data.DataFiles.fixture;
import static rlhf4j.data.DataFiles.msg;
import static rlhf4j.data.DataFiles.write;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.tokenizer.Message;

class PromptDataTest {
    @TempDir
    Path dir;

    @Test
    void jsonlAndCsvFixturesReadTheSamePrompts() {
        List<PromptExample> jsonl = PromptData.read(fixture("prompts.jsonl"));
        List<PromptExample> csv = PromptData.read(fixture("prompts.csv"));
        List<List<Message>> prompts = List.of(List.of(Message.user("Write a haiku about rain.")),
                List.of(Message.system("You are terse."), Message.user("Say hi")),
                List.of(Message.user("Line one\nline two, with \"quotes\"")));
        List<String> references = Arrays.asList("Soft rain on the roof", null, null);
        for (List<PromptExample> read : List.of(jsonl, csv)) {
            assertEquals(prompts, contents(read, PromptExample::prompt));
            assertEquals(references, contents(read, PromptExample::reference));
        }
        assertEquals(List.of(1, 3, 4), contents(jsonl, PromptExample::line));
        assertEquals(List.of(2, 3, 4), contents(csv, PromptExample::line));
    }

    @Test
    void sameRowsInBothFormatsGiveEqualRecords() throws IOException {
        Path jsonl = write(dir, "p.jsonl", "{\"prompt\": \"q\", \"completion\": \"r\"}\n{\"prompt\": \"q2\"}\n");
        Path csv = write(dir, "p.csv", "prompt,completion\nq,r\nq2,\n");
        List<PromptExample> fromJsonl = PromptData.read(jsonl);
        List<PromptExample> fromCsv = PromptData.read(csv);
        assertEquals(List.of(new PromptExample(jsonl, 1, List.of(Message.user("q")), "r"),
                new PromptExample(jsonl, 2, List.of(Message.user("q2")), null)), fromJsonl);
        assertEquals(List.of(new PromptExample(csv, 2, List.of(Message.user("q")), "r"),
                new PromptExample(csv, 3, List.of(Message.user("q2")), null)), fromCsv);
    }

    @Test
    void conversationalCompletionIsAReferenceToo() throws IOException {
        Path file = write(dir, "p.jsonl", "{\"prompt\": [" + msg("user", "q") + "], \"completion\": ["
                + msg("assistant", "r") + "]}\n");
        assertEquals("r", PromptData.read(file).get(0).reference());
    }

    @Test
    void promptErrors() throws IOException {
        Path missing = write(dir, "a.csv", "question\nq\n");
        assertError(missing, 1, "missing column \"prompt\"", () -> PromptData.read(missing));
        Path type = write(dir, "a.jsonl", "{\"prompt\": \"ok\"}\n{\"prompt\": null}\n");
        assertError(type, 2, "\"prompt\" must be a string or a list of messages", () -> PromptData.read(type));
        Path empty = write(dir, "b.csv", "prompt\nok\n\"\"\n");
        assertError(empty, 3, "\"prompt\": empty content", () -> PromptData.read(empty));
        Path last = write(dir, "c.jsonl", "{\"prompt\": [" + msg("user", "q") + ", " + msg("assistant", "a") + "]}\n");
        assertError(last, 1, "\"prompt\" must end with a user message", () -> PromptData.read(last));
        Path role = write(dir, "d.csv", "prompt\n\"[{\"\"role\"\": \"\"robot\"\", \"\"content\"\": \"\"q\"\"}]\"\n");
        assertError(role, 2, "\"prompt\" message 1: unknown role \"robot\" (expected system, user or assistant)",
                () -> PromptData.read(role));
        Path reference = write(dir, "e.jsonl", "{\"prompt\": \"q\", \"completion\": 5}\n");
        assertError(reference, 1, "\"completion\" must be a string or a list with one assistant message",
                () -> PromptData.read(reference));
    }
}
