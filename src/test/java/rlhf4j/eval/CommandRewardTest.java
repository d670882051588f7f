package rlhf4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rlhf4j.eval.RewardRollouts.TOKENIZER;
import static rlhf4j.eval.RewardRollouts.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.Json;
import rlhf4j.config.ConfigException;
import rlhf4j.rollout.Rollout;

/**
 * An external program as GRPO's reward, with real {@code sh -c} judges: a prompt's consecutive rollouts are one
 * question and its scores go back to them in order; ids run on across calls; a ranking, an answer of the wrong
 * length or an echoed id of another question is refused; a judge that exits or hangs stops the run with a one-line
 * {@code grpo.reward} error and leaves no process behind.
 */
class CommandRewardTest {
    @TempDir
    Path dir;

    /** A python judge that logs each question and scores a response by its length, plus 100 for a "please". */
    private String lengthJudge(Path questions) throws IOException {
        Path script = dir.resolve("judge.py");
        Files.writeString(script, """
                import json, sys
                log = open(sys.argv[1], "a")
                for line in sys.stdin:
                    q = json.loads(line)
                    log.write(line)
                    log.flush()
                    scores = [len(r) + (100 if "please" in r else 0) for r in q["responses"]]
                    print(json.dumps({"id": q["id"], "scores": scores}), flush=True)
                """);
        return "python3 " + script + " " + questions;
    }

    private CommandReward reward(String command, int timeoutSeconds) {
        return new CommandReward(command, TOKENIZER, dir.resolve("logs").resolve("judge.log"), timeoutSeconds);
    }

    @Test
    void eachPromptsRolloutsAreOneQuestionAndGetTheirOwnScores() throws IOException {
        Path questions = dir.resolve("questions.jsonl");
        try (CommandReward reward = reward(lengthJudge(questions), 30)) {
            double[] first = reward.score(List.of(
                    rollout("Say hi", "hi", null), rollout("Say hi", "hello please", null),
                    rollout("Say bye", "bye", "bye"), rollout("Say bye", " goodbye ", "bye"), rollout("Say bye", "ciao", "bye")));
            assertArrayEquals(new double[] {2, 112, 3, 7, 4}, first);
            // the same prompt again after another one is a new question; the ids run on
            double[] second = reward.score(List.of(rollout("Say hi", "x", null), rollout("Say bye", "please", "bye"),
                    rollout("Say hi", "yo", null)));
            assertArrayEquals(new double[] {1, 106, 2}, second);
        }
        List<JsonNode> asked = Files.readAllLines(questions).stream().map(Json::parse).toList();
        assertEquals(5, asked.size());
        for (int i = 0; i < asked.size(); i++) {
            assertEquals(String.valueOf(i + 1), asked.get(i).get("id").asText());
        }
        assertEquals(Json.parse("{\"id\": \"1\", \"prompt\": \"Say hi\", \"responses\": [\"hi\", \"hello please\"], "
                + "\"reference\": null}"), asked.get(0));
        assertEquals(Json.parse("{\"id\": \"2\", \"prompt\": \"Say bye\", \"responses\": [\"bye\", \"goodbye\", \"ciao\"], "
                + "\"reference\": \"bye\"}"), asked.get(1), "decoded without <|im_end|>, stripped");
        assertTrue(Files.readString(dir.resolve("logs").resolve("judge.log")).startsWith("=== "));
    }

    @Test
    void anAnswerWithoutAnIdIsTakenAndAnotherQuestionsIdIsRefused() {
        try (CommandReward reward = reward("while read -r line; do echo '{\"scores\": [1, 2]}'; done", 30)) {
            assertArrayEquals(new double[] {1, 2}, reward.score(List.of(rollout("Q", "a", null), rollout("Q", "b", null))));
        }
        try (CommandReward reward = reward("while read -r line; do echo '{\"id\": \"7\", \"scores\": [1, 2]}'; done", 30)) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> reward.score(List.of(rollout("Q", "a", null), rollout("Q", "b", null))));
            assertTrue(e.getMessage().startsWith("grpo.reward: answer 1 is for \"id\" \"7\", but question 1 was 1")
                    && e.getMessage().contains("out of step"), e.getMessage());
        }
    }

    @Test
    void aRankingOrTheWrongNumberOfScoresIsRefused() {
        List<Rollout> two = List.of(rollout("Q", "a", null), rollout("Q", "b", null));
        try (CommandReward reward = reward("while read -r line; do echo '{\"ranking\": [1, 0]}'; done", 30)) {
            ConfigException e = assertThrows(ConfigException.class, () -> reward.score(two));
            assertTrue(e.getMessage().startsWith("grpo.reward: answer 1: expected {\"scores\": ")
                    && e.getMessage().contains("a ranking is not accepted here"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
        try (CommandReward reward = reward("while read -r line; do echo '{\"scores\": [1]}'; done", 30)) {
            ConfigException e = assertThrows(ConfigException.class, () -> reward.score(two));
            assertEquals("grpo.reward: answer 1: \"scores\" has 1 entries for 2 responses (one each)", e.getMessage());
        }
        try (CommandReward reward = reward("while read -r line; do echo '{\"scores\": [1, \"2\"]}'; done", 30)) {
            ConfigException e = assertThrows(ConfigException.class, () -> reward.score(two));
            assertTrue(e.getMessage().startsWith("grpo.reward: answer 1: \"scores\" entries must be numbers"),
                    e.getMessage());
        }
    }

    @Test
    void aJudgeThatExitsIsReportedWithItsStatusAndStderr() throws IOException {
        try (CommandReward reward = reward("read -r line; echo dying >&2; exit 3", 30)) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> reward.score(List.of(rollout("Q", "a", null))));
            assertTrue(e.getMessage().startsWith("grpo.reward: the judge ended without answering question 1, "
                    + "exit status 3; its last stderr line: dying (stderr in "), e.getMessage());
        }
        assertTrue(Files.readString(dir.resolve("logs").resolve("judge.log")).contains("dying"));
    }

    @Test
    void aHungJudgeIsStoppedAfterItsTimeoutWithItsChildren() {
        String marker = "6127" + ProcessHandle.current().pid();
        long t0 = System.nanoTime();
        try (CommandReward reward = reward("sleep " + marker + " & wait", 1)) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> reward.score(List.of(rollout("Q", "a", null))));
            assertTrue(e.getMessage().startsWith("grpo.reward: the judge gave no answer to question 1 within 1 s "
                    + "(grpo.reward_timeout) and was stopped"), e.getMessage());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 10, "took " + seconds + " s");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long left;
        do {
            left = ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(marker)).count();
        } while (left > 0 && System.nanoTime() < deadline);
        assertEquals(0, left, "the judge's child is gone");
    }
}
