// Tests of replacing the policy of a running group (reload): failback rules at once, delays for new transitions.
package dev.tapover.failover;

import static dev.tapover.failover.GroupDriver.ETH0;
import static dev.tapover.failover.GroupDriver.ETH1;
import static dev.tapover.failover.GroupDriver.MS;
import static dev.tapover.failover.GroupDriver.config;
import static dev.tapover.failover.GroupDriver.ms;
import static dev.tapover.failover.GroupDriver.startedPair;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class FailoverGroupSetConfigTest {
    @Test
    void fromNeverToAlwaysFailsBackAtOnce() {
        GroupDriver d = startedPair(config().withFailback(FailbackPolicy.NEVER));
        d.expectEvent(d.group.linkChanged(ETH0, true, false), "eth0", "eth1", Reason.CARRIER_LOST, "eth0");
        d.clock.advanceMillis(100);
        d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
        assertEquals("eth1", d.group.activeLink().get().name(), "never: stays on the standby");

        PolicyConfig always = config().withFailback(FailbackPolicy.ALWAYS);
        d.expectEvent(d.group.setConfig(always), "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        assertSame(always, d.group.config());
    }

    @Test
    void fromAlwaysToNeverStopsAPendingFailback() {
        GroupDriver d = startedPair(config().withFailbackDelay(ms(500)));
        d.expectEvent(d.group.linkChanged(ETH0, true, false), "eth0", "eth1", Reason.CARRIER_LOST, "eth0");
        d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
        long pending = d.group.nextDeadlineNanos();
        assertEquals(d.clock.getAsLong() + 500 * MS, pending, "failback waits for its delay");

        d.expectNoEvent(d.group.setConfig(config().withFailback(FailbackPolicy.NEVER)));
        assertEquals(Long.MAX_VALUE, d.group.nextDeadlineNanos(), "nothing left to wait for");
        d.clock.advanceMillis(600);
        d.expectNoEvent(d.group.onTimer());
        assertEquals("eth1", d.group.activeLink().get().name());
    }

    @Test
    void aShorterFailbackDelayAppliesToTheWaitingLink() {
        GroupDriver d = startedPair(config().withFailbackDelay(ms(10_000)));
        d.expectEvent(d.group.linkChanged(ETH0, true, false), "eth0", "eth1", Reason.CARRIER_LOST, "eth0");
        d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
        d.clock.advanceMillis(300);
        d.expectNoEvent(d.group.setConfig(config().withFailbackDelay(ms(400))));
        d.clock.advanceMillis(100);
        d.expectEvent(d.group.onTimer(), "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
    }

    @Test
    void newDownDelayAppliesToTheNextCarrierLossOnly() {
        GroupDriver d = startedPair(config());
        d.expectNoEvent(d.group.setConfig(config().withDownDelay(ms(200))));
        d.expectNoEvent(d.group.linkChanged(ETH0, true, false));
        assertEquals(LinkState.GOING_DOWN, d.link(ETH0).state(), "the new down-delay holds the link");
        d.clock.advanceMillis(200);
        d.expectEvent(d.group.onTimer(), "eth0", "eth1", Reason.CARRIER_LOST, "eth0");

        d.expectNoEvent(d.group.linkChanged(ETH1, true, false));
        assertEquals(LinkState.GOING_DOWN, d.link(ETH1).state());
        long deadline = d.group.nextDeadlineNanos();
        d.expectNoEvent(d.group.setConfig(config()));
        assertEquals(deadline, d.group.nextDeadlineNanos(), "a link already going down keeps its deadline");
    }
}
