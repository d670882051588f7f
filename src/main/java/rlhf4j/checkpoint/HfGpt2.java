package rlhf4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.io.DataException;
import rlhf4j.model.GptSpec;
import rlhf4j.model.ParamNames;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * A Hugging Face GPT-2 folder (GPT-2, DistilGPT-2 or any {@code model_type: gpt2} model a user has on disk) read
 * as a starting checkpoint: {@code config.json} (with its {@code activation_function} and {@code
 * layer_norm_epsilon}), {@code model.safetensors} (names with or without the {@code transformer.} prefix of
 * {@code GPT2LMHeadModel}; an {@code lm_head.weight} must equal the tied {@code wte.weight}; the attention
 * mask buffers are dropped) and {@code tokenizer.json} or {@code vocab.json} + {@code merges.txt}. The chat
 * tokens this project needs ({@code <|pad|>}, {@code <|im_start|>}, {@code <|im_end|>}) are added to the
 * vocabulary after the model's own, and the token embedding grows by as many rows, each the mean of the
 * existing rows (as {@code transformers}' {@code resize_token_embeddings} initialises them), so the new tokens
 * start as an average token rather than noise.
 */
public final class HfGpt2 {
    private static final String PREFIX = "transformer.";
    private static final String LM_HEAD = "lm_head.weight";

    private HfGpt2() {}

    /** Whether {@code dir} looks like a Hugging Face GPT-2 folder rather than one of this project's checkpoints. */
    public static boolean isFolder(Path dir) {
        Path config = dir.resolve(StageCheckpoint.CONFIG);
        if (!Files.isRegularFile(config) || !Files.isRegularFile(dir.resolve(StageCheckpoint.MODEL))) {
            return false;
        }
        try {
            JsonNode c = Json.readTree(config);
            return "gpt2".equals(c.path("model_type").asText()) && c.path("rlhf4j").isMissingNode();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The folder as a checkpoint to start from, its vocabulary grown by the chat tokens. */
    public static StageCheckpoint.Loaded load(Path dir) {
        Path configFile = dir.resolve(StageCheckpoint.CONFIG);
        try {
            JsonNode config = Json.readTree(configFile);
            refuseIgnoredSettings(configFile, config);
            GptSpec spec = StageCheckpoint.specFrom(configFile, config);
            BpeTokenizer base = tokenizer(dir);
            if (base.vocabSize() != spec.vocabSize()) {
                throw new DataException(configFile, "vocab_size " + spec.vocabSize() + " but the tokenizer has "
                        + base.vocabSize() + " tokens");
            }
            LinkedHashMap<String, INDArray> params = tensors(dir.resolve(StageCheckpoint.MODEL));
            StageCheckpoint.checkShapes(dir.resolve(StageCheckpoint.MODEL), spec, params);
            BpeTokenizer tokenizer = base.withSpecialTokens(SpecialTokens.DEFAULT);
            GptSpec grown = spec.withVocabSize(tokenizer.vocabSize());
            INDArray wte = params.get(ParamNames.WTE);                                        // [V, C]
            if (grown.vocabSize() > spec.vocabSize()) {
                INDArray mean = wte.mean(true, 0);                                            // [1, C]
                INDArray rows = mean.repeat(0, grown.vocabSize() - spec.vocabSize());         // [V' − V, C]
                params.put(ParamNames.WTE, Nd4j.vstack(wte, rows).dup('c'));                 // [V', C]
            }
            JsonNode state = Json.parse("{\"step\": 0, \"hf_folder\": " + Json.toString(dir.toString()) + "}");
            return new StageCheckpoint.Loaded("hf-gpt2", grown, params, tokenizer, state, new LinkedHashMap<>());
        } catch (IOException e) {
            throw new DataException(dir, "cannot read the Hugging Face folder: " + e.getMessage());
        }
    }

    /**
     * Settings of a GPT-2 config.json that this model does not implement: accepted silently, they would give other
     * results than transformers does, so each is refused by name (exit 3).
     */
    static void refuseIgnoredSettings(Path configFile, JsonNode config) {
        if (config.path("scale_attn_by_inverse_layer_idx").asBoolean(false)) {
            throw new DataException(configFile, "scale_attn_by_inverse_layer_idx true is not supported (attention "
                    + "scores here are scaled by 1/sqrt(head size) only)");
        }
        if (config.path("reorder_and_upcast_attn").asBoolean(false)) {
            throw new DataException(configFile, "reorder_and_upcast_attn true is not supported");
        }
        JsonNode inner = config.get("n_inner");
        int embd = config.path("n_embd").asInt(-1);
        if (inner != null && !inner.isNull() && (!inner.canConvertToInt() || inner.asInt() != 4 * embd)) {
            throw new DataException(configFile, "n_inner " + inner + " is not supported: the MLP here is 4 x n_embd = "
                    + 4 * embd + " wide");
        }
    }

    private static BpeTokenizer tokenizer(Path dir) {
        Path json = dir.resolve(StageCheckpoint.TOKENIZER);
        if (Files.isRegularFile(json)) {
            return BpeTokenizer.load(json);
        }
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        if (Files.isRegularFile(vocab) && Files.isRegularFile(merges)) {
            return BpeTokenizer.loadVocabMerges(vocab, merges);
        }
        throw new DataException(dir, "has no tokenizer.json, nor vocab.json and merges.txt");
    }

    /** The model's tensors under this project's GPT-2 names. */
    private static LinkedHashMap<String, INDArray> tensors(Path file) throws IOException {
        LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
        INDArray lmHead = null;
        for (Map.Entry<String, INDArray> t : SafeTensors.read(file).tensors().entrySet()) {
            String name = t.getKey().startsWith(PREFIX) ? t.getKey().substring(PREFIX.length()) : t.getKey();
            if (name.equals(LM_HEAD)) {
                lmHead = t.getValue();
            } else if (!name.endsWith(".attn.bias") && !name.endsWith(".attn.masked_bias")) {
                out.put(name, t.getValue().isView() ? t.getValue().dup('c') : t.getValue());
            }
        }
        INDArray wte = out.get(ParamNames.WTE);
        if (lmHead != null && (wte == null || !lmHead.equalShapes(wte) || !lmHead.equals(wte))) {
            throw new DataException(file, LM_HEAD + " differs from " + ParamNames.WTE
                    + ": only a language-model head tied to the token embedding is supported");
        }
        return out;
    }
}
