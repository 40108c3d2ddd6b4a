// A read-only copy of one lower link's observed and debounced state: the selector's input and the status view.
package dev.tapover.failover;

import java.util.Objects;

/**
 * @param ifindex          the link's identity
 * @param name             the current interface name
 * @param configuredName   the name the link's slot was configured with (differs from {@code name} after a rename)
 * @param role             primary or standby
 * @param rank             preference order: 0 is the primary, standbys follow in configured order
 * @param adminUp          last observed IFF_UP
 * @param carrier          last observed carrier (IFF_LOWER_UP / IFLA_CARRIER)
 * @param speedMbps        last reported speed, {@link #SPEED_UNKNOWN} or any value {@code <= 0} when unknown
 * @param state            the debounced state
 * @param usableSinceNanos when the link last became {@link LinkState#UP} coming from not usable; only meaningful
 *                         while the link is usable, {@link #NOT_USABLE} otherwise
 * @param deadlineNanos    when the pending GOING_UP / GOING_DOWN transition completes, {@link #NO_DEADLINE} if none
 * @param downCause        {@link Reason#ADMIN_DOWN} or {@link Reason#CARRIER_LOST} while the link is DOWN, else null
 */
public record LinkSnapshot(int ifindex, String name, String configuredName, LinkRole role, int rank,
                           boolean adminUp, boolean carrier, int speedMbps, LinkState state,
                           long usableSinceNanos, long deadlineNanos, Reason downCause) {

    /** Speed value meaning "unknown", as ethtool's SPEED_UNKNOWN and /sys/class/net/IF/speed report it. */
    public static final int SPEED_UNKNOWN = -1;
    public static final long NO_DEADLINE = Long.MAX_VALUE;
    public static final long NOT_USABLE = Long.MIN_VALUE;

    public LinkSnapshot {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(configuredName, "configuredName");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(state, "state");
        if ((role == LinkRole.PRIMARY) != (rank == 0)) {
            throw new IllegalArgumentException("rank 0 is the primary and only the primary, got " + role + " at rank " + rank);
        }
        boolean causeFits = state == LinkState.DOWN
                ? downCause == Reason.ADMIN_DOWN || downCause == Reason.CARRIER_LOST
                : downCause == null;
        if (!causeFits) {
            throw new IllegalArgumentException("a " + state.wireName() + " link cannot have down cause " + downCause
                    + ": DOWN needs admin-down or carrier-lost, other states none");
        }
    }

    public boolean usable() {
        return state.isUsable();
    }

    public boolean speedKnown() {
        return speedMbps > 0;
    }

    public LinkRef ref() {
        return new LinkRef(ifindex, name, role);
    }
}
