// One change of the active link: when, from which link to which, why, what caused it, and whether to announce.
package dev.tapover.failover;

import java.util.Objects;

/**
 * @param timestampNanos when the decision was taken, on the group's injected clock
 * @param oldActive      the link that was active, null if none
 * @param newActive      the link that is active now, null if none (reason {@link Reason#NO_USABLE_LINK})
 * @param reason         why the active link changed
 * @param trigger        the link whose state (or a switch request for it) caused the change
 * @param announce       the network must be told that the master moved (gratuitous ARP, unsolicited NA, RARP
 *                       through {@code newActive}); true exactly when there is a new active link
 */
public record FailoverEvent(long timestampNanos, LinkRef oldActive, LinkRef newActive, Reason reason,
                            LinkRef trigger, boolean announce) {

    public FailoverEvent {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(trigger, "trigger");
        if (oldActive == null ? newActive == null : oldActive.sameLink(newActive)) {
            throw new IllegalArgumentException("an event must change the active link, got " + oldActive
                    + " -> " + newActive);
        }
        if (announce != (newActive != null)) {
            throw new IllegalArgumentException("announce must be requested exactly when there is a new active link");
        }
        if ((newActive == null) != (reason == Reason.NO_USABLE_LINK)) {
            throw new IllegalArgumentException("reason no-usable-link goes with no new active link and only with it,"
                    + " got " + reason.wireName() + " -> " + newActive);
        }
    }

    /** An event whose announce flag follows from {@code newActive}. */
    public static FailoverEvent of(long timestampNanos, LinkRef oldActive, LinkRef newActive, Reason reason,
                                   LinkRef trigger) {
        return new FailoverEvent(timestampNanos, oldActive, newActive, reason, trigger, newActive != null);
    }

    @Override
    public String toString() {
        return "FailoverEvent[" + timestampNanos + " " + oldActive + " -> " + newActive + " " + reason.wireName()
                + " trigger=" + trigger + (announce ? " announce" : "") + "]";
    }
}
