// Tests for one link's debounce state machine: up-delay, down-delay, admin-down, and flaps that cancel.
package dev.tapover.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LowerLinkTest {
    private static final long MS = 1_000_000L;
    private static final long T0 = 5_000 * MS;
    private static final PolicyConfig DELAYS = PolicyConfig.defaults()
            .withUpDelay(Duration.ofMillis(200)).withDownDelay(Duration.ofMillis(100));

    private static LowerLink upAt(long now) {
        LowerLink link = new LowerLink(7, "eth1", 1, 1000);
        link.settle(true, true, now);
        return link;
    }

    @Test
    void settleTakesTheObservationAtFaceValue() {
        LowerLink up = upAt(T0);
        assertEquals(LinkState.UP, up.state());
        assertEquals(T0, up.snapshot().usableSinceNanos());

        LowerLink adminDown = new LowerLink(8, "eth2", 2, LinkSnapshot.SPEED_UNKNOWN);
        adminDown.settle(false, true, T0);
        assertEquals(LinkState.DOWN, adminDown.state());
        assertEquals(Reason.ADMIN_DOWN, adminDown.snapshot().downCause());
    }

    @Test
    void carrierReturnWaitsForUpDelay() {
        LowerLink link = new LowerLink(7, "eth1", 1, 1000);
        link.settle(true, false, T0);
        link.observe(true, true, T0 + 10 * MS, DELAYS);
        assertEquals(LinkState.GOING_UP, link.state());
        assertEquals(T0 + 210 * MS, link.deadlineNanos());

        link.expire(T0 + 209 * MS);
        assertEquals(LinkState.GOING_UP, link.state());
        link.expire(T0 + 210 * MS);
        assertEquals(LinkState.UP, link.state());
        assertEquals(T0 + 210 * MS, link.snapshot().usableSinceNanos());
        assertEquals(LinkSnapshot.NO_DEADLINE, link.deadlineNanos());
    }

    @Test
    void lateExpiryDatesUsabilityFromTheDeadlineNotTheTick() {
        LowerLink link = new LowerLink(7, "eth1", 1, 1000);
        link.settle(true, false, T0);
        link.observe(true, true, T0, DELAYS);
        link.expire(T0 + 900 * MS);
        assertEquals(T0 + 200 * MS, link.snapshot().usableSinceNanos());
    }

    @Test
    void flapShorterThanUpDelayIsForgotten() {
        LowerLink link = new LowerLink(7, "eth1", 1, 1000);
        link.settle(true, false, T0);
        link.observe(true, true, T0, DELAYS);
        link.observe(true, false, T0 + 50 * MS, DELAYS);
        assertEquals(LinkState.DOWN, link.state());
        assertEquals(LinkSnapshot.NO_DEADLINE, link.deadlineNanos());
        link.observe(true, true, T0 + 60 * MS, DELAYS);
        assertEquals(T0 + 260 * MS, link.deadlineNanos(), "up-delay restarts from the latest carrier return");
    }

    @Test
    void carrierLossWaitsForDownDelayAndStaysUsableMeanwhile() {
        LowerLink link = upAt(T0);
        link.observe(true, false, T0 + 1_000 * MS, DELAYS);
        assertEquals(LinkState.GOING_DOWN, link.state());
        assertEquals(T0, link.snapshot().usableSinceNanos());
        link.expire(T0 + 1_100 * MS);
        assertEquals(LinkState.DOWN, link.state());
        assertEquals(Reason.CARRIER_LOST, link.snapshot().downCause());
    }

    @Test
    void flapShorterThanDownDelayKeepsUsableSince() {
        LowerLink link = upAt(T0);
        link.observe(true, false, T0 + 1_000 * MS, DELAYS);
        link.observe(true, true, T0 + 1_050 * MS, DELAYS);
        assertEquals(LinkState.UP, link.state());
        assertEquals(T0, link.snapshot().usableSinceNanos());
        assertEquals(LinkSnapshot.NO_DEADLINE, link.deadlineNanos());
    }

    @Test
    void adminDownIsImmediateEvenWithDownDelay() {
        LowerLink link = upAt(T0);
        link.observe(false, true, T0 + MS, DELAYS);
        assertEquals(LinkState.DOWN, link.state());
        assertEquals(Reason.ADMIN_DOWN, link.snapshot().downCause());
    }

    @Test
    void adminDownDuringDownDelayIsImmediate() {
        LowerLink link = upAt(T0);
        link.observe(true, false, T0 + MS, DELAYS);
        link.observe(false, false, T0 + 2 * MS, DELAYS);
        assertEquals(LinkState.DOWN, link.state());
        assertEquals(Reason.ADMIN_DOWN, link.snapshot().downCause());
    }

    @Test
    void adminUpAgainGoesThroughUpDelay() {
        LowerLink link = upAt(T0);
        link.observe(false, true, T0 + MS, DELAYS);
        link.observe(true, true, T0 + 2 * MS, DELAYS);
        assertEquals(LinkState.GOING_UP, link.state());
    }

    @Test
    void zeroDelaysSwitchAtOnce() {
        LowerLink link = upAt(T0);
        link.observe(true, false, T0 + MS, PolicyConfig.defaults());
        assertEquals(LinkState.DOWN, link.state());
        link.observe(true, true, T0 + 2 * MS, PolicyConfig.defaults());
        assertEquals(LinkState.UP, link.state());
        assertEquals(T0 + 2 * MS, link.snapshot().usableSinceNanos());
    }

    @Test
    void snapshotCarriesIdentityAndRenameKeepsIt() {
        LowerLink link = upAt(T0);
        link.rename("wan1");
        LinkSnapshot snapshot = link.snapshot();
        assertEquals(7, snapshot.ifindex());
        assertEquals("wan1", snapshot.name());
        assertEquals("eth1", snapshot.configuredName());
        assertEquals(LinkRole.STANDBY, snapshot.role());
        assertEquals(1000, snapshot.speedMbps());
        assertNull(snapshot.downCause());
        assertEquals(new LinkRef(7, "wan1", LinkRole.STANDBY), snapshot.ref());
    }

    @Test
    void snapshotRejectsInconsistentInputs() {
        assertThrows(IllegalArgumentException.class, () -> new LinkSnapshot(1, "a", "a", LinkRole.STANDBY, 0,
                true, true, 0, LinkState.UP, 0, LinkSnapshot.NO_DEADLINE, null));
        assertThrows(IllegalArgumentException.class, () -> new LinkSnapshot(1, "a", "a", LinkRole.PRIMARY, 0,
                true, false, 0, LinkState.DOWN, 0, LinkSnapshot.NO_DEADLINE, null));
        assertThrows(IllegalArgumentException.class, () -> new LinkSnapshot(1, "a", "a", LinkRole.PRIMARY, 0,
                true, true, 0, LinkState.UP, 0, LinkSnapshot.NO_DEADLINE, Reason.REMOVED));
        assertThrows(IllegalArgumentException.class, () -> new LinkRef(0, "a", LinkRole.PRIMARY));
    }
}
