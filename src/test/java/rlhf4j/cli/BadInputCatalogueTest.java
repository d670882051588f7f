package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.checkpoint.FolderSnapshot;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.model.GptInit;
import rlhf4j.stage.pretrain.MicroRun;

/**
 * The bad-input catalogue: malformed configs, checkpoints and data files, each run through the CLI
 * against one shared micro checkpoint. Every case must exit with its code (2 usage/config, 3 data),
 * print one line {@code error: ...} naming the file (and line) or the config key, print no stack
 * trace, and leave every existing checkpoint folder byte for byte as it was. Cases fail before any
 * training step, so the whole catalogue runs in seconds.
 */
class BadInputCatalogueTest {
    @TempDir
    static Path shared;

    private static MicroRun run;
    private static Path pretrainDir;
    private static Path sftDir;
    private static Path rmDir;
    private static Path rmLike;

    /** What a case builds its arguments from: its own empty folder, and the shared run. */
    @FunctionalInterface
    interface Setup {
        String[] args(Path caseDir) throws IOException;
    }

    /** One malformed input: the expected exit code, the message fragments, and how to provoke it. */
    record Case(String name, int code, Setup setup, Fragments fragments) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The fragments the message must contain, computed from the case's folder. */
    @FunctionalInterface
    interface Fragments {
        List<String> of(Path caseDir);
    }

    @BeforeAll
    static void pretrainOnce() throws IOException {
        run = new MicroRun(shared);
        MicroRun.Result r = run.pretrain("--set", "pretrain.max_steps=3");
        assertEquals(0, r.code(), r.err());
        pretrainDir = run.stageDir("micro");
        // existing sft and rm folders (copies of the pretrain checkpoint) that failed runs must not touch
        sftDir = copyCheckpoint(pretrainDir, shared.resolve("ckpt/micro/sft"));
        rmDir = copyCheckpoint(pretrainDir, shared.resolve("ckpt/micro/rm"));
        // a checkpoint with a score head (a reward model as far as eval is concerned)
        StageCheckpoint.Loaded base = StageCheckpoint.load(pretrainDir);
        LinkedHashMap<String, INDArray> params = new LinkedHashMap<>(base.params());
        GptInit.addScoreHead(params, base.spec(), DataType.FLOAT, 1, false);
        rmLike = shared.resolve("rmlike");
        StageCheckpoint.save(rmLike, new StageCheckpoint.Contents("rm", base.spec(), params, base.tokenizer(),
                Map.of("step", 0), Map.of()));
    }

    private static Path copyCheckpoint(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path f : s.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return to;
    }

    // ---- argument builders ----

    private static String[] stage(String stage, String... extra) {
        List<String> a = new ArrayList<>(List.of(stage, "--config", run.config.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private static String[] pretrain(String... extra) {
        return stage("pretrain", concat(new String[] {"--overwrite"}, extra));
    }

    private static String[] sft(Path data, String... extra) {
        return stage("sft", concat(new String[] {"--overwrite", "--set", "sft.data.train=" + data,
            "--set", "sft.data.val_fraction=0.25", "--set", "sft.data.test=", "--set", "sft.max_steps=3",
            "--set", "sft.warmup_steps=1"}, extra));
    }

    private static String[] rm(Path data, String... extra) {
        return stage("rm", concat(new String[] {"--overwrite", "--set", "rm.init_from=" + pretrainDir,
            "--set", "rm.data.train=" + data, "--set", "rm.data.from_label=false", "--set", "rm.data.val_fraction=0.25", "--set", "rm.data.test=",
            "--set", "rm.max_steps=3", "--set", "rm.warmup_steps=1"}, extra));
    }

    private static String[] grpo(Path prompts, String... extra) {
        return stage("grpo", concat(new String[] {"--overwrite", "--set", "grpo.init_from=" + pretrainDir,
            "--set", "grpo.data.prompts=" + prompts, "--set", "grpo.data.val_fraction=0.25", "--set", "grpo.data.test=",
            "--set", "grpo.max_new_tokens=4", "--set", "grpo.max_steps=3", "--set", "grpo.warmup_steps=1"}, extra));
    }

    private static String[] dpo(Path data, String... extra) {
        return stage("dpo", concat(new String[] {"--overwrite", "--set", "dpo.init_from=" + pretrainDir,
            "--set", "dpo.data.train=" + data, "--set", "dpo.data.from_label=false",
            "--set", "dpo.data.val_fraction=0.25", "--set", "dpo.data.test=", "--set", "dpo.max_steps=3", "--set", "dpo.warmup_steps=1"}, extra));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // ---- file builders ----

    private static Path write(Path dir, String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    private static Path writeBytes(Path dir, String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static String sftRows(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"prompt\": \"Repeat: word ").append(i).append("\", \"completion\": \"word ").append(i)
                    .append("\"}\n");
        }
        return sb.toString();
    }

    private static String prefRows(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"prompt\": \"Say hi ").append(i).append("\", \"chosen\": \"Hello ").append(i)
                    .append("!\", \"rejected\": \"Go away.\"}\n");
        }
        return sb.toString();
    }

    /** Pretraining on the micro config with {@code line} inserted right after {@code pretrain:} (line 5). */
    private static String[] configWith(Path dir, String line) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(run.config));
        int at = lines.indexOf("pretrain:") + 1;
        assertEquals(4, at, "the micro config's pretrain section starts on line 4");
        lines.add(at, line);
        Path file = dir.resolve("config.yaml");
        Files.write(file, lines);
        return new String[] {"pretrain", "--config", file.toString(), "--overwrite"};
    }

    /** A copy of the shared pretrain checkpoint in {@code dir}/ckpt, to be damaged. */
    private static Path ckptCopy(Path dir) throws IOException {
        return copyCheckpoint(pretrainDir, dir.resolve("ckpt"));
    }

    /** Replaces the first match of {@code regex} in {@code file}, which must match. */
    private static void edit(Path file, String regex, String replacement) throws IOException {
        String text = Files.readString(file);
        String edited = text.replaceFirst(regex, replacement);
        assertFalse(edited.equals(text), regex + " not found in " + file);
        Files.writeString(file, edited);
    }

    private static byte[] garbage(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A named pipe with no writer: opening it to read would wait forever. */
    private static Path fifo(Path dir) throws IOException {
        Path fifo = dir.resolve("fifo");
        try {
            if (new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() != 0) {
                throw new IOException("mkfifo failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return fifo;
    }

    private static Case c(String name, int code, Setup setup, Fragments fragments) {
        return new Case(name, code, setup, fragments);
    }

    private static Fragments has(String... fixed) {
        return dir -> List.of(fixed);
    }

    private static Fragments inCase(String... relative) {
        return dir -> Arrays.stream(relative).map(r -> dir.resolve(r).toString()).toList();
    }

    static Stream<Case> cases() {
        return Stream.of(
            // ---- configuration: exit 2, the key (and the file:line when it comes from the file) ----
            c("unknown key in the config file", 2, dir -> configWith(dir, "  max_stepz: 3"),
                dir -> List.of(dir.resolve("config.yaml") + ":5:", "pretrain.max_stepz")),
            c("wrong type in the config file", 2, dir -> configWith(dir, "  grad_clip: strong"),
                dir -> List.of(dir.resolve("config.yaml") + ":5:", "pretrain.grad_clip")),
            c("duplicate key in the config file", 2, dir -> configWith(dir, "  learning_rate: 0.1"),
                dir -> List.of(dir.resolve("config.yaml") + ":", "pretrain.learning_rate")),
            c("wrong type in --set", 2, dir -> pretrain("--set", "pretrain.batch_size=four"),
                has("pretrain.batch_size")),
            c("negative max_steps", 2, dir -> pretrain("--set", "pretrain.max_steps=-5"), has("pretrain.max_steps")),
            c("zero batch_size", 2, dir -> sft(dir.resolve("x.jsonl"), "--set", "sft.batch_size=0"),
                has("sft.batch_size")),
            c("n_embd not divisible by n_head", 2, dir -> pretrain("--set", "model.n_embd=15"),
                has("model.n_embd", "model.n_head")),
            c("val_fraction above 1", 2, dir -> rm(dir.resolve("x.jsonl"), "--set", "rm.data.val_fraction=1.5"),
                has("rm.data.val_fraction")),
            c("YAML syntax error", 2, dir -> new String[] {"pretrain", "--config",
                write(dir, "broken.yaml", "run: {name: x\nmodel: [1, 2\n").toString()},
                inCase("broken.yaml")),
            c("config that is not a mapping", 2, dir -> new String[] {"pretrain", "--config",
                write(dir, "list.yaml", "- run\n- model\n").toString()}, inCase("list.yaml")),
            c("--set without a value", 2, dir -> pretrain("--set", "pretrain.max_steps"), has("pretrain.max_steps")),
            c("sft block_size beyond the init checkpoint's positions", 2,
                dir -> sft(write(dir, "sft.jsonl", sftRows(8)), "--set", "model.block_size=64"),
                has("model.block_size", "16")),
            c("missing sft init checkpoint", 2,
                dir -> sft(write(dir, "sft.jsonl", sftRows(8)), "--set", "sft.init_from=" + dir.resolve("none")),
                has("sft.init_from")),
            c("rm init_from an empty folder", 2, dir -> {
                Files.createDirectories(dir.resolve("empty"));
                return rm(write(dir, "p.jsonl", prefRows(8)), "--set", "rm.init_from=" + dir.resolve("empty"));
            }, has("rm.init_from")),
            c("--resume over another stage's checkpoint", 2,
                dir -> stage("sft", "--resume", "--set", "sft.data.train=" + write(dir, "sft.jsonl", sftRows(8)),
                    "--set", "sft.data.val_fraction=0.25", "--set", "sft.data.test=", "--set", "sft.max_steps=3",
                    "--set", "sft.warmup_steps=1"),
                dir -> List.of(sftDir.toString(), "pretrain")),
            c("eval of a reward model on text", 2,
                dir -> new String[] {"eval", "--checkpoint", rmLike.toString(), "--data", run.corpus.toString()},
                has("reward model")),

            // ---- damaged checkpoints: exit 3, the file ----
            c("truncated model.safetensors", 3, dir -> {
                Path ck = ckptCopy(dir);
                Path f = ck.resolve(StageCheckpoint.MODEL);
                byte[] b = Files.readAllBytes(f);
                Files.write(f, Arrays.copyOf(b, b.length / 2));
                return sft(write(dir, "sft.jsonl", sftRows(8)), "--set", "sft.init_from=" + ck);
            }, inCase("ckpt/" + StageCheckpoint.MODEL)),
            c("garbage safetensors header", 3, dir -> {
                Path ck = ckptCopy(dir);
                Path f = ck.resolve(StageCheckpoint.MODEL);
                byte[] b = Files.readAllBytes(f);
                for (int i = 8; i < 40; i++) {
                    b[i] = '#';
                }
                Files.write(f, b);
                return sft(write(dir, "sft.jsonl", sftRows(8)), "--set", "sft.init_from=" + ck);
            }, inCase("ckpt/" + StageCheckpoint.MODEL)),
            c("safetensors header length beyond the file", 3, dir -> {
                Path ck = ckptCopy(dir);
                Path f = ck.resolve(StageCheckpoint.MODEL);
                byte[] b = Files.readAllBytes(f);
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
                Files.write(f, b);
                return rm(write(dir, "p.jsonl", prefRows(8)), "--set", "rm.init_from=" + ck);
            }, inCase("ckpt/" + StageCheckpoint.MODEL)),
            c("tokenizer.json vocabulary differs from config.json", 3, dir -> {
                Path ck = ckptCopy(dir);
                Path f = ck.resolve(StageCheckpoint.CONFIG);
                edit(f, "\"vocab_size\"\\s*:\\s*\\d+", "\"vocab_size\": 299");
                return sft(write(dir, "sft.jsonl", sftRows(8)), "--set", "sft.init_from=" + ck);
            }, inCase("ckpt/" + StageCheckpoint.TOKENIZER)),
            c("tokenizer.json that is not JSON", 3, dir -> {
                Path ck = ckptCopy(dir);
                Files.writeString(ck.resolve(StageCheckpoint.TOKENIZER), "{\"model\": [");
                return sft(write(dir, "sft.jsonl", sftRows(8)), "--set", "sft.init_from=" + ck);
            }, inCase("ckpt/" + StageCheckpoint.TOKENIZER)),
            c("config.json without n_head", 3, dir -> {
                Path ck = ckptCopy(dir);
                Path f = ck.resolve(StageCheckpoint.CONFIG);
                edit(f, "\"n_head\"\\s*:\\s*\\d+,", "");
                return sft(write(dir, "sft.jsonl", sftRows(8)), "--set", "sft.init_from=" + ck);
            }, dir -> List.of(dir.resolve("ckpt/" + StageCheckpoint.CONFIG).toString(), "n_head")),
            c("config.json with an unknown norm_type", 3, dir -> {
                Path ck = ckptCopy(dir);
                Path f = ck.resolve(StageCheckpoint.CONFIG);
                edit(f, "\"model_type\"\\s*:\\s*\"gpt2\"", "\"model_type\": \"gpt2\", \"norm_type\": \"batchnorm\"");
                return sft(write(dir, "sft.jsonl", sftRows(8)), "--set", "sft.init_from=" + ck);
            }, dir -> List.of(dir.resolve("ckpt/" + StageCheckpoint.CONFIG).toString(), "norm_type")),
            c("config.json with a model_type this project does not read", 3, dir -> {
                Path ck = ckptCopy(dir);
                Path f = ck.resolve(StageCheckpoint.CONFIG);
                edit(f, "\"model_type\"\\s*:\\s*\"gpt2\"", "\"model_type\": \"mamba\"");
                return sft(write(dir, "sft.jsonl", sftRows(8)), "--set", "sft.init_from=" + ck);
            }, dir -> List.of(dir.resolve("ckpt/" + StageCheckpoint.CONFIG).toString(), "model_type \"mamba\"")),
            c("sample from a truncated checkpoint", 3, dir -> {
                Path ck = ckptCopy(dir);
                Path f = ck.resolve(StageCheckpoint.OPTIMIZER);
                Files.write(f, Arrays.copyOf(Files.readAllBytes(f), 20));
                Files.write(ck.resolve(StageCheckpoint.MODEL), Arrays.copyOf(Files.readAllBytes(f), 5));
                return new String[] {"sample", "--checkpoint", ck.toString(), "--prompt", "x"};
            }, inCase("ckpt/" + StageCheckpoint.MODEL)),

            // ---- SFT data: exit 3, file:line ----
            c("sft: truncated JSONL line", 3, dir -> sft(write(dir, "sft.jsonl",
                sftRows(2) + "{\"prompt\": \"Repeat: cut\", \"compl\n" + sftRows(4))), inCase("sft.jsonl:3")),
            c("sft: wrong columns", 3, dir -> sft(write(dir, "sft.jsonl",
                "{\"question\": \"Repeat: a\", \"answer\": \"a\"}\n" + sftRows(4))), inCase("sft.jsonl:1")),
            c("sft: wrong types", 3, dir -> sft(write(dir, "sft.jsonl",
                sftRows(3) + "{\"prompt\": 5, \"completion\": \"five\"}\n")), dir -> List.of(dir.resolve("sft.jsonl:4")
                    .toString(), "prompt")),
            c("sft: empty file", 3, dir -> sft(write(dir, "sft.jsonl", "")), inCase("sft.jsonl")),
            c("sft: binary garbage", 3, dir -> sft(writeBytes(dir, "sft.jsonl", garbage(4096, 1))), inCase("sft.jsonl:")),
            c("sft: invalid UTF-8", 3, dir -> {
                byte[] ok = sftRows(1).getBytes(StandardCharsets.UTF_8);
                byte[] bad = "{\"prompt\": \"caf\u00e9\", \"completion\": \"x\"}\n".getBytes(StandardCharsets.ISO_8859_1);
                byte[] all = Arrays.copyOf(ok, ok.length + bad.length);
                System.arraycopy(bad, 0, all, ok.length, bad.length);
                return sft(writeBytes(dir, "sft.jsonl", all));
            }, dir -> List.of(dir.resolve("sft.jsonl:2").toString(), "UTF-8")),
            c("sft: every prompt longer than the context", 3, dir -> {
                String longPrompt = "Repeat: " + "the old mill by the river ".repeat(6);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < 8; i++) {
                    sb.append("{\"prompt\": \"").append(longPrompt).append(i).append("\", \"completion\": \"ok\"}\n");
                }
                return sft(write(dir, "sft.jsonl", sb.toString()));
            }, dir -> List.of(dir.resolve("sft.jsonl:1").toString(), "block_size")),
            c("sft: unknown role in messages", 3, dir -> sft(write(dir, "sft.jsonl", sftRows(2)
                + "{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}\n")),
                dir -> List.of(dir.resolve("sft.jsonl:3").toString(), "wizard")),
            c("sft: conversation not ending with the assistant", 3, dir -> sft(write(dir, "sft.jsonl",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n" + sftRows(4))), inCase("sft.jsonl:1")),
            c("sft: unsupported file type", 3, dir -> sft(write(dir, "sft.parquet", sftRows(4))),
                inCase("sft.parquet")),
            c("sft: missing data file", 3, dir -> sft(dir.resolve("nowhere.jsonl")), inCase("nowhere.jsonl")),
            c("sft: CSV without the completion column", 3, dir -> sft(write(dir, "sft.csv",
                "prompt,answer\nRepeat: a,a\nRepeat: b,b\n")), inCase("sft.csv")),

            // ---- preference data: exit 3, file:line ----
            c("rm: chosen equals rejected, rm.data.strict", 3, dir -> rm(write(dir, "p.jsonl", prefRows(2)
                + "{\"prompt\": \"Hi\", \"chosen\": \"Same.\", \"rejected\": \"Same.\"}\n" + prefRows(3)),
                "--set", "rm.data.strict=true"),
                dir -> List.of(dir.resolve("p.jsonl:3").toString(), "identical")),
            c("rm: an empty response, rm.data.strict", 3, dir -> rm(write(dir, "p.jsonl", prefRows(3)
                + "{\"prompt\": \"Hi\", \"chosen\": \"Hello\", \"rejected\": \" \"}\n" + prefRows(2)),
                "--set", "rm.data.strict=true"),
                dir -> List.of(dir.resolve("p.jsonl:4").toString(), "empty response")),
            c("rm: missing rejected column", 3, dir -> rm(write(dir, "p.jsonl",
                "{\"prompt\": \"Hi\", \"chosen\": \"Hello\"}\n" + prefRows(3))),
                dir -> List.of(dir.resolve("p.jsonl:1").toString(), "rejected")),
            c("rm: truncated JSONL line", 3, dir -> rm(write(dir, "p.jsonl", prefRows(1) + "{\"prompt\": \"Hi\", \"cho")),
                inCase("p.jsonl:2")),
            c("rm: margin that is not a number", 3, dir -> rm(write(dir, "p.jsonl", prefRows(1)
                + "{\"prompt\": \"Hi\", \"chosen\": \"a\", \"rejected\": \"b\", \"margin\": \"big\"}\n")),
                dir -> List.of(dir.resolve("p.jsonl:2").toString(), "margin")),
            c("rm: a JSON array instead of an object", 3, dir -> rm(write(dir, "p.jsonl", "[\"Hi\", \"a\", \"b\"]\n"
                + prefRows(3))), inCase("p.jsonl:1")),
            c("rm: CSV with the wrong header", 3, dir -> rm(write(dir, "p.csv", "question,good,bad\nHi,a,b\n")),
                inCase("p.csv")),
            c("rm: binary garbage", 3, dir -> rm(writeBytes(dir, "p.jsonl", garbage(2048, 2))), inCase("p.jsonl:")),
            c("dpo init_from an empty folder", 2, dir -> {
                Files.createDirectories(dir.resolve("empty"));
                return dpo(write(dir, "p.jsonl", prefRows(8)), "--set", "dpo.init_from=" + dir.resolve("empty"));
            }, has("dpo.init_from")),
            c("dpo: no file and from_label false", 2, dir -> dpo(dir.resolve("x.jsonl"), "--set", "dpo.data.train=[]"),
                has("dpo.data.train", "from_label")),
            // one prompt lands on one side of the held-out split: nothing to validate on (or to train on)
            c("dpo: a single pair", 3, dir -> dpo(write(dir, "p.jsonl", prefRows(1))),
                dir -> List.of(dir.resolve("p.jsonl").toString(), "both training and validation")),
            // ---- GRPO prompts and reward ----
            c("grpo: truncated JSONL prompt line", 3, dir -> grpo(write(dir, "prompts.jsonl",
                sftRows(2) + "{\"prompt\": \"Repeat: cut\n" + sftRows(4))), inCase("prompts.jsonl:3")),
            c("grpo: the run's rm folder has no score head", 2, dir -> grpo(write(dir, "prompts.jsonl", sftRows(8))),
                dir -> List.of("grpo.reward_model", rmDir.toString(), "score head")),

            // ---- pretraining text: exit 3 ----
            c("pretrain: binary garbage text", 3, dir -> pretrain("--set", "pretrain.data.train="
                + writeBytes(dir, "corpus.txt", garbage(4096, 3))), inCase("corpus.txt:")),
            c("pretrain: a folder without text files", 3, dir -> {
                Files.createDirectories(dir.resolve("texts"));
                write(dir.resolve("texts"), "notes.md", "not text\n");
                return pretrain("--set", "pretrain.data.train=" + dir.resolve("texts"));
            }, inCase("texts")),
            c("--resume and --overwrite together", 2, dir -> pretrain("--resume"),
                has("--resume and --overwrite")),
            c("run.out_dir starting with ~", 2, dir -> pretrain("--set", "run.out_dir=~/runs"), has("run.out_dir", "'~'")),
            c("a Spark master of no threads", 2, dir -> pretrain("--set", "distributed.master=local[0]"),
                has("distributed.master", "local[0]")),
            c("a Spark local cluster of no workers", 2, dir -> pretrain("--set", "distributed.master=local-cluster[0,1,1024]"),
                has("distributed.master")),
            c("a five-million-character bad value", 2, dir -> pretrain("--set", "pretrain.grad_clip=" + "x".repeat(5_000_000)),
                has("pretrain.grad_clip", "more characters)")),
            c("escape sequences in a bad value", 2, dir -> pretrain("--set", "run.name=\u001b[2J\u0007bad name"),
                has("run.name", "?[2J?bad name")),
            c("--config /dev/zero", 2, dir -> new String[] {"pretrain", "--config", "/dev/zero"},
                has("/dev/zero", "not a regular file")),
            c("--config a pipe with no writer", 2, dir -> new String[] {"pretrain", "--config", fifo(dir).toString()},
                dir -> List.of(dir.resolve("fifo") + ": not a regular file")),
            c("sft data that is a link to /dev/zero", 3, dir -> {
                Path link = Files.createSymbolicLink(dir.resolve("zero.jsonl"), Path.of("/dev/zero"));
                return sft(link);
            }, dir -> List.of(dir.resolve("zero.jsonl") + ": not a regular file")),
            c("sample from a label stage folder", 3, dir -> {
                Path label = Files.createDirectories(dir.resolve("label"));
                write(label, "candidates.jsonl", "{}\n");
                return new String[] {"sample", "--checkpoint", label.toString(), "--prompt", "hi"};
            }, dir -> List.of(dir.resolve("label") + ": is a label stage folder")),
            c("sample from a file", 3, dir -> new String[] {"sample", "--checkpoint",
                write(dir, "model.bin", "x").toString(), "--prompt", "hi"}, dir -> List.of(dir.resolve("model.bin") + ": is a file")),
            c("a Llama folder whose config.json lacks its sizes", 3, dir -> {
                Path llama = Files.createDirectories(dir.resolve("llama"));
                write(llama, "config.json", "{\"model_type\": \"llama\", \"hidden_size\": 8}\n");
                write(llama, "model.safetensors", "x");
                return new String[] {"sample", "--checkpoint", llama.toString(), "--prompt", "hi"};
            }, dir -> List.of(dir.resolve("llama/config.json").toString(), "num_attention_heads")),
            c("a Mamba folder as a starting checkpoint", 3, dir -> {
                Path mamba = Files.createDirectories(dir.resolve("mamba"));
                write(mamba, "config.json", "{\"model_type\": \"mamba\", \"hidden_size\": 8}\n");
                write(mamba, "model.safetensors", "x");
                return new String[] {"sample", "--checkpoint", mamba.toString(), "--prompt", "hi"};
            }, has("model_type 'mamba'")),
            c("a lone surrogate in an sft row", 3, dir -> sft(write(dir, "s.jsonl", sftRows(4)
                + "{\"prompt\": \"hi \\ud83d\", \"completion\": \"ok\"}\n")), dir -> List.of(dir.resolve("s.jsonl") + ":5:",
                "\\uD83D")),
            c("--resume with another tokenizer.vocab_size", 2, dir -> stage("pretrain", "--resume", "--set",
                "tokenizer.vocab_size=999", "--set", "pretrain.max_steps=6"), has("tokenizer.vocab_size", "999")),
            c("a Spark master where nothing listens", 2, dir -> pretrain("--set", "distributed.master=spark://127.0.0.1:1"),
                has("distributed.master", "nothing answers at 127.0.0.1:1")),
            c("a Spark master host that does not resolve", 2,
                dir -> pretrain("--set", "distributed.master=spark://no-such-host.invalid:7077"),
                has("distributed.master", "cannot resolve the host 'no-such-host.invalid'")),
            // ---- outputs that would replace an input: exit 2 before anything is computed ----
            c("eval --answers onto its own --data file", 2, dir -> {
                Path data = write(dir, "p.jsonl", sftRows(8));
                return new String[] {"eval", "--checkpoint", sftDir.toString(), "--data", data.toString(),
                    "--answers", data.toString()};
            }, has("is the --data file")),
            c("eval --answers onto the model file", 2, dir -> new String[] {"eval", "--checkpoint", sftDir.toString(),
                "--data", write(dir, "p.jsonl", sftRows(8)).toString(), "--answers",
                sftDir.resolve("model.safetensors").toString()}, has("lies in the checkpoint folder")),
            c("eval --answers into another stage folder", 2, dir -> new String[] {"eval", "--checkpoint",
                sftDir.toString(), "--data", write(dir, "p.jsonl", sftRows(8)).toString(), "--answers",
                rmDir.resolve("answers.jsonl").toString()}, has("lies in the stage folder"))
        );
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void failsCleanlyWithoutTouchingCheckpoints(Case c) throws IOException {
        Path dir = Files.createDirectories(shared.resolve("cases").resolve(c.name().replaceAll("[^A-Za-z0-9]+", "-")));
        Map<Path, Map<String, String>> before = snapshots();
        MicroRun.Result r = run.train(c.setup().args(dir));
        String err = r.err();
        assertEquals(c.code(), r.code(), err);
        String[] lines = err.strip().split("\n");
        assertTrue(lines[0].startsWith("error: "), err);
        assertTrue(lines.length == 1 || (lines.length == 2 && lines[1].startsWith("see: ")), "one line: " + err);
        assertFalse(err.contains("at rlhf4j") || err.contains("Exception") || err.contains("\tat "), err);
        for (String f : c.fragments().of(dir)) {
            assertTrue(lines[0].contains(f), "expected '" + f + "' in: " + err);
        }
        assertEquals(before, snapshots(), "an existing checkpoint changed");
    }

    private static Map<Path, Map<String, String>> snapshots() throws IOException {
        Map<Path, Map<String, String>> m = new LinkedHashMap<>();
        for (Path p : List.of(pretrainDir, sftDir, rmDir, rmLike)) {
            m.put(p, FolderSnapshot.of(p));
        }
        return m;
    }
}
