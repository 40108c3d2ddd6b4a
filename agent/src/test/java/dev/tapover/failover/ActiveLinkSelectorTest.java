// Table-driven tests for the pure selection function: failover, failback under each policy, manual pins, last resort.
package dev.tapover.failover;

import static dev.tapover.failover.FailbackPolicy.ALWAYS;
import static dev.tapover.failover.FailbackPolicy.BETTER;
import static dev.tapover.failover.FailbackPolicy.NEVER;
import static dev.tapover.failover.LinkSnapshot.NO_DEADLINE;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ActiveLinkSelectorTest {
    private static final long MS = 1_000_000L;
    private static final int NONE = -1;

    /** A link at a rank (0 = primary) named eth{rank} with ifindex 10 + rank, in a given state. */
    static final class L {
        final int rank;
        final LinkState state;
        long usableSinceMs;
        long deadlineMs = -1;
        int speed = LinkSnapshot.SPEED_UNKNOWN;
        boolean adminDown;

        private L(int rank, LinkState state) {
            this.rank = rank;
            this.state = state;
        }

        static L up(int rank) {
            return new L(rank, LinkState.UP);
        }

        static L down(int rank) {
            return new L(rank, LinkState.DOWN);
        }

        static L adminDown(int rank) {
            L link = new L(rank, LinkState.DOWN);
            link.adminDown = true;
            return link;
        }

        static L goingUp(int rank, long deadlineMs) {
            L link = new L(rank, LinkState.GOING_UP);
            link.deadlineMs = deadlineMs;
            return link;
        }

        static L goingDown(int rank, long deadlineMs) {
            L link = new L(rank, LinkState.GOING_DOWN);
            link.deadlineMs = deadlineMs;
            return link;
        }

        L since(long ms) {
            usableSinceMs = ms;
            return this;
        }

        L speed(int mbps) {
            speed = mbps;
            return this;
        }

        LinkSnapshot snapshot() {
            boolean usable = state.isUsable();
            return new LinkSnapshot(10 + rank, "eth" + rank, "eth" + rank,
                    rank == 0 ? LinkRole.PRIMARY : LinkRole.STANDBY, rank,
                    !adminDown, state != LinkState.DOWN, speed, state,
                    usable ? usableSinceMs * MS : LinkSnapshot.NOT_USABLE,
                    deadlineMs < 0 ? NO_DEADLINE : deadlineMs * MS,
                    state == LinkState.DOWN ? (adminDown ? Reason.ADMIN_DOWN : Reason.CARRIER_LOST) : null);
        }

        @Override
        public String toString() {
            return "eth" + rank + ":" + state.wireName() + (adminDown ? "(admin)" : "");
        }
    }

    static LinkRef ref(int rank) {
        return new LinkRef(10 + rank, "eth" + rank, rank == 0 ? LinkRole.PRIMARY : LinkRole.STANDBY);
    }

    /** One row: the situation, then the expected decision (newRank NONE = no active; reason null = keep). */
    record Row(String name, List<L> links, int activeRank, boolean pinned, boolean first, FailbackPolicy policy,
               long failbackDelayMs, long nowMs, int newRank, Reason reason, int triggerRank, long reevaluateMs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Row keep(String name, List<L> links, int active, boolean pinned, FailbackPolicy policy,
                    long delayMs, long nowMs, long reevaluateMs) {
        return new Row(name, links, active, pinned, false, policy, delayMs, nowMs, NONE, null, NONE, reevaluateMs);
    }

    static Row change(String name, List<L> links, int active, boolean pinned, boolean first, FailbackPolicy policy,
                      long delayMs, long nowMs, int newRank, Reason reason, int triggerRank) {
        return new Row(name, links, active, pinned, first, policy, delayMs, nowMs, newRank, reason, triggerRank, -1);
    }

    static List<L> links(L... links) {
        return Arrays.asList(links);
    }

    static Stream<Row> rows() {
        long never = -1;
        return Stream.of(
                // Nothing active yet.
                change("first decision takes the primary", links(L.up(0), L.up(1)), NONE, false, true, ALWAYS,
                        0, 0, 0, Reason.INITIAL, 0),
                change("first decision without primary takes the standby", links(L.down(0), L.up(1)), NONE, false,
                        true, ALWAYS, 0, 0, 1, Reason.INITIAL, 1),
                change("recovery from no link is link-returned", links(L.down(0), L.up(1)), NONE, false, false,
                        NEVER, 0, 0, 1, Reason.LINK_RETURNED, 1),
                keep("nothing usable and nothing coming up keeps no link", links(L.down(0), L.adminDown(1)), NONE,
                        false, ALWAYS, 0, 0, never),
                change("last resort takes the link whose up-delay ends first", links(L.goingUp(0, 300),
                        L.goingUp(1, 200)), NONE, false, false, ALWAYS, 0, 100, 1, Reason.LINK_RETURNED, 1),
                change("an UP link beats a better-ranked GOING_DOWN one", links(L.goingDown(0, 50), L.up(1)), NONE,
                        false, false, ALWAYS, 0, 0, 1, Reason.LINK_RETURNED, 1),

                // Failover.
                change("carrier loss fails over", links(L.down(0), L.up(1)), 0, false, false, ALWAYS, 0, 0, 1,
                        Reason.CARRIER_LOST, 0),
                change("admin-down fails over with its own reason", links(L.adminDown(0), L.up(1)), 0, false,
                        false, NEVER, 0, 0, 1, Reason.ADMIN_DOWN, 0),
                change("removal fails over", links(L.up(1)), 0, false, false, ALWAYS, 0, 0, 1, Reason.REMOVED, 0),
                change("nothing left is no-usable-link", links(L.down(0), L.down(1)), 0, false, false, ALWAYS, 0, 0,
                        NONE, Reason.NO_USABLE_LINK, 0),
                change("failover may take a link still in up-delay as last resort", links(L.down(0),
                        L.goingUp(1, 90)), 0, false, false, ALWAYS, 0, 0, 1, Reason.CARRIER_LOST, 0),
                change("failover goes to the best-ranked usable standby", links(L.down(0), L.up(1), L.up(2)), 0,
                        false, false, ALWAYS, 0, 0, 1, Reason.CARRIER_LOST, 0),
                change("failover ignores failback-delay", links(L.up(0).since(990), L.down(1)), 1, false, false,
                        ALWAYS, 5_000, 1_000, 0, Reason.CARRIER_LOST, 1),
                keep("an active link in down-delay is kept", links(L.down(0), L.goingDown(1, 100)), 1, false,
                        ALWAYS, 0, 0, never),

                // Manual pin.
                keep("a pinned usable link is kept despite failback always", links(L.up(0), L.up(1)), 1, true,
                        ALWAYS, 0, 0, never),
                change("a pinned link that fails ends the override", links(L.up(0), L.down(1)), 1, true, false,
                        ALWAYS, 0, 0, 0, Reason.MANUAL_TARGET_FAILED, 1),
                change("a pinned link that is removed ends the override", links(L.up(0)), 1, true, false, NEVER,
                        0, 0, 0, Reason.MANUAL_TARGET_FAILED, 1),
                change("a pinned link failing with no replacement is no-usable-link", links(L.down(0), L.down(1)),
                        1, true, false, ALWAYS, 0, 0, NONE, Reason.NO_USABLE_LINK, 1),

                // Failback: always.
                change("always: fail back at once without delay", links(L.up(0).since(0), L.up(1)), 1, false,
                        false, ALWAYS, 0, 0, 0, Reason.PRIMARY_RETURNED, 0),
                keep("always: wait for failback-delay and say when", links(L.up(0).since(500), L.up(1)), 1, false,
                        ALWAYS, 1_000, 1_000, 1_500),
                change("always: fail back when failback-delay has passed", links(L.up(0).since(500), L.up(1)), 1,
                        false, false, ALWAYS, 1_000, 1_500, 0, Reason.PRIMARY_RETURNED, 0),
                keep("always: a primary in down-delay is no failback target", links(L.goingDown(0, 50), L.up(1)), 1,
                        false, ALWAYS, 0, 0, never),
                keep("always: a primary in up-delay is no failback target", links(L.goingUp(0, 50), L.up(1)), 1,
                        false, ALWAYS, 0, 0, never),
                keep("always: a lower-ranked link never pulls the active one", links(L.up(0), L.up(1)), 0, false,
                        ALWAYS, 0, 0, never),
                change("always: move up to a better-ranked standby", links(L.down(0), L.up(1), L.up(2)), 2, false,
                        false, ALWAYS, 0, 0, 1, Reason.BETTER_LINK, 1),
                keep("always: wait for the best candidate rather than hop", links(L.up(0).since(900),
                        L.up(1).since(0), L.up(2)), 2, false, ALWAYS, 1_000, 1_000, 1_900),
                change("always: an active link in down-delay yields to a returned primary",
                        links(L.up(0), L.goingDown(1, 100)), 1, false, false, ALWAYS, 0, 0, 0,
                        Reason.PRIMARY_RETURNED, 0),

                // Failback: better.
                keep("better: equal speed stays", links(L.up(0).speed(1000), L.up(1).speed(1000)), 1, false, BETTER,
                        0, 0, never),
                change("better: faster primary wins", links(L.up(0).speed(10_000), L.up(1).speed(1000)), 1, false,
                        false, BETTER, 0, 0, 0, Reason.PRIMARY_RETURNED, 0),
                keep("better: unknown primary speed stays", links(L.up(0), L.up(1).speed(1000)), 1, false, BETTER,
                        0, 0, never),
                keep("better: unknown active speed stays", links(L.up(0).speed(10_000), L.up(1)), 1, false, BETTER,
                        0, 0, never),
                change("better: skips a slower primary for a faster standby", links(L.up(0).speed(100),
                        L.up(1).speed(10_000), L.up(2).speed(1000)), 2, false, false, BETTER, 0, 0, 1,
                        Reason.BETTER_LINK, 1),
                keep("better: failback-delay applies", links(L.up(0).speed(10_000).since(0), L.up(1).speed(1000)),
                        1, false, BETTER, 300, 100, 300),

                // Failback: never.
                keep("never: a returned primary does not take over", links(L.up(0).speed(10_000), L.up(1)), 1,
                        false, NEVER, 0, 0, never),

                // Last resort active.
                change("a last-resort active yields to a usable link", links(L.up(0), L.goingUp(1, 100)), 1, false,
                        false, NEVER, 0, 0, 0, Reason.LINK_RETURNED, 0),
                keep("a last-resort active stays while nothing is usable", links(L.down(0), L.goingUp(1, 100)), 1,
                        false, ALWAYS, 0, 0, never));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void decides(Row row) {
        PolicyConfig config = PolicyConfig.defaults().withFailback(row.policy())
                .withFailbackDelay(Duration.ofMillis(row.failbackDelayMs()));
        List<LinkSnapshot> snapshots = new ArrayList<>();
        for (L link : row.links()) {
            snapshots.add(link.snapshot());
        }
        LinkRef active = row.activeRank() == NONE ? null : ref(row.activeRank());

        ActiveLinkSelector.Decision decision = ActiveLinkSelector.decide(snapshots, active, row.pinned(),
                row.first(), config, row.nowMs() * MS);

        if (row.reason() == null) {
            assertAll(
                    () -> assertEquals(false, decision.changesActive(), "changes active"),
                    () -> assertEquals(row.reevaluateMs() < 0 ? NO_DEADLINE : row.reevaluateMs() * MS,
                            decision.reevaluateAtNanos(), "reevaluate at"));
        } else {
            assertAll(
                    () -> assertEquals(true, decision.changesActive(), "changes active"),
                    () -> assertEquals(row.newRank() == NONE ? null : ref(row.newRank()), decision.newActive(),
                            "new active"),
                    () -> assertEquals(row.reason(), decision.reason(), "reason"),
                    () -> assertEquals(ref(row.triggerRank()), decision.trigger(), "trigger"));
        }
    }

    @Test
    void inputOrderDoesNotMatterOnlyRank() {
        List<LinkSnapshot> ranked = List.of(L.down(0).snapshot(), L.up(1).snapshot(), L.up(2).snapshot());
        List<LinkSnapshot> reversed = new ArrayList<>(ranked);
        Collections.reverse(reversed);
        ActiveLinkSelector.Decision decision = ActiveLinkSelector.decide(reversed, ref(0), false, false,
                PolicyConfig.defaults(), 0);
        assertEquals(ref(1), decision.newActive());
    }

    @Test
    void sameLinkUnderANewNameIsStillTheActiveOne() {
        LinkRef staleName = new LinkRef(11, "old-name", LinkRole.STANDBY);
        ActiveLinkSelector.Decision decision = ActiveLinkSelector.decide(
                List.of(L.down(0).snapshot(), L.up(1).snapshot()), staleName, false, false,
                PolicyConfig.defaults(), 0);
        assertEquals(false, decision.changesActive(), "a rename is not a removal");
    }
}
