package rlhf4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.io.AtomicDir;
import rlhf4j.io.DataException;
import rlhf4j.model.GptSpec;
import rlhf4j.model.ParamNames;
import rlhf4j.nn.Precision;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * The one checkpoint format of every stage: a folder with {@code model.safetensors} and {@code config.json} in the
 * Hugging Face architecture that computes what the model computes ({@link HfArchitecture}; plus our own keys under
 * {@code rlhf4j}), {@code tokenizer.json},
 * {@code trainer_state.json} and {@code optimizer.safetensors}. Written atomically: a temporary
 * folder renamed over the old one, so a failed save leaves the last good checkpoint as it was.
 * The live {@code metrics.csv} and {@code samples.txt} of the run are carried into each new folder, and so are the
 * old folder's {@code *.log} files.
 */
public final class StageCheckpoint {
    public static final String MODEL = "model.safetensors";
    public static final String CONFIG = "config.json";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String TRAINER_STATE = "trainer_state.json";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String METRICS = "metrics.csv";
    public static final String SAMPLES = "samples.txt";
    /** The scores on the stage's test file, written after its last step: a stage is done only once this exists. */
    public static final String TEST_METRICS = "test_metrics.json";

    private static final List<String> LIVE_FILES = List.of(METRICS, SAMPLES);

    private StageCheckpoint() {}

    /**
     * Everything one checkpoint holds. {@code optimizer} may be empty (a frozen or final export).
     * {@code extraTensors} maps further safetensors file names to their tensors (PPO's value model and its
     * optimizer state), written beside the others.
     */
    public record Contents(String stage, GptSpec spec, Map<String, INDArray> params, BpeTokenizer tokenizer,
                           Map<String, Object> trainerState, Map<String, INDArray> optimizer,
                           Map<String, Map<String, INDArray>> extraTensors) {
        public Contents(String stage, GptSpec spec, Map<String, INDArray> params, BpeTokenizer tokenizer,
                        Map<String, Object> trainerState, Map<String, INDArray> optimizer) {
            this(stage, spec, params, tokenizer, trainerState, optimizer, Map.of());
        }
    }

    /** A checkpoint read back; {@code trainerState} is the raw JSON. */
    public record Loaded(String stage, GptSpec spec, LinkedHashMap<String, INDArray> params, BpeTokenizer tokenizer,
                         JsonNode trainerState, LinkedHashMap<String, INDArray> optimizer) {
        /**
         * The precision of the products this model was trained with (its run's {@code model.precision}, recorded in
         * trainer_state.json), so that {@code ./train eval} and {@code sample} compute as the stage did; FP32 for a
         * folder that records none (a Hugging Face folder, or one written before precisions existed).
         */
        public Precision precision() {
            String recorded = trainerState == null ? ""
                    : trainerState.path("config").path("model").path("precision").asText("");
            return recorded.equalsIgnoreCase("bf16") ? Precision.BF16 : Precision.FP32;
        }
    }

    public static void save(Path dir, Contents c) {
        save(dir, c, FileOpener.FILES, dir);
    }

    /** As {@link #save(Path, Contents)}, with the run's metrics.csv and samples.txt taken from {@code liveDir}. */
    public static void save(Path dir, Contents c, Path liveDir) {
        save(dir, c, FileOpener.FILES, liveDir);
    }

    public static void save(Path dir, Contents c, FileOpener opener) {
        save(dir, c, opener, dir);
    }

    /**
     * Writes the checkpoint atomically with every file opened through {@code opener}; on failure the
     * previous checkpoint in {@code dir} is left untouched and an {@link java.io.UncheckedIOException}
     * names {@code dir}. The live files (metrics.csv, samples.txt) are copied from {@code liveDir}.
     */
    public static void save(Path dir, Contents c, FileOpener opener, Path liveDir) {
        AtomicDir.write(dir, tmp -> {
            HfArchitecture arch = HfArchitecture.forSpec(c.spec());
            SafeTensors.write(tmp.resolve(MODEL), HfArchitecture.toFile(arch, c.spec(), c.params()),
                    Map.of("format", "pt"), opener);
            writeBytes(opener, tmp.resolve(CONFIG), Json.bytes(hfConfig(arch, c)));
            try (OutputStream out = Channels.newOutputStream(opener.open(tmp.resolve(TOKENIZER)))) {
                c.tokenizer().save(out);
            }
            writeJson(opener, tmp.resolve(HfTokenizerFiles.TOKENIZER_CONFIG),
                    HfTokenizerFiles.tokenizerConfig(c.tokenizer(), c.spec().blockSize(), c.stage()));
            writeJson(opener, tmp.resolve(HfTokenizerFiles.SPECIAL_TOKENS_MAP), HfTokenizerFiles.specialTokensMap(c.tokenizer(), c.stage()));
            if (HfTokenizerFiles.isChatStage(c.stage())) {
                writeJson(opener, tmp.resolve(HfTokenizerFiles.GENERATION_CONFIG),
                        HfTokenizerFiles.generationConfig(c.tokenizer()));
            }
            writeBytes(opener, tmp.resolve(TRAINER_STATE),
                    Json.bytes(c.trainerState()));
            SafeTensors.write(tmp.resolve(OPTIMIZER), c.optimizer(), Map.of(), opener);
            for (Map.Entry<String, Map<String, INDArray>> extra : c.extraTensors().entrySet()) {
                SafeTensors.write(tmp.resolve(extra.getKey()), extra.getValue(), Map.of("format", "pt"), opener);
            }
            for (String live : LIVE_FILES) {
                Path current = liveDir.resolve(live);
                if (Files.exists(current)) {
                    try (OutputStream out = Channels.newOutputStream(opener.open(tmp.resolve(live)))) {
                        Files.copy(current, out);
                    }
                }
            }
            carryLogs(dir, tmp);
        });
    }

    /**
     * Carries the logs of the folder being replaced ({@code *.log}, such as GRPO's {@code reward.log}, which the
     * reward command appends to through a handle it keeps open for the whole stage) into the new one as hard links:
     * they survive the swap, and what is written after the save lands in the new folder as well. Copied where the
     * file system has no links.
     */
    private static void carryLogs(Path dir, Path tmp) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> logs = Files.newDirectoryStream(dir, "*.log")) {
            for (Path log : logs) {
                if (!Files.isRegularFile(log, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Path to = tmp.resolve(log.getFileName());
                try {
                    Files.createLink(to, log);
                } catch (UnsupportedOperationException | IOException e) {
                    Files.copy(log, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void writeJson(FileOpener opener, Path file, Map<String, Object> json) throws IOException {
        writeBytes(opener, file, Json.bytes(json));
    }

    private static void writeBytes(FileOpener opener, Path file, byte[] bytes) throws IOException {
        try (WritableByteChannel ch = opener.open(file)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }

    /**
     * Whether {@code dir} holds a complete checkpoint, as a reader finds it ({@link AtomicDir#readable}: nothing is
     * moved; the stage lock's holder recovers an interrupted save, {@code StageDir.prepare}).
     */
    public static boolean exists(Path dir) {
        dir = AtomicDir.readable(dir);
        return Files.isRegularFile(dir.resolve(MODEL)) && Files.isRegularFile(dir.resolve(CONFIG))
                && Files.isRegularFile(dir.resolve(TOKENIZER)) && Files.isRegularFile(dir.resolve(TRAINER_STATE));
    }

    /** The stage recorded in {@code dir}'s config.json ({@code rlhf4j.stage}), or "" when it records none. */
    public static String stageOf(Path dir) {
        Path file = AtomicDir.readable(dir).resolve(CONFIG);
        try {
            return Json.readTree(file).path("rlhf4j").path("stage").asText("");
        } catch (IOException e) {
            throw new DataException(file, "cannot read checkpoint config: " + e.getMessage());
        }
    }

    /** Whether {@code dir} holds a model to start a stage from: a checkpoint, or a Hugging Face model folder ({@link HfFolder}). */
    public static boolean existsToStartFrom(Path dir) {
        return exists(dir) || HfFolder.isFolder(dir);
    }

    /** The model to start a stage from: a checkpoint, or a Hugging Face model folder with the chat tokens added. */
    public static Loaded loadToStartFrom(Path dir) {
        if (exists(dir)) {
            return load(dir);
        }
        if (HfFolder.isFolder(dir)) {
            return HfFolder.load(dir);
        }
        throw new DataException(dir, whyNotAModel(dir));
    }

    /** Why {@code dir} holds no model to start from, in the terms of what it does hold. */
    private static String whyNotAModel(Path dir) {
        if (Files.isRegularFile(dir)) {
            return "is a file: give a stage folder (e.g. checkpoints/tiny/sft) or a Hugging Face model folder";
        }
        if (!Files.isDirectory(dir)) {
            return "no such folder";
        }
        if (Files.exists(dir.resolve("candidates.jsonl")) || Files.exists(dir.resolve("rankings.jsonl"))) {
            return "is a label stage folder: it holds rankings, not a model; give a stage folder with a model "
                    + "(pretrain, sft, rm or ppo)";
        }
        Path config = dir.resolve(CONFIG);
        if (Files.isRegularFile(config)) {
            try {
                String type = Json.readTree(config).path("model_type").asText("");
                if (!type.isEmpty() && HfArchitecture.forModelType(type) == null) {
                    return CONFIG + " says model_type '" + type + "': only " + HfArchitecture.modelTypes()
                            + " folders can be read";
                }
            } catch (IOException | RuntimeException e) {
                return "cannot read " + config + ": " + e.getMessage();
            }
        }
        return "no checkpoint here (expected " + MODEL + ", " + CONFIG + ", " + TOKENIZER + ", " + TRAINER_STATE
                + ") and no Hugging Face model folder (" + CONFIG + " with model_type " + HfArchitecture.modelTypes()
                + ", " + MODEL + ")";
    }

    public static Loaded load(Path dir) {
        Path named = dir;
        dir = AtomicDir.readable(dir);
        if (!exists(named)) {
            throw new DataException(dir, "no checkpoint here (expected " + MODEL + ", " + CONFIG + ", "
                    + TOKENIZER + ", " + TRAINER_STATE + ")");
        }
        try {
            JsonNode config = Json.readTree(dir.resolve(CONFIG));
            HfArchitecture arch = architecture(dir.resolve(CONFIG), config);
            GptSpec spec = arch.spec(dir.resolve(CONFIG), config);
            BpeTokenizer plain = BpeTokenizer.load(dir.resolve(TOKENIZER));
            BpeTokenizer tokenizer = plain.withChatTemplate(HfTokenizerFiles.chatTemplate(plain,
                    dir.resolve(HfTokenizerFiles.TOKENIZER_CONFIG)));
            for (String special : SpecialTokens.DEFAULT) {
                try {
                    tokenizer.id(special);
                } catch (IllegalArgumentException e) {
                    throw new DataException(dir.resolve(TOKENIZER), "the special token " + special + " is missing "
                            + "(added_tokens must hold " + String.join(", ", SpecialTokens.DEFAULT) + ")");
                }
            }
            if (tokenizer.vocabSize() != spec.vocabSize()) {
                throw new DataException(dir.resolve(TOKENIZER), "tokenizer has " + tokenizer.vocabSize()
                        + " tokens but config.json says vocab_size " + spec.vocabSize());
            }
            LinkedHashMap<String, INDArray> params = readModel(dir.resolve(MODEL), arch, spec);
            Path opt = dir.resolve(OPTIMIZER);
            LinkedHashMap<String, INDArray> optimizer = Files.exists(opt)
                    ? SafeTensors.read(opt).tensors() : new LinkedHashMap<>();
            String stage = config.path("rlhf4j").path("stage").asText("unknown");
            return new Loaded(stage, spec, params, tokenizer, Json.readTree(dir.resolve(TRAINER_STATE)), optimizer);
        } catch (IOException e) {
            throw new DataException(dir, "cannot read checkpoint: " + e.getMessage());
        }
    }

    /** The tensors of one further safetensors file of a checkpoint (see {@link Contents#extraTensors}). */
    public static LinkedHashMap<String, INDArray> readTensors(Path dir, String file) {
        Path path = AtomicDir.readable(dir).resolve(file);
        if (!Files.isRegularFile(path)) {
            throw new DataException(path, "missing from the checkpoint");
        }
        try {
            return SafeTensors.read(path).tensors();
        } catch (IOException e) {
            throw new DataException(path, "cannot read: " + e.getMessage());
        }
    }

    /** The architecture {@code config.json} declares ({@code model_type}), refused by name when this project reads none. */
    static HfArchitecture architecture(Path file, JsonNode config) {
        String type = config.path("model_type").asText("");
        HfArchitecture arch = HfArchitecture.forModelType(type);
        if (arch == null) {
            throw new DataException(file, "model_type \"" + type + "\" is not one of " + HfArchitecture.modelTypes());
        }
        return arch;
    }

    /**
     * The model file's tensors under this project's names ({@link HfArchitecture#fromFile}: every tensor of the
     * architecture's layout present with its shape, nothing else), all FLOAT or all DOUBLE.
     */
    static LinkedHashMap<String, INDArray> readModel(Path file, HfArchitecture arch, GptSpec spec) throws IOException {
        return toModel(file, arch, spec, SafeTensors.read(file).tensors());
    }

    /** As {@link #readModel}, from tensors already read ({@code file} names them in errors). */
    static LinkedHashMap<String, INDArray> toModel(Path file, HfArchitecture arch, GptSpec spec,
                                                   LinkedHashMap<String, INDArray> tensors) {
        LinkedHashMap<String, INDArray> params = HfArchitecture.fromFile(arch, spec, file, tensors);
        DataType dtype = params.get(ParamNames.WTE).dataType();
        for (Map.Entry<String, INDArray> t : params.entrySet()) {
            DataType d = t.getValue().dataType();
            if (d != dtype || (d != DataType.FLOAT && d != DataType.DOUBLE)) {
                throw new DataException(file, t.getKey() + " is stored as " + d + ": every tensor must be F32 (or "
                        + "every one F64)");
            }
        }
        return params;
    }

    /** The architecture's config.json keys, the token ids, and ours under "rlhf4j". */
    private static Map<String, Object> hfConfig(HfArchitecture arch, Contents c) {
        boolean score = c.params().containsKey(ParamNames.SCORE_WEIGHT);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(arch.className(score)));
        m.put("model_type", arch.modelType());
        m.putAll(arch.config(c.spec()));
        m.put("bos_token_id", c.tokenizer().id(SpecialTokens.ENDOFTEXT));
        m.put("eos_token_id", c.tokenizer().id(SpecialTokens.ENDOFTEXT));
        m.put("pad_token_id", c.tokenizer().id(SpecialTokens.PAD));
        if (score) {
            m.put("num_labels", 1);
        }
        Map<String, Object> ours = new LinkedHashMap<>();
        ours.put("stage", c.stage());
        ours.put("tokenizer_fingerprint", c.tokenizer().fingerprint());
        m.put("rlhf4j", ours);
        return m;
    }
}
