package rlhf4j.stage.label;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.Json;
import rlhf4j.data.PromptSplit;
import rlhf4j.data.RankingData;
import rlhf4j.data.RankingExample;
import rlhf4j.eval.judge.TextMetrics;
import rlhf4j.stage.pretrain.MicroRun;
import rlhf4j.tokenizer.Message;

/**
 * The label stage on a micro model: the reference labeler's rankings are chrF scores in the ranking format and
 * bitwise reproducible, held-out prompts are never labelled, an external judge's rankings are recorded one by one
 * (a failing judge keeps what it ranked and a resume continues), and a resume refuses changed sampling settings.
 */
class LabelJobTest {
    @TempDir
    static Path shared;
    private static MicroRun run;
    private static Path prompts;

    @BeforeAll
    static void model() throws IOException {
        run = new MicroRun(shared);
        MicroRun.Result r = run.pretrain("--set", "pretrain.max_steps=6", "--set", "model.block_size=48",
                "--set", "model.n_embd=32");
        assertEquals(0, r.code(), r.err());
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            rows.append(Json.line(Map.of("prompt", "Say the word " + i, "completion", "the word " + i))).append('\n');
        }
        prompts = shared.resolve("prompts.jsonl");
        Files.writeString(prompts, rows.toString());
    }

    private static String[] args(String name, String... extra) {
        List<String> a = new ArrayList<>(List.of("label", "--config", run.config.toString(),
                "--set", "run.name=" + name, "--set", "label.init_from=" + run.stageDir("micro"),
                "--set", "label.data.prompts=" + prompts, "--set", "label.num_prompts=12",
                "--set", "label.max_new_tokens=6", "--set", "label.batch_size=5",
                "--set", "sft.data.val_fraction=0.2", "--set", "ppo.data.val_fraction=0.2"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private static Path dir(String name) {
        return shared.resolve("ckpt").resolve(name).resolve("label");
    }

    @Test
    void referenceLabelerScoresByChrFReproducibly() throws IOException {
        MicroRun.Result a = run.train(args("ref-a"));
        assertEquals(0, a.code(), a.err());
        MicroRun.Result b = run.train(args("ref-b"));
        assertEquals(0, b.code(), b.err());
        for (String f : List.of(Candidates.FILE, RankingsJournal.RANKINGS)) {
            assertArrayEquals(Files.readAllBytes(dir("ref-a").resolve(f)), Files.readAllBytes(dir("ref-b").resolve(f)),
                    f + " is bitwise reproducible");
        }
        List<RankingExample> rankings = RankingData.read(dir("ref-a").resolve(RankingsJournal.RANKINGS));
        JsonNode manifest = Json.readTree(dir("ref-a").resolve(LabelJob.MANIFEST));
        assertEquals(12, manifest.path("counts").path("prompts").asInt());
        assertEquals(48, manifest.path("counts").path("candidates_sampled").asInt());
        assertEquals(manifest.path("counts").path("tasks").asInt(), rankings.size());
        assertTrue(rankings.size() >= 6, "most prompts get distinct answers: " + manifest);
        assertEquals("reference", manifest.path("labeler").asText());
        for (String line : Files.readAllLines(dir("ref-a").resolve(RankingsJournal.RANKINGS))) {
            JsonNode row = Json.parse(line);
            String reference = row.get("reference").asText();
            for (int i = 0; i < row.get("responses").size(); i++) {
                assertEquals(TextMetrics.chrF(row.get("responses").get(i).asText(), reference),
                        row.get("scores").get(i).asDouble(), 1e-12);
            }
            List<Message> prompt = List.of(Message.user(row.get("prompt").get(0).get("content").asText()));
            assertFalse(PromptSplit.isValidation(prompt, 0.2), "a held-out prompt was labelled: " + line);
        }
        assertTrue(Json.readTree(dir("ref-a").resolve("trainer_state.json")).path("finished").asBoolean());

        MicroRun.Result again = run.train(args("ref-a"));
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already holds a label run"), again.err());
    }

    private static String judge(String body) {
        return "--set=label.command=" + body;
    }

    @Test
    void aCommandJudgeRanksOneByOneAndAFailingOneKeepsWhatItRanked() throws IOException {
        // two candidates a prompt, so every task has exactly two answers; the judge prefers the second
        String good = "while read -r line; do echo '{\"ranking\": [1, 0]}'; done";
        String failing = "i=0; while read -r line; do i=$((i+1)); if [ $i -gt 2 ]; then echo boom >&2; exit 1; fi; "
                + "echo '{\"ranking\": [1, 0]}'; done";
        MicroRun.Result r = run.train(args("cmd", "--set", "label.labeler=command", "--set", "label.num_candidates=2",
                judge(failing)));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("label.command") && r.err().contains("boom"), r.err());
        List<String> first = Files.readAllLines(dir("cmd").resolve(RankingsJournal.RANKINGS));
        assertEquals(2, first.size());
        assertFalse(Json.readTree(dir("cmd").resolve("trainer_state.json")).path("finished").asBoolean());

        // a judgement cut short by a kill is dropped; a changed sampling setting is refused; a resume continues
        Files.writeString(dir("cmd").resolve(RankingsJournal.RANKINGS), "{\"id\": \"line-", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        MicroRun.Result changed = run.train(args("cmd", "--set", "label.labeler=command", "--set",
                "label.num_candidates=2", "--set", "label.temperature=0.5", judge(good), "--resume"));
        assertEquals(2, changed.code(), changed.err());
        assertTrue(changed.err().contains("label.temperature"), changed.err());
        MicroRun.Result resumed = run.train(args("cmd", "--set", "label.labeler=command", "--set",
                "label.num_candidates=2", judge(good), "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        List<String> all = Files.readAllLines(dir("cmd").resolve(RankingsJournal.RANKINGS));
        assertEquals(first, all.subList(0, 2), "what was ranked before stays");
        String log = Files.readString(dir("cmd").resolve(CommandLabeler.LOG));
        assertTrue(log.contains("boom") && log.indexOf("=== ") != log.lastIndexOf("=== "),
                "the failed run's diagnostics survive the resume: " + log);
        int tasks = Json.readTree(dir("cmd").resolve(LabelJob.MANIFEST)).path("counts").path("tasks").asInt();
        assertEquals(tasks, all.size());
        for (RankingExample e : RankingData.read(dir("cmd").resolve(RankingsJournal.RANKINGS))) {
            assertEquals(List.of(new RankingExample.Pair(1, 0, 0)), e.pairs());
        }
        assertTrue(Json.readTree(dir("cmd").resolve("trainer_state.json")).path("finished").asBoolean());
    }

    @Test
    void aCompleteLastJudgementWithoutItsNewlineIsKept() throws IOException {
        String good = "while read -r line; do echo '{\"ranking\": [1, 0]}'; done";
        String[] a = args("nl", "--set", "label.labeler=command", "--set", "label.num_candidates=2", judge(good));
        assertEquals(0, run.train(a).code());
        Path rankings = dir("nl").resolve(RankingsJournal.RANKINGS);
        String text = Files.readString(rankings);
        Files.writeString(rankings, text.substring(0, text.length() - 1));      // a valid row, its newline lost
        List<String> resume = new ArrayList<>(List.of(a));
        resume.add("--resume");
        MicroRun.Result r = run.train(resume.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertEquals(text, Files.readString(rankings), "the row stays and gets its newline; nothing is asked again");
    }

    @Test
    void samplingAgainKeepsEveryEarlierJudgementEvenWhenTheNewJudgeFails() throws IOException {
        String good = "while read -r line; do echo '{\"ranking\": [1, 0]}'; done";
        MicroRun.Result r = run.train(args("keep", "--set", "label.labeler=command", "--set", "label.num_candidates=2",
                judge(good)));
        assertEquals(0, r.code(), r.err());
        byte[] judged = Files.readAllBytes(dir("keep").resolve(RankingsJournal.RANKINGS));
        assertTrue(Files.readAllLines(dir("keep").resolve(RankingsJournal.RANKINGS)).size() >= 6);
        // --overwrite with a judge that fails at once: the earlier rankings move to previous/1, byte for byte
        MicroRun.Result failed = run.train(args("keep", "--set", "label.labeler=command", "--set",
                "label.num_candidates=2", judge("exit 9"), "--overwrite"));
        assertEquals(2, failed.code(), failed.err());
        Path kept = dir("keep").resolve(LabelJob.PREVIOUS).resolve("1");
        assertArrayEquals(judged, Files.readAllBytes(kept.resolve(RankingsJournal.RANKINGS)));
        assertTrue(Files.exists(kept.resolve(LabelJob.MANIFEST)) && Files.exists(kept.resolve(Candidates.FILE)));
        assertFalse(Files.exists(dir("keep").resolve(RankingsJournal.RANKINGS))
                && Files.size(dir("keep").resolve(RankingsJournal.RANKINGS)) > 0, "no new judgement was made");
        // sampling once more keeps the failed run's files too, in previous/2, and previous/1 is untouched
        MicroRun.Result again = run.train(args("keep", "--set", "label.labeler=command", "--set",
                "label.num_candidates=2", judge(good), "--overwrite"));
        assertEquals(0, again.code(), again.err());
        assertTrue(Files.isDirectory(dir("keep").resolve(LabelJob.PREVIOUS).resolve("2")));
        assertArrayEquals(judged, Files.readAllBytes(kept.resolve(RankingsJournal.RANKINGS)));
        assertArrayEquals(judged, Files.readAllBytes(dir("keep").resolve(RankingsJournal.RANKINGS)),
                "the same candidates ranked by the same judge");
    }

    @Test
    void aBusyPortIsReportedBeforeSamplingAndLeavesNoRun() throws IOException {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            MicroRun.Result r = run.train(args("busy", "--set", "label.labeler=human", "--set", "label.host=127.0.0.1",
                    "--set", "label.port=" + taken.getLocalPort()));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), r.err());
        }
        assertFalse(Files.exists(dir("busy").resolve(Candidates.FILE)), "nothing sampled");
        assertFalse(LabelJob.exists(dir("busy")));
    }

    @Test
    void aHungJudgeIsStoppedAfterItsTimeoutWithItsChildren() throws IOException {
        String marker = "6011" + ProcessHandle.current().pid();
        MicroRun.Result r = run.train(args("hung", "--set", "label.labeler=command", "--set", "label.num_candidates=2",
                "--set", "label.command_timeout=1", judge("sleep " + marker + " & wait")));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("gave no answer to question 1") && r.err().contains("label.command_timeout"),
                r.err());
        long left = ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(marker)).count();
        assertEquals(0, left, "the judge's child was stopped with it");
    }

    @Test
    void answersOutOfStepWithTheQuestionsAreRefused() throws IOException {
        // two lines for the first question: the second would be taken as the answer to the next prompt
        String stray = "read -r line; printf '%s\\n%s\\n' '{\"ranking\": [1, 0]}' '{\"ranking\": [0, 1]}'; "
                + "while read -r line; do echo '{\"ranking\": [1, 0]}'; done";
        MicroRun.Result r = run.train(args("stray", "--set", "label.labeler=command", "--set", "label.num_candidates=2",
                judge(stray)));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("printed a line no question asked for before question 2"), r.err());
        assertEquals(1, Files.readAllLines(dir("stray").resolve(RankingsJournal.RANKINGS)).size(), "only the first");
        // an echoed id that is not the question's
        MicroRun.Result wrongId = run.train(args("wrong-id", "--set", "label.labeler=command", "--set",
                "label.num_candidates=2", judge("while read -r line; do echo '{\"id\": \"nope\", \"ranking\": [1, 0]}'; done")));
        assertEquals(2, wrongId.code(), wrongId.err());
        assertTrue(wrongId.err().contains("out of step"), wrongId.err());
        // an endless line is reported, not buffered
        MicroRun.Result endless = run.train(args("endless", "--set", "label.labeler=command", "--set",
                "label.num_candidates=2", judge("head -c 3000000 /dev/zero | tr '\\0' x; sleep 5")));
        assertEquals(2, endless.code(), endless.err());
        assertTrue(endless.err().contains("a line of over 1024 kB"), endless.err());
    }

    @Test
    void aMalformedAnswerStopsWithAClearError() {
        MicroRun.Result r = run.train(args("bad", "--set", "label.labeler=command", "--set", "label.num_candidates=2",
                judge("while read -r line; do echo nope; done")));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("label.command: answer 1 is not JSON: nope"), r.err());
        MicroRun.Result perm = run.train(args("bad2", "--set", "label.labeler=command", "--set",
                "label.num_candidates=2", judge("while read -r line; do echo '{\"ranking\": [0, 0]}'; done")));
        assertEquals(2, perm.code(), perm.err());
        assertTrue(perm.err().contains("not a permutation"), perm.err());
    }

    @Test
    void theHumanLabelerServesTheStageAndEndsWhenAllAreRanked() throws Exception {
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();   // its methods synchronize
        java.io.PrintStream out = new java.io.PrintStream(printed, true, StandardCharsets.UTF_8);
        String[] a = args("people", "--set", "label.labeler=human");
        List<String> overrides = new ArrayList<>();
        for (int i = 0; i < a.length; i++) {
            if (a[i].equals("--set")) {
                overrides.add(a[++i]);
            }
        }
        rlhf4j.config.ExperimentConfig config = rlhf4j.config.ConfigLoader.load(run.config, overrides);
        java.util.concurrent.CompletableFuture<LabelJob.Result> job = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> LabelJob.run(config, rlhf4j.train.RunOptions.fresh(), out));
        String url = null;
        java.util.regex.Pattern address = java.util.regex.Pattern.compile("(http://\\S+\\?token=\\S+)");
        for (long until = System.nanoTime() + 60_000_000_000L; url == null && System.nanoTime() < until && !job.isDone(); ) {
            java.util.regex.Matcher m = address.matcher(printed.toString(StandardCharsets.UTF_8));
            url = m.find() ? m.group(1) : null;
            Thread.sleep(50);
        }
        assertTrue(url != null, "the stage prints the page's address: " + printed.toString(StandardCharsets.UTF_8));
        java.net.URI page = java.net.URI.create(url);
        String token = page.getQuery().substring("token=".length());
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.URI next = page.resolve("/api/next");
        java.net.URI rank = page.resolve("/api/rank");
        int ranked = 0;
        while (true) {
            JsonNode task = Json.parse(http.send(java.net.http.HttpRequest.newBuilder(next).header("X-Token", token)
                    .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body());
            if (task.path("finished").asBoolean()) {
                break;
            }
            List<Integer> reversed = new ArrayList<>();
            for (int i = task.get("responses").size() - 1; i >= 0; i--) {
                reversed.add(i);
            }
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(rank)
                    .header("X-Token", token).POST(java.net.http.HttpRequest.BodyPublishers.ofString(Json.line(
                            Map.of("id", task.get("id").asText(), "ranking", reversed)))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            ranked++;
            JsonNode status = Json.parse(r.body());
            if (status.path("done").asInt() == status.path("total").asInt()) {
                break;                                     // the last judgement ends the stage and its server
            }
        }
        LabelJob.Result result = job.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(result.finished());
        assertEquals(ranked, result.judged());
        assertEquals(ranked, RankingData.read(dir("people").resolve(RankingsJournal.RANKINGS)).size());
        assertEquals("human", Json.readTree(dir("people").resolve(LabelJob.MANIFEST)).path("labeler").asText());
    }
}
