package rlhf4j.config;

import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** Key names: record components are camelCase, YAML keys are snake_case; and "did you mean" suggestions. */
final class Names {
    private Names() {
    }

    /** {@code nEmbd -> n_embd}, {@code layerNormEpsilon -> layer_norm_epsilon}, {@code beta1 -> beta1}. */
    static String toSnake(String camel) {
        StringBuilder out = new StringBuilder(camel.length() + 4);
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (Character.isUpperCase(c)) {
                if (i > 0) {
                    out.append('_');
                }
                out.append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** {@code n_embd -> nEmbd}. */
    static String toCamel(String snake) {
        StringBuilder out = new StringBuilder(snake.length());
        boolean upper = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    /** The known name closest to {@code given} if it is plausibly a typo of it, else null. */
    static String closest(String given, Collection<String> known) {
        String normalized = toSnake(given).toLowerCase(Locale.ROOT).replace('-', '_');
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int d = distance(normalized, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= Math.max(1, Math.min(3, best.length() / 3)) ? best : null;
    }

    /** "unknown key pretrain.max_stepz (did you mean pretrain.max_steps?)", or the known keys when nothing is close. */
    static String unknownKey(String dottedKey, List<String> known) {
        int dot = dottedKey.lastIndexOf('.');
        String section = dottedKey.substring(0, dot + 1);
        String suggestion = closest(dottedKey.substring(dot + 1), known);
        String hint = suggestion != null
                ? "did you mean " + section + suggestion + "?"
                : (section.isEmpty() ? "known keys: " : "known keys in " + section.substring(0, dot) + ": ")
                        + String.join(", ", known);
        return "unknown key " + dottedKey + " (" + hint + ")";
    }

    /** Edit distance counting an adjacent transposition as one edit (optimal string alignment). */
    private static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j], d[i][j - 1]) + 1);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
