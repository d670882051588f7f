package rlhf4j.stage.pipeline;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.data.PromptData;
import rlhf4j.data.PromptExample;
import rlhf4j.data.TaskFiles;
import rlhf4j.eval.CopyBaseline;
import rlhf4j.eval.GenerationEval;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.report.SideBySide;
import rlhf4j.tokenizer.Message;
import rlhf4j.train.StageDir;

/**
 * The same held-out prompts answered by the pretrained, SFT, PPO, DPO and GRPO models of a run, for the
 * report: {@link #PROMPTS} rows of the PPO test file (they carry reference answers), one of them a correct
 * sentence that must come back unchanged when the file has one. Stages without a checkpoint are left out.
 */
final class SideBySideAnswers {
    static final int PROMPTS = 6;
    private static final List<String> MODELS = List.of("pretrain", "sft", "ppo", "dpo", "grpo");

    private SideBySideAnswers() {}

    /**
     * The first {@link #PROMPTS} rows, with the last of them swapped for the file's first row whose reference is
     * its input unchanged when none of them is one: the table shows whether a model leaves a correct input alone.
     */
    static List<PromptExample> pick(List<PromptExample> all, CopyBaseline copy) {
        List<PromptExample> rows = new ArrayList<>(all.subList(0, Math.min(PROMPTS, all.size())));
        if (rows.size() < PROMPTS || rows.stream().anyMatch(p -> unchanged(p, copy))) {
            return rows;
        }
        all.stream().filter(p -> unchanged(p, copy)).findFirst().ifPresent(p -> rows.set(PROMPTS - 1, p));
        return rows;
    }

    private static boolean unchanged(PromptExample p, CopyBaseline copy) {
        return p.reference() != null && copy.answer(p.prompt()).map(in -> in.equals(p.reference().strip())).orElse(false);
    }

    static List<SideBySide> collect(ExperimentConfig config, Engine engine, PrintStream out) {
        String file = config.ppo().data().test().isEmpty() ? config.ppo().data().prompts() : config.ppo().data().test();
        List<PromptExample> prompts = pick(PromptData.read(TaskFiles.ensure(Path.of(file), out)),
                new CopyBaseline(config.eval().copyPrefix()));
        List<GenerationEval.Item> items = prompts.stream()
                .map(p -> new GenerationEval.Item(p.prompt(), p.reference() == null ? "" : p.reference())).toList();
        Map<String, List<String>> byStage = new LinkedHashMap<>();
        for (String stage : MODELS) {
            Path dir = StageDir.of(config.run(), stage);
            if (!StageCheckpoint.exists(dir)) {
                continue;
            }
            StageCheckpoint.Loaded ckpt = StageCheckpoint.load(dir);
            GenerationEval.Result r = GenerationEval.run(new Gpt(ckpt.spec(), ckpt.params(), engine).decoder(),
                    ckpt.tokenizer(), items, items.size(), config.ppo().maxNewTokens(), config.eval().decoding(config.run().seed()));
            byStage.put(stage, r.answers().stream().map(GenerationEval.Answer::output).toList());
        }
        List<SideBySide> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            Map<String, String> answers = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> e : byStage.entrySet()) {
                answers.put(e.getKey(), e.getValue().get(i));
            }
            List<Message> prompt = prompts.get(i).prompt();
            rows.add(new SideBySide(prompt.get(prompt.size() - 1).content(), prompts.get(i).reference(),
                    answers));
        }
        return rows;
    }
}
