// How the gap between the ARP rounds of one burst grows, named as in configuration (kebab-case).
package dev.tapover.announce;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The spacing of ARP rounds within a burst; the first round is always sent at once. */
public enum IntervalMode {
    /** Every gap is {@code interval} (default 1 s, RFC 4861's RetransTimer). */
    FIXED("fixed"),
    /** QEMU announce-self: gap k is {@code initial + k * step}, at most {@code max} (50, 150, 250 ... 550 ms). */
    BACKOFF("backoff"),
    /** Gap k is {@code initial * 2^k}, at most {@code max} (50, 100, 200, 400, 550 ms). */
    EXPONENTIAL("exponential");

    private final String cliName;

    IntervalMode(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static IntervalMode parse(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (IntervalMode mode : values()) {
            if (mode.cliName.equals(wanted)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown interval mode \"" + name + "\": use one of "
                + Arrays.stream(values()).map(IntervalMode::cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
