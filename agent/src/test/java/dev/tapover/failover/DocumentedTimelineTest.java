// Replays the worked timeline of docs/failover-policy.md step by step, so the document and the code cannot drift.
package dev.tapover.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DocumentedTimelineTest {
    private static final long MS = 1_000_000L;
    private static final long T0 = 42_000 * MS;
    private static final int ETH0 = 2;
    private static final int ETH0_AGAIN = 7;
    private static final int ETH1 = 3;

    private final FakeClock clock = new FakeClock(T0);
    private final FailoverGroup group = new FailoverGroup(List.of("eth0", "eth1"),
            PolicyConfig.defaults().withUpDelay(Duration.ofMillis(200)).withDownDelay(Duration.ofMillis(100))
                    .withFailbackDelay(Duration.ofSeconds(1)).withFailback(FailbackPolicy.ALWAYS),
            clock);

    @Test
    void theWorkedExampleHappensAsDocumented() {
        group.linkAppeared("eth0", ETH0, true, true);
        group.linkAppeared("eth1", ETH1, true, true);
        expect(group.start(), 0, null, "eth0", Reason.INITIAL, "eth0");

        at(5_000);
        expectNone(group.linkChanged(ETH0, true, false));
        assertEquals(LinkState.GOING_DOWN, state(ETH0));
        at(5_050);
        expectNone(group.linkChanged(ETH0, true, true));

        at(6_000);
        expectNone(group.linkChanged(ETH0, true, false));
        assertEquals(T0 + 6_100 * MS, group.nextDeadlineNanos());
        at(6_100);
        expect(group.onTimer(), 6_100, "eth0", "eth1", Reason.CARRIER_LOST, "eth0");

        at(7_000);
        expectNone(group.linkChanged(ETH0, true, true));
        assertEquals(T0 + 7_200 * MS, group.nextDeadlineNanos());
        at(7_200);
        expectNone(group.onTimer());
        assertEquals(LinkState.UP, state(ETH0));
        assertEquals(T0 + 8_200 * MS, group.nextDeadlineNanos());
        at(8_200);
        expect(group.onTimer(), 8_200, "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");

        at(9_000);
        expect(group.requestSwitch("standby").event(), 9_000, "eth0", "eth1", Reason.MANUAL, "eth1");
        at(9_500);
        expect(group.linkChanged(ETH1, false, true), 9_500, "eth1", "eth0", Reason.MANUAL_TARGET_FAILED, "eth1");

        at(10_000);
        FailoverEvent none = expect(group.linkRemoved(ETH0), 10_000, "eth0", null, Reason.NO_USABLE_LINK, "eth0");
        assertFalse(none.announce());
        assertFalse(group.hasUsableLink());

        at(10_500);
        expect(group.linkChanged(ETH1, true, true), 10_500, null, "eth1", Reason.LINK_RETURNED, "eth1");
        assertEquals(LinkState.GOING_UP, state(ETH1));
        assertTrue(group.hasUsableLink());

        at(11_000);
        expectNone(group.linkAppeared("eth0", ETH0_AGAIN, true, true));
        assertEquals(T0 + 10_700 * MS, group.nextDeadlineNanos(), "eth1's up-delay ends first");
        at(11_200);
        expectNone(group.onTimer());
        assertEquals(LinkState.UP, state(ETH1));
        assertEquals(LinkState.UP, state(ETH0_AGAIN));
        assertEquals(T0 + 12_200 * MS, group.nextDeadlineNanos());
        at(12_200);
        FailoverEvent last = expect(group.onTimer(), 12_200, "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        assertEquals(ETH0_AGAIN, last.newActive().ifindex());
        assertEquals(8, group.eventCount());
    }

    private void at(long millis) {
        clock.setNanos(T0 + millis * MS);
    }

    private LinkState state(int ifindex) {
        return group.links().stream().filter(l -> l.ifindex() == ifindex).findFirst().orElseThrow().state();
    }

    private static void expectNone(Optional<FailoverEvent> event) {
        assertEquals(Optional.empty(), event);
    }

    private static FailoverEvent expect(Optional<FailoverEvent> maybe, long millis, String from, String to,
                                        Reason reason, String trigger) {
        FailoverEvent event = maybe.orElseThrow(() -> new AssertionError("expected " + reason.wireName()));
        GroupDriver.assertEvent(event, T0 + millis * MS, from, to, reason, trigger);
        return event;
    }
}
