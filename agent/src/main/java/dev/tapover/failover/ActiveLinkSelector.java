// The failover decision as one pure function: given the links, the active one and the policy, which link serves and why.
package dev.tapover.failover;

import static dev.tapover.failover.LinkSnapshot.NO_DEADLINE;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The rules, in the order they are tried (cf. bonding's {@code bond_should_change_active} /
 * {@code bond_find_best_slave} and teamd's {@code ab_link_watch_handler}):
 * <ol>
 *   <li>The active link is gone or DOWN: fail over to the best replacement; the reason is the cause
 *       ({@code removed}, {@code carrier-lost}, {@code admin-down}), {@code manual-target-failed} if it had been
 *       chosen by a switch request, or {@code no-usable-link} if there is no replacement.</li>
 *   <li>No active link: take the best replacement ({@code initial} the first time, then {@code link-returned}).</li>
 *   <li>The active link is only coming up (a last resort, see below) and a usable link exists: take it
 *       ({@code link-returned}).</li>
 *   <li>The active link was chosen by a switch request and is usable: keep it.</li>
 *   <li>Failback: under {@code always} or {@code better}, move to the best-ranked UP link that outranks the
 *       active one (and, for {@code better}, is strictly faster), once it has been usable for failback-delay
 *       ({@code primary-returned} or {@code better-link}). Under {@code never}, keep the active link.</li>
 * </ol>
 * The best replacement is the best-ranked UP link, else the best-ranked GOING_DOWN link (still usable), else, as a
 * last resort, the GOING_UP link whose up-delay ends first: when nothing is usable, waiting for up-delay would
 * only prolong the outage (bonding does the same: "making interface X the new active one N ms earlier").
 */
public final class ActiveLinkSelector {

    private ActiveLinkSelector() {
    }

    /**
     * The outcome of one evaluation.
     *
     * @param changesActive     whether the active link must change (to {@code newActive}, which may be null)
     * @param newActive         the link to make active, null for none; meaningless when {@code changesActive} is false
     * @param reason            why; null when {@code changesActive} is false
     * @param trigger           the link whose state caused the change; null when {@code changesActive} is false
     * @param reevaluateAtNanos when the answer may change by the passing of time alone (a failback-delay ending),
     *                          {@link LinkSnapshot#NO_DEADLINE} if never
     */
    public record Decision(boolean changesActive, LinkRef newActive, Reason reason, LinkRef trigger,
                           long reevaluateAtNanos) {

        static Decision keep(long reevaluateAtNanos) {
            return new Decision(false, null, null, null, reevaluateAtNanos);
        }

        static Decision switchTo(LinkRef newActive, Reason reason, LinkRef trigger) {
            return new Decision(true, newActive, Objects.requireNonNull(reason), Objects.requireNonNull(trigger),
                    NO_DEADLINE);
        }
    }

    /**
     * Decides which link should be active now.
     *
     * @param links         the registered links, in any order (they are ranked by {@link LinkSnapshot#rank()})
     * @param active        the current active link, null if none; matched to {@code links} by ifindex, absent from
     *                      {@code links} means it was removed
     * @param activePinned  the active link was chosen by a switch request that is still in force
     * @param firstDecision no link has been active since the group started (picks {@code initial} over
     *                      {@code link-returned})
     * @param config        the policy
     * @param nowNanos      the current time of the injected clock
     */
    public static Decision decide(List<LinkSnapshot> links, LinkRef active, boolean activePinned,
                                  boolean firstDecision, PolicyConfig config, long nowNanos) {
        List<LinkSnapshot> ranked = new ArrayList<>(links);
        ranked.sort(Comparator.comparingInt(LinkSnapshot::rank));

        if (active == null) {
            LinkSnapshot pick = bestReplacement(ranked, 0);
            if (pick == null) {
                return Decision.keep(NO_DEADLINE);
            }
            return Decision.switchTo(pick.ref(), firstDecision ? Reason.INITIAL : Reason.LINK_RETURNED, pick.ref());
        }

        LinkSnapshot current = find(ranked, active.ifindex());
        if (current == null) {
            return failOver(ranked, active, activePinned ? Reason.MANUAL_TARGET_FAILED : Reason.REMOVED);
        }
        if (current.state() == LinkState.DOWN) {
            return failOver(ranked, current.ref(),
                    activePinned ? Reason.MANUAL_TARGET_FAILED : current.downCause());
        }
        if (current.state() == LinkState.GOING_UP) {
            LinkSnapshot usable = bestUsable(ranked, current.ifindex());
            return usable == null
                    ? Decision.keep(NO_DEADLINE)
                    : Decision.switchTo(usable.ref(), Reason.LINK_RETURNED, usable.ref());
        }
        if (activePinned) {
            return Decision.keep(NO_DEADLINE);
        }
        return failBack(ranked, current, config, nowNanos);
    }

    private static Decision failOver(List<LinkSnapshot> ranked, LinkRef failed, Reason cause) {
        LinkSnapshot pick = bestReplacement(ranked, failed.ifindex());
        if (pick == null) {
            return new Decision(true, null, Reason.NO_USABLE_LINK, failed, NO_DEADLINE);
        }
        return Decision.switchTo(pick.ref(), cause, failed);
    }

    private static Decision failBack(List<LinkSnapshot> ranked, LinkSnapshot current, PolicyConfig config,
                                     long nowNanos) {
        if (config.failback() == FailbackPolicy.NEVER) {
            return Decision.keep(NO_DEADLINE);
        }
        for (LinkSnapshot candidate : ranked) {
            if (candidate.rank() >= current.rank()) {
                break;
            }
            if (candidate.state() != LinkState.UP) {
                continue;
            }
            if (config.failback() == FailbackPolicy.BETTER && !isFaster(candidate, current)) {
                continue;
            }
            long eligibleAt = candidate.usableSinceNanos() + config.failbackDelayNanos();
            if (nowNanos < eligibleAt) {
                // Wait for the best candidate rather than hopping through lesser ones on the way.
                return Decision.keep(eligibleAt);
            }
            Reason reason = candidate.role() == LinkRole.PRIMARY ? Reason.PRIMARY_RETURNED : Reason.BETTER_LINK;
            return Decision.switchTo(candidate.ref(), reason, candidate.ref());
        }
        return Decision.keep(NO_DEADLINE);
    }

    /** Strictly faster, both speeds known: unknown speed never justifies a failback under {@code better}. */
    private static boolean isFaster(LinkSnapshot candidate, LinkSnapshot current) {
        return candidate.speedKnown() && current.speedKnown() && candidate.speedMbps() > current.speedMbps();
    }

    /** Best-ranked usable link other than {@code excludedIfindex}, else the GOING_UP link ready soonest. */
    private static LinkSnapshot bestReplacement(List<LinkSnapshot> ranked, int excludedIfindex) {
        LinkSnapshot usable = bestUsable(ranked, excludedIfindex);
        return usable != null ? usable : soonestGoingUp(ranked, excludedIfindex);
    }

    private static LinkSnapshot bestUsable(List<LinkSnapshot> ranked, int excludedIfindex) {
        LinkSnapshot bestGoingDown = null;
        for (LinkSnapshot link : ranked) {
            if (link.ifindex() == excludedIfindex) {
                continue;
            }
            if (link.state() == LinkState.UP) {
                return link;
            }
            if (link.state() == LinkState.GOING_DOWN && bestGoingDown == null) {
                bestGoingDown = link;
            }
        }
        return bestGoingDown;
    }

    private static LinkSnapshot soonestGoingUp(List<LinkSnapshot> ranked, int excludedIfindex) {
        LinkSnapshot soonest = null;
        for (LinkSnapshot link : ranked) {
            if (link.ifindex() != excludedIfindex && link.state() == LinkState.GOING_UP
                    && (soonest == null || link.deadlineNanos() < soonest.deadlineNanos())) {
                soonest = link;
            }
        }
        return soonest;
    }

    private static LinkSnapshot find(List<LinkSnapshot> links, int ifindex) {
        for (LinkSnapshot link : links) {
            if (link.ifindex() == ifindex) {
                return link;
            }
        }
        return null;
    }
}
