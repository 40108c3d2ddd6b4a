// When the group leaves a healthy active link for a higher-ranked one that became usable again.
package dev.tapover.failover;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

public enum FailbackPolicy {
    /**
     * Move to the best-ranked usable link as soon as it has been usable for failback-delay
     * (bonding {@code primary_reselect=always}, teamd activebackup without {@code sticky}).
     */
    ALWAYS,
    /**
     * Like {@link #ALWAYS}, but only to a link whose speed is known and strictly greater than the active
     * link's known speed (bonding {@code primary_reselect=better}); equal or unknown speed stays put.
     */
    BETTER,
    /**
     * Keep the active link while it is usable (bonding {@code primary_reselect=failure}, teamd {@code sticky}).
     */
    NEVER;

    /** Lower-case name used in configuration files and status documents. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code always}, {@code better} or {@code never} (case-insensitive, surrounding blanks ignored).
     *
     * @throws IllegalArgumentException naming the bad value and the accepted ones
     */
    public static FailbackPolicy parse(String text) {
        String expected = Arrays.stream(values()).map(FailbackPolicy::wireName).collect(Collectors.joining(", "));
        if (text == null) {
            throw new IllegalArgumentException("failback policy is missing: expected one of " + expected);
        }
        String key = text.trim().toLowerCase(Locale.ROOT);
        for (FailbackPolicy policy : values()) {
            if (policy.wireName().equals(key)) {
                return policy;
            }
        }
        throw new IllegalArgumentException("unknown failback policy \"" + text + "\": expected one of " + expected);
    }
}
