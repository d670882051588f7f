package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.io.DataException;

class LanguageToolExamplesTest {

    private static LanguageToolExamples fixture() throws IOException {
        try (InputStream in = LanguageToolExamplesTest.class.getResourceAsStream("/data/languagetool-rules.xml")) {
            return LanguageToolExamples.parse(in, "languagetool-rules.xml");
        }
    }

    private static LanguageToolExamples parse(String xml) {
        return LanguageToolExamples.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), "t.xml");
    }

    @Test
    void markedSpanIsReplacedWithTheFirstCorrection() throws IOException {
        LanguageToolExamples.Pair first = fixture().pairs().get(0);
        assertEquals(new LanguageToolExamples.Pair("On Monday he go to school.", "On Monday he goes to school.",
                "HE_GO"), first);
    }

    @Test
    void emptyFirstAlternativeDeletesTheSpanAndEntitiesAreExpanded() throws IOException {
        LanguageToolExamples.Pair deletion = fixture().pairs().get(1);
        assertEquals("Please would you please feed the cat.", deletion.wrong());
        assertEquals("Please would you feed the cat.", deletion.corrected());
        assertEquals("PLEASE_GROUP", deletion.ruleId(), "a rule without id takes its group's id");
    }

    @Test
    void pairsInFileOrderSkipFlagsWithoutFixAndNoOpCorrections() throws IOException {
        List<LanguageToolExamples.Pair> pairs = fixture().pairs();
        // correction="" (flag without a fix) gives no pair; the two-space fix is a no-op after normalising
        assertEquals(List.of("HE_GO", "PLEASE_GROUP", "OWN_ID"),
                pairs.stream().map(LanguageToolExamples.Pair::ruleId).toList());
        assertEquals("This is an apple.", pairs.get(2).corrected());
    }

    @Test
    void correctExamplesLoseMarkersAndExtraWhitespace() throws IOException {
        assertEquals(List.of("On Monday he goes to school.", "Please feed the cat.", "This is a known false alarm.",
                "On Monday he goes to school."), fixture().correct());
    }

    @Test
    void deletionDoesNotLeaveASpaceBeforePunctuation() {
        assertEquals("Stop now.", LanguageToolExamples.delete("Stop now ", " ."));
        assertEquals("Stop it now", LanguageToolExamples.delete("Stop ", " it now"));
        assertEquals("it now", LanguageToolExamples.delete("", " it now"));
    }

    @Test
    void externalEntitiesAreNotLoaded() {
        String xml = "<?xml version='1.0'?><!DOCTYPE rules [<!ENTITY ext SYSTEM 'file:///etc/passwd'>]>"
                + "<rules><rule id='R'><example>before &ext; after</example></rule></rules>";
        assertEquals(List.of("before after"), parse(xml).correct());
    }

    @Test
    void externalDtdIsNotFetched() {
        String xml = "<?xml version='1.0'?><!DOCTYPE rules SYSTEM 'file:///no/such/rules.dtd'>"
                + "<rules><rule id='R'><example>fine</example></rule></rules>";
        DataException e = assertThrows(DataException.class, () -> parse(xml));
        assertEquals("t.xml:1: invalid XML: external entity not allowed: file:///no/such/rules.dtd", e.getMessage());
    }

    @Test
    void malformedXmlNamesFileAndLine() {
        DataException e = assertThrows(DataException.class,
                () -> parse("<rules>\n<rule id='R'>\n<example>broken</rule>\n</rules>"));
        assertEquals(3, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith("t.xml:3: invalid XML: "), e.getMessage());
    }
}
