package rlhf4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import rlhf4j.io.DataException;
import rlhf4j.model.Bias;
import rlhf4j.model.GptSpec;
import rlhf4j.model.Mlp;
import rlhf4j.model.Norm;
import rlhf4j.model.ParamNames;
import rlhf4j.model.Position;

/**
 * A Hugging Face architecture a model folder may follow: the {@code config.json} keys it declares and the names and
 * layouts of the tensors in {@code model.safetensors}. A stage folder declares the architecture whose forward in
 * {@code transformers} computes the same logits as this project's model ({@link #forSpec}): GPT-2 for learned
 * positions and LayerNorm, GPT-NeoX for rotary positions and LayerNorm, Llama and Qwen2 for RMSNorm, rotary positions
 * and SwiGLU without biases or with q/k/v biases; a spec that no architecture of
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

    /**
     * One tensor of the file: the model's tensor {@code param}, or its columns [from, to) where the file splits one
     * fused tensor into several (Llama's q, k and v projections of {@code c_attn}), stored through {@code codec}.
     */
    record Stored(String param, TensorCodec codec, int from, int to) {
        Stored(String param, TensorCodec codec) {
            this(param, codec, -1, -1);
        }

        boolean whole() {
            return from < 0;
        }

        /** The part of the model's tensor this file tensor holds: [in, to − from] or [to − from]. */
        INDArray of(INDArray t) {
            if (whole()) {
                return t;
            }
            return t.rank() == 1 ? t.get(NDArrayIndex.interval(from, to)).dup('c')
                    : t.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to)).dup('c');
        }

        long[] shapeOf(long[] shape) {
            if (whole()) {
                return shape;
            }
            long[] part = shape.clone();
            part[part.length - 1] = to - from;
            return part;
        }
    }

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

    /**
     * The architecture a stage folder with this spec declares: the one whose {@code transformers} forward computes
     * the same logits, or this project's own.
     */
    static HfArchitecture forSpec(GptSpec spec) {
        boolean gptBlock = spec.norm() == Norm.LAYERNORM && spec.mlp() == Mlp.GELU && spec.bias() == Bias.ALL
                && spec.nKvHead() == spec.nHead() && spec.ropeScaling() == null;
        if (gptBlock) {
            if (spec.position() == Position.LEARNED) {
                return Gpt2Architecture.GPT2;
            }
            return NeoXArchitecture.INSTANCE;
        }
        for (LlamaArchitecture llama : List.of(LlamaArchitecture.LLAMA, LlamaArchitecture.QWEN2)) {
            if (llama.matches(spec)) {
                return llama;
            }
        }
        return Gpt2Architecture.OWN;
    }

    /** Every architecture a folder may declare. */
    private static List<HfArchitecture> all() {
        return List.of(Gpt2Architecture.GPT2, NeoXArchitecture.INSTANCE, LlamaArchitecture.LLAMA,
                LlamaArchitecture.QWEN2, Gpt2Architecture.OWN);
    }

    /** The architecture of a {@code model_type}, or null for one this project does not read. */
    static HfArchitecture forModelType(String modelType) {
        return all().stream().filter(a -> a.modelType().equals(modelType)).findFirst().orElse(null);
    }

    /** The model types {@link #forModelType} reads, for messages. */
    static List<String> modelTypes() {
        return all().stream().map(HfArchitecture::modelType).toList();
    }

    /** The model's tensors under the file's names and layouts (data movement only). */
    static Map<String, INDArray> toFile(HfArchitecture arch, GptSpec spec, Map<String, INDArray> params) {
        boolean score = params.containsKey(ParamNames.SCORE_WEIGHT);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Stored> e : arch.layout(spec, score).entrySet()) {
            Stored stored = e.getValue();
            out.put(e.getKey(), stored.codec().toFile(stored.of(params.get(stored.param())), spec.nHead()));
        }
        out.putAll(arch.extras(params));
        return out;
    }

    /**
     * The file's tensors under the model's names: every tensor of the layout present with its shape, nothing else,
     * each converted back by its codec. Errors name the file and the file's tensor.
     */
    static LinkedHashMap<String, INDArray> fromFile(HfArchitecture arch, GptSpec spec, Path file,
                                                    LinkedHashMap<String, INDArray> fileTensors) {
        LinkedHashMap<String, INDArray> tensors = arch.normalise(file, fileTensors, spec);
        boolean score = tensors.keySet().stream().anyMatch(n -> n.startsWith("score."));
        LinkedHashMap<String, Stored> layout = arch.layout(spec, score);
        Map<String, long[]> shapes = ParamNames.layout(spec, score);
        Map<String, List<INDArray>> pieces = new LinkedHashMap<>();
        String first = layout.keySet().iterator().next();
        DataType firstType = tensors.containsKey(first) ? tensors.get(first).dataType() : null;
        for (Map.Entry<String, Stored> e : layout.entrySet()) {
            Stored stored = e.getValue();
            INDArray t = tensors.get(e.getKey());
            if (t == null) {
                throw new DataException(file, "missing tensor " + e.getKey() + " (config.json: " + arch.modelType()
                        + ", " + spec.nLayer() + " layers)");
            }
            long[] expected = stored.codec().fileShape(stored.shapeOf(shapes.get(stored.param())));
            if (!Arrays.equals(t.shape(), expected)) {
                throw new DataException(file, e.getKey() + " has shape " + Arrays.toString(t.shape())
                        + ", config.json gives " + Arrays.toString(expected));
            }
            if (t.dataType() != firstType) {
                throw new DataException(file, e.getKey() + " is stored as " + t.dataType() + " but " + first + " as "
                        + firstType + ": every tensor must have one dtype");
            }
            pieces.computeIfAbsent(stored.param(), k -> new ArrayList<>()).add(stored.codec().fromFile(t, spec.nHead()));
        }
        Map<String, INDArray> params = new LinkedHashMap<>();
        pieces.forEach((name, parts) -> params.put(name, parts.size() == 1 ? parts.get(0)
                : Nd4j.concat(parts.get(0).rank() - 1, parts.toArray(INDArray[]::new)).dup('c')));
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
