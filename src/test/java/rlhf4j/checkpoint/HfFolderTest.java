package rlhf4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.model.Activation;
import rlhf4j.stage.pretrain.MicroRun;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * A Hugging Face GPT-2 folder as a starting point: {@code src/test/resources/hf-gpt2-tiny}, written by {@code
 * scripts/hf_gpt2_fixture.py} with torch (not by this project: its own byte table, safetensors bytes and GPT-2
 * forward with gelu_new and LayerNorm epsilon 1e-5), "transformer."-prefixed, with the mask buffers and a tied
 * lm_head, vocab.json + merges.txt. The project reads it, tokenizes the fixture's text to the fixture's ids, gives
 * the fixture's logits on both engines and through the KV-cache decoder, adds the chat tokens, and fine-tunes
 * it with SFT, then trains a reward model and PPO from that SFT folder.
 */
class HfFolderTest {
    private static Path fixture() throws URISyntaxException {
        return Path.of(HfFolderTest.class.getResource("/hf-gpt2-tiny/config.json").toURI()).getParent();
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    @Test
    void readsTheFolderAndComputesItsLogits() throws Exception {
        Path dir = fixture();
        assertTrue(HfFolder.isFolder(dir));
        JsonNode expected = Json.readTree(dir.resolve("expected_logits.json"));
        int[] tokens = ints(expected.get("tokens"));
        StageCheckpoint.Loaded hf = StageCheckpoint.loadToStartFrom(dir);
        assertEquals(Activation.GELU_NEW, hf.spec().activation());
        assertEquals(1e-5, hf.spec().layerNormEpsilon(), 0.0);
        BpeTokenizer tok = hf.tokenizer();
        assertEquals(265 + 3, tok.vocabSize(), "pad, im_start and im_end added after the model's 265 tokens");
        assertEquals(264, tok.id(SpecialTokens.ENDOFTEXT));
        assertEquals(List.of(265, 266, 267), List.of(tok.id(SpecialTokens.PAD), tok.id(SpecialTokens.IM_START),
                tok.id(SpecialTokens.IM_END)));
        assertArrayEquals(java.util.Arrays.copyOf(tokens, tokens.length - 1), tok.encode(expected.get("text").asText()));
        assertEquals(268, hf.params().get("wte.weight").size(0));

        ReferenceLogits.assertMatches(expected, hf, false, "gpt2");
    }

    /** Settings the model or tokenizer here would silently ignore are refused by name, never half-honoured. */
    @Test
    void settingsThatWouldBeIgnoredAreRefusedByName(@TempDir Path tmp) throws Exception {
        Path dir = fixture();
        String config = Files.readString(dir.resolve("config.json"));
        String tokenizer = Files.readString(dir.getParent().resolve("hf-gpt2-tiny-tokenizer-json/tokenizer.json"));
        java.util.Map<String, String[]> cases = new java.util.LinkedHashMap<>();
        cases.put("scale_attn_by_inverse_layer_idx", new String[] {withKey(config, "\"scale_attn_by_inverse_layer_idx\": true"), tokenizer});
        cases.put("normalizer", new String[] {config, tokenizer.replaceFirst("\"normalizer\"\\s*:\\s*null",
                "\"normalizer\": {\"type\": \"Lowercase\"}")});
        cases.put("add_prefix_space", new String[] {config, tokenizer.replaceFirst("\"add_prefix_space\"\\s*:\\s*false",
                "\"add_prefix_space\": true")});
        cases.put("use_regex", new String[] {config, tokenizer.replaceFirst("\"use_regex\"\\s*:\\s*true",
                "\"use_regex\": false")});
        for (java.util.Map.Entry<String, String[]> c : cases.entrySet()) {
            Path folder = Files.createDirectories(tmp.resolve(c.getKey()));
            Files.writeString(folder.resolve("config.json"), c.getValue()[0]);
            Files.copy(dir.resolve("model.safetensors"), folder.resolve("model.safetensors"));
            Files.writeString(folder.resolve("tokenizer.json"), c.getValue()[1]);
            assertTrue(!c.getValue()[0].equals(config) || !c.getValue()[1].equals(tokenizer), c.getKey() + " edited");
            rlhf4j.io.DataException e = org.junit.jupiter.api.Assertions.assertThrows(rlhf4j.io.DataException.class,
                    () -> StageCheckpoint.loadToStartFrom(folder), c.getKey());
            assertTrue(e.getMessage().contains(c.getKey()), e.getMessage());
        }
    }

    /** A malformed merges.txt line is reported against merges.txt and its line, not against vocab.json. */
    @Test
    void aBadMergesLineIsNamedByItsLine(@TempDir Path tmp) throws Exception {
        Path dir = fixture();
        Path folder = Files.createDirectories(tmp.resolve("bad-merges"));
        for (String f : List.of("config.json", "model.safetensors", "vocab.json")) {
            Files.copy(dir.resolve(f), folder.resolve(f));
        }
        List<String> merges = new ArrayList<>(Files.readAllLines(dir.resolve("merges.txt")));
        merges.set(2, "oops");
        Files.write(folder.resolve("merges.txt"), merges);
        rlhf4j.io.DataException e = org.junit.jupiter.api.Assertions.assertThrows(rlhf4j.io.DataException.class,
                () -> StageCheckpoint.loadToStartFrom(folder));
        assertTrue(e.getMessage().startsWith(folder.resolve("merges.txt") + ":3:"), e.getMessage());
    }

    private static String withKey(String configJson, String entry) {
        int brace = configJson.indexOf('{');
        return configJson.substring(0, brace + 1) + entry + "," + configJson.substring(brace + 1);
    }

    /** The same model with its tokenizer as one tokenizer.json (as GPT-2's is on the Hub) reads the same. */
    @Test
    void aTokenizerJsonStandsForVocabAndMerges(@TempDir Path tmp) throws Exception {
        Path dir = fixture();
        Path folder = Files.createDirectories(tmp.resolve("gpt2"));
        Files.copy(dir.resolve("config.json"), folder.resolve("config.json"));
        Files.copy(dir.resolve("model.safetensors"), folder.resolve("model.safetensors"));
        Files.copy(dir.getParent().resolve("hf-gpt2-tiny-tokenizer-json/tokenizer.json"), folder.resolve("tokenizer.json"));
        StageCheckpoint.Loaded fromJson = StageCheckpoint.loadToStartFrom(folder);
        StageCheckpoint.Loaded fromPair = StageCheckpoint.loadToStartFrom(dir);
        String text = "The word is the! Theis or worth";
        assertArrayEquals(fromPair.tokenizer().encode(text), fromJson.tokenizer().encode(text));
        assertEquals(fromPair.tokenizer().vocabSize(), fromJson.tokenizer().vocabSize());
        ReferenceLogits.assertMatches(Json.readTree(dir.resolve("expected_logits.json")), fromJson, false,
                "tokenizer.json folder");
    }

    @Test
    void fineTunesThroughSftRmAndPpoAndKeepsItsArchitecture(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("sft.jsonl");
        StringBuilder sb = new StringBuilder();
        for (String w : new String[] {"river", "mill", "bridge", "water", "grain", "stone", "wheel", "cart", "flour",
            "book"}) {
            sb.append("{\"prompt\": \"Repeat: the ").append(w).append("\", \"completion\": \"the ").append(w)
                    .append("\"}\n");
        }
        Files.writeString(data, sb.toString());
        MicroRun run = new MicroRun(tmp);
        MicroRun.Result r = run.train("sft", "--config", run.config.toString(), "--set", "sft.init_from=" + fixture(),
                "--set", "model.block_size=32", "--set", "sft.data.train=" + data, "--set", "sft.data.val_fraction=0.2",
                "--set", "sft.data.test=", "--set", "sft.batch_size=4", "--set", "sft.max_steps=4",
                "--set", "sft.eval_every=4", "--set", "sft.eval_examples=2", "--set", "sft.max_new_tokens=4");
        assertEquals(0, r.code(), r.err());
        Path sft = tmp.resolve("ckpt/micro/sft");
        StageCheckpoint.Loaded tuned = StageCheckpoint.load(sft);
        assertEquals("sft", tuned.stage());
        assertEquals(Activation.GELU_NEW, tuned.spec().activation());
        assertEquals(1e-5, tuned.spec().layerNormEpsilon(), 0.0);
        assertEquals(268, tuned.spec().vocabSize());
        JsonNode config = Json.readTree(sft.resolve(StageCheckpoint.CONFIG));
        assertEquals("gelu_new", config.get("activation_function").asText());
        MicroRun.Result sample = run.train("sample", "--checkpoint", sft.toString(), "--prompt", "Repeat: the mill",
                "--chat", "--max-new-tokens", "4");
        assertEquals(0, sample.code(), sample.err());

        // then the reward model and PPO from that SFT folder, as the pipeline runs them
        StringBuilder prefs = new StringBuilder();
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            prefs.append("{\"prompt\": \"Say a word ").append(i).append("\", \"chosen\": \"yes ").append(i)
                    .append("\", \"rejected\": \"no\"}\n");
            prompts.append("{\"prompt\": \"Say a word ").append(i).append("\"}\n");
        }
        Path prefFile = Files.writeString(tmp.resolve("prefs.jsonl"), prefs.toString());
        Path promptFile = Files.writeString(tmp.resolve("prompts.jsonl"), prompts.toString());
        MicroRun.Result rm = run.train("rm", "--config", run.config.toString(), "--set", "model.block_size=32",
                "--set", "rm.init_from=" + sft, "--set", "rm.data.train=" + prefFile, "--set", "rm.data.from_label=false",
                "--set", "rm.data.val_fraction=0.25", "--set", "rm.data.test=", "--set", "rm.batch_size=4",
                "--set", "rm.max_steps=2", "--set", "rm.eval_every=2", "--set", "rm.eval_pairs=4");
        assertEquals(0, rm.code(), rm.err());
        MicroRun.Result ppo = run.train("ppo", "--config", run.config.toString(), "--set", "model.block_size=32",
                "--set", "ppo.init_from=" + sft, "--set", "ppo.reward_model=" + tmp.resolve("ckpt/micro/rm"),
                "--set", "ppo.data.prompts=" + promptFile, "--set", "ppo.data.val_fraction=0.2", "--set", "ppo.data.test=",
                "--set", "ppo.batch_size=4", "--set", "ppo.num_mini_batches=2", "--set", "ppo.ppo_epochs=1",
                "--set", "ppo.max_new_tokens=4", "--set", "ppo.max_steps=2", "--set", "ppo.eval_every=2",
                "--set", "ppo.eval_prompts=2", "--set", "ppo.checkpoint_every=2");
        assertEquals(0, ppo.code(), ppo.err());
        StageCheckpoint.Loaded policy = StageCheckpoint.load(tmp.resolve("ckpt/micro/ppo"));
        assertEquals(Activation.GELU_NEW, policy.spec().activation());
        assertEquals(268, policy.spec().vocabSize());
    }
}
