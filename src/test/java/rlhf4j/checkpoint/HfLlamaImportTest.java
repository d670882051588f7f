package rlhf4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.io.DataException;
import rlhf4j.model.Bias;
import rlhf4j.model.GptSpec;
import rlhf4j.model.Mlp;
import rlhf4j.model.Norm;
import rlhf4j.model.RopeScaling;
import rlhf4j.stage.pretrain.MicroRun;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;

/**
 * Llama-family Hugging Face folders as starting points: {@code src/test/resources/hf-import/llama-tiny} (grouped-query
 * attention, no biases, an untied head, rope_theta 500000 with Llama 3's rope scaling, BF16 tensors in two shards with an index, a Llama-3-style
 * tokenizer and the Llama-3.2 chat template) and {@code qwen2-tiny} (one key/value head, q/k/v biases, a tied head,
 * F16, a Qwen2 tokenizer and the Qwen2.5 template), with random weights, written by {@code
 * scripts/hf_llama_fixture.py} beside the logits of its own forward of each architecture ({@code
 * scripts/hf_reference_logits.py}). The project reads them, gives those logits on both engines and through the KV
 * cache, keeps their chat templates, and fine-tunes one through SFT, a reward model and PPO, writing every stage back
 * in the same architecture.
 */
class HfLlamaImportTest {
    /** The fixture's logits from the reference forward, over the folder's own vocabulary. */
    private static JsonNode expected(String name) throws URISyntaxException, IOException {
        return Json.readTree(fixture(name).resolve("expected_logits.json"));
    }

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(HfLlamaImportTest.class.getResource("/hf-import/" + name + "/config.json").toURI()).getParent();
    }

    @Test
    void readsLlamaAndQwen2FoldersAndComputesTheirLogits() throws Exception {
        StageCheckpoint.Loaded llama = StageCheckpoint.loadToStartFrom(fixture("llama-tiny"));
        GptSpec s = llama.spec();
        assertEquals(List.of(Norm.RMSNORM, Mlp.SWIGLU, Bias.NONE), List.of(s.norm(), s.mlp(), s.bias()));
        assertEquals(List.of(4, 2, 48, 256), List.of(s.nHead(), s.nKvHead(), s.mlpHidden(), s.blockSize()));
        assertEquals(500_000.0, s.ropeTheta(), 0.0);
        assertEquals(1e-5, s.rmsNormEpsilon(), 0.0);
        assertFalse(s.tiedHead());
        assertEquals(new RopeScaling(8, 1, 4, 16), s.ropeScaling(), "Llama 3.2's rope_scaling, with a short original context");
        ReferenceLogits.assertMatches(expected("llama-tiny"), llama, false, "llama");

        StageCheckpoint.Loaded qwen = StageCheckpoint.loadToStartFrom(fixture("qwen2-tiny"));
        assertEquals(List.of(Bias.QKV, true, 1), List.of(qwen.spec().bias(), qwen.spec().tiedHead(), qwen.spec().nKvHead()));
        assertEquals(1e6, qwen.spec().ropeTheta(), 0.0);
        ReferenceLogits.assertMatches(expected("qwen2-tiny"), qwen, false, "qwen2");
    }

    @Test
    void usesEachFoldersChatTemplate() throws Exception {
        ChatTemplate llama = ChatTemplate.of(StageCheckpoint.loadToStartFrom(fixture("llama-tiny")).tokenizer());
        ChatTemplate qwen = ChatTemplate.of(StageCheckpoint.loadToStartFrom(fixture("qwen2-tiny")).tokenizer());
        assertEquals("<|eot_id|>", tokenText(fixture("llama-tiny"), llama.endOfTurn()));
        assertEquals("<|im_end|>", tokenText(fixture("qwen2-tiny"), qwen.endOfTurn()));
        List<Message> chat = List.of(new Message(Message.USER, "Repeat: the mill"), new Message(Message.ASSISTANT, "the mill"));
        assertTrue(llama.text(chat, false).contains("<|start_header_id|>assistant<|end_header_id|>\n\nthe mill<|eot_id|>"));
        assertTrue(qwen.text(chat, false).contains("<|im_start|>assistant\nthe mill<|im_end|>"));
    }

    /**
     * Llama 3's templates put "Today Date" in every system header. It is the day the folder's template file was
     * last changed, not the day of the run, so an SFT run resumed tomorrow renders the data it was checked against;
     * a stage folder written from it records the date and renders it again.
     */
    @Test
    void theTemplatesDateIsTheFoldersNotTodays(@TempDir Path tmp) throws Exception {
        Path dir = copy(fixture("llama-tiny"), tmp.resolve("llama"));
        Files.setLastModifiedTime(dir.resolve("tokenizer_config.json"),
                java.nio.file.attribute.FileTime.from(java.time.Instant.parse("2024-07-26T12:00:00Z")));
        StageCheckpoint.Loaded loaded = StageCheckpoint.loadToStartFrom(dir);
        List<Message> chat = List.of(new Message(Message.USER, "Hi"));
        assertTrue(ChatTemplate.of(loaded.tokenizer()).text(chat, true).contains("Today Date: 26 Jul 2024"));
        Path stage = tmp.resolve("stage");
        StageCheckpoint.save(stage, new StageCheckpoint.Contents("sft", loaded.spec(), loaded.params(),
                loaded.tokenizer(), Map.of("step", 0), Map.of()));
        assertEquals("2024-07-26", Json.readTree(stage.resolve(HfTokenizerFiles.TOKENIZER_CONFIG))
                .get(ChatTemplate.RENDER_DATE_KEY).asText());
        Files.setLastModifiedTime(stage.resolve(HfTokenizerFiles.TOKENIZER_CONFIG),
                java.nio.file.attribute.FileTime.from(java.time.Instant.parse("2030-01-01T00:00:00Z")));
        assertTrue(ChatTemplate.of(StageCheckpoint.load(stage).tokenizer()).text(chat, true)
                .contains("Today Date: 26 Jul 2024"), "the recorded date, not the file's");
    }

    private static String tokenText(Path folder, int id) throws IOException {
        return StageCheckpoint.loadToStartFrom(folder).tokenizer().tokenString(id);
    }

    /**
     * An embedding padded past the tokenizer (Qwen2.5 pads 151,665 tokens to 151,936 rows): the rows no token maps to
     * are dropped, and the real tokens' logits are the folder's.
     */
    @Test
    void anEmbeddingPaddedPastTheTokenizerLosesItsPadding(@TempDir Path tmp) throws Exception {
        Path dir = copy(fixture("qwen2-tiny"), tmp.resolve("padded"));
        LinkedHashMap<String, INDArray> tensors = SafeTensors.read(dir.resolve("model.safetensors")).tensors();
        INDArray embed = tensors.get("model.embed_tokens.weight");                                  // [V, C]
        tensors.put("model.embed_tokens.weight",
                Nd4j.vstack(embed, Nd4j.rand(embed.dataType(), 10, embed.size(1))).dup('c'));    // [V + 10, C]
        SafeTensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        com.fasterxml.jackson.databind.node.ObjectNode config =
                (com.fasterxml.jackson.databind.node.ObjectNode) Json.readTree(dir.resolve("config.json"));
        int v = config.get("vocab_size").asInt();
        config.put("vocab_size", v + 10);
        Files.writeString(dir.resolve("config.json"), config.toString());
        StageCheckpoint.Loaded loaded = StageCheckpoint.loadToStartFrom(dir);
        assertEquals(loaded.tokenizer().vocabSize(), loaded.spec().vocabSize());
        assertEquals(loaded.tokenizer().vocabSize(), loaded.params().get("wte.weight").size(0));
        ReferenceLogits.assertMatches(expected("qwen2-tiny"), loaded, false, "padded qwen2");
    }

    /** Settings this model would compute differently are refused by name; a broken shard index names the index. */
    @Test
    void refusesWhatItWouldComputeDifferently(@TempDir Path tmp) throws Exception {
        Map<String, String> edits = new LinkedHashMap<>();
        edits.put("rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}");
        edits.put("hidden_act", "\"gelu\"");
        edits.put("attention_bias", "true");
        edits.put("head_dim", "16");
        for (Map.Entry<String, String> e : edits.entrySet()) {
            Path dir = copy(fixture("llama-tiny"), tmp.resolve(e.getKey()));
            com.fasterxml.jackson.databind.node.ObjectNode config =
                    (com.fasterxml.jackson.databind.node.ObjectNode) Json.readTree(dir.resolve("config.json"));
            config.set(e.getKey(), Json.parse(e.getValue()));
            Files.writeString(dir.resolve("config.json"), config.toString());
            DataException ex = assertThrows(DataException.class, () -> StageCheckpoint.loadToStartFrom(dir), e.getKey());
            assertTrue(ex.getMessage().contains(e.getKey()), ex.getMessage());
        }
        Path dir = copy(fixture("llama-tiny"), tmp.resolve("shard"));
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        DataException ex = assertThrows(DataException.class, () -> StageCheckpoint.loadToStartFrom(dir));
        assertTrue(ex.getMessage().contains("model.safetensors.index.json") && ex.getMessage().contains("missing"),
                ex.getMessage());
    }

    /** SFT, a reward model and PPO from the Llama folder; every stage folder says Llama and keeps the template. */
    @Test
    void fineTunesThroughSftRmAndPpoAndWritesLlamaBack(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("sft.jsonl");
        StringBuilder sb = new StringBuilder();
        for (String w : new String[] {"river", "mill", "bridge", "water", "grain", "stone", "wheel", "cart"}) {
            sb.append("{\"prompt\": \"Repeat: the ").append(w).append("\", \"completion\": \"the ").append(w)
                    .append("\"}\n");
        }
        Files.writeString(data, sb.toString());
        MicroRun run = new MicroRun(tmp);
        Path llama = fixture("llama-tiny");
        MicroRun.Result r = run.train("sft", "--config", run.config.toString(), "--set", "sft.init_from=" + llama,
                "--set", "model.block_size=160", "--set", "sft.data.train=" + data, "--set", "sft.data.val_fraction=0.25",
                "--set", "sft.data.test=", "--set", "sft.batch_size=2", "--set", "sft.max_steps=3",
                "--set", "sft.eval_every=3", "--set", "sft.eval_examples=2", "--set", "sft.max_new_tokens=4");
        assertEquals(0, r.code(), r.err());
        Path sft = tmp.resolve("ckpt/micro/sft");
        JsonNode config = Json.readTree(sft.resolve(StageCheckpoint.CONFIG));
        assertEquals("llama", config.get("model_type").asText());
        assertEquals("LlamaForCausalLM", config.get("architectures").get(0).asText());
        assertTrue(Files.exists(sft.resolve("model-00001-of-00001.safetensors")) || Files.exists(sft.resolve("model.safetensors")));
        JsonNode tokenizerConfig = Json.readTree(sft.resolve(HfTokenizerFiles.TOKENIZER_CONFIG));
        assertEquals(Json.readTree(llama.resolve("tokenizer_config.json")).get("chat_template").asText(),
                tokenizerConfig.get("chat_template").asText(), "the imported template is written back as it came");
        JsonNode specials = Json.readTree(sft.resolve(HfTokenizerFiles.SPECIAL_TOKENS_MAP));
        assertEquals(List.of("<|begin_of_text|>", "<|eot_id|>"), List.of(specials.get("bos_token").asText(),
                specials.get("eos_token").asText()), "the folder's own special tokens, as in tokenizer_config.json");
        assertEquals(tokenizerConfig.get("bos_token").asText(), specials.get("bos_token").asText());
        StageCheckpoint.Loaded tuned = StageCheckpoint.load(sft);
        assertEquals("<|eot_id|>", tuned.tokenizer().tokenString(ChatTemplate.of(tuned.tokenizer()).endOfTurn()));
        assertEquals(ChatTemplate.of(tuned.tokenizer()).endOfTurn(),
                Json.readTree(sft.resolve(HfTokenizerFiles.GENERATION_CONFIG)).get("eos_token_id").asInt());
        assertFalse(tuned.spec().tiedHead());
        assertEquals(2, tuned.spec().nKvHead());
        referenceAgrees(tmp, sft, tuned);
        MicroRun.Result sample = run.train("sample", "--checkpoint", sft.toString(), "--prompt", "Repeat: the mill",
                "--chat", "--max-new-tokens", "4");
        assertEquals(0, sample.code(), sample.err());

        StringBuilder prefs = new StringBuilder();
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            prefs.append("{\"prompt\": \"Say a word ").append(i).append("\", \"chosen\": \"yes ").append(i)
                    .append("\", \"rejected\": \"no\"}\n");
            prompts.append("{\"prompt\": \"Say a word ").append(i).append("\"}\n");
        }
        Path prefFile = Files.writeString(tmp.resolve("prefs.jsonl"), prefs.toString());
        Path promptFile = Files.writeString(tmp.resolve("prompts.jsonl"), prompts.toString());
        MicroRun.Result rm = run.train("rm", "--config", run.config.toString(), "--set", "model.block_size=160",
                "--set", "rm.init_from=" + sft, "--set", "rm.data.train=" + prefFile, "--set", "rm.data.from_label=false",
                "--set", "rm.data.val_fraction=0.25", "--set", "rm.data.test=", "--set", "rm.batch_size=2",
                "--set", "rm.max_steps=2", "--set", "rm.eval_every=2", "--set", "rm.eval_pairs=2");
        assertEquals(0, rm.code(), rm.err());
        assertEquals("LlamaForSequenceClassification", Json.readTree(tmp.resolve("ckpt/micro/rm")
                .resolve(StageCheckpoint.CONFIG)).get("architectures").get(0).asText());
        MicroRun.Result ppo = run.train("ppo", "--config", run.config.toString(), "--set", "model.block_size=160",
                "--set", "ppo.init_from=" + sft, "--set", "ppo.reward_model=" + tmp.resolve("ckpt/micro/rm"),
                "--set", "ppo.data.prompts=" + promptFile, "--set", "ppo.data.val_fraction=0.25", "--set", "ppo.data.test=",
                "--set", "ppo.batch_size=2", "--set", "ppo.num_mini_batches=1", "--set", "ppo.ppo_epochs=1",
                "--set", "ppo.max_new_tokens=4", "--set", "ppo.max_steps=2", "--set", "ppo.eval_every=2",
                "--set", "ppo.eval_prompts=2", "--set", "ppo.checkpoint_every=2");
        assertEquals(0, ppo.code(), ppo.err());
        Path ppoDir = tmp.resolve("ckpt/micro/ppo");
        assertEquals("llama", Json.readTree(ppoDir.resolve(StageCheckpoint.CONFIG)).get("model_type").asText());
        StageCheckpoint.Loaded policy = StageCheckpoint.load(ppoDir);
        assertEquals(tuned.spec(), policy.spec());
        referenceAgrees(tmp, ppoDir, policy);
    }

    /** Where /usr/bin/python3 has torch: the reference forward of the written folder gives this project's logits. */
    private static void referenceAgrees(Path tmp, Path dir, StageCheckpoint.Loaded loaded) throws Exception {
        if (!ReferenceLogits.hasTorch()) {
            return;
        }
        int[] tokens = loaded.tokenizer().encode("Repeat: the mill");
        JsonNode reference = ReferenceLogits.compute(dir, tmp.resolve(dir.getFileName() + "-reference.json"), tokens);
        ReferenceLogits.assertMatches(reference, loaded, true, dir.getFileName() + " against the reference");
    }

    private static Path copy(Path from, Path to) throws IOException {
        MicroRun.copyFolder(from, to);
        return to;
    }
}
