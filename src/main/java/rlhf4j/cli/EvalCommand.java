package rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.data.PromptData;
import rlhf4j.data.PromptExample;
import rlhf4j.eval.AnswersFile;
import rlhf4j.eval.CopyBaseline;
import rlhf4j.eval.Evaluator;
import rlhf4j.eval.JudgedComparison;
import rlhf4j.eval.RewardModel;
import rlhf4j.eval.RewardNorm;
import rlhf4j.eval.judge.Judge;
import rlhf4j.eval.judge.Judges;
import rlhf4j.generate.Decoding;
import rlhf4j.io.DataException;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;

/**
 * {@code ./train eval}: scores a checkpoint on a file — a {@code .txt} gives LM loss, perplexity and
 * bits per byte; a {@code .jsonl}/{@code .csv} of prompts with reference completions gives the
 * masked loss of the references and greedy answers scored by exact match and chrF; a reward model
 * (a checkpoint with a score head) and a {@code .jsonl}/{@code .csv} of preference pairs give accuracy,
 * loss, margin and reward statistics.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Score a checkpoint on a file (text: loss/bpb; prompts with completions: exact match, chrF; "
        + "reward model + preference pairs: accuracy, margin).")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "a stage folder")
    Path checkpoint;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = ".txt, or .jsonl/.csv with prompt and completion (preference pairs for a reward model)")
    Path data;

    @Option(names = "--limit", defaultValue = "0", description = "score at most N prompts or windows; 0 = all")
    int limit;

    @Option(names = "--held-out", defaultValue = "0", paramLabel = "FRACTION", description = "score only the prompts "
            + "a stage with this val_fraction holds out for validation (sft.data.val_fraction: 0.05 in the shipped "
            + "configs), e.g. the SFT held-out split of datasets/grammar/sft.jsonl; 0 = every prompt (default)")
    double heldOut;

    @Option(names = "--max-new-tokens", defaultValue = "48", description = "longest generated answer (default ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--beams", defaultValue = "1", paramLabel = "K", description = "decode the answers by beam "
            + "search with K beams; 1 = greedy (default)")
    int beams;

    @Option(names = "--length-penalty", defaultValue = "1.0", description = "beam search: an answer scores its summed "
            + "log-probability over its length to this power (default ${DEFAULT-VALUE})")
    double lengthPenalty;

    @Option(names = "--sample", defaultValue = "0", paramLabel = "T", description = "sample the answers at "
            + "temperature T instead of decoding them (each prompt from a generator seeded by --seed and the prompt, "
            + "as eval.temperature does); 0 = greedy or --beams (default)")
    double sample;

    @Option(names = "--top-p", defaultValue = "1.0", paramLabel = "P", description = "with --sample: nucleus sampling "
            + "mass; 1 = off (default)")
    double topP;

    @Option(names = "--judge", paramLabel = "NAME", description = "score the answers with this judge (repeatable: "
            + "chrf, sentiment, vader; the first is the measure win rates are first given by): the pipeline's gold "
            + "evaluation for any checkpoint, on .jsonl/.csv prompts")
    List<String> judges = new ArrayList<>();

    @Option(names = "--against", paramLabel = "DIR", description = "a second policy that answers the same prompts "
            + "(same decoding, same random numbers per prompt): --checkpoint's win rate against it by each judge, "
            + "with 95%% bootstrap intervals (default judge: chrf)")
    Path against;

    @Option(names = "--lexicons", defaultValue = "datasets/lexicons", paramLabel = "DIR", description = "folder of the "
            + "sentiment lexicons (fetched there on first use; default ${DEFAULT-VALUE})")
    Path lexicons;

    @Option(names = "--known-words", paramLabel = "FILE", description = "the sentiment judge's known words, one a "
            + "line (e.g. datasets/continuation/words.txt); each word outside them costs 1 point")
    Path knownWords;

    @Option(names = "--show", defaultValue = "3", description = "answers to print (default ${DEFAULT-VALUE})")
    int show;

    @Option(names = "--reward-model", paramLabel = "DIR", description = "an rm stage folder: answer the prompts "
            + "(greedy, or --beams) and report mean reward, KL to the reference, length (and exact match/chrF with references)")
    Path rewardModel;

    @Option(names = "--reference", paramLabel = "DIR", description = "policy the KL is measured against (default: "
            + "a ppo checkpoint's init_from, else the checkpoint itself)")
    Path reference;

    @Option(names = "--temperature", defaultValue = "0.7", description = "temperature of the distributions the KL "
            + "compares (default ${DEFAULT-VALUE}, as ppo.temperature)")
    double temperature;

    @Option(names = "--best-of", defaultValue = "0", paramLabel = "K", description = "with --reward-model: also answer "
            + "each prompt K times and let the reward model pick one (rejection sampling), scored against the "
            + "references next to the greedy answers with the paired difference; 0 = off (default)")
    int bestOf;

    @Option(names = "--best-of-temperature", defaultValue = "0.7", paramLabel = "T", description = "sampling "
            + "temperature of the --best-of answers (default ${DEFAULT-VALUE})")
    double bestOfTemperature;

    @Option(names = "--seed", defaultValue = "1337", description = "seed of the --best-of sampling (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--answers", paramLabel = "OUT.jsonl", description = "also write every prompt's answer, one "
            + "JSON object a line (prompt, reference, answer, and its scores)")
    Path answers;

    @Option(names = "--copy-prefix", defaultValue = "Correct this sentence: ", paramLabel = "TEXT", description = "the "
            + "copy baseline answers each prompt with its text minus this prefix, when every prompt starts with it "
            + "(default \"${DEFAULT-VALUE}\"; empty = none)")
    String copyPrefix;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        if (limit < 0 || maxNewTokens < 1) {
            throw new ConfigException("--limit must be >= 0 and --max-new-tokens >= 1");
        }
        if (!(heldOut >= 0 && heldOut < 1)) {
            throw new ConfigException("--held-out must be in [0, 1), got " + heldOut);
        }
        if (beams < 1 || beams > 64 || !Double.isFinite(lengthPenalty)) {
            throw new ConfigException("--beams must be between 1 and 64 and --length-penalty a finite number");
        }
        if (!(sample >= 0) || Double.isInfinite(sample) || !(topP > 0 && topP <= 1) || (sample > 0 && beams > 1)) {
            throw new ConfigException("--sample must be a temperature >= 0 (not with --beams) and --top-p in (0, 1]");
        }
        Decoding decoding = new Decoding(beams, lengthPenalty, sample, topP, seed);
        if (bestOf != 0 && rewardModel == null) {
            throw new ConfigException("--best-of needs --reward-model: the reward model picks one of the K answers");
        }
        String name = data.getFileName().toString();
        if (heldOut > 0 && (rewardModel != null || name.endsWith(".txt"))) {
            throw new ConfigException("--held-out selects prompts with references: use it without --reward-model, "
                    + "on a .jsonl/.csv of prompts and completions");
        }
        if (answers != null && name.endsWith(".txt")) {
            throw new ConfigException("--answers writes generated answers: --data must be a .jsonl/.csv of prompts, "
                    + "not a text file");
        }
        if (answers != null) {
            checkAnswersPath();
        }
        boolean judged = !judges.isEmpty() || against != null;
        if (judged && (rewardModel != null || name.endsWith(".txt") || heldOut > 0)) {
            throw new ConfigException("--judge and --against score answers to .jsonl/.csv prompts: not with "
                    + "--reward-model, --held-out or a .txt file");
        }
        StageCheckpoint.Loaded ckpt = StageCheckpoint.loadToStartFrom(checkpoint);
        Engine engine = Engine.launcher().at(ckpt.precision());  // the launcher's choice, in the model's precision
        Gpt gpt = new Gpt(ckpt.spec(), ckpt.params(), engine);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("checkpoint", checkpoint.toString());
        result.put("stage", ckpt.stage());
        result.put("data", data.toString());
        if (judged) {
            result.putAll(judged(ckpt, gpt, engine, decoding));
        } else if (rewardModel != null) {
            if (gpt.hasScoreHead() || name.endsWith(".txt")) {
                throw new ConfigException("--reward-model scores a policy's answers: --checkpoint must be a policy "
                        + "(sft or ppo folder) and --data a .jsonl/.csv of prompts");
            }
            Evaluator.Policy policy = Evaluator.policy(checkpoint, ckpt, rewardModel, reference, data, limit,
                    maxNewTokens, decoding, temperature, show, new Evaluator.BestOf(bestOf, bestOfTemperature, seed), engine);
            result.putAll(policy.metrics());
            if (answers != null) {
                AnswersFile.write(answers, AnswersFile.ofPolicy(policy.answers()));
            }
        } else if (gpt.hasScoreHead()) {
            if (heldOut > 0) {
                throw new ConfigException("--held-out selects prompts to answer: " + checkpoint + " is a reward model");
            }
            if (answers != null) {
                throw new ConfigException("--answers writes a policy's answers: " + checkpoint + " is a reward model "
                        + "(give it as --reward-model with a policy as --checkpoint)");
            }
            if (name.endsWith(".txt")) {
                throw new ConfigException(checkpoint + " is a reward model: --data must be a .jsonl/.csv of "
                        + "preference pairs (prompt, chosen, rejected)");
            }
            result.putAll(Evaluator.preferences(new RewardModel(gpt, ckpt.tokenizer(), RewardNorm.read(checkpoint)),
                    data, limit));
        } else if (name.endsWith(".txt")) {
            result.putAll(Evaluator.text(gpt, ckpt.tokenizer(), data, limit));
        } else {
            Evaluator.Conversations conv = Evaluator.conversations(gpt, ckpt.tokenizer(), data, limit, heldOut,
                    maxNewTokens, decoding, new CopyBaseline(copyPrefix));
            result.putAll(conv.metrics());
            if (answers != null) {
                AnswersFile.write(answers, AnswersFile.of(conv.answers()));
            }
            conv.answers().stream().limit(show).forEach(a -> System.out.println(
                    a.item().prompt().get(a.item().prompt().size() - 1).content() + " → " + a.output()
                            + (a.exact() ? "  [exact]" : "  [ref: " + a.item().reference() + "]")));
        }
        System.out.println(Json.toString(result).replaceAll("\\s*\\n\\s*", " "));
        return 0;
    }

    /**
     * --answers must not replace what the evaluation reads, nor write into a stage folder: a path that is --data,
     * or lies in --checkpoint, --reward-model, --reference, --against or any folder holding a stage's state, is
     * refused before anything is computed.
     */
    private void checkAnswersPath() {
        Path out = answers.toAbsolutePath().normalize();
        if (out.equals(data.toAbsolutePath().normalize()) || sameFile(out, data)) {
            throw new ConfigException("--answers " + answers + " is the --data file: give another path");
        }
        for (Path dir : Arrays.asList(checkpoint, rewardModel, reference, against)) {
            if (dir != null && out.startsWith(dir.toAbsolutePath().normalize())) {
                throw new ConfigException("--answers " + answers + " lies in the checkpoint folder " + dir
                        + ": give a path outside it");
            }
        }
        Path parent = out.getParent();
        if (parent != null && Files.exists(parent.resolve(StageCheckpoint.TRAINER_STATE))) {
            throw new ConfigException("--answers " + answers + " lies in the stage folder " + parent
                    + ": give a path outside it");
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** The judges' verdict on this checkpoint's answers, and on --against's beside them. */
    private Map<String, Object> judged(StageCheckpoint.Loaded ckpt, Gpt gpt, Engine engine, Decoding decoding) {
        if (gpt.hasScoreHead()) {
            throw new ConfigException("--judge scores a policy's answers: " + checkpoint + " is a reward model");
        }
        List<String> names = judges.isEmpty() ? List.of("chrf") : judges;
        Set<String> known = knownWords == null ? Set.of()
                : Judges.knownWords(knownWords);
        List<Judge> list = names.stream()
                .map(n -> Judges.create(n, lexicons, known, System.err)).toList();
        List<PromptExample> prompts = PromptData.read(data);
        if (limit > 0 && prompts.size() > limit) {
            prompts = prompts.subList(0, limit);
        }
        if (prompts.isEmpty()) {
            throw new DataException(data, "holds no prompts");
        }
        if (list.stream().anyMatch(Judge::needsReference)
                && prompts.stream().anyMatch(p -> p.reference() == null)) {
            throw new DataException(data, "has prompts without a completion, and chrf scores against it");
        }
        List<JudgedComparison.Contender> systems = new ArrayList<>();
        if (against != null) {
            StageCheckpoint.Loaded other = StageCheckpoint.loadToStartFrom(against);
            if (!other.tokenizer().fingerprint().equals(ckpt.tokenizer().fingerprint())) {
                throw new ConfigException("--against " + against + " uses a different tokenizer from " + checkpoint);
            }
            systems.add(new JudgedComparison.Contender(against.toString(),
                    new Gpt(other.spec(), other.params(), engine)));
        }
        systems.add(new JudgedComparison.Contender(checkpoint.toString(), gpt));
        JudgedComparison.Result r = JudgedComparison.run(systems, ckpt.tokenizer(), prompts,
                list, maxNewTokens, decoding, seed);
        System.out.println(r.gold().table());
        if (answers != null) {
            AnswersFile.write(answers, AnswersFile.ofJudged(prompts, r));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("decoding", decoding.label());
        m.put("gold", r.gold().toMap());
        return m;
    }
}
