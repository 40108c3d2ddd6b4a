// Why an announcement burst was started; shown in logs, counters and status.
package dev.tapover.announce;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What made the agent tell the network where the master lives. */
public enum Reason {
    /** The active link changed from the primary to the standby (or any healthy link to another). */
    FAILOVER("failover"),
    /** The primary came back and took over again. */
    FAILBACK("failback"),
    /** The host moved: a brief carrier loss on the active link, as after a VM live migration. */
    MIGRATION("migration"),
    /** The agent (re)started or took over from a predecessor. */
    RESTART("restart"),
    /** Someone asked: {@code tapover notify-peers}. */
    MANUAL("manual"),
    /** Not a trigger: the periodic round that keeps switch FDB entries fresh ({@code refresh}). */
    REFRESH("refresh");

    private final String cliName;

    Reason(String cliName) {
        this.cliName = cliName;
    }

    /** The kebab-case name used in logs and JSON. */
    public String cliName() {
        return cliName;
    }

    /** Parses a kebab-case name (case-insensitive). */
    public static Reason parse(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Reason reason : values()) {
            if (reason.cliName.equals(wanted)) {
                return reason;
            }
        }
        throw new IllegalArgumentException("unknown announcement reason \"" + name + "\": use one of "
                + Arrays.stream(values()).map(Reason::cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
