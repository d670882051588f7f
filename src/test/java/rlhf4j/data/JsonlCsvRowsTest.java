package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rlhf4j.data.DataFiles.assertError;
import static rlhf4j.data.DataFiles.write;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.DataException;

class JsonlCsvRowsTest {
    @TempDir
    Path dir;

    @Test
    void jsonlSkipsBlankLinesAndKeepsPhysicalLineNumbers() throws IOException {
        Path file = write(dir, "rows.jsonl", "{\"a\": \"x\"}\n\n  \r\n{\"a\": \"y\", \"b\": 2}\r\n\n");
        List<DataRow> rows = JsonlCsvRows.read(file);
        assertEquals(List.of(1, 4), rows.stream().map(DataRow::line).toList());
        assertEquals("y", rows.get(1).require("a").textValue());
        assertEquals(2, rows.get(1).require("b").intValue());
        assertEquals(4, rows.get(1).columnsLine());
    }

    @Test
    void aHugeRowIsRefusedInOurWords() throws IOException {
        String huge = "{\"a\": \"" + "x".repeat(17 << 20) + "\"}";
        Path file = write(dir, "huge.jsonl", "{\"a\": \"x\"}\n" + huge + "\n");
        assertError(file, 2, "the row has 17M characters, more than the 16M a row may have", () -> JsonlCsvRows.read(file));
    }

    @Test
    void csvLinesAreWhereRecordsStartEvenWithMultiLineCells() throws IOException {
        Path file = write(dir, "rows.csv", "a,b\r\n\"one\r\ntwo\",x\r\n\r\nthree,\"y\n\nz\"\nfour,w\n");
        List<DataRow> rows = JsonlCsvRows.read(file);
        assertEquals(List.of(2, 5, 8), rows.stream().map(DataRow::line).toList());
        assertEquals("one\ntwo", rows.get(0).require("a").textValue());
        assertEquals("y\n\nz", rows.get(1).require("b").textValue());
        assertEquals(1, rows.get(2).columnsLine());
    }

    @Test
    void csvByteOrderMarkAndSpacesAroundHeaderNamesAreDropped() throws IOException {
        Path file = write(dir, "bom.csv", "\uFEFFprompt, completion\nq,\" r\"\n");
        DataRow row = JsonlCsvRows.read(file).get(0);
        assertEquals("q", row.require("prompt").textValue());
        assertEquals(" r", row.require("completion").textValue());
        assertEquals(2, row.line());
    }

    @Test
    void csvCellsHoldingJsonListsReadAsLists() throws IOException {
        Path file = write(dir, "rows.csv", "m,t,e\n\"[{\"\"role\"\": \"\"user\"\"}]\",[1] not JSON,\n");
        DataRow row = JsonlCsvRows.read(file).get(0);
        assertTrue(row.require("m").isArray());
        assertEquals("user", row.require("m").get(0).get("role").textValue());
        assertEquals("[1] not JSON", row.require("t").textValue());
        assertTrue(row.has("e"));
        assertNull(row.optional("e"));
    }

    @Test
    void csvCellWithBrokenJsonListIsAnError() throws IOException {
        Path file = write(dir, "rows.csv", "m\nok\n\"[{\"\"role\"\": }]\"\n");
        DataRow row = JsonlCsvRows.read(file).get(1);
        DataException e = assertThrows(DataException.class, () -> row.require("m"));
        assertTrue(e.getMessage().startsWith(file + ":3: invalid JSON in \"m\": "), e.getMessage());
    }

    @Test
    void otherExtensionsAreRejected() throws IOException {
        Path file = write(dir, "data.json", "{}");
        assertError(file, 0, "expected a .jsonl or .csv file", () -> JsonlCsvRows.read(file));
    }

    @Test
    void emptyFilesAndFilesWithoutRowsAreErrors() throws IOException {
        for (String[] c : new String[][] {{"a.jsonl", ""}, {"b.jsonl", "\n \n\n"}, {"c.csv", ""},
                {"d.csv", "prompt,completion\n"}, {"e.csv", "prompt,completion\n\n\n"}}) {
            Path file = write(dir, c[0], c[1]);
            assertError(file, 0, "empty file", () -> JsonlCsvRows.read(file));
        }
    }

    @Test
    void invalidUtf8NamesTheLineOfTheBadByte() throws IOException {
        byte[] jsonl = "{\"a\": \"x\"}\n{\"a\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        Path j = write(dir, "latin1.jsonl", jsonl);
        assertError(j, 2, "invalid UTF-8 at byte offset 21", () -> JsonlCsvRows.read(j));
        byte[] csv = "a,b\n\"x\ny\",caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        Path c = write(dir, "latin1.csv", csv);
        assertError(c, 3, "invalid UTF-8 at byte offset 13", () -> JsonlCsvRows.read(c));
    }

    @Test
    void malformedJsonLineIsAnErrorWithAShortReason() throws IOException {
        Path file = write(dir, "bad.jsonl", "{\"a\": \"x\"}\n\n{\"a\": \"x\",}\n");
        DataException e = assertThrows(DataException.class, () -> JsonlCsvRows.read(file));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith(file + ":3: invalid JSON: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(column 11)"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n") && e.getMessage().length() < 250, e.getMessage());
    }

    @Test
    void truncatedTrailingAndDuplicateJsonAreErrors() throws IOException {
        for (String line : new String[] {"{\"a\": \"x\"", "{\"a\": 1} {\"b\": 2}", "{\"a\": 1, \"a\": 2}"}) {
            Path file = write(dir, "bad.jsonl", line + "\n");
            DataException e = assertThrows(DataException.class, () -> JsonlCsvRows.read(file));
            assertTrue(e.getMessage().startsWith(file + ":1: invalid JSON: "), e.getMessage());
            assertTrue(!e.getMessage().contains("\n") && !e.getMessage().contains("Source"), e.getMessage());
        }
    }

    @Test
    void jsonLineThatIsNotAnObjectIsAnError() throws IOException {
        Path array = write(dir, "array.jsonl", "{\"a\": 1}\n[1, 2]\n");
        assertError(array, 2, "expected a JSON object, got an array", () -> JsonlCsvRows.read(array));
        Path string = write(dir, "string.jsonl", "\"text\"\n");
        assertError(string, 1, "expected a JSON object, got a string", () -> JsonlCsvRows.read(string));
        Path nul = write(dir, "null.jsonl", "null\n");
        assertError(nul, 1, "expected a JSON object, got null", () -> JsonlCsvRows.read(nul));
    }

    @Test
    void csvRowWithTheWrongNumberOfFieldsIsAnError() throws IOException {
        Path file = write(dir, "short.csv", "a,b\n1,2\n3\n");
        assertError(file, 3, "expected 2 fields, got 1", () -> JsonlCsvRows.read(file));
    }

    @Test
    void unterminatedCsvQuoteIsAnErrorAtTheRecordStart() throws IOException {
        Path file = write(dir, "open.csv", "a,b\n1,2\n\n3,\"never\nclosed\n");
        DataException e = assertThrows(DataException.class, () -> JsonlCsvRows.read(file));
        assertEquals(4, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith(file + ":4: invalid CSV: "), e.getMessage());
    }

    @Test
    void duplicateCsvHeaderIsAnErrorAtLineOne() throws IOException {
        Path file = write(dir, "dup.csv", "a,a\n1,2\n");
        DataException e = assertThrows(DataException.class, () -> JsonlCsvRows.read(file));
        assertEquals(1, e.line());
        assertTrue(e.getMessage().startsWith(file + ":1: invalid CSV header: "), e.getMessage());
    }

    @Test
    void missingColumnIsReportedWhereColumnsAreNamed() throws IOException {
        Path csv = write(dir, "rows.csv", "a\nx\n");
        DataRow row = JsonlCsvRows.read(csv).get(0);
        assertError(csv, 1, "missing column \"b\"", () -> row.require("b"));
        Path jsonl = write(dir, "rows.jsonl", "\n{\"a\": \"x\"}\n");
        DataRow jrow = JsonlCsvRows.read(jsonl).get(0);
        assertError(jsonl, 2, "missing column \"b\"", () -> jrow.require("b"));
    }
}
