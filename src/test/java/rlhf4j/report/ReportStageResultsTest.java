package rlhf4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** StageResults on hand-written stage folders: headline numbers, fallbacks, missing and broken files. */
class ReportStageResultsTest {
    @TempDir
    Path run;

    private static Map<String, Double> cells(StageResults r) {
        Map<String, Double> m = new java.util.LinkedHashMap<>();
        for (ResultRow row : r.results()) {
            m.put(row.value().key(), row.value().value());
            row.baseline().ifPresent(b -> m.put(b.key(), b.value()));
        }
        return m;
    }

    @Test
    void readsEveryFileOfAFinishedStage() throws Exception {
        FakeRun.write(run, List.of("pretrain", "sft", "rm", "ppo"));
        StageResults p = StageResults.read(run, "pretrain");
        assertTrue(p.ran());
        assertEquals("finished", p.status());
        assertEquals(new StageResults.TrainerState(7, 7, true, 3.75, 1337), p.state().orElseThrow());
        assertEquals(1.414213562373095, p.last("val_bpb").getAsDouble());
        assertEquals("=== step 7 ===\nprompt → answer <i>&amp; pretrain", p.samples());
        assertEquals(Map.of("pretrain.val_bpb", 1.414213562373095, "pretrain.first_val_bpb", 2.718281828459045,
                "pretrain.val_loss", 4.123456789012345, "pretrain.first_val_loss", 5.987654321), cells(p));

        StageResults sft = StageResults.read(run, "sft");
        assertEquals(0.328125, sft.test("exact_match").getAsDouble());
        assertEquals("data/grammar/test.jsonl", sft.testFile());
        assertEquals("beam-4", sft.decoding());
        assertTrue(sft.results().get(0).source().endsWith("64 prompts, beam-4 answers)"), sft.results().get(0).source());
        assertEquals(51.23456789, cells(sft).get("sft.test_chrf"));
        assertEquals(2.25, cells(sft).get("sft.val_loss"));

        StageResults rm = StageResults.read(run, "rm");
        assertEquals(0.6987654321, rm.test("test.accuracy").getAsDouble());
        assertEquals(Map.of("rm.val_accuracy", 0.725, "rm.train_accuracy", 0.8125, "rm.test_accuracy", 0.6987654321),
                cells(rm));
        assertTrue(rm.results().get(0).source().contains("40 pairs of ? validation rankings"),
                rm.results().get(0).source());
        assertTrue(rm.results().get(1).source().contains("50 test pairs"), rm.results().get(1).source());

        StageResults ppo = StageResults.read(run, "ppo");
        assertEquals("", ppo.decoding(), "a test_metrics.json without the key: nothing said about the decoding");
        Map<String, Double> c = cells(ppo);
        assertEquals(0.3456789, c.get("ppo.reward_mean"));
        assertEquals(-0.4123, c.get("ppo.sft_reward_mean"));
        assertEquals(0.0521, c.get("ppo.kl"));
        assertEquals(0.0, c.get("ppo.sft_kl"));
        assertEquals(0.34375, c.get("ppo.exact_match"));
        assertEquals(0.3125, c.get("ppo.sft_exact_match"));
        assertEquals(53.0625, c.get("ppo.chrf"));
        assertEquals(49.875, c.get("ppo.sft_chrf"));
        assertEquals(0.049, ppo.last("kl_coef").getAsDouble());
    }

    @Test
    void missingAndBrokenFilesNeverThrow() throws Exception {
        StageResults none = StageResults.read(run, "sft");
        assertFalse(none.ran());
        assertEquals("not run", none.status());
        assertTrue(none.results().isEmpty());

        Path dir = FakeRun.stage(run, "rm", "step,loss\n", "{ not json", 3, 10, 1.0);
        StageResults rm = StageResults.read(run, "rm");
        assertTrue(rm.ran());
        assertEquals("stopped at step 3 of 10", rm.status());
        assertTrue(rm.results().isEmpty());
        assertEquals(1, rm.problems().size());
        assertTrue(rm.problems().get(0).startsWith("test_metrics.json: "), rm.problems().toString());

        Files.writeString(dir.resolve("metrics.csv"), "");
        Files.writeString(dir.resolve("trainer_state.json"), "");
        Files.delete(dir.resolve("test_metrics.json"));
        StageResults broken = StageResults.read(run, "rm");
        assertFalse(broken.ran());
        assertEquals(2, broken.problems().size(), broken.problems().toString());
    }

    @Test
    void fallsBackToValidationNumbersWithoutATestFile() throws Exception {
        FakeRun.stage(run, "rm", FakeRun.RM_CSV, "{\"train\": {\"pairs\": 10, \"accuracy\": 0.9}, "
                + "\"val\": {\"pairs\": 4, \"accuracy\": 0.75}}", 4, 4, 1.0);
        assertEquals(Map.of("rm.val_accuracy", 0.75, "rm.train_accuracy", 0.9), cells(StageResults.read(run, "rm")));
        Files.delete(run.resolve("rm/test_metrics.json"));
        assertEquals(Map.of("rm.val_accuracy", 0.7125, "rm.first_val_accuracy", 0.6),
                cells(StageResults.read(run, "rm")));

        FakeRun.stage(run, "ppo", FakeRun.PPO_CSV, null, 2, 4, 1.0);
        StageResults ppo = StageResults.read(run, "ppo");
        assertEquals("stopped at step 2 of 4", ppo.status());
        Map<String, Double> c = cells(ppo);
        assertEquals(0.25, c.get("ppo.val_reward"));
        assertEquals(-0.3, c.get("ppo.first_val_reward"));
        assertEquals(52.75, c.get("ppo.val_chrf"));
        assertEquals(List.of("ppo.val_reward", "ppo.val_kl", "ppo.val_exact_match", "ppo.val_chrf"),
                ppo.results().stream().map(r -> r.value().key()).collect(Collectors.toList()));
    }
}
