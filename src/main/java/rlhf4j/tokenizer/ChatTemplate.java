package rlhf4j.tokenizer;

import java.io.Serializable;
import java.util.List;
import rlhf4j.tokenizer.Message;

/**
 * Renders a conversation to token ids, ChatML style, and says which tokens an SFT loss trains on:
 * <pre>
 * &lt;|im_start|&gt;user\nCorrect this sentence: He go home.&lt;|im_end|&gt;\n
 * &lt;|im_start|&gt;assistant\nHe goes home.&lt;|im_end|&gt;\n
 * </pre>
 * The loss mask is 1 on the assistant's content tokens and its {@code <|im_end|>} (so the model
 * learns to stop), 0 elsewhere. The same template serves SFT, the reward model, PPO prompts and
 * {@code ./train sample --chat}: a prompt ends with {@code <|im_start|>assistant\n} and generation
 * stops at {@code <|im_end|>}.
 */
public final class ChatTemplate {
    private final BpeTokenizer tokenizer;
    private final int imStart;
    private final int imEnd;
    private final int[] newline;

    public ChatTemplate(BpeTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.imStart = tokenizer.id(SpecialTokens.IM_START);
        this.imEnd = tokenizer.id(SpecialTokens.IM_END);
        this.newline = tokenizer.encode("\n");
    }

    /** Token ids and the loss mask (same length). */
    public record Rendered(int[] ids, int[] lossMask) implements Serializable {
        public int length() {
            return ids.length;
        }
    }

    /** The whole conversation, with the loss mask on assistant turns. */
    public Rendered render(List<Message> messages) {
        Builder b = new Builder();
        for (Message m : messages) {
            appendTurn(b, m);
        }
        return b.build();
    }

    /** A prompt ready for generation: the conversation, then the assistant's header. */
    public int[] renderPrompt(List<Message> messages) {
        Builder b = new Builder();
        for (Message m : messages) {
            appendTurn(b, m);
        }
        b.add(imStart, 0);
        b.addAll(tokenizer.encode("assistant\n"), 0);
        return b.build().ids();
    }

    /** The end-of-turn token that stops generation. */
    public int endOfTurn() {
        return imEnd;
    }

    /** The conversation as text, for documentation and debugging. */
    public static String format(List<Message> messages) {
        StringBuilder sb = new StringBuilder();
        for (Message m : messages) {
            sb.append(SpecialTokens.IM_START).append(m.role()).append('\n').append(m.content())
                    .append(SpecialTokens.IM_END).append('\n');
        }
        return sb.toString();
    }

    private void appendTurn(Builder b, Message m) {
        int train = "assistant".equals(m.role()) ? 1 : 0;
        b.add(imStart, 0);
        b.addAll(tokenizer.encode(m.role() + "\n"), 0);
        b.addAll(tokenizer.encode(m.content()), train);
        b.add(imEnd, train);
        b.addAll(newline, 0);
    }

    /** Accumulates ids with their mask values. */
    private static final class Builder {
        private final IntList ids = new IntList();
        private final IntList mask = new IntList();

        void add(int id, int m) {
            ids.add(id);
            mask.add(m);
        }

        void addAll(int[] tokens, int m) {
            for (int t : tokens) {
                add(t, m);
            }
        }

        Rendered build() {
            return new Rendered(ids.toArray(), mask.toArray());
        }
    }
}
