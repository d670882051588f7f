package rlhf4j.eval;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.data.ConversationBatch;
import rlhf4j.data.RankingExample;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.LastToken;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * A reward model as its users see it ({@code ./train eval}, PPO, GRPO): a GPT with a score head and the
 * normalisation fitted after training. A (prompt, response) pair is rendered with the chat template as
 * the prompt's turns plus {@code assistant(response)}, and scored at the response's {@code <|im_end|>}
 * (the batches drop the trailing newline, as {@link ConversationBatch} does for targets); a pair longer
 * than block_size + 1 tokens keeps its last block_size + 1 (the start of the prompt is cut, the response
 * and the scored token stay).
 */
public final class RewardModel {
    /** Sequences per forward pass; a short last batch is filled with copies so only a few graph shapes exist. */
    public static final int BATCH = 32;

    private final Gpt gpt;
    private final BpeTokenizer tokenizer;
    private final ChatTemplate template;
    private final RewardNorm norm;
    private final int pad;

    /** @param gpt a model with a score head (its live parameters: scores follow training) */
    public RewardModel(Gpt gpt, BpeTokenizer tokenizer, RewardNorm norm) {
        if (!gpt.hasScoreHead()) {
            throw new IllegalArgumentException("a reward model needs a score head");
        }
        this.gpt = gpt;
        this.tokenizer = tokenizer;
        this.template = ChatTemplate.of(tokenizer);
        this.norm = norm;
        this.pad = tokenizer.id(SpecialTokens.PAD);
    }

    /**
     * The reward model of an rm stage folder, with its {@code reward_norm.json} (identity when the run
     * has not finished). A checkpoint without a score head is a usage error naming the folder.
     */
    public static RewardModel load(Path dir, Engine engine) {
        StageCheckpoint.Loaded ckpt = StageCheckpoint.load(dir);
        Gpt gpt = new Gpt(ckpt.spec(), ckpt.params(), engine);
        if (!gpt.hasScoreHead()) {
            throw new ConfigException(dir + " is a " + ckpt.stage() + " checkpoint without a score head "
                    + "(score.weight): a reward model is an rm stage folder (./train rm)");
        }
        return new RewardModel(gpt, ckpt.tokenizer(), RewardNorm.read(dir));
    }

    /**
     * The frozen reward model an RL stage (ppo, grpo) scores its answers with, from {@code dir}, checked for what the
     * stage needs: a checkpoint with a score head and the policy's tokenizer; a note on {@code out} when its
     * normalisation was never fitted (the rm run did not finish). Errors name {@code key}.
     */
    public static RewardModel forPolicy(Path dir, String key, BpeTokenizer policyTokenizer, Engine engine,
                                        PrintStream out) {
        if (!StageCheckpoint.exists(dir)) {
            throw new ConfigException(key + ": " + dir + " holds no checkpoint (run ./train rm first, or set " + key + ")");
        }
        RewardModel model;
        try {
            model = load(dir, engine);
        } catch (ConfigException e) {
            throw new ConfigException(key + ": " + e.getMessage());
        }
        if (!model.tokenizer().fingerprint().equals(policyTokenizer.fingerprint())) {
            throw new ConfigException(key + ": " + dir + " uses a different tokenizer from the policy (the reward model "
                    + "must be trained from the same run's checkpoints)");
        }
        if (!model.norm().fitted()) {
            out.printf("note: %s has no reward normalisation (its run did not finish): its raw scores are the reward%n",
                    dir);
        }
        return model;
    }

    public Gpt gpt() {
        return gpt;
    }

    public BpeTokenizer tokenizer() {
        return tokenizer;
    }

    public RewardNorm norm() {
        return norm;
    }

    /** Whether rendering prompt + response needs more than block_size + 1 tokens. */
    public boolean truncates(ChatTemplate.Rendered full) {
        return full.length() > gpt.spec().blockSize() + 1;
    }

    /** Prompt + assistant(response), left-truncated to block_size + 1 tokens. */
    public ChatTemplate.Rendered render(List<Message> prompt, String response) {
        return fit(renderFull(prompt, response));
    }

    /** Prompt + assistant(response), whole. */
    public ChatTemplate.Rendered renderFull(List<Message> prompt, String response) {
        List<Message> conv = new ArrayList<>(prompt);
        conv.add(Message.assistant(response));
        return template.render(conv);
    }

    /** Keeps the last block_size + 1 tokens. */
    public ChatTemplate.Rendered fit(ChatTemplate.Rendered r) {
        int keep = gpt.spec().blockSize() + 1;
        if (r.length() <= keep) {
            return r;
        }
        int from = r.length() - keep;
        return new ChatTemplate.Rendered(Arrays.copyOfRange(r.ids(), from, r.length()),
                Arrays.copyOfRange(r.lossMask(), from, r.length()));
    }

    /**
     * Raw scores of rendered sequences (each at most block_size + 1 tokens) [N]. Rows are batched in order
     * of length, so each batch pads to the shortest bucket that fits it.
     */
    public double[] rawScoresFlat(List<ChatTemplate.Rendered> rows) {
        Integer[] order = new Integer[rows.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> rows.get(i).length()));
        double[] out = new double[rows.size()];
        for (int from = 0; from < order.length; from += BATCH) {
            int n = Math.min(BATCH, order.length - from);
            List<ChatTemplate.Rendered> batch = new ArrayList<>(BATCH);
            for (int i = 0; i < n; i++) {
                batch.add(rows.get(order[from + i]));
            }
            while (batch.size() < BATCH) {
                batch.add(batch.get(0));
            }
            ConversationBatch b = ConversationBatch.of(batch, gpt.spec().blockSize(), pad);
            double[] score = LastToken.scores(gpt.forward(HeadRequest.scalar(), b.batch()).values(), b.batch()); // [BATCH]
            for (int i = 0; i < n; i++) {
                out[order[from + i]] = score[i];
            }
        }
        return out;
    }

    /** Normalised rewards of responses to prompts (same length lists) [N]. */
    public double[] score(List<List<Message>> prompts, List<String> responses) {
        if (prompts.size() != responses.size()) {
            throw new IllegalArgumentException("one response per prompt");
        }
        List<ChatTemplate.Rendered> rows = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(render(prompts.get(i), responses.get(i)));
        }
        double[] raw = rawScoresFlat(rows);
        for (int i = 0; i < raw.length; i++) {
            raw[i] = norm.apply(raw[i]);
        }
        return raw;
    }

    /** Raw scores of rendered rankings: one array per ranking, one score per response, in order. */
    public List<double[]> rawScores(List<List<ChatTemplate.Rendered>> rankings) {
        List<ChatTemplate.Rendered> all = new ArrayList<>();
        rankings.forEach(all::addAll);
        double[] raw = rawScoresFlat(all);
        List<double[]> out = new ArrayList<>(rankings.size());
        int from = 0;
        for (List<ChatTemplate.Rendered> r : rankings) {
            out.add(Arrays.copyOfRange(raw, from, from + r.size()));
            from += r.size();
        }
        return out;
    }

    /** Pairwise accuracy, top-1, Kendall τ, loss and reward statistics on rankings (or pairs) read from a file. */
    public RankingMetrics evaluate(List<RankingExample> rankings) {
        List<List<ChatTemplate.Rendered>> rendered = new ArrayList<>(rankings.size());
        for (RankingExample r : rankings) {
            rendered.add(r.responses().stream().map(text -> render(r.prompt(), text)).toList());
        }
        return RankingMetrics.of(rankings, rawScores(rendered), norm);
    }
}
