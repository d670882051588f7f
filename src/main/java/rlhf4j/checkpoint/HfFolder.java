package rlhf4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import rlhf4j.io.DataException;
import rlhf4j.model.GptSpec;
import rlhf4j.model.ParamNames;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * A Hugging Face model folder a user has on disk (GPT-2, DistilGPT-2, any {@code model_type: gpt2} model, or a
 * GPT-NeoX whose settings this model computes: see {@link HfArchitecture}) read as a starting checkpoint: {@code
 * config.json}, {@code model.safetensors} (through the architecture's names and layouts, what {@code
 * save_pretrained} adds taken off) and {@code tokenizer.json} or {@code vocab.json} + {@code merges.txt}. The chat
 * tokens this project needs ({@code <|pad|>}, {@code <|im_start|>}, {@code <|im_end|>}) are added to the
 * vocabulary after the model's own, and the token embedding grows by as many rows, each the mean of the existing
 * rows (as {@code transformers}' {@code resize_token_embeddings} initialises them), so the new tokens start as an
 * average token rather than noise.
 */
public final class HfFolder {
    /** The index of a model saved in shards. */
    static final String INDEX = "model.safetensors.index.json";

    private HfFolder() {}

    /** Whether {@code dir} looks like a Hugging Face model folder rather than one of this project's checkpoints. */
    public static boolean isFolder(Path dir) {
        Path config = dir.resolve(StageCheckpoint.CONFIG);
        if (!Files.isRegularFile(config) || !(Files.isRegularFile(dir.resolve(StageCheckpoint.MODEL))
                || Files.isRegularFile(dir.resolve(INDEX)))) {
            return false;
        }
        try {
            JsonNode c = Json.readTree(config);
            return HfArchitecture.forModelType(c.path("model_type").asText()) != null && c.path("rlhf4j").isMissingNode();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The folder as a checkpoint to start from, its vocabulary grown by the chat tokens. */
    public static StageCheckpoint.Loaded load(Path dir) {
        Path configFile = dir.resolve(StageCheckpoint.CONFIG);
        try {
            JsonNode config = Json.readTree(configFile);
            HfArchitecture arch = StageCheckpoint.architecture(configFile, config);
            GptSpec spec = arch.spec(configFile, config);
            BpeTokenizer base = tokenizer(dir);
            if (base.vocabSize() > spec.vocabSize()) {
                throw new DataException(configFile, "vocab_size " + spec.vocabSize() + " but the tokenizer has "
                        + base.vocabSize() + " tokens");
            }
            LinkedHashMap<String, INDArray> params = modelTensors(dir, arch, spec);
            if (spec.vocabSize() > base.vocabSize()) {
                // rows no token maps to (Qwen2.5 pads its 151,665 tokens' embedding to 151,936 rows): dropped, so
                // the vocabulary is the tokenizer's
                for (String table : tables(spec)) {
                    params.put(table, params.get(table).get(NDArrayIndex.interval(0, base.vocabSize()),
                            NDArrayIndex.all()).dup('c'));                                    // [V_tokenizer, C]
                }
                spec = spec.withVocabSize(base.vocabSize());
            }
            BpeTokenizer grown = base.withSpecialTokens(SpecialTokens.DEFAULT);
            Path tokenizerConfig = dir.resolve(HfTokenizerFiles.TOKENIZER_CONFIG);
            BpeTokenizer tokenizer = grown.withChatTemplate(Files.isRegularFile(tokenizerConfig)
                    ? ChatTemplate.source(grown, tokenizerConfig) : null);
            ChatTemplate.of(tokenizer);                  // a template that cannot be rendered is refused here
            GptSpec grownSpec = spec.withVocabSize(tokenizer.vocabSize());
            if (grownSpec.vocabSize() > spec.vocabSize()) {
                for (String table : tables(spec)) {
                    INDArray t = params.get(table);                                           // [V, C]
                    INDArray mean = t.mean(true, 0);                                          // [1, C]
                    INDArray rows = mean.repeat(0, grownSpec.vocabSize() - spec.vocabSize()); // [V' − V, C]
                    params.put(table, Nd4j.vstack(t, rows).dup('c'));                        // [V', C]
                }
            }
            JsonNode state = Json.parse("{\"step\": 0, \"hf_folder\": " + Json.toString(dir.toString()) + "}");
            return new StageCheckpoint.Loaded("hf-" + arch.modelType(), grownSpec, params, tokenizer, state, new LinkedHashMap<>());
        } catch (IOException e) {
            throw new DataException(dir, "cannot read the Hugging Face folder: " + e.getMessage());
        }
    }

    /** The tables with a row per token: the embedding, and the head where it is its own. */
    private static List<String> tables(GptSpec spec) {
        return spec.tiedHead() ? List.of(ParamNames.WTE) : List.of(ParamNames.WTE, ParamNames.LM_HEAD);
    }

    /**
     * The model's tensors: {@code model.safetensors}, or the shards {@code model.safetensors.index.json} maps each
     * tensor to (as {@code save_pretrained} writes a model above its shard size); every shard's tensors must be the
     * ones the index gives it.
     */
    private static LinkedHashMap<String, INDArray> modelTensors(Path dir, HfArchitecture arch, GptSpec spec)
            throws IOException {
        Path index = dir.resolve(INDEX);
        if (!Files.isRegularFile(index)) {
            return StageCheckpoint.readModel(dir.resolve(StageCheckpoint.MODEL), arch, spec);
        }
        JsonNode map = Json.readTree(index).path("weight_map");
        if (!map.isObject() || map.isEmpty()) {
            throw new DataException(index, "has no weight_map");
        }
        Map<String, List<String>> shards = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String shard = e.getValue().asText("");
            if (!shard.matches("[A-Za-z0-9._-]+\\.safetensors")) {
                throw new DataException(index, "weight_map: " + e.getKey() + " -> \"" + shard
                        + "\" is not a .safetensors file in this folder");
            }
            shards.computeIfAbsent(shard, k -> new ArrayList<>()).add(e.getKey());
        }
        LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> shard : shards.entrySet()) {
            Path file = dir.resolve(shard.getKey());
            if (!Files.isRegularFile(file)) {
                throw new DataException(index, "names the shard " + shard.getKey() + ", which is missing");
            }
            LinkedHashMap<String, INDArray> read = SafeTensors.read(file).tensors();
            if (!read.keySet().equals(new HashSet<>(shard.getValue()))) {
                throw new DataException(file, "holds " + read.keySet().size() + " tensors, not the "
                        + shard.getValue().size() + " that " + INDEX + " gives it");
            }
            tensors.putAll(read);
        }
        return StageCheckpoint.toModel(index, arch, spec, tensors);
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
}
