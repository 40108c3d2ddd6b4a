// Why the failover group changed its active link; every FailoverEvent carries exactly one.
package dev.tapover.failover;

import java.util.Locale;

public enum Reason {
    INITIAL("the first active link chosen since the group started"),
    CARRIER_LOST("the active link lost carrier and stayed without it for down-delay"),
    ADMIN_DOWN("the active link was set administratively down"),
    REMOVED("the active link disappeared from the system"),
    PRIMARY_RETURNED("failback: the primary is usable again and the failback policy returns to it"),
    BETTER_LINK("a standby ranked above the active link is usable again and the failback policy moves to it"),
    MANUAL("an operator's switch request"),
    MANUAL_TARGET_FAILED("the link chosen by a switch request failed; normal policy resumes"),
    NO_USABLE_LINK("the active link failed and no other link can take over; the group has no active link"),
    LINK_RETURNED("a link became available while the group had no usable active link");

    private final String meaning;

    Reason(String meaning) {
        this.meaning = meaning;
    }

    /** Kebab-case name used in events, logs and status documents, e.g. {@code carrier-lost}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** One-line human explanation, for logs and {@code --help}-style listings. */
    public String meaning() {
        return meaning;
    }

    /**
     * The reason whose {@link #wireName()} is {@code wireName}.
     *
     * @throws IllegalArgumentException if no reason has that name
     */
    public static Reason fromWireName(String wireName) {
        for (Reason reason : values()) {
            if (reason.wireName().equals(wireName)) {
                return reason;
            }
        }
        throw new IllegalArgumentException("unknown failover reason \"" + wireName + "\"");
    }
}
