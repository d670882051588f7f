package rlhf4j.stage.label;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import rlhf4j.checkpoint.Json;
import rlhf4j.data.PromptExample;
import rlhf4j.generate.SamplingParams;
import rlhf4j.io.AtomicFile;
import rlhf4j.io.DataException;
import rlhf4j.model.Gpt;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutGenerator;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.Message;
import rlhf4j.train.Seeds;

/**
 * The label stage's candidate answers, {@code candidates.jsonl}: each chosen prompt answered K times by the
 * model with the KV-cache sampler, batch by batch, each batch's sampling drawn from a generator seeded by
 * (seed, batch index), so the same config and seed give the same candidates bit for bit. Identical answers of
 * one prompt are kept once (a judgement between equal texts says nothing); a prompt left with fewer than two
 * distinct answers is not asked about and is counted. Written once, atomically, when sampling is done.
 */
public record Candidates(List<LabelTask> tasks, int prompts, int sampled, int duplicates, int allIdentical) {
    public static final String FILE = "candidates.jsonl";

    /** Samples {@code k} answers to each prompt with {@code model}. */
    public static Candidates sample(Gpt model, BpeTokenizer tokenizer, List<PromptExample> prompts, int k,
                                    SamplingParams params, int batchSize, long seed, Progress progress) {
        RolloutGenerator generator = new RolloutGenerator(tokenizer);
        List<LabelTask> tasks = new ArrayList<>();
        int duplicates = 0;
        int identical = 0;
        for (int from = 0, batch = 0; from < prompts.size(); from += batchSize, batch++) {
            List<PromptExample> chunk = prompts.subList(from, Math.min(prompts.size(), from + batchSize));
            Random rng = Seeds.labelCandidates(seed, batch);
            List<Rollout> rollouts = generator.generateEach(model, chunk, k, params, rng);
            for (int p = 0; p < chunk.size(); p++) {
                LinkedHashSet<String> distinct = new LinkedHashSet<>();
                for (int i = 0; i < k; i++) {
                    distinct.add(tokenizer.decode(rollouts.get(p * k + i).response(), true).strip());
                }
                distinct.remove("");
                duplicates += k - distinct.size();
                PromptExample prompt = chunk.get(p);
                if (distinct.size() < 2) {
                    identical++;
                } else {
                    tasks.add(new LabelTask(id(prompt), prompt.prompt(), List.copyOf(distinct), prompt.reference()));
                }
            }
            progress.advance(Math.min(prompts.size(), from + batchSize));
        }
        return new Candidates(tasks, prompts.size(), prompts.size() * k, duplicates, identical);
    }

    /** A prompt's id in the stage: its line in the prompt file. */
    static String id(PromptExample p) {
        return "line-" + p.line();
    }

    /** Where the sampling loop reports how many prompts are done. */
    public interface Progress {
        void advance(int promptsDone);
    }

    public void write(Path dir) {
        StringBuilder text = new StringBuilder();
        for (LabelTask t : tasks) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", t.id());
            row.put("prompt", Message.toJson(t.prompt()));
            row.put("responses", t.responses());
            if (t.reference() != null) {
                row.put("reference", t.reference());
            }
            text.append(Json.line(row)).append('\n');
        }
        try {
            AtomicFile.write(dir.resolve(FILE), text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE), e);
        }
    }

    /** The tasks of an earlier run's {@code candidates.jsonl} (the counts come from its manifest). */
    public static List<LabelTask> read(Path dir) {
        Path file = dir.resolve(FILE);
        List<LabelTask> tasks = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                try {
                    JsonNode row = Json.parse(lines.get(i));
                    List<Message> prompt = new ArrayList<>();
                    row.get("prompt").forEach(m -> prompt.add(new Message(m.get("role").textValue(),
                            m.get("content").textValue())));
                    List<String> responses = new ArrayList<>();
                    row.get("responses").forEach(r -> responses.add(r.textValue()));
                    tasks.add(new LabelTask(row.get("id").textValue(), prompt, responses,
                            row.hasNonNull("reference") ? row.get("reference").textValue() : null));
                } catch (RuntimeException e) {
                    throw new DataException(file, i + 1, "not a candidates row written by ./train label ("
                            + e.getMessage() + "); --overwrite samples them again");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return tasks;
    }
}
