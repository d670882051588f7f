package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
import rlhf4j.io.DataException;
import rlhf4j.tokenizer.Message;

class PreferenceDataTest {
    @TempDir
    Path dir;

    /** A preference example without its source and line. */
    private record Pair(List<Message> prompt, String chosen, String rejected, double margin) {
        static Pair of(PreferenceExample e) {
            return new Pair(e.prompt(), e.chosen(), e.rejected(), e.margin());
        }
    }

    private static final List<Pair> FIXTURE = List.of(
            new Pair(List.of(Message.user("Fix: he go home")), "He goes home.", "He go home.", 1.5),
            new Pair(List.of(Message.system("Correct grammar."), Message.user("Fix: she have a cat")),
                    "She has a cat.", "She have a cat.", 0),
            new Pair(List.of(Message.user("Hi, how are you?"), Message.assistant("Fine, thanks."),
                    Message.user("Tell me a joke")), "Why did the chicken cross the road?", "No.", 0),
            new Pair(List.of(Message.user("2+2?")), "4", "5", -0.25));

    @Test
    void jsonlAndCsvFixturesReadTheSamePairs() {
        List<PreferenceExample> jsonl = PreferenceData.read(fixture("preferences.jsonl"));
        List<PreferenceExample> csv = PreferenceData.read(fixture("preferences.csv"));
        assertEquals(FIXTURE, contents(jsonl, Pair::of));
        assertEquals(FIXTURE, contents(csv, Pair::of));
        assertEquals(List.of(1, 3, 4, 5), contents(jsonl, PreferenceExample::line));
        assertEquals(List.of(2, 3, 4, 21), contents(csv, PreferenceExample::line));
    }

    @Test
    void hhStringsParseToTheSamePairsAsTheExplicitForm() throws IOException {
        Path hh = write(dir, "hh.jsonl",
                "{\"chosen\": \"\\n\\nHuman: Hi\\n\\nAssistant: Hello there.\", "
                        + "\"rejected\": \"\\n\\nHuman: Hi\\n\\nAssistant: Go away. \"}\n"
                        + "{\"chosen\": \"Human: A\\n\\nAssistant: B\\n\\nHuman: C?\\n\\nAssistant:  yes\\n\", "
                        + "\"rejected\": \"Human: A\\n\\nAssistant: B\\n\\nHuman: C?\\n\\nAssistant: no\"}\n");
        Path explicit = write(dir, "explicit.jsonl",
                "{\"prompt\": \"Hi\", \"chosen\": \"Hello there.\", \"rejected\": \"Go away.\"}\n"
                        + "{\"prompt\": [" + msg("user", "A") + ", " + msg("assistant", "B") + ", " + msg("user", "C?")
                        + "], \"chosen\": [" + msg("assistant", "yes") + "], \"rejected\": \"no\"}\n");
        List<PreferenceExample> fromHh = PreferenceData.read(hh);
        assertEquals(contents(PreferenceData.read(explicit), Pair::of), contents(fromHh, Pair::of));
        assertEquals(new PreferenceExample(hh, 1, List.of(Message.user("Hi")), "Hello there.", "Go away.", 0),
                fromHh.get(0));
    }

    @Test
    void implicitMessageListsShareTheirLeadingMessages() throws IOException {
        Path file = write(dir, "lists.jsonl", "{\"chosen\": [" + msg("system", "s") + ", " + msg("user", "q") + ", "
                + msg("assistant", "good") + "], \"rejected\": [" + msg("system", "s") + ", " + msg("user", "q")
                + ", " + msg("assistant", "bad") + "], \"margin\": 2}\n");
        assertEquals(new PreferenceExample(file, 1, List.of(Message.system("s"), Message.user("q")), "good", "bad", 2),
                PreferenceData.read(file).get(0));
    }

    @Test
    void marginIsOptionalAndNumeric() throws IOException {
        Path jsonl = write(dir, "m.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n"
                + "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"margin\": 0.75}\n"
                + "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"margin\": null}\n");
        assertEquals(List.of(0.0, 0.75, 0.0), contents(PreferenceData.read(jsonl), PreferenceExample::margin));
        Path csv = write(dir, "m.csv", "prompt,chosen,rejected,margin\np,a,b,\np,a,b, 3e-1\n");
        assertEquals(List.of(0.0, 0.3), contents(PreferenceData.read(csv), PreferenceExample::margin));
        Path bad = write(dir, "bad.csv", "prompt,chosen,rejected,margin\np,a,b,1\np,a,b,lots\n");
        assertError(bad, 3, "\"margin\" must be a finite number", () -> PreferenceData.read(bad));
        Path type = write(dir, "bad.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"margin\": true}\n");
        assertError(type, 1, "\"margin\" must be a finite number", () -> PreferenceData.read(type));
    }

    @Test
    void identicalChosenAndRejectedIsAnError() throws IOException {
        Path file = write(dir, "same.csv", "prompt,chosen,rejected\np,a,b\n\"multi\nline\",same,same\n");
        assertError(file, 3, "chosen and rejected are identical", () -> PreferenceData.read(file));
        Path hh = write(dir, "same.jsonl", "{\"chosen\": \"\\n\\nHuman: q\\n\\nAssistant: x\", "
                + "\"rejected\": \"\\n\\nHuman: q\\n\\nAssistant:  x \"}\n");
        assertError(hh, 1, "chosen and rejected are identical", () -> PreferenceData.read(hh));
    }

    @Test
    void conversationsThatDoNotShareAPromptAreAnError() throws IOException {
        Path hh = write(dir, "hh.jsonl", "{\"chosen\": \"\\n\\nHuman: q\\n\\nAssistant: x\", "
                + "\"rejected\": \"\\n\\nHuman: other\\n\\nAssistant: y\"}\n");
        assertError(hh, 1, "chosen and rejected do not share a prompt", () -> PreferenceData.read(hh));
        Path lists = write(dir, "lists.jsonl", "{\"chosen\": [" + msg("user", "q") + ", " + msg("assistant", "x")
                + "], \"rejected\": [" + msg("user", "q") + ", " + msg("assistant", "x") + ", " + msg("user", "r")
                + ", " + msg("assistant", "y") + "]}\n");
        assertError(lists, 1, "chosen and rejected do not share a prompt", () -> PreferenceData.read(lists));
    }

    @Test
    void malformedImplicitConversationsAreErrors() throws IOException {
        Path plain = write(dir, "a.jsonl", "{\"chosen\": \"just text\", \"rejected\": \"other\"}\n");
        DataException e = assertThrows(DataException.class, () -> PreferenceData.read(plain));
        assertTrue(e.getMessage().startsWith(plain + ":1: \"chosen\" is neither a list of messages nor an Anthropic HH"),
                e.getMessage());
        Path endsHuman = write(dir, "b.jsonl", "{\"chosen\": \"\\n\\nHuman: q\\n\\nAssistant: x\", "
                + "\"rejected\": \"\\n\\nHuman: q\\n\\nAssistant: x\\n\\nHuman: well?\"}\n");
        assertError(endsHuman, 1, "\"rejected\" must end with an assistant message",
                () -> PreferenceData.read(endsHuman));
        Path emptyTurn = write(dir, "c.jsonl", "{\"chosen\": \"\\n\\nHuman: q\\n\\nAssistant:\", "
                + "\"rejected\": \"\\n\\nHuman: q\\n\\nAssistant: x\"}\n");
        assertError(emptyTurn, 1, "\"chosen\" turn 2: empty response", () -> PreferenceData.read(emptyTurn));
        Path noPrompt = write(dir, "d.jsonl", "{\"chosen\": [" + msg("assistant", "x") + "], \"rejected\": ["
                + msg("assistant", "y") + "]}\n");
        assertError(noPrompt, 1, "the conversation in \"chosen\" has no prompt", () -> PreferenceData.read(noPrompt));
        Path number = write(dir, "e.jsonl", "{\"chosen\": 1, \"rejected\": \"x\"}\n");
        assertError(number, 1, "\"chosen\" must be a string or a list of messages", () -> PreferenceData.read(number));
    }

    @Test
    void missingColumnsAndWrongTypesAreErrors() throws IOException {
        Path csv = write(dir, "a.csv", "prompt,chosen\np,c\n");
        assertError(csv, 1, "missing column \"rejected\"", () -> PreferenceData.read(csv));
        Path jsonl = write(dir, "a.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n\n"
                + "{\"rejected\": \"b\"}\n");
        assertError(jsonl, 3, "missing column \"chosen\"", () -> PreferenceData.read(jsonl));
        Path prompt = write(dir, "b.jsonl", "{\"prompt\": {\"text\": \"p\"}, \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        assertError(prompt, 1, "\"prompt\" must be a string or a list of messages", () -> PreferenceData.read(prompt));
        Path role = write(dir, "c.jsonl", "{\"prompt\": [" + msg("human", "p") + "], \"chosen\": \"a\", "
                + "\"rejected\": \"b\"}\n");
        assertError(role, 1, "\"prompt\" message 1: unknown role \"human\" (expected system, user or assistant)",
                () -> PreferenceData.read(role));
        Path empty = write(dir, "d.jsonl", "{\"prompt\": \"p\", \"chosen\": \"\", \"rejected\": \"b\"}\n");
        assertError(empty, 1, "\"chosen\": empty response", () -> PreferenceData.read(empty));
    }
}
