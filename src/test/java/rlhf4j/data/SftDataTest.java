package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static rlhf4j.data.DataFiles.assertError;
import static rlhf4j.data.DataFiles.contents;
import static rlhf4j.data.DataFiles.fixture;
import static rlhf4j.data.DataFiles.msg;
import static rlhf4j.data.DataFiles.write;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.tokenizer.Message;

class SftDataTest {
    @TempDir
    Path dir;

    private static final List<List<Message>> FIXTURE = List.of(
            List.of(Message.user("What is 2+2?"), Message.assistant(" 4")),
            List.of(Message.system("Be brief."), Message.user("Hi"), Message.assistant("Hello!"),
                    Message.user("Name a colour, \"quoted\"."), Message.assistant("Red,\nor blue.")),
            List.of(Message.user("Capital of France?"), Message.assistant("Paris")),
            List.of(Message.user("Unicode: ✓ café"), Message.assistant("naïve, 日本")));

    @Test
    void jsonlAndCsvFixturesReadTheSameConversations() {
        List<SftExample> jsonl = SftData.read(fixture("sft.jsonl"));
        List<SftExample> csv = SftData.read(fixture("sft.csv"));
        assertEquals(FIXTURE, contents(jsonl, SftExample::messages));
        assertEquals(FIXTURE, contents(csv, SftExample::messages));
        assertEquals(List.of(1, 3, 4, 5), contents(jsonl, SftExample::line));
        assertEquals(List.of(2, 3, 4, 5), contents(csv, SftExample::line));
        assertEquals(fixture("sft.csv"), csv.get(0).source());
    }

    @Test
    void sameRowsInBothFormatsGiveEqualRecords() throws IOException {
        Path jsonl = write(dir, "rows.jsonl", "{\"prompt\": \"a, b\", \"completion\": \"c\", \"extra\": 1}\n"
                + "{\"messages\": [" + msg("user", "u") + ", " + msg("assistant", "v") + "]}\n");
        Path csv = write(dir, "rows.csv", "extra,prompt,completion,messages\n"
                + "1,\"a, b\",c,\n"
                + "2,,,\"[{\"\"role\"\": \"\"user\"\", \"\"content\"\": \"\"u\"\"}, "
                + "{\"\"role\"\": \"\"assistant\"\", \"\"content\"\": \"\"v\"\"}]\"\n");
        List<SftExample> fromJsonl = SftData.read(jsonl);
        List<SftExample> fromCsv = SftData.read(csv);
        for (int i = 0; i < 2; i++) {
            assertEquals(new SftExample(jsonl, i + 1, fromCsv.get(i).messages()), fromJsonl.get(i));
            assertEquals(new SftExample(csv, i + 2, fromJsonl.get(i).messages()), fromCsv.get(i));
        }
    }

    @Test
    void multiTurnMessagesKeepEveryTurn() throws IOException {
        Path file = write(dir, "chat.jsonl", "{\"messages\": [" + msg("system", "s") + ", " + msg("user", "q1") + ", "
                + msg("assistant", "a1") + ", " + msg("user", "q2") + ", " + msg("assistant", "a2") + "]}\n");
        assertEquals(List.of(new SftExample(file, 1, List.of(Message.system("s"), Message.user("q1"),
                Message.assistant("a1"), Message.user("q2"), Message.assistant("a2")))), SftData.read(file));
    }

    @Test
    void trlConversationalPromptCompletion() throws IOException {
        Path file = write(dir, "conv.jsonl", "{\"prompt\": [" + msg("system", "s") + ", " + msg("user", "q1") + ", "
                + msg("assistant", "a1") + ", " + msg("user", "q2") + "], \"completion\": ["
                + msg("assistant", "a2") + "]}\n");
        assertEquals(List.of(Message.system("s"), Message.user("q1"), Message.assistant("a1"),
                Message.user("q2"), Message.assistant("a2")), SftData.read(file).get(0).messages());
    }

    @Test
    void missingColumnsAreErrors() throws IOException {
        Path jsonl = write(dir, "a.jsonl", "{\"prompt\": \"p\", \"completion\": \"c\"}\n{\"prompt\": \"p\"}\n");
        assertError(jsonl, 2, "missing column \"completion\"", () -> SftData.read(jsonl));
        Path csv = write(dir, "a.csv", "prompt,response\np,r\n");
        assertError(csv, 1, "missing column \"completion\"", () -> SftData.read(csv));
        Path neither = write(dir, "b.csv", "text\nhello\n");
        assertError(neither, 1, "missing column \"messages\" (or \"prompt\" and \"completion\")",
                () -> SftData.read(neither));
    }

    @Test
    void wrongTypesAreErrors() throws IOException {
        Path prompt = write(dir, "a.jsonl", "{\"prompt\": 3, \"completion\": \"c\"}\n");
        assertError(prompt, 1, "\"prompt\" must be a string or a list of messages", () -> SftData.read(prompt));
        Path completion = write(dir, "b.jsonl", "{\"prompt\": \"p\", \"completion\": {\"text\": \"c\"}}\n");
        assertError(completion, 1, "\"completion\" must be a string or a list with one assistant message",
                () -> SftData.read(completion));
        Path userCompletion = write(dir, "c.jsonl", "{\"prompt\": \"p\", \"completion\": [" + msg("user", "c") + "]}\n");
        assertError(userCompletion, 1, "\"completion\" must be a string or a list with one assistant message",
                () -> SftData.read(userCompletion));
        Path messages = write(dir, "d.jsonl", "{\"messages\": \"hello\"}\n");
        assertError(messages, 1, "\"messages\" must be a list of messages", () -> SftData.read(messages));
        Path item = write(dir, "e.jsonl", "{\"messages\": [\"hello\"]}\n");
        assertError(item, 1, "\"messages\" message 1 must be an object with \"role\" and \"content\"",
                () -> SftData.read(item));
        Path content = write(dir, "f.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": [1]}]}\n");
        assertError(content, 1, "\"messages\" message 1: \"content\" must be a string", () -> SftData.read(content));
        Path noRole = write(dir, "g.jsonl", "{\"messages\": [{\"content\": \"x\"}]}\n");
        assertError(noRole, 1, "\"messages\" message 1: missing \"role\"", () -> SftData.read(noRole));
    }

    @Test
    void unknownRoleIsAnError() throws IOException {
        Path file = write(dir, "a.jsonl", "\n{\"messages\": [" + msg("user", "q") + ", " + msg("bot", "a") + "]}\n");
        assertError(file, 2, "\"messages\" message 2: unknown role \"bot\" (expected system, user or assistant)",
                () -> SftData.read(file));
    }

    @Test
    void emptyContentIsAnError() throws IOException {
        Path file = write(dir, "a.jsonl", "{\"messages\": [" + msg("user", "q") + ", " + msg("assistant", " ") + "]}\n");
        assertError(file, 1, "\"messages\" message 2: empty response", () -> SftData.read(file));
        Path csv = write(dir, "b.csv", "prompt,completion\np,c\nq,\n");
        assertError(csv, 3, "\"completion\": empty response", () -> SftData.read(csv));
        Path emptyList = write(dir, "c.jsonl", "{\"messages\": []}\n");
        assertError(emptyList, 1, "\"messages\" is an empty list", () -> SftData.read(emptyList));
    }

    @Test
    void conversationsMustEndWithTheAssistantAndStartWithAnySystemMessage() throws IOException {
        Path user = write(dir, "a.jsonl", "{\"messages\": [" + msg("user", "q") + "]}\n");
        assertError(user, 1, "\"messages\" must end with an assistant message", () -> SftData.read(user));
        Path system = write(dir, "b.jsonl", "{\"messages\": [" + msg("system", "s") + "]}\n");
        assertError(system, 1, "\"messages\" must end with an assistant message", () -> SftData.read(system));
        Path late = write(dir, "c.jsonl", "{\"messages\": [" + msg("user", "q") + ", " + msg("system", "s") + ", "
                + msg("assistant", "a") + "]}\n");
        assertError(late, 1, "\"messages\" message 2: a system message must come first", () -> SftData.read(late));
        Path prompt = write(dir, "d.jsonl", "{\"prompt\": [" + msg("user", "q") + ", " + msg("assistant", "a")
                + "], \"completion\": \"c\"}\n");
        assertError(prompt, 1, "\"prompt\" must end with a user message", () -> SftData.read(prompt));
    }

    @Test
    void nullMessagesFallsBackToPromptAndCompletion() throws IOException {
        Path file = write(dir, "a.jsonl", "{\"messages\": null, \"prompt\": \"p\", \"completion\": \"c\"}\n");
        assertEquals(List.of(Message.user("p"), Message.assistant("c")), SftData.read(file).get(0).messages());
    }

    @Test
    void emptyFileAndOtherExtensionsAreErrors() throws IOException {
        Path empty = write(dir, "a.jsonl", "\n\n");
        assertError(empty, 0, "empty file", () -> SftData.read(empty));
        Path headerOnly = write(dir, "a.csv", "prompt,completion\n");
        assertError(headerOnly, 0, "empty file", () -> SftData.read(headerOnly));
        Path txt = write(dir, "a.txt", "hello");
        assertError(txt, 0, "expected a .jsonl or .csv file", () -> SftData.read(txt));
    }
}
