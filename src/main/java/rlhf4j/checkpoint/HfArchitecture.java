package rlhf4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.io.DataException;
import rlhf4j.model.GptSpec;
import rlhf4j.model.Norm;
import rlhf4j.model.ParamNames;
import rlhf4j.model.Position;

/**
 * A Hugging Face architecture a model folder may follow: the {@code config.json} keys it declares and the names and
 * layouts of the tensors in {@code model.safetensors}. A stage folder declares the architecture whose forward in
 * {@code transformers} computes the same logits as this project's model ({@link #forSpec}): GPT-2 for learned
 * positions and LayerNorm, GPT-NeoX for rotary positions and LayerNorm; a spec that no architecture of
 * {@code transformers} matches gets this project's own {@code model_type}, which {@code transformers} refuses to
 * load instead of loading it wrong. Inside the project every model keeps the names of {@link ParamNames}; the
 * architecture translates at the file's edge.
 */
public interface HfArchitecture {
    /** {@code config.json}'s {@code model_type}. */
    String modelType();

    /** The {@code architectures} entry: the language model's class, or the sequence-scoring class of a score head. */
    String className(boolean scoreHead);

    /** The architecture's own {@code config.json} keys for this spec (the token ids and this project's section aside). */
    Map<String, Object> config(GptSpec spec);

    /** The spec {@code config} declares; a setting this project does not compute is refused by name. */
    GptSpec spec(Path file, JsonNode config);

    /** For each tensor name in the file, in file order: the model's tensor and how it is stored. */
    LinkedHashMap<String, Stored> layout(GptSpec spec, boolean scoreHead);

    /** One tensor of the file: the model's tensor {@code param}, stored through {@code codec}. */
    record Stored(String param, TensorCodec codec) {}

    /**
     * The file's tensors with what a saved {@code transformers} model adds and this project does not keep (a
     * module prefix, buffers, a copy of the tied head) taken off and checked; the default takes nothing off.
     */
    default LinkedHashMap<String, INDArray> normalise(Path file, LinkedHashMap<String, INDArray> tensors, GptSpec spec) {
        return tensors;
    }

    /** What the file stores beyond {@link #layout} for {@code transformers} (a copy of the tied head); none by default. */
    default Map<String, INDArray> extras(Map<String, INDArray> params) {
        return Map.of();
    }

    /** The architecture a stage folder with this spec declares. */
    static HfArchitecture forSpec(GptSpec spec) {
        if (spec.norm() == Norm.LAYERNORM) {
            return spec.position() == Position.LEARNED ? Gpt2Architecture.GPT2 : NeoXArchitecture.INSTANCE;
        }
        return Gpt2Architecture.OWN;
    }

    /** The architecture of a {@code model_type}, or null for one this project does not read. */
    static HfArchitecture forModelType(String modelType) {
        for (HfArchitecture a : List.of(Gpt2Architecture.GPT2, NeoXArchitecture.INSTANCE, Gpt2Architecture.OWN)) {
            if (a.modelType().equals(modelType)) {
                return a;
            }
        }
        return null;
    }

    /** The model types {@link #forModelType} reads, for messages. */
    static List<String> modelTypes() {
        return List.of(Gpt2Architecture.GPT2.modelType(), NeoXArchitecture.INSTANCE.modelType(),
                Gpt2Architecture.OWN.modelType());
    }

    /** The model's tensors under the file's names and layouts (data movement only). */
    static Map<String, INDArray> toFile(HfArchitecture arch, GptSpec spec, Map<String, INDArray> params) {
        boolean score = params.containsKey(ParamNames.SCORE_WEIGHT);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Stored> e : arch.layout(spec, score).entrySet()) {
            out.put(e.getKey(), e.getValue().codec().toFile(params.get(e.getValue().param()), spec.nHead()));
        }
        out.putAll(arch.extras(params));
        return out;
    }

    /**
     * The file's tensors under the model's names: every tensor of the layout present with its shape, nothing else,
     * each converted back by its codec. Errors name the file and the file's tensor.
     */
    static LinkedHashMap<String, INDArray> fromFile(HfArchitecture arch, GptSpec spec, Path file,
                                                    LinkedHashMap<String, INDArray> stored) {
        LinkedHashMap<String, INDArray> tensors = arch.normalise(file, stored, spec);
        boolean score = tensors.keySet().stream().anyMatch(n -> n.startsWith("score."));
        LinkedHashMap<String, Stored> layout = arch.layout(spec, score);
        Map<String, long[]> shapes = ParamNames.layout(spec, score);
        LinkedHashMap<String, INDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, Stored> e : layout.entrySet()) {
            INDArray t = tensors.get(e.getKey());
            if (t == null) {
                throw new DataException(file, "missing tensor " + e.getKey() + " (config.json: " + arch.modelType()
                        + ", " + spec.nLayer() + " layers)");
            }
            long[] expected = e.getValue().codec().fileShape(shapes.get(e.getValue().param()));
            if (!Arrays.equals(t.shape(), expected)) {
                throw new DataException(file, e.getKey() + " has shape " + Arrays.toString(t.shape())
                        + ", config.json gives " + Arrays.toString(expected));
            }
            params.put(e.getValue().param(), e.getValue().codec().fromFile(t, spec.nHead()));
        }
        for (String name : tensors.keySet()) {
            if (!layout.containsKey(name)) {
                throw new DataException(file, "unexpected tensor " + name + " (not part of a " + arch.modelType()
                        + " model with config.json's " + spec.nLayer() + " layers)");
            }
        }
        LinkedHashMap<String, INDArray> ordered = new LinkedHashMap<>();
        for (String name : shapes.keySet()) {
            ordered.put(name, params.get(name));
        }
        return ordered;
    }
}
