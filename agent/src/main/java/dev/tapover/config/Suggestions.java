// "Did you mean" for unknown configuration keys: the nearest known key by edit distance, spelling variants folded.
package dev.tapover.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** Pure functions; no state. */
public final class Suggestions {
    private Suggestions() {
    }

    /**
     * The known key closest to {@code unknown}: the same key spelt with '_' or camelCase, else the nearest one
     * within an edit distance of a third of its length (at least 1, at most 3); empty if none is close.
     */
    public static Optional<String> nearest(String unknown, Collection<String> known) {
        String folded = fold(unknown);
        for (String k : known) {
            if (fold(k).equals(folded)) {
                return Optional.of(k);
            }
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(folded, fold(k));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        int allowed = Math.max(1, Math.min(3, folded.length() / 3));
        return best != null && bestDistance <= allowed ? Optional.of(best) : Optional.empty();
    }

    /** Lower case without '-', '_' and '.': up_delay, upDelay and up-delay fold alike. */
    static String fold(String key) {
        return key.toLowerCase(Locale.ROOT).replaceAll("[-_.]", "");
    }

    /** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
    static int distance(String a, String b) {
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
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
