package rlhf4j.stage.label;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.Json;

/**
 * The labeling page in a real headless Chromium, driven like a person would (mouse clicks at the cards' centres,
 * key presses): rank by clicking with a reset on the way, submit with the button and with Enter, go back and change
 * a ranking with the number keys, skip, and the finished screen; the journal on disk must hold exactly what was
 * meant, in the tasks' own answer order. Skipped when Debian's {@code chromium} is not installed.
 */
class HumanLabelerBrowserTest {
    private static final List<LabelTask> TASKS = LabelSession.tasks();

    @TempDir
    Path dir;

    @TempDir
    Path profile;

    private Cdp browser;

    @BeforeEach
    void startBrowser() throws Exception {
        Path chromium = Cdp.chromium().orElse(null);
        Assumptions.assumeTrue(chromium != null, "chromium not installed (.ci/run installs it with apt-get)");
        browser = Cdp.launch(chromium, profile);
    }

    @AfterEach
    void stopBrowser() throws Exception {
        if (browser != null) {
            browser.close();
        }
    }

    /** The page shows {@code task}, settled in its answers (no request in flight). */
    private void awaitTask(LabelTask task) throws Exception {
        browser.waitUntil("the page to show " + task.id(), "document.getElementById('prompt')?.textContent === "
                + Json.line(task.question()) + " && !document.getElementById('task').hidden"
                + " && document.querySelectorAll('.card').length === " + task.responses().size()
                + " && !document.getElementById('back').disabled");
    }

    /** The selector of the card showing answer {@code t} of {@code task}, found by its text as a person would. */
    private String card(LabelTask task, int t) throws Exception {
        return ".card[data-index=\"" + displayIndex(task, t) + "\"]";
    }

    private int displayIndex(LabelTask task, int t) throws Exception {
        JsonNode d = browser.evaluate("(() => { const c = [...document.querySelectorAll('.card')].find(c =>"
                + " c.querySelector('.text').textContent === " + Json.line(task.responses().get(t)) + ");"
                + " return c ? Number(c.dataset.index) : null; })()");
        assertTrue(d.isInt(), "no card shows " + task.responses().get(t));
        return d.intValue();
    }

    /** The answers in "Your ranking", top to bottom, as task indices. */
    private int[] rankedOnScreen(LabelTask task) throws Exception {
        JsonNode texts = browser.evaluate("[...document.querySelectorAll('#ranked .card .text')]"
                + ".map(e => e.textContent)");
        int[] r = new int[texts.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = task.responses().indexOf(texts.get(i).textValue());
        }
        return r;
    }

    /** Waits until rankings.jsonl holds {@code id} with {@code ranking}; the rows by id. */
    private Map<String, int[]> awaitRow(String id, int... ranking) throws Exception {
        long deadline = System.nanoTime() + Cdp.TIMEOUT.toNanos();
        Map<String, int[]> rows = Map.of();
        while (System.nanoTime() < deadline) {
            rows = rows();
            if (rows.containsKey(id) && Arrays.equals(rows.get(id), ranking)) {
                return rows;
            }
            Thread.sleep(50); // a poll interval
        }
        assertArrayEquals(ranking, rows.get(id), "the ranking of " + id + " on disk");
        return rows;
    }

    private Map<String, int[]> rows() throws Exception {
        Map<String, int[]> rows = new LinkedHashMap<>();
        Path f = dir.resolve(RankingsJournal.RANKINGS);
        if (Files.exists(f)) {
            for (String line : Files.readAllLines(f)) {
                JsonNode n = Json.parse(line);
                int[] r = new int[n.get("ranking").size()];
                for (int i = 0; i < r.length; i++) {
                    r[i] = n.get("ranking").get(i).intValue();
                }
                rows.put(n.get("id").textValue(), r);
            }
        }
        return rows;
    }

    private String text(String selector) throws Exception {
        return browser.evaluate("document.querySelector(" + Json.line(selector) + ").textContent").textValue();
    }

    /** A point in the upper quarter of the element {@code selector}: a drop there lands before it. */
    private double[] upperPart(String selector) throws Exception {
        JsonNode p = browser.evaluate("(() => { const r = document.querySelector(" + Json.line(selector)
                + ").getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 4]; })()");
        return new double[] {p.get(0).doubleValue(), p.get(1).doubleValue()};
    }

    @Test
    void aPersonRanksByDragAndDrop() throws Exception {
        try (LabelSession s = LabelSession.start(TASKS.subList(0, 1), RankingsJournal.open(dir))) {
            browser.navigate(s.page);
            LabelTask first = TASKS.get(0);
            awaitTask(first);
            // into the empty ranking, then one before it, then one between: [3, 1] -> [3, 0, 1] ...
            browser.drag(card(first, 1), browser.centre("#ranked"));
            assertArrayEquals(new int[] {1}, rankedOnScreen(first));
            browser.drag(card(first, 3), upperPart("#ranked " + card(first, 1)));
            assertArrayEquals(new int[] {3, 1}, rankedOnScreen(first));
            browser.drag(card(first, 0), upperPart("#ranked " + card(first, 1)));
            assertArrayEquals(new int[] {3, 0, 1, 2}, rankedOnScreen(first), "the last one is placed by itself");
            // change of mind: the best one back to the pool, then moved to the bottom of the ranking
            browser.drag("#ranked " + card(first, 3), browser.centre("#pool"));
            assertArrayEquals(new int[] {0, 1, 2}, rankedOnScreen(first));
            browser.drag(card(first, 3), upperPart("#ranked " + card(first, 2)));
            assertArrayEquals(new int[] {0, 1, 3, 2}, rankedOnScreen(first));
            browser.click("#submit");
            awaitRow("p000000", 0, 1, 3, 2);
            s.awaitEnd();
        }
    }

    @Test
    void aPersonRanksByClicksAndKeysGoesBackAndSkips() throws Exception {
        try (LabelSession s = LabelSession.start(TASKS, RankingsJournal.open(dir))) {
            browser.navigate(s.page);

            // first prompt, four answers: click two, think again (reset), then click three; the fourth is placed
            LabelTask first = TASKS.get(0);
            awaitTask(first);
            assertEquals("0 of 3 done", text("#count"));
            browser.click(card(first, 2));
            browser.click(card(first, 1));
            assertArrayEquals(new int[] {2, 1}, rankedOnScreen(first));
            assertTrue(browser.evaluate("document.getElementById('submit').disabled").booleanValue(),
                    "submit waits for a full ranking");
            browser.click("#reset");
            assertArrayEquals(new int[0], rankedOnScreen(first));
            browser.click(card(first, 0));
            browser.click(card(first, 3));
            browser.click(card(first, 1));
            assertArrayEquals(new int[] {0, 3, 1, 2}, rankedOnScreen(first), "the last one is placed by itself");
            browser.click("#submit");
            awaitRow("p000000", 0, 3, 1, 2);

            // second prompt: its markup is text, not HTML; two clicks and Enter
            LabelTask second = TASKS.get(1);
            awaitTask(second);
            assertEquals("1 of 3 done", text("#count"));
            assertTrue(browser.evaluate("document.querySelector('#prompt b, .card b') === null").booleanValue(),
                    "data is shown as text");
            browser.click(card(second, 2));
            browser.click(card(second, 0));
            assertArrayEquals(new int[] {2, 0, 1}, rankedOnScreen(second));
            browser.key("Enter");
            awaitRow("p000001", 2, 0, 1);

            // third prompt: go back (b) to the second, shown as it was ranked; change it with the number keys
            LabelTask third = TASKS.get(2);
            awaitTask(third);
            browser.key("b");
            awaitTask(second);
            assertArrayEquals(new int[] {2, 0, 1}, rankedOnScreen(second), "the earlier ranking is shown");
            assertFalse(browser.evaluate("document.getElementById('note').hidden").booleanValue(),
                    "a note says it was ranked before");
            browser.key("r");
            assertArrayEquals(new int[0], rankedOnScreen(second));
            browser.key(String.valueOf(displayIndex(second, 1) + 1));
            browser.key(String.valueOf(displayIndex(second, 0) + 1));
            assertArrayEquals(new int[] {1, 0, 2}, rankedOnScreen(second));
            browser.key("Enter");
            Map<String, int[]> rows = awaitRow("p000001", 1, 0, 2);
            assertEquals(List.of("p000000", "p000001"), new ArrayList<>(rows.keySet()), "one row per prompt");

            // back at the third, which the person skips (s): everything is settled and the stage ends
            awaitTask(third);
            assertEquals("2 of 3 done", text("#count"));
            browser.key("s");
            browser.waitUntil("the finished screen", "!document.getElementById('finished').hidden");
            assertEquals("3 of 3 done", text("#count"));
            s.awaitEnd();
            assertTrue(s.output().endsWith("label: all 3 done (2 ranked, 1 skipped)\n"), s.output());
            assertTrue(Files.readString(dir.resolve(RankingsJournal.SKIPPED)).contains("\"p000002\""));
            assertArrayEquals(new int[] {0, 3, 1, 2}, rows().get("p000000"));
        }
    }
}
