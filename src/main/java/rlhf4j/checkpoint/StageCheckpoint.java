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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.io.AtomicDir;
import rlhf4j.io.DataException;
import rlhf4j.model.Activation;
import rlhf4j.model.Bias;
import rlhf4j.model.GptSpec;
import rlhf4j.model.Mlp;
import rlhf4j.model.Norm;
import rlhf4j.model.ParamNames;
import rlhf4j.model.Position;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * The one checkpoint format of every stage: a folder with {@code model.safetensors} (GPT-2 names),
 * {@code config.json} (Hugging Face GPT-2 keys plus ours), {@code tokenizer.json},
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
                         JsonNode trainerState, LinkedHashMap<String, INDArray> optimizer) {}

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
            SafeTensors.write(tmp.resolve(MODEL), c.params(), Map.of("format", "pt"), opener);
            writeBytes(opener, tmp.resolve(CONFIG), Json.bytes(hfConfig(c)));
            try (OutputStream out = Channels.newOutputStream(opener.open(tmp.resolve(TOKENIZER)))) {
                c.tokenizer().save(out);
            }
            writeJson(opener, tmp.resolve(HfTokenizerFiles.TOKENIZER_CONFIG),
                    HfTokenizerFiles.tokenizerConfig(c.tokenizer(), c.spec().blockSize(), c.stage()));
            writeJson(opener, tmp.resolve(HfTokenizerFiles.SPECIAL_TOKENS_MAP), HfTokenizerFiles.specialTokensMap(c.stage()));
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

    /** Whether {@code dir} holds a model to start a stage from: a checkpoint, or a Hugging Face GPT-2 folder ({@link HfGpt2}). */
    public static boolean existsToStartFrom(Path dir) {
        return exists(dir) || HfGpt2.isFolder(dir);
    }

    /** The model to start a stage from: a checkpoint, or a Hugging Face GPT-2 folder with the chat tokens added. */
    public static Loaded loadToStartFrom(Path dir) {
        if (exists(dir)) {
            return load(dir);
        }
        if (HfGpt2.isFolder(dir)) {
            return HfGpt2.load(dir);
        }
        throw new DataException(dir, whyNotAModel(dir));
    }

    /** Why {@code dir} holds no model to start from, in the terms of what it does hold. */
    private static String whyNotAModel(Path dir) {
        if (Files.isRegularFile(dir)) {
            return "is a file: give a stage folder (e.g. checkpoints/tiny/sft) or a Hugging Face GPT-2 folder";
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
                if (!type.isEmpty() && !type.equals("gpt2")) {
                    return CONFIG + " says model_type '" + type + "': only GPT-2 folders (model_type gpt2) can be read";
                }
            } catch (IOException | RuntimeException e) {
                return "cannot read " + config + ": " + e.getMessage();
            }
        }
        return "no checkpoint here (expected " + MODEL + ", " + CONFIG + ", " + TOKENIZER + ", " + TRAINER_STATE
                + ") and no Hugging Face GPT-2 folder (" + CONFIG + " with model_type gpt2, " + MODEL + ")";
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
            GptSpec spec = specFrom(dir.resolve(CONFIG), config);
            BpeTokenizer tokenizer = BpeTokenizer.load(dir.resolve(TOKENIZER));
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
            LinkedHashMap<String, INDArray> params = SafeTensors.read(dir.resolve(MODEL)).tensors();
            checkShapes(dir.resolve(MODEL), spec, params);
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

    /** Bounds on an untrusted config.json, far above any model this project trains, so nothing huge is allocated. */
    private static final Map<String, Integer> SPEC_LIMITS = Map.of("n_layer", 1024, "n_head", 1024, "n_embd", 65_536,
            "n_positions", 1 << 20, "vocab_size", 1 << 21);

    /** Our architecture choices in config.json (absent, as in a GPT-2 config: LayerNorm and learned positions). */
    private static final String NORM_KEY = "norm_type";
    private static final String POSITION_KEY = "position_embedding_type";
    /** The LLaMA-family choices, written only where they are not GPT-2's (so GPT-2 configs stay as they were). */
    private static final String MLP_KEY = "mlp_type";
    private static final String BIAS_KEY = "bias_type";

    private static <E extends Enum<E>> E choice(Path file, JsonNode c, String key, E gpt2) {
        if (c.path(key).isMissingNode()) {
            return gpt2;
        }
        String text = c.path(key).asText("");
        for (E e : gpt2.getDeclaringClass().getEnumConstants()) {
            if (e.name().equalsIgnoreCase(text)) {
                return e;
            }
        }
        throw new DataException(file, key + ": \"" + text + "\" is not one of "
                + Arrays.stream(gpt2.getDeclaringClass().getEnumConstants())
                        .map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
    }

    /** {@code activation_function}; absent, as in Hugging Face's GPT2Config, it is GPT-2's {@code gelu_new}. */
    private static Activation activation(Path file, JsonNode c) {
        String name = c.path("activation_function").asText(Activation.GELU_NEW.hfName());
        Activation a = Activation.ofHfName(name);
        if (a == null) {
            throw new DataException(file, "activation_function: \"" + name + "\" is not one of "
                    + Arrays.stream(Activation.values()).map(Activation::hfName).toList());
        }
        return a;
    }

    /**
     * {@code layer_norm_epsilon}; absent, GPT2Config's 1e-5. Values up to 1e-12 read as 0: this project's
     * checkpoints once wrote 1e-12 for its LayerNorm without epsilon.
     */
    private static double layerNormEpsilon(Path file, JsonNode c) {
        JsonNode eps = c.path("layer_norm_epsilon");
        if (eps.isMissingNode()) {
            return 1e-5;
        }
        if (!eps.isNumber() || !(eps.asDouble() >= 0 && eps.asDouble() < 1)) {
            throw new DataException(file, "layer_norm_epsilon: " + eps + " is not a number in [0, 1)");
        }
        return eps.asDouble() <= 1e-12 ? 0.0 : eps.asDouble();
    }

    /** An optional integer key (absent or null: {@code absent}), refused above {@code limit}. */
    private static int bounded(Path file, JsonNode c, String key, int absent, int limit) {
        JsonNode v = c.path(key);
        if (v.isMissingNode() || v.isNull()) {
            return absent;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() > limit) {
            throw new DataException(file, key + ": " + v + " is not an integer of at most " + limit);
        }
        return v.asInt();
    }

    static GptSpec specFrom(Path file, JsonNode c) {
        for (String key : List.of("n_layer", "n_head", "n_embd", "n_positions", "vocab_size")) {
            if (!c.path(key).isIntegralNumber() || !c.path(key).canConvertToInt()) {
                throw new DataException(file, "missing or non-integer \"" + key + "\"");
            }
            if (c.get(key).asInt() > SPEC_LIMITS.get(key)) {
                throw new DataException(file, key + ": " + c.get(key).asInt() + " is more than " + SPEC_LIMITS.get(key)
                        + ", the most a checkpoint may declare");
            }
        }
        try {
            GptSpec gpt2 = new GptSpec(c.get("n_layer").asInt(), c.get("n_head").asInt(), c.get("n_embd").asInt(),
                    c.get("n_positions").asInt(), c.get("vocab_size").asInt(),
                    choice(file, c, NORM_KEY, Norm.LAYERNORM), choice(file, c, POSITION_KEY, Position.LEARNED),
                    activation(file, c), layerNormEpsilon(file, c));
            return gpt2.withKvHeads(bounded(file, c, "num_key_value_heads", gpt2.nHead(), SPEC_LIMITS.get("n_head")))
                    .withMlp(choice(file, c, MLP_KEY, Mlp.GELU),
                            bounded(file, c, "n_inner", 4 * gpt2.nEmbd(), 4 * SPEC_LIMITS.get("n_embd")))
                    .withBias(choice(file, c, BIAS_KEY, Bias.ALL))
                    .withRopeTheta(c.path("rope_theta").asDouble(GptSpec.DEFAULT_ROPE_THETA))
                    .withRmsNormEpsilon(c.path("rms_norm_eps").asDouble(GptSpec.DEFAULT_RMS_NORM_EPSILON))
                    .withTiedHead(c.path("tie_word_embeddings").asBoolean(true));
        } catch (IllegalArgumentException e) {
            throw new DataException(file, e.getMessage());
        }
    }

    /**
     * Every tensor of the model file against config.json: the names of the GPT-2 layout (the score head optional,
     * both of its tensors or neither), each of its shape, all FLOAT or all DOUBLE, nothing else.
     */
    static void checkShapes(Path file, GptSpec spec, Map<String, INDArray> params) {
        boolean score = params.containsKey(ParamNames.SCORE_WEIGHT) || params.containsKey(ParamNames.SCORE_BIAS);
        Map<String, long[]> layout = ParamNames.layout(spec, score);
        for (Map.Entry<String, long[]> t : layout.entrySet()) {
            INDArray actual = params.get(t.getKey());
            if (actual == null) {
                throw new DataException(file, "missing tensor " + t.getKey() + " (config.json: n_layer "
                        + spec.nLayer() + ")");
            }
            if (!Arrays.equals(actual.shape(), t.getValue())) {
                throw new DataException(file, t.getKey() + " has shape " + Arrays.toString(actual.shape())
                        + ", config.json gives " + Arrays.toString(t.getValue()));
            }
        }
        org.nd4j.linalg.api.buffer.DataType dtype = params.get(ParamNames.WTE).dataType();
        for (Map.Entry<String, INDArray> t : params.entrySet()) {
            if (!layout.containsKey(t.getKey())) {
                throw new DataException(file, "unexpected tensor " + t.getKey() + " (not part of a GPT-2 model with "
                        + "config.json's n_layer " + spec.nLayer() + ")");
            }
            org.nd4j.linalg.api.buffer.DataType d = t.getValue().dataType();
            if (d != dtype || (d != org.nd4j.linalg.api.buffer.DataType.FLOAT
                    && d != org.nd4j.linalg.api.buffer.DataType.DOUBLE)) {
                throw new DataException(file, t.getKey() + " is stored as " + d + ": every tensor must be F32 (or "
                        + "every one F64)");
            }
        }
    }

    /** Hugging Face GPT-2 config keys, so the weights load as a GPT2Model, plus our own under "rlhf4j". */
    private static Map<String, Object> hfConfig(Contents c) {
        GptSpec s = c.spec();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(c.params().containsKey(ParamNames.SCORE_WEIGHT)
                ? "GPT2ForSequenceClassification" : "GPT2LMHeadModel"));
        m.put("model_type", "gpt2");
        m.put("n_layer", s.nLayer());
        m.put("n_head", s.nHead());
        m.put("n_embd", s.nEmbd());
        m.put("n_positions", s.blockSize());
        m.put("n_ctx", s.blockSize());
        m.put("vocab_size", s.vocabSize());
        m.put("n_inner", s.mlpHidden());
        m.put(NORM_KEY, s.norm().name().toLowerCase(Locale.ROOT));
        m.put(POSITION_KEY, s.position().name().toLowerCase(Locale.ROOT));
        m.put("activation_function", s.activation().hfName());
        m.put("layer_norm_epsilon", s.layerNormEpsilon());
        if (s.nKvHead() != s.nHead()) {
            m.put("num_key_value_heads", s.nKvHead());
        }
        if (s.mlp() != Mlp.GELU) {
            m.put(MLP_KEY, s.mlp().name().toLowerCase(Locale.ROOT));
        }
        if (s.bias() != Bias.ALL) {
            m.put(BIAS_KEY, s.bias().name().toLowerCase(Locale.ROOT));
        }
        if (s.ropeTheta() != GptSpec.DEFAULT_ROPE_THETA) {
            m.put("rope_theta", s.ropeTheta());
        }
        if (s.rmsNormEpsilon() != GptSpec.DEFAULT_RMS_NORM_EPSILON) {
            m.put("rms_norm_eps", s.rmsNormEpsilon());
        }
        m.put("resid_pdrop", 0.0);
        m.put("embd_pdrop", 0.0);
        m.put("attn_pdrop", 0.0);
        m.put("tie_word_embeddings", s.tiedHead());
        m.put("bos_token_id", c.tokenizer().id(SpecialTokens.ENDOFTEXT));
        m.put("eos_token_id", c.tokenizer().id(SpecialTokens.ENDOFTEXT));
        m.put("pad_token_id", c.tokenizer().id(SpecialTokens.PAD));
        if (c.params().containsKey(ParamNames.SCORE_WEIGHT)) {
            m.put("num_labels", 1);
        }
        Map<String, Object> ours = new LinkedHashMap<>();
        ours.put("stage", c.stage());
        ours.put("tokenizer_fingerprint", c.tokenizer().fingerprint());
        m.put("rlhf4j", ours);
        return m;
    }
}
