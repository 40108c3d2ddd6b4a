// Parses human durations such as 200ms, 2s, 1m or a bare number of milliseconds.
package dev.tapover.config;

import java.time.Duration;

/** Strict duration parsing with a one-sentence error. */
public final class Durations {
    private Durations() {
    }

    /** Digits (at most 12, so nothing overflows), a fraction only before "s", then ms, s, m or nothing (= ms). */
    private static final java.util.regex.Pattern FORM = java.util.regex.Pattern.compile("(\\d{1,12})(?:\\.(\\d{1,3}))?(ms|s|m)?");

    public static Duration parse(String text) {
        java.util.regex.Matcher m = FORM.matcher(text.trim());
        if (!m.matches() || m.group(2) != null && !"s".equals(m.group(3))) {
            throw new IllegalArgumentException("duration \"" + text + "\" must look like 200ms, 2s, 1.5s or 1m");
        }
        long whole = Long.parseLong(m.group(1));
        String unit = m.group(3) == null ? "ms" : m.group(3);
        switch (unit) {
            case "s": {
                String fraction = m.group(2) == null ? "0" : (m.group(2) + "00").substring(0, 3);
                return Duration.ofMillis(whole * 1000 + Long.parseLong(fraction));
            }
            case "m":
                return Duration.ofSeconds(whole * 60);
            default:
                return Duration.ofMillis(whole);
        }
    }

    public static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
