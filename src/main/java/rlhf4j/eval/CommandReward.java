package rlhf4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import rlhf4j.eval.judge.JudgeProcess;
import rlhf4j.eval.judge.JudgeScores;
import rlhf4j.rollout.Rollout;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.train.Preemption;

/**
 * An external program as GRPO's reward ({@code grpo.reward: command:SHELL COMMAND}): the judge speaks the label
 * stage's protocol through {@link JudgeProcess}, started once and kept for the run. Consecutive rollouts of the same
 * prompt (GRPO samples a prompt's group one after another) make one question,
 * {@code {"id": "N", "prompt": last message, "responses": [decoded answers], "reference": ... or null}}, and the
 * answer must be {@code {"scores": [one finite number per response]}}: GRPO needs every response's own reward, so a
 * ranking, which only orders them, is refused. A judge that fails or answers wrongly stops the run with a one-line
 * {@code grpo.reward: } error, and its stderr is in the log file.
 */
public final class CommandReward implements RewardFunction, AutoCloseable {
    public static final String KEY = "grpo.reward";
    public static final String TIMEOUT_KEY = "grpo.reward_timeout";

    // scoring is one step's work; a stop request is honoured between steps, so no wait is cut short for it
    private static final Preemption NEVER = Preemption.none();

    private final BpeTokenizer tokenizer;
    private final JudgeProcess judge;

    /** @param timeoutSeconds how long one question (a prompt's group) may take before the judge is stopped */
    public CommandReward(String command, BpeTokenizer tokenizer, Path logFile, int timeoutSeconds) {
        this.tokenizer = tokenizer;
        this.judge = JudgeProcess.start(command, logFile, timeoutSeconds, KEY, TIMEOUT_KEY);
    }

    @Override
    public double[] score(List<Rollout> rollouts) {
        double[] scores = new double[rollouts.size()];
        for (int from = 0, to; from < rollouts.size(); from = to) {
            List<?> prompt = rollouts.get(from).prompt();
            to = from + 1;
            while (to < rollouts.size() && rollouts.get(to).prompt().equals(prompt)) {
                to++;
            }
            double[] group = ask(rollouts.subList(from, to));
            System.arraycopy(group, 0, scores, from, group.length);
        }
        return scores;
    }

    /** One question for a group of rollouts of one prompt: their scores, in order. */
    private double[] ask(List<Rollout> group) {
        Rollout first = group.get(0);
        List<String> responses = new ArrayList<>(group.size());
        for (Rollout r : group) {
            responses.add(RolloutTexts.answer(tokenizer, r));
        }
        Map<String, Object> question = new LinkedHashMap<>();
        question.put("prompt", RolloutTexts.prompt(first));
        question.put("responses", responses);
        question.put("reference", first.reference());
        String id = Integer.toString(judge.asked() + 1);
        JsonNode answer = judge.ask(id, question, NEVER);
        if (answer == null) {                             // NEVER asks for no stop: only an interrupt ends the wait
            judge.close();
            throw new CancellationException(KEY + ": interrupted while the judge was answering question " + id);
        }
        JsonNode list = answer.isObject() ? answer.get("scores") : null;
        if (list == null) {
            throw judge.malformedAnswer("expected {\"scores\": [one number per response]}" + (answer.has("ranking")
                    ? " (a ranking is not accepted here: GRPO needs each response's own score)" : ""));
        }
        double[] scores;
        try {
            scores = JudgeScores.read(list);
        } catch (IllegalArgumentException e) {
            throw judge.malformedAnswer(e.getMessage());
        }
        String problem = JudgeScores.problem(scores, group.size());
        if (problem != null) {
            throw judge.wrongAnswer(problem);
        }
        return scores;
    }

    /** Stops the judge and everything it started. */
    @Override
    public void close() {
        judge.close();
    }
}
