package rlhf4j.eval.judge;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A second, independent sentiment judge: VADER (Hutto & Gilbert 2014, "VADER: A Parsimonious Rule-based Model for
 * Sentiment Analysis of Social Media Text"), implemented here from its published rules. It scores the answer's
 * compound sentiment in [−1, 1]. Where {@link SentimentJudge} is the labeler a policy is trained against, this one
 * reads the same answers with different word values and rules (negation, intensifiers, "but", emphasis), so a
 * policy that only learned the labeler's quirks shows up as a gap between the two.
 *
 * <p>Rules, as in the paper and its reference code: tokens are the whitespace-separated pieces with leading and
 * trailing punctuation removed, single characters dropped; each token's valence is its lexicon mean (looked up
 * lowercased), raised by {@link #CAPS_BOOST} in its own direction when it is written in capitals while the text is
 * not; each of the three preceding tokens may add a booster ({@link #BOOST}, scaled 1, 0.95, 0.9 by distance) or
 * negate it (× {@link #NEGATION_SCALAR}); valences before the first "but" are halved and those after it raised by
 * half; '!' and '?' add emphasis in the sum's direction; the sum is squashed to s / sqrt(s² + 15). Left out:
 * VADER's idiom list, its "least" and "never so" special cases and its emoticon handling, none of which matter
 * for short prose continuations; multi-word boosters ("kind of") are left out too, since VADER looks boosters up
 * token by token and so never matches them either.
 */
public final class VaderJudge implements Judge {
    public static final String NAME = "vader";

    static final double BOOST = 0.293;
    static final double CAPS_BOOST = 0.733;
    static final double NEGATION_SCALAR = -0.74;
    static final double EXCLAMATION = 0.292;
    static final int MAX_EXCLAMATIONS = 4;
    static final double QUESTION = 0.18;
    static final double MAX_QUESTIONS = 0.96;
    static final double ALPHA = 15;
    private static final double[] DISTANCE_SCALE = {1.0, 0.95, 0.9};

    private static final Set<String> INCREASE = Set.of("absolutely", "amazingly", "awfully", "completely",
            "considerably", "decidedly", "deeply", "enormously", "entirely", "especially", "exceptionally",
            "extremely", "fabulously", "greatly", "highly", "hugely", "incredibly", "intensely", "majorly", "more",
            "most", "particularly", "purely", "quite", "really", "remarkably", "so", "substantially", "thoroughly",
            "totally", "tremendously", "uber", "unbelievably", "unusually", "utterly", "very");
    private static final Set<String> DECREASE = Set.of("almost", "barely", "hardly", "kinda", "less", "little",
            "marginally", "occasionally", "partly", "scarcely", "slightly", "somewhat", "sorta");
    private static final Set<String> NEGATIONS = Set.of("not", "no", "never", "nor", "none", "nobody", "nothing",
            "neither", "nowhere", "cannot", "without", "aint", "arent", "cant", "couldnt", "didnt", "doesnt", "dont",
            "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neednt", "shant", "shouldnt", "wasnt",
            "werent", "wont", "wouldnt");

    private final Map<String, Double> lexicon;

    /** {@code lexicon}: lowercase token → mean valence (about −4..+4), as {@link Lexicons#vader()} reads it. */
    public VaderJudge(Map<String, Double> lexicon) {
        this.lexicon = Map.copyOf(lexicon);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean needsReference() {
        return false;
    }

    @Override
    public double score(String prompt, String answer, String reference) {
        return compound(answer);
    }

    /** VADER's compound score of {@code text}, in [−1, 1]; 0 for text without sentiment words. */
    public double compound(String text) {
        Objects.requireNonNull(text, "text");
        List<String> tokens = tokens(text);
        boolean capsDiffer = capsDiffer(tokens);
        double[] valences = new double[tokens.size()];
        for (int i = 0; i < tokens.size(); i++) {
            valences[i] = valence(tokens, i, capsDiffer);
        }
        butRule(tokens, valences);
        double sum = 0;
        for (double v : valences) {
            sum += v;
        }
        sum += Math.signum(sum) * punctuationEmphasis(text);
        return Math.max(-1, Math.min(1, sum / Math.sqrt(sum * sum + ALPHA)));
    }

    /** Whitespace-separated pieces without leading or trailing punctuation; single characters are dropped. */
    static List<String> tokens(String text) {
        List<String> tokens = new ArrayList<>();
        for (String piece : text.strip().split("\\s+")) {
            String token = piece.replaceAll("^[\\p{Punct}\\p{IsPunctuation}]+|[\\p{Punct}\\p{IsPunctuation}]+$", "");
            if (token.length() >= 2) {
                tokens.add(token);
            }
        }
        return tokens;
    }

    private double valence(List<String> tokens, int i, boolean capsDiffer) {
        String lower = lower(tokens.get(i));
        Double mean = lexicon.get(lower);
        // boosters only modify their neighbours; "no" before a sentiment word negates it rather than counting itself
        if (mean == null || isBooster(lower)
                || (isNegation(lower) && i + 1 < tokens.size() && lexicon.containsKey(lower(tokens.get(i + 1))))) {
            return 0;
        }
        double valence = mean;
        double direction = Math.signum(valence);
        if (capsDiffer && allCaps(tokens.get(i))) {
            valence += direction * CAPS_BOOST;
        }
        // nearest preceding token first, as VADER applies them: a booster adds, then a negation flips what is there
        for (int distance = 1; distance <= DISTANCE_SCALE.length && i - distance >= 0; distance++) {
            String before = tokens.get(i - distance);
            String beforeLower = lower(before);
            if (isBooster(beforeLower)) {
                double boost = (INCREASE.contains(beforeLower) ? BOOST : -BOOST) * direction;
                if (capsDiffer && allCaps(before)) {
                    boost += direction * CAPS_BOOST;
                }
                valence += boost * DISTANCE_SCALE[distance - 1];
            }
            if (isNegation(beforeLower)) {
                valence *= NEGATION_SCALAR;
            }
        }
        return valence;
    }

    /** A contrast shifts the weight onto what follows it: "it was hard, but good". */
    private static void butRule(List<String> tokens, double[] valences) {
        int but = -1;
        for (int i = 0; i < tokens.size() && but < 0; i++) {
            if (lower(tokens.get(i)).equals("but")) {
                but = i;
            }
        }
        if (but < 0) {
            return;
        }
        for (int i = 0; i < valences.length; i++) {
            if (i < but) {
                valences[i] *= 0.5;
            } else if (i > but) {
                valences[i] *= 1.5;
            }
        }
    }

    /** Up to four '!' count {@link #EXCLAMATION} each; two or more '?' count {@link #QUESTION} each, at most 0.96. */
    static double punctuationEmphasis(String text) {
        long exclamations = text.chars().filter(c -> c == '!').count();
        long questions = text.chars().filter(c -> c == '?').count();
        double emphasis = Math.min(exclamations, MAX_EXCLAMATIONS) * EXCLAMATION;
        if (questions > 1) {
            emphasis += questions <= 3 ? questions * QUESTION : MAX_QUESTIONS;
        }
        return emphasis;
    }

    private static boolean capsDiffer(List<String> tokens) {
        long caps = tokens.stream().filter(VaderJudge::allCaps).count();
        return caps > 0 && caps < tokens.size();
    }

    /** Like Python's str.isupper: some letter, and no lowercase letter. */
    private static boolean allCaps(String token) {
        return token.chars().anyMatch(Character::isLetter) && token.chars().noneMatch(Character::isLowerCase);
    }

    private static boolean isBooster(String lower) {
        return INCREASE.contains(lower) || DECREASE.contains(lower);
    }

    private static boolean isNegation(String lower) {
        return NEGATIONS.contains(lower) || lower.endsWith("n't");
    }

    private static String lower(String token) {
        return token.toLowerCase(Locale.ROOT).replace('\u2019', '\'');
    }
}
