// One lower link's observed state (admin, carrier, speed) and its debounced state machine (up-delay, down-delay).
package dev.tapover.failover;

import static dev.tapover.failover.LinkSnapshot.NOT_USABLE;
import static dev.tapover.failover.LinkSnapshot.NO_DEADLINE;

/**
 * Transitions (observed "up" means admin up and carrier):
 * <pre>
 *   DOWN       --up-->                 GOING_UP (deadline now + up-delay), or UP when up-delay is 0
 *   GOING_UP   --not up-->             DOWN      (a flap shorter than up-delay is forgotten)
 *   GOING_UP   --deadline-->           UP        (usable since the deadline)
 *   UP         --admin down-->         DOWN      (at once: an operator's choice is not a flap)
 *   UP         --carrier lost-->       GOING_DOWN (deadline now + down-delay), or DOWN when down-delay is 0
 *   GOING_DOWN --carrier back-->       UP        (a flap shorter than down-delay is forgotten)
 *   GOING_DOWN --admin down-->         DOWN
 *   GOING_DOWN --deadline-->           DOWN
 * </pre>
 * Mutable and package-private: only {@link FailoverGroup} drives it; everyone else sees {@link LinkSnapshot}s.
 */
final class LowerLink {
    private final int ifindex;
    private final String configuredName;
    private final LinkRole role;
    private final int rank;

    private String name;
    private boolean adminUp;
    private boolean carrier;
    private int speedMbps;
    private LinkState state = LinkState.DOWN;
    private long usableSinceNanos = NOT_USABLE;
    private long deadlineNanos = NO_DEADLINE;
    private Reason downCause = Reason.CARRIER_LOST;

    LowerLink(int ifindex, String configuredName, int rank, int speedMbps) {
        this.ifindex = ifindex;
        this.configuredName = configuredName;
        this.name = configuredName;
        this.rank = rank;
        this.role = rank == 0 ? LinkRole.PRIMARY : LinkRole.STANDBY;
        this.speedMbps = speedMbps;
    }

    int ifindex() {
        return ifindex;
    }

    String name() {
        return name;
    }

    int rank() {
        return rank;
    }

    LinkState state() {
        return state;
    }

    long deadlineNanos() {
        return deadlineNanos;
    }

    void rename(String newName) {
        name = newName;
    }

    void speed(int newSpeedMbps) {
        speedMbps = newSpeedMbps;
    }

    /** Takes the observation at face value, without debouncing: for links already present when the group starts. */
    void settle(boolean newAdminUp, boolean newCarrier, long nowNanos) {
        adminUp = newAdminUp;
        carrier = newCarrier;
        if (newAdminUp && newCarrier) {
            markUp(nowNanos);
        } else {
            markDown(causeOfDown());
        }
    }

    /** Applies a new observation; debounces carrier changes as the class comment draws. */
    void observe(boolean newAdminUp, boolean newCarrier, long nowNanos, PolicyConfig config) {
        adminUp = newAdminUp;
        carrier = newCarrier;
        boolean up = newAdminUp && newCarrier;
        switch (state) {
            case DOWN:
                if (up) {
                    beginGoingUp(nowNanos, config);
                } else {
                    downCause = causeOfDown();
                }
                break;
            case GOING_UP:
                if (!up) {
                    markDown(causeOfDown());
                }
                break;
            case UP:
                if (!up) {
                    if (!newAdminUp || config.downDelayNanos() == 0) {
                        markDown(causeOfDown());
                    } else {
                        state = LinkState.GOING_DOWN;
                        deadlineNanos = nowNanos + config.downDelayNanos();
                    }
                }
                break;
            case GOING_DOWN:
                if (up) {
                    // Back within down-delay: it never stopped being usable, so usableSince is kept.
                    state = LinkState.UP;
                    deadlineNanos = NO_DEADLINE;
                } else if (!newAdminUp) {
                    markDown(Reason.ADMIN_DOWN);
                }
                break;
            default:
                throw new IllegalStateException("unhandled link state " + state);
        }
    }

    /** Completes a pending GOING_UP / GOING_DOWN transition whose deadline is at or before {@code nowNanos}. */
    void expire(long nowNanos) {
        if (deadlineNanos > nowNanos) {
            return;
        }
        if (state == LinkState.GOING_UP) {
            markUp(deadlineNanos);
        } else if (state == LinkState.GOING_DOWN) {
            markDown(Reason.CARRIER_LOST);
        }
    }

    /** Takes a predecessor's state for this link (live update); its times are already on this clock. */
    void restore(LinkSnapshot saved) {
        adminUp = saved.adminUp();
        carrier = saved.carrier();
        speedMbps = saved.speedMbps();
        state = saved.state();
        usableSinceNanos = saved.state().isUsable() ? saved.usableSinceNanos() : NOT_USABLE;
        deadlineNanos = saved.deadlineNanos();
        downCause = saved.state() == LinkState.DOWN ? saved.downCause() : null;
    }

    LinkSnapshot snapshot() {
        return new LinkSnapshot(ifindex, name, configuredName, role, rank, adminUp, carrier, speedMbps, state,
                state.isUsable() ? usableSinceNanos : NOT_USABLE, deadlineNanos,
                state == LinkState.DOWN ? downCause : null);
    }

    LinkRef ref() {
        return new LinkRef(ifindex, name, role);
    }

    private void beginGoingUp(long nowNanos, PolicyConfig config) {
        if (config.upDelayNanos() == 0) {
            markUp(nowNanos);
        } else {
            state = LinkState.GOING_UP;
            deadlineNanos = nowNanos + config.upDelayNanos();
        }
    }

    private void markUp(long sinceNanos) {
        state = LinkState.UP;
        usableSinceNanos = sinceNanos;
        deadlineNanos = NO_DEADLINE;
        downCause = null;
    }

    private void markDown(Reason cause) {
        state = LinkState.DOWN;
        usableSinceNanos = NOT_USABLE;
        deadlineNanos = NO_DEADLINE;
        downCause = cause;
    }

    private Reason causeOfDown() {
        return adminUp ? Reason.CARRIER_LOST : Reason.ADMIN_DOWN;
    }
}
