package rlhf4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.model.GptSpec;

/** Loading, overrides, errors and round trips of the experiment configuration. */
class ConfigLoaderTest {
    private static ExperimentConfig yaml(String text, String... overrides) {
        return ConfigLoader.parse(text, "test.yaml", List.of(overrides));
    }

    private static String error(String text, String... overrides) {
        return assertThrows(ConfigException.class, () -> yaml(text, overrides)).getMessage();
    }

    private static void assertContains(String message, String expected) {
        assertTrue(message.contains(expected), "expected <" + expected + "> in: " + message);
    }

    @Test
    void defaultsMatchTheDesign() {
        ExperimentConfig c = ConfigLoader.defaults();
        assertEquals(new ModelConfig(2, 4, 128, 128, 0.02), c.model());
        assertEquals(1024, c.tokenizer().vocabSize());
        assertEquals(new RunConfig("tiny", "checkpoints", 1337), c.run());
        PretrainConfig p = c.pretrain();
        assertEquals(List.of("datasets/sotu", "datasets/languagetool/pretrain.txt"), p.data().train());
        assertEquals(0.02, p.data().valFraction());
        assertEquals(16, p.batchSize());
        assertEquals(1000, p.maxSteps());
        assertEquals(3e-3, p.learningRate());
        assertEquals(3e-4, p.minLr());
        assertEquals(1e-8, p.eps());
        assertEquals(List.of("The Congress", "Our nation"), p.samplePrompts());
        assertFalse(p.decayEmbeddings());
        assertEquals(new BenchConfig(8, 10, 3, 8, 48, 8), c.bench());
    }

    @Test
    void emptyDocumentAndEmptySectionsGiveDefaults() {
        assertEquals(ConfigLoader.defaults(), yaml(""));
        assertEquals(ConfigLoader.defaults(), yaml("# nothing\n"));
        assertEquals(ConfigLoader.defaults(), yaml("model:\npretrain:\n"));
        assertEquals(ConfigLoader.defaults(), ConfigLoader.fromMap(Map.of()));
    }

    @Test
    void shippedConfigsLoad() {
        ExperimentConfig tiny = ConfigLoader.load(Path.of("configs/tiny.yaml"));
        assertEquals("tiny", tiny.run().name());
        assertEquals(new ModelConfig(8, 4, 64, 128, 0.02, rlhf4j.model.Norm.LAYERNORM, rlhf4j.model.Position.ROPE),
                tiny.model());
        assertEquals("sentiment", tiny.label().labeler());
        assertEquals(List.of("sentiment", "vader"), tiny.eval().goldJudges());
        assertTrue(tiny.eval().decoding(1).sampled());
        assertEquals(32, tiny.ppo().batchSize());
        assertTrue(tiny.ppo().adaptiveKl());
        assertEquals(0, tiny.ppo().batchSize() % tiny.ppo().numMiniBatches());

        ExperimentConfig grammar = ConfigLoader.load(Path.of("configs/grammar-tiny.yaml"));
        assertEquals("grammar-tiny", grammar.run().name());
        assertEquals(new ModelConfig(8, 4, 64, 192, 0.02, rlhf4j.model.Norm.LAYERNORM, rlhf4j.model.Position.ROPE),
                grammar.model());
        assertEquals(List.of("datasets/grammar/copy.jsonl"), grammar.sft().data().trainExtra());
        assertEquals(List.of("chrf"), grammar.eval().goldJudges());
        assertEquals(16, grammar.pretrain().batchSize());
        assertEquals(3e-3, grammar.pretrain().learningRate());

        ExperimentConfig small = ConfigLoader.load(Path.of("configs/grammar-small.yaml"), List.of());
        assertEquals("grammar-small", small.run().name());
        assertEquals(1024, small.tokenizer().vocabSize());
        ModelConfig m = small.model();
        long params = 12L * m.nLayer() * m.nEmbd() * m.nEmbd()
                + (long) small.tokenizer().vocabSize() * m.nEmbd() + (long) m.blockSize() * m.nEmbd();
        assertTrue(params > 1_500_000 && params < 1_900_000, "about 1.7M parameters, got " + params);
        assertEquals(grammar.sft().data().trainExtra(), small.sft().data().trainExtra());
    }

    @Test
    void partialSectionsKeepOtherDefaults() {
        ExperimentConfig c = yaml("""
                model: {n_layer: 3}
                pretrain:
                  data: {val_fraction: 0.1}
                  learning_rate: 1e-3
                """);
        assertEquals(3, c.model().nLayer());
        assertEquals(128, c.model().nEmbd());
        assertEquals(0.1, c.pretrain().data().valFraction());
        assertEquals(PretrainData.defaults().train(), c.pretrain().data().train());
        assertEquals(1e-3, c.pretrain().learningRate());
    }

    @Test
    void numbersInYamlForms() {
        ExperimentConfig c = yaml("""
                pretrain: {learning_rate: 3e-3, min_lr: 0, eps: 1.0e-8, grad_clip: 2, max_steps: 1e4, batch_size: 32.0, \
                warmup_steps: 1_000}
                run: {seed: -5, name: 2024}
                """);
        assertEquals(3e-3, c.pretrain().learningRate());
        assertEquals(0.0, c.pretrain().minLr());
        assertEquals(1e-8, c.pretrain().eps());
        assertEquals(2.0, c.pretrain().gradClip());
        assertEquals(10_000, c.pretrain().maxSteps());
        assertEquals(32, c.pretrain().batchSize());
        assertEquals(1000, c.pretrain().warmupSteps());
        assertEquals(-5, c.run().seed());
        assertEquals("2024", c.run().name());
    }

    @Test
    void overridesOfEveryType() {
        ExperimentConfig c = yaml("model: {n_layer: 3}\n",
                "model.n_layer=4", "pretrain.learning_rate=1e-2", "pretrain.decay_embeddings=true",
                "run.name=exp-2", "run.out_dir=/tmp/out dir", "run.seed=7", "pretrain.skip_nonfinite=yes");
        assertEquals(4, c.model().nLayer());
        assertEquals(1e-2, c.pretrain().learningRate());
        assertTrue(c.pretrain().decayEmbeddings());
        assertTrue(c.pretrain().skipNonfinite());
        assertEquals("exp-2", c.run().name());
        assertEquals("/tmp/out dir", c.run().outDir());
        assertEquals(7, c.run().seed());
    }

    @Test
    void listOverrides() {
        assertEquals(List.of("a.txt"), yaml("", "pretrain.data.train=a.txt").pretrain().data().train());
        assertEquals(List.of("a.txt", "b.txt"), yaml("", "pretrain.data.train=a.txt, b.txt").pretrain().data().train());
        assertEquals(List.of("Hi, you", "Bye"),
                yaml("", "pretrain.sample_prompts=[\"Hi, you\", Bye]").pretrain().samplePrompts());
        assertEquals(List.of(), yaml("", "pretrain.sample_prompts=").pretrain().samplePrompts());
        assertEquals(List.of("x"), yaml("pretrain: {data: {train: x}}").pretrain().data().train());
    }

    @Test
    void laterOverridesWinAndOverridesBeatTheFile() {
        ExperimentConfig c = yaml("pretrain: {batch_size: 4}\n", "pretrain.batch_size=8", "pretrain.batch_size=12");
        assertEquals(12, c.pretrain().batchSize());
        assertEquals(4, ConfigLoader.withOverrides(c, List.of("pretrain.batch_size=4")).pretrain().batchSize());
        assertEquals(c.model(), ConfigLoader.withOverrides(c, List.of("pretrain.batch_size=4")).model());
    }

    @Test
    void unknownKeysAreNamedWithASuggestion() {
        String m = error("pretrain:\n  max_stepz: 5\n");
        assertContains(m, "unknown key pretrain.max_stepz");
        assertContains(m, "did you mean pretrain.max_steps?");
        assertContains(m, "test.yaml:2");
        assertContains(error("pretrain: {data: {trian: [a]}}"), "unknown key pretrain.data.trian");
        assertContains(error("modle: {n_layer: 2}"), "did you mean model?");
        assertContains(error("model: {nLayer: 2}"), "did you mean model.n_layer?");
        assertContains(error("model: {zzzzzzzzzz: 2}"), "known keys in model: n_layer, n_head");
        assertContains(error("", "pretrain.max_stepz=5"), "unknown key pretrain.max_stepz");
        assertContains(error("", "pretrainn.max_steps=5"), "unknown key pretrainn");
        assertContains(ConfigLoader.parse("", "x", List.of()).toString(), "ExperimentConfig");
    }

    @Test
    void wrongTypesNameTheKey() {
        assertContains(error("pretrain: {batch_size: abc}"), "pretrain.batch_size: expected an integer, got \"abc\"");
        assertContains(error("pretrain: {batch_size: 1.5}"), "pretrain.batch_size: expected an integer, got \"1.5\"");
        assertContains(error("model: {n_layer: 99999999999}"), "model.n_layer: \"99999999999\" is out of range");
        assertContains(error("pretrain: {learning_rate: fast}"), "pretrain.learning_rate: expected a number, got \"fast\"");
        assertContains(error("pretrain: {learning_rate: .nan}"), "pretrain.learning_rate: expected a number");
        assertContains(error("pretrain: {decay_embeddings: maybe}"), "pretrain.decay_embeddings: expected true or false");
        assertContains(error("pretrain: {data: {train: {a: 1}}}"), "pretrain.data.train: expected a list, got a section");
        assertContains(error("pretrain: {sample_prompts: [a, [b]]}"), "pretrain.sample_prompts: item 2: expected a string, got a list");
        assertContains(error("model: 5"), "model: expected a section (a map of keys), got \"5\"");
        assertContains(error("model: {n_layer: }"), "model.n_layer: expected an integer, got nothing");
        assertContains(error("run: {name: [a]}"), "run.name: expected a string, got a list");
        assertContains(error("- a\n- b\n"), "expected a map of sections");
        assertContains(error("", "pretrain.batch_size=abc"), "--set: pretrain.batch_size: expected an integer, got \"abc\"");
        assertContains(error("model:\n  n_layer: x\n"), "test.yaml:2: model.n_layer:");
    }

    @Test
    void aWarmupLongerThanTheRunIsAccepted() {
        assertEquals(10, yaml("pretrain: {warmup_steps: 10, max_steps: 5}").pretrain().warmupSteps());
    }

    @Test
    void bestOfSamplesAtItsOwnTemperatureOrTheRollouts() {
        assertEquals(0.7, yaml("ppo: {temperature: 0.7}").ppo().bestOfSamplingTemperature());
        assertEquals(0.3, yaml("ppo: {temperature: 0.7, best_of_temperature: 0.3}").ppo().bestOfSamplingTemperature());
        assertContains(error("ppo: {best_of_temperature: -1}"), "ppo.best_of_temperature: must be 0 (ppo.temperature) or positive");
    }

    @Test
    void validationNamesTheKey() {
        assertContains(error("model: {n_embd: 100, n_head: 3}"), "model.n_embd: 100 is not divisible by model.n_head (3)");
        assertContains(error("model: {n_layer: 0}"), "model.n_layer: must be positive");
        assertContains(error("model: {norm: batchnorm}"), "model.norm");
        assertContains(error("model: {norm: batchnorm}"), "layernorm, rmsnorm");
        assertContains(error("model: {n_embd: 12, n_head: 4, position: rope}"),
                "model.position: rope needs an even head size, model.n_embd / model.n_head is 3");
        assertContains(error("tokenizer: {vocab_size: 260}"), "tokenizer.vocab_size: must be at least 261");
        assertContains(error("pretrain: {data: {val_fraction: 1}}"), "pretrain.data.val_fraction: must be between 0 and 1");
        assertContains(error("pretrain: {data: {train: []}}"), "pretrain.data.train: must name at least one");
        assertContains(error("pretrain: {min_lr: 0.1}"), "pretrain.min_lr: must be between 0 and pretrain.learning_rate (0.003), got 0.1");
        assertContains(error("", "pretrain.learning_rate=1e-4"), "pretrain.min_lr: must be between 0 and pretrain.learning_rate (1e-4), got 3e-4");
        assertContains(error("pretrain: {beta2: 1}"), "pretrain.beta2: must be in [0, 1)");
        assertContains(error("pretrain: {eps: 0}"), "pretrain.eps: must be positive");
        assertContains(error("pretrain: {grad_clip: -1}"), "pretrain.grad_clip: must not be negative");
        assertContains(error("pretrain: {weight_decay: -0.1}"), "pretrain.weight_decay: must not be negative");
        assertContains(error("pretrain: {learning_rate: 0}"), "pretrain.learning_rate: must be positive");
        assertContains(error("run: {name: ../etc}"), "run.name: \"../etc\" is not a safe folder name");
        assertContains(error("", "run.name=a/b"), "--set: run.name:");
        ConfigKeyException e = assertThrows(ConfigKeyException.class, () -> yaml("model:\n  n_head: 3\n"));
        assertEquals("model.n_embd", e.key());
        assertEquals("test.yaml", e.origin());
    }

    /** The LLaMA-family keys reach the spec; 0 for n_kv_head and mlp_hidden follows n_head and n_embd. */
    @Test
    void llamaKeysMakeTheSpec() {
        GptSpec llama = yaml("model: {n_layer: 2, n_head: 8, n_embd: 64, norm: rmsnorm, position: rope, "
                + "n_kv_head: 2, mlp: swiglu, mlp_hidden: 176, bias: none, rope_theta: 500000, rms_norm_eps: 1e-5, "
                + "tie_word_embeddings: false}\n").model().spec(300);
        assertEquals(new rlhf4j.model.GptSpec(2, 8, 64, 128, 300, rlhf4j.model.Norm.RMSNORM,
                rlhf4j.model.Position.ROPE).withKvHeads(2).withMlp(rlhf4j.model.Mlp.SWIGLU, 176)
                .withBias(rlhf4j.model.Bias.NONE).withRopeTheta(500_000).withRmsNormEpsilon(1e-5).withTiedHead(false),
                llama);
        GptSpec gpt2 = yaml("model: {n_head: 8, n_embd: 64}\n").model().spec(300);
        assertEquals(8, gpt2.nKvHead());
        assertEquals(256, gpt2.mlpHidden());
        assertEquals(new rlhf4j.model.GptSpec(2, 8, 64, 128, 300), gpt2);
        assertEquals(rlhf4j.model.Bias.QKV, yaml("", "model.bias=qkv").model().spec(300).bias());
    }

    @Test
    void llamaKeysAreValidated() {
        assertContains(error("model: {n_head: 4, n_kv_head: 3}"),
                "model.n_kv_head: 3 does not divide model.n_head (4)");
        assertContains(error("model: {n_kv_head: -1}"), "model.n_kv_head: must be positive (or 0 for n_head), got -1");
        assertContains(error("model: {mlp: relu}"), "gelu, swiglu");
        assertContains(error("model: {bias: some}"), "all, none, qkv");
        assertContains(error("model: {mlp_hidden: -4}"), "model.mlp_hidden: must be positive");
        assertContains(error("model: {rope_theta: 0}"), "model.rope_theta: must be a positive number");
        assertContains(error("model: {rms_norm_eps: 1}"), "model.rms_norm_eps: must be in [0, 1)");
    }

    @Test
    void recordsValidateWithoutTheBinder() {
        ConfigKeyException e = assertThrows(ConfigKeyException.class, () -> new ModelConfig(2, 3, 100, 128, 0.02));
        assertEquals("n_embd: 100 is not divisible by n_head (3)", e.getMessage());
    }

    @Test
    void malformedOverridesAreNamed() {
        assertContains(error("", "model.n_layer"), "invalid --set \"model.n_layer\": expected dotted.key=value");
        assertContains(error("", "=3"), "invalid --set \"=3\"");
        assertContains(error("", "model=3"), "model is a section; set one of its keys, e.g. model.n_layer=...");
        assertContains(error("", "model.n_layer.x=3"), "model.n_layer is an integer, not a section");
        assertContains(error("", "pretrain.sample_prompts=[a, b"), "invalid YAML");
    }

    @Test
    void syntaxErrorsGiveFileAndLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "run:\n  name: tiny\nmodel: {n_layer: 2\npretrain:\n  batch_size: 4\n");
        String m = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of())).getMessage();
        assertTrue(m.startsWith(file + ":"), m);
        assertContains(m, "invalid YAML");
        Files.writeString(file, "model:\n  n_layer: 2\n  n_layer: 3\n");
        m = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of())).getMessage();
        assertContains(m, file + ":3: duplicate key model.n_layer");
        Files.writeString(file, "model:\n\tn_layer: 2\n");
        m = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of())).getMessage();
        assertContains(m, file + ":2: invalid YAML");
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");
        String m = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing, List.of())).getMessage();
        assertContains(m, "config file not found: " + missing);
        m = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir, List.of())).getMessage();
        assertContains(m, dir.toString());
    }

    @Test
    void aliasBombsAreRefusedBeforeTheyExpand() {
        StringBuilder bomb = new StringBuilder("b0: &b0 [x, x]\n");
        for (int i = 1; i <= 24; i++) {
            bomb.append("y").append(i).append(": &b").append(i).append(" [*b").append(i - 1).append(", *b")
                    .append(i - 1).append("]\n");
        }
        assertTrue(bomb.length() < 2000, "a small file");
        String message = error(bomb.toString());
        assertTrue(message.contains("expands to more than"), message);
        assertTrue(message.startsWith("test.yaml:"), message);

        StringBuilder wide = new StringBuilder("s0: &s0 '" + "x".repeat(5000) + "'\n");
        for (int i = 1; i <= 12; i++) {
            wide.append("s").append(i).append(": &s").append(i).append(" [*s").append(i - 1).append(", *s")
                    .append(i - 1).append("]\n");
        }
        assertTrue(error(wide.toString()).contains("characters of values"), "few nodes, long strings");
    }

    @Test
    void aConfigFileOverOneMegabyteIsRefused(@org.junit.jupiter.api.io.TempDir Path tmp) throws java.io.IOException {
        Path big = tmp.resolve("big.yaml");
        java.nio.file.Files.writeString(big, "# " + "x".repeat(10 << 20) + "\nrun: {name: a}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(big));
        assertTrue(e.getMessage().startsWith(big + ": ") && e.getMessage().contains("kB"), e.getMessage());
    }

    @Test
    void toMapRoundTrips() {
        ExperimentConfig c = yaml("", "model.n_layer=5", "pretrain.sample_prompts=a,b", "pretrain.learning_rate=1e-4", "pretrain.min_lr=1e-5",
                "run.seed=-1", "pretrain.decay_embeddings=true");
        Map<String, Object> map = ConfigLoader.toMap(c);
        assertEquals(List.of("run", "model", "tokenizer", "pretrain", "sft", "label", "rm", "ppo", "dpo", "grpo", "eval", "pipeline", "bench", "distributed"), List.copyOf(map.keySet()));
        @SuppressWarnings("unchecked")
        Map<String, Object> model = (Map<String, Object>) map.get("model");
        assertEquals(5, model.get("n_layer"));
        assertEquals(0.02, model.get("init_std"));
        assertEquals(c, ConfigLoader.fromMap(map));
        assertEquals(ConfigLoader.defaults(), ConfigLoader.fromMap(ConfigLoader.toMap(ConfigLoader.defaults())));
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "dump.yaml", List.of()));
        ExperimentConfig small = ConfigLoader.load(Path.of("configs/grammar-small.yaml"));
        assertEquals(small, ConfigLoader.parse(ConfigLoader.toYaml(small), "dump.yaml", List.of()));
    }

    @Test
    void toMapSurvivesJson() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        ExperimentConfig c = ConfigLoader.load(Path.of("configs/tiny.yaml"));
        @SuppressWarnings("unchecked")
        Map<String, Object> back = json.readValue(json.writeValueAsString(ConfigLoader.toMap(c)), Map.class);
        assertEquals(c, ConfigLoader.fromMap(back));
    }

    /** A setting of a part the model does not have leaves the spec as it is, so resume does not depend on it. */
    @Test
    void settingsOfAbsentPartsDoNotChangeTheSpec() {
        GptSpec plain = ConfigLoader.parse("model: {position: learned}\n", "t.yaml", List.of()).model().spec(300);
        GptSpec set = ConfigLoader.parse("model: {position: learned, rope_theta: 500000, rms_norm_eps: 1e-5}\n",
                "t.yaml", List.of()).model().spec(300);
        assertEquals(plain, set);
        GptSpec rope = ConfigLoader.parse("model: {position: rope, norm: rmsnorm, rope_theta: 500000}\n",
                "t.yaml", List.of()).model().spec(300);
        assertEquals(500_000.0, rope.ropeTheta(), 0.0);
    }
}
