// A successor's failover group resumes the predecessor's decision and timers instead of deciding afresh (fake clock).
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

import dev.tapover.failover.FailbackPolicy;
import dev.tapover.failover.FailoverEvent;
import dev.tapover.failover.FailoverGroup;
import dev.tapover.failover.LinkRole;
import dev.tapover.failover.LinkSnapshot;
import dev.tapover.failover.LinkState;
import dev.tapover.failover.PolicyConfig;
import dev.tapover.failover.Reason;

class PolicyResumeTest {
    private static final long MS = 1_000_000L;
    private static final int ETH1 = 2;
    private static final int ETH2 = 3;
    private long now = 50_000 * MS;

    private FailoverGroup group(PolicyConfig config) {
        return new FailoverGroup(List.of("eth1", "eth2"), config, () -> now);
    }

    private static LinkSnapshot up(int ifindex, String name, int rank, long since) {
        return new LinkSnapshot(ifindex, name, name, rank == 0 ? LinkRole.PRIMARY : LinkRole.STANDBY, rank, true, true,
                -1, LinkState.UP, since, LinkSnapshot.NO_DEADLINE, null);
    }

    /** Both links present and up now, as the successor's link dump shows them. */
    private FailoverGroup withBothUp(PolicyConfig config) {
        FailoverGroup g = group(config);
        g.linkAppeared("eth1", ETH1, true, true);
        g.linkAppeared("eth2", ETH2, true, true);
        return g;
    }

    @Test
    void theStandbyStaysActiveWhereAFreshStartWouldPickThePrimary() {
        PolicyConfig never = PolicyConfig.defaults().withFailback(FailbackPolicy.NEVER);
        FailoverGroup fresh = withBothUp(never);
        assertEquals("eth1", fresh.start().get().newActive().name(), "a restart would move traffic to the primary");

        FailoverGroup g = withBothUp(never);
        Optional<FailoverEvent> e = g.resume(List.of(up(ETH1, "eth1", 0, now - 10 * MS), up(ETH2, "eth2", 1, now - 99 * MS)),
                OptionalInt.of(ETH2), false, true, 5);
        assertTrue(e.isEmpty(), "nothing moved: " + e);
        assertEquals("eth2", g.activeLink().get().name());
        assertEquals(5, g.eventCount());
        assertTrue(g.isStarted());
    }

    @Test
    void aManualSwitchStaysPinned() {
        FailoverGroup g = withBothUp(PolicyConfig.defaults());
        assertTrue(g.resume(List.of(up(ETH1, "eth1", 0, now), up(ETH2, "eth2", 1, now)), OptionalInt.of(ETH2), true, true, 1)
                .isEmpty());
        assertEquals("eth2", g.activeLink().get().name());
        assertTrue(g.isManualOverride(), "failback=always does not undo the operator's switch");
        g.onTimer();
        assertEquals("eth2", g.activeLink().get().name());
    }

    @Test
    void anUpDelayInProgressFinishesOnTimeAndThenFailsBack() {
        FailoverGroup g = withBothUp(PolicyConfig.defaults().withUpDelay(Duration.ofSeconds(2)));
        LinkSnapshot comingUp = new LinkSnapshot(ETH1, "eth1", "eth1", LinkRole.PRIMARY, 0, true, true, -1,
                LinkState.GOING_UP, LinkSnapshot.NOT_USABLE, now + 400 * MS, null);
        Optional<FailoverEvent> e = g.resume(List.of(comingUp, up(ETH2, "eth2", 1, now - 5_000 * MS)), OptionalInt.of(ETH2),
                false, true, 2);
        assertTrue(e.isEmpty(), "the primary is still in its up-delay: " + e);
        assertEquals("eth2", g.activeLink().get().name());
        assertEquals(now + 400 * MS, g.nextDeadlineNanos(), "the remaining 400 ms, not a fresh 2 s");
        now += 399 * MS;
        assertTrue(g.onTimer().isEmpty());
        now += MS;
        FailoverEvent back = g.onTimer().orElseThrow();
        assertEquals("eth1", back.newActive().name());
        assertEquals(Reason.PRIMARY_RETURNED, back.reason());
    }

    @Test
    void aCarrierLostDuringTheHandoffIsAppliedAsAChange() {
        FailoverGroup g = group(PolicyConfig.defaults());
        g.linkAppeared("eth1", ETH1, true, false); // the successor's dump: eth1 lost carrier meanwhile
        g.linkAppeared("eth2", ETH2, true, true);
        FailoverEvent e = g.resume(List.of(up(ETH1, "eth1", 0, now - MS), up(ETH2, "eth2", 1, now - MS)),
                OptionalInt.of(ETH1), false, true, 1).orElseThrow();
        assertEquals("eth1", e.oldActive().name());
        assertEquals("eth2", e.newActive().name());
        assertEquals(Reason.CARRIER_LOST, e.reason());
    }

    @Test
    void aDownDelayHoldsTheActiveLinkThroughAShortLossDuringTheHandoff() {
        FailoverGroup g = group(PolicyConfig.defaults().withDownDelay(Duration.ofMillis(300)));
        g.linkAppeared("eth1", ETH1, true, false);
        g.linkAppeared("eth2", ETH2, true, true);
        assertTrue(g.resume(List.of(up(ETH1, "eth1", 0, now - MS), up(ETH2, "eth2", 1, now - MS)), OptionalInt.of(ETH1),
                false, true, 1).isEmpty());
        assertEquals(LinkState.GOING_DOWN, g.links().get(0).state());
        assertEquals(now + 300 * MS, g.nextDeadlineNanos());
    }

    @Test
    void aVanishedActiveLinkIsReplaced() {
        FailoverGroup g = group(PolicyConfig.defaults());
        g.linkAppeared("eth2", ETH2, true, true);
        FailoverEvent e = g.resume(List.of(up(ETH1, "eth1", 0, now), up(ETH2, "eth2", 1, now)), OptionalInt.of(ETH1), false,
                true, 1).orElseThrow();
        assertEquals("eth2", e.newActive().name());
        assertFalse(e.reason() == Reason.INITIAL, "not a first choice: the predecessor had an active link");
    }

    @Test
    void nothingActiveBeforeMeansAFirstChoiceNow() {
        FailoverGroup g = withBothUp(PolicyConfig.defaults());
        FailoverEvent e = g.resume(List.of(), OptionalInt.empty(), false, false, 0).orElseThrow();
        assertEquals(Reason.INITIAL, e.reason());
        assertEquals("eth1", e.newActive().name());
    }

    @Test
    void resumeIsAStart() {
        FailoverGroup g = withBothUp(PolicyConfig.defaults());
        g.resume(List.of(), OptionalInt.of(ETH1), false, true, 0);
        assertThrows(IllegalStateException.class, g::start);
        assertThrows(IllegalStateException.class, () -> g.resume(List.of(), OptionalInt.empty(), false, true, 0));
    }
}
