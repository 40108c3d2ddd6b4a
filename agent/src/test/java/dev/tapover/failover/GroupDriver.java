// Test harness around a FailoverGroup: a fake clock, timers fired in deadline order, compact event assertions.
package dev.tapover.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Links are eth0 (primary, ifindex 10), eth1 (ifindex 11) and, with three links, eth2 (ifindex 12). */
final class GroupDriver {
    static final long MS = 1_000_000L;
    static final long T0 = 1_000_000 * MS;
    static final int ETH0 = 10;
    static final int ETH1 = 11;
    static final int ETH2 = 12;

    final FakeClock clock = new FakeClock(T0);
    final FailoverGroup group;

    GroupDriver(PolicyConfig config, String... names) {
        group = new FailoverGroup(List.of(names), config, clock);
    }

    /** eth0 and eth1 present with carrier, started: eth0 is active (reason initial). */
    static GroupDriver startedPair(PolicyConfig config) {
        GroupDriver driver = new GroupDriver(config, "eth0", "eth1");
        driver.group.linkAppeared("eth0", ETH0, true, true);
        driver.group.linkAppeared("eth1", ETH1, true, true);
        driver.expectEvent(driver.group.start(), null, "eth0", Reason.INITIAL, "eth0");
        return driver;
    }

    /** eth0, eth1, eth2 present with carrier, started: eth0 is active. */
    static GroupDriver startedTrio(PolicyConfig config) {
        GroupDriver driver = new GroupDriver(config, "eth0", "eth1", "eth2");
        driver.group.linkAppeared("eth0", ETH0, true, true);
        driver.group.linkAppeared("eth1", ETH1, true, true);
        driver.group.linkAppeared("eth2", ETH2, true, true);
        driver.expectEvent(driver.group.start(), null, "eth0", Reason.INITIAL, "eth0");
        return driver;
    }

    long now() {
        return clock.getAsLong();
    }

    /** Moves time forward by {@code millis}, firing onTimer at each deadline on the way, as the agent loop would. */
    List<FailoverEvent> runFor(long millis) {
        long until = clock.getAsLong() + millis * MS;
        List<FailoverEvent> events = new ArrayList<>();
        for (int guard = 0; group.nextDeadlineNanos() <= until; guard++) {
            if (guard > 1000) {
                throw new AssertionError("timers keep firing: nextDeadlineNanos does not advance");
            }
            clock.setNanos(Math.max(clock.getAsLong(), group.nextDeadlineNanos()));
            group.onTimer().ifPresent(events::add);
        }
        clock.setNanos(until);
        return events;
    }

    /** Runs for {@code millis} and asserts that nothing changed. */
    void runQuietlyFor(long millis) {
        List<FailoverEvent> events = runFor(millis);
        assertEquals(List.of(), events, "expected no events");
    }

    /** Runs for {@code millis} and returns the single event it must produce. */
    FailoverEvent runUntilOneEvent(long millis) {
        List<FailoverEvent> events = runFor(millis);
        assertEquals(1, events.size(), "expected one event, got " + events);
        return events.get(0);
    }

    FailoverEvent expectEvent(Optional<FailoverEvent> maybe, String from, String to, Reason reason,
                              String trigger) {
        assertTrue(maybe.isPresent(), "expected a " + reason.wireName() + " event");
        FailoverEvent event = maybe.get();
        assertEvent(event, now(), from, to, reason, trigger);
        return event;
    }

    void expectNoEvent(Optional<FailoverEvent> maybe) {
        assertFalse(maybe.isPresent(), () -> "expected no event, got " + maybe.get());
    }

    static void assertEvent(FailoverEvent event, long atNanos, String from, String to, Reason reason,
                            String trigger) {
        assertEquals(atNanos, event.timestampNanos(), "timestamp of " + event);
        assertEquals(from, event.oldActive() == null ? null : event.oldActive().name(), "old active of " + event);
        assertEquals(to, event.newActive() == null ? null : event.newActive().name(), "new active of " + event);
        assertEquals(reason, event.reason(), "reason of " + event);
        assertEquals(trigger, event.trigger().name(), "trigger of " + event);
        assertEquals(to != null, event.announce(), "announce flag of " + event);
    }

    String activeName() {
        return group.activeLink().map(LinkRef::name).orElse(null);
    }

    LinkSnapshot link(int ifindex) {
        return group.links().stream().filter(l -> l.ifindex() == ifindex).findFirst()
                .orElseThrow(() -> new AssertionError("no link with ifindex " + ifindex));
    }

    static PolicyConfig config() {
        return PolicyConfig.defaults();
    }

    static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
