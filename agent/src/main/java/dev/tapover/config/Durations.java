// Parses human durations such as 200ms, 2s, 1m or a bare number of milliseconds.
package dev.tapover.config;

import java.time.Duration;

/** Strict duration parsing with a one-sentence error. */
public final class Durations {
    private Durations() {
    }

    /**
     * An optional minus (so a negative value reaches the caller's range check and its clearer message), digits
     * (at most 12, so nothing overflows), a fraction only before "s", then ms, s, m or nothing (= ms).
     */
    private static final java.util.regex.Pattern FORM = java.util.regex.Pattern.compile("(-?)(\\d{1,12})(?:\\.(\\d{1,3}))?(ms|s|m)?");

    public static Duration parse(String text) {
        java.util.regex.Matcher m = FORM.matcher(text.trim());
        if (!m.matches() || m.group(3) != null && !"s".equals(m.group(4))) {
            throw new IllegalArgumentException("duration \"" + text + "\" must look like 200ms, 2s, 1.5s or 1m");
        }
        long whole = Long.parseLong(m.group(2));
        String unit = m.group(4) == null ? "ms" : m.group(4);
        Duration d;
        switch (unit) {
            case "s": {
                String fraction = m.group(3) == null ? "0" : (m.group(3) + "00").substring(0, 3);
                d = Duration.ofMillis(whole * 1000 + Long.parseLong(fraction));
                break;
            }
            case "m":
                d = Duration.ofSeconds(whole * 60);
                break;
            default:
                d = Duration.ofMillis(whole);
        }
        return m.group(1).isEmpty() ? d : d.negated();
    }

    public static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
