package rlhf4j.stage.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.data.ConversationBatch;
import rlhf4j.eval.MaskedLoss;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptSpec;
import rlhf4j.stage.pretrain.MicroRun;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;

/** SFT end to end on a micro model: masked loss falls, answers to training prompts match, resume is exact. */
class SftJobTest {
    /** Sixteen "Repeat: X" → "X" conversations, written as prompt/completion JSONL. */
    private static Path writeData(Path dir) throws IOException {
        Path file = dir.resolve("sft.jsonl");
        Files.writeString(file, MicroRun.sftRows());
        return file;
    }

    private static MicroRun pretrained(Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        MicroRun.Result r = run.pretrain("--set", "pretrain.max_steps=6", "--set", "model.block_size=64",
                "--set", "model.n_layer=2", "--set", "model.n_embd=32");
        assertEquals(0, r.code(), r.err());
        return run;
    }

    private static String[] sftArgs(MicroRun run, Path data, String... extra) {
        List<String> args = new ArrayList<>(List.of("sft", "--config", run.config.toString(),
                "--set", "model.block_size=64", "--set", "sft.data.train=" + data, "--set", "sft.data.val_fraction=0.2",
                "--set", "sft.data.test=" + data, "--set", "sft.batch_size=8", "--set", "sft.learning_rate=1e-2",
                "--set", "sft.min_lr=1e-3", "--set", "sft.warmup_steps=5", "--set", "sft.eval_examples=8",
                "--set", "sft.max_new_tokens=8", "--set", "sft.checkpoint_every=20"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private static List<CSVRecord> metrics(Path dir) throws IOException {
        try (CSVParser p = CSVParser.parse(dir.resolve("metrics.csv"), java.nio.charset.StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            return new ArrayList<>(p.getRecords());
        }
    }

    @Test
    void microSftLearnsToAnswerItsTrainingPrompts(@TempDir Path tmp) throws IOException {
        MicroRun run = pretrained(tmp);
        Path data = writeData(tmp);
        MicroRun.Result r = run.train(sftArgs(run, data, "--set", "sft.max_steps=200", "--set", "sft.eval_every=200"));
        assertEquals(0, r.code(), r.err());
        Path dir = tmp.resolve("ckpt/micro/sft");
        List<CSVRecord> rows = metrics(dir);
        double first = Double.parseDouble(rows.get(0).get("loss"));
        double last = Double.parseDouble(rows.get(rows.size() - 1).get("loss"));
        assertTrue(last < first / 4, "masked loss falls: " + first + " -> " + last);
        String test = Files.readString(dir.resolve(StageCheckpoint.TEST_METRICS));
        double exact = new com.fasterxml.jackson.databind.ObjectMapper().readTree(test).get("exact_match").asDouble();
        assertTrue(exact >= 0.5, "answers to training prompts match their completions: " + test);
        assertEquals("sft", StageCheckpoint.load(dir).stage());
    }

    @Test
    void testMetricsAndEvalAnswersCarryTheCopyBaseline(@TempDir Path tmp) throws IOException {
        MicroRun run = pretrained(tmp);
        Path data = writeData(tmp);
        MicroRun.Result r = run.train(sftArgs(run, data, "--set", "sft.max_steps=12", "--set", "sft.eval_every=12",
                "--set", "eval.copy_prefix=Repeat: "));
        assertEquals(0, r.code(), r.err());
        Path dir = tmp.resolve("ckpt/micro/sft");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var test = json.readTree(dir.resolve(StageCheckpoint.TEST_METRICS).toFile());
        assertEquals(16, test.get("copy_baseline").get("prompts").asInt());
        assertEquals(1.0, test.get("copy_baseline").get("exact_match").asDouble(), "every completion is its input");
        assertEquals(100.0, test.get("copy_baseline").get("chrf").asDouble(), 1e-9);

        Path out = tmp.resolve("answers.jsonl");
        MicroRun.Result e = run.train("eval", "--checkpoint", dir.toString(), "--data", data.toString(),
                "--max-new-tokens", "8", "--answers", out.toString(), "--copy-prefix", "Repeat: ");
        assertEquals(0, e.code(), e.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(16, lines.size());
        int exact = 0;
        for (String line : lines) {
            var row = json.readTree(line);
            assertTrue(row.get("prompt").asText().startsWith("Repeat: the "), line);
            assertEquals(row.get("prompt").asText().substring("Repeat: ".length()), row.get("reference").asText());
            assertEquals(row.get("answer").asText().equals(row.get("reference").asText()), row.get("exact").asBoolean(),
                    line);
            exact += row.get("exact").asBoolean() ? 1 : 0;
        }
        assertEquals(test.get("exact_match").asDouble(), exact / 16.0, 1e-12,
                "the answers file holds the answers the sft stage scored");

        MicroRun.Result text = run.train("eval", "--checkpoint", dir.toString(), "--data", run.corpus.toString(),
                "--answers", out.toString());
        assertEquals(2, text.code(), text.err());
        assertTrue(text.err().contains("--answers"), text.err());
    }

    /** With eval.num_beams the SFT test answers are beam-searched, and ./train eval --beams gives the same answers. */
    @Test
    void beamSearchTestAnswersMatchEvalWithBeams(@TempDir Path tmp) throws IOException {
        MicroRun run = pretrained(tmp);
        Path data = writeData(tmp);
        MicroRun.Result r = run.train(sftArgs(run, data, "--set", "sft.max_steps=12", "--set", "sft.eval_every=12",
                "--set", "eval.num_beams=3", "--set", "eval.length_penalty=0.5"));
        assertEquals(0, r.code(), r.err());
        Path dir = tmp.resolve("ckpt/micro/sft");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var test = json.readTree(dir.resolve(StageCheckpoint.TEST_METRICS).toFile());
        assertEquals("beam-3", test.get("decoding").asText());
        Path out = tmp.resolve("answers.jsonl");
        MicroRun.Result e = run.train("eval", "--checkpoint", dir.toString(), "--data", data.toString(),
                "--max-new-tokens", "8", "--beams", "3", "--length-penalty", "0.5", "--answers", out.toString());
        assertEquals(0, e.code(), e.err());
        double chrf = 0;
        for (String line : Files.readAllLines(out)) {
            chrf += json.readTree(line).get("chrf").asDouble();
        }
        assertEquals(test.get("chrf").asDouble(), chrf / 16, 1e-9);
        // --held-out scores only the prompts a stage with that val_fraction holds out
        MicroRun.Result half = run.train("eval", "--checkpoint", dir.toString(), "--data", data.toString(),
                "--max-new-tokens", "8", "--held-out", "0.5", "--answers", out.toString());
        assertEquals(0, half.code(), half.err());
        List<String> heldOut = rlhf4j.data.PromptData.read(data).stream()
                .filter(p -> rlhf4j.data.PromptSplit.isValidation(p.prompt(), 0.5)).map(p -> p.reference()).toList();
        List<String> answered = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            answered.add(json.readTree(line).get("reference").asText());
        }
        assertTrue(!heldOut.isEmpty() && heldOut.size() < 16, heldOut.toString());
        assertEquals(heldOut, answered);
        MicroRun.Result bad = run.train(sftArgs(run, data, "--set", "sft.max_steps=1", "--set", "eval.num_beams=0",
                "--overwrite"));
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("eval.num_beams"), bad.err());
    }

    @Test
    void resumeIsBitwiseExact(@TempDir Path tmp) throws IOException {
        MicroRun run = pretrained(tmp);
        Path data = writeData(tmp);
        assertEquals(0, run.train(sftArgs(run, data, "--set", "sft.max_steps=12", "--set", "sft.eval_every=6",
                "--set", "sft.init_from=" + tmp.resolve("ckpt/micro/pretrain"), "--set", "run.name=b")).code());
        MicroRun.Result stopped = run.train(sftArgs(run, data, "--set", "sft.max_steps=12", "--set", "sft.eval_every=6",
                "--set", "sft.init_from=" + tmp.resolve("ckpt/micro/pretrain"), "--set", "run.name=c",
                "--stop-at-step", "7"));
        assertEquals(0, stopped.code(), stopped.err());
        MicroRun.Result resumed = run.train(sftArgs(run, data, "--set", "sft.max_steps=12", "--set", "sft.eval_every=6",
                "--set", "sft.init_from=" + tmp.resolve("ckpt/micro/pretrain"), "--set", "run.name=c", "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("ckpt/b/sft/model.safetensors")),
                Files.readAllBytes(tmp.resolve("ckpt/c/sft/model.safetensors")));
    }

    @Test
    void missingInitCheckpointIsAUsageError(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        Path data = writeData(tmp);
        MicroRun.Result r = run.train(sftArgs(run, data, "--set", "sft.max_steps=12"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("sft.init_from"), r.err());
    }

    @Test
    void maskedOutPromptTargetsDoNotChangeTheLoss() {
        BpeTokenizer tok = BpeTokenizer.byteLevel(SpecialTokens.DEFAULT);
        ChatTemplate template = ChatTemplate.of(tok);
        ChatTemplate.Rendered r = template.render(List.of(Message.user("Fix it"), Message.assistant("Done")));
        Gpt gpt = Gpt.create(new GptSpec(1, 2, 8, 64, tok.vocabSize()), DataType.DOUBLE, 3, 0.3);
        ConversationBatch b = ConversationBatch.of(List.of(r), 64, tok.id(SpecialTokens.PAD));
        double base = MaskedLoss.of(gpt, b);
        int promptPos = 3;                              // a target inside the user turn
        assertEquals(0.0, b.mask()[promptPos]);
        int[] changed = b.targets().clone();
        changed[promptPos] = (changed[promptPos] + 7) % tok.vocabSize();
        ConversationBatch other = new ConversationBatch(b.batch(), changed, b.mask(), b.maskedIn());
        double after = MaskedLoss.of(gpt, other);
        assertEquals(base, after, 0.0);
        int answerPos = -1;
        for (int i = 0; i < b.mask().length; i++) {
            if (b.mask()[i] == 1.0) {
                answerPos = i;
                break;
            }
        }
        int[] changedAnswer = b.targets().clone();
        changedAnswer[answerPos] = (changedAnswer[answerPos] + 7) % tok.vocabSize();
        ConversationBatch third = new ConversationBatch(b.batch(), changedAnswer, b.mask(), b.maskedIn());
        double moved = MaskedLoss.of(gpt, third);
        assertTrue(moved != base);
    }
}
