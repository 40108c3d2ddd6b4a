// Tests of new announcement settings on a running announcer (reload): form, counts, budget; counters and links kept.
package dev.tapover.announce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

class AnnouncerReconfigureTest {
    private static final long S = 1_000_000_000L;

    private final long[] now = {42 * S};
    private final FakeLinks links = new FakeLinks().with("p", 5).with("s", 6);

    private Announcer announcer() {
        Announcer a = new Announcer(AnnouncerTest.ONE_SECOND_APART, AnnouncementFramesTest.MAC, links, null,
                () -> now[0], Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
        a.updateAddresses(List.of(AnnouncementFramesTest.V4, AnnouncementFramesTest.V6));
        a.prepareLinks(List.of("p", "s"));
        a.setActiveLink("p");
        return a;
    }

    private void runFor(Announcer a, int seconds) {
        for (int i = 0; i <= seconds; i++) {
            a.doWork();
            now[0] += S;
        }
    }

    /** The ARP opcode of a frame, 0 for anything that is not ARP. */
    private static int arpOp(byte[] f) {
        return f[12] == 0x08 && f[13] == 0x06 ? f[21] : 0;
    }

    @Test
    void theNextBurstUsesTheNewFormAndCountsWithoutReopeningLinks() {
        Announcer a = announcer();
        a.trigger(Reason.FAILOVER);
        runFor(a, 3);
        assertEquals(6, links.drain().size(), "3 ARP requests and 3 NAs");
        int opens = links.opened.size();

        a.reconfigure(AnnouncementConfig.builder().arpForm(ArpForm.REPLY).arpCount(1).naCount(0).build());
        a.trigger(Reason.MANUAL);
        runFor(a, 3);
        List<FakeLinks.Sent> sent = links.drain();
        assertEquals(1, sent.size(), "one round, no NA");
        assertEquals(2, arpOp(sent.get(0).frame()), "an ARP reply");
        assertEquals(opens, links.opened.size(), "no link was reopened");
        AnnouncementCounters c = a.counters();
        assertEquals(3, c.sent(FrameKind.ARP_REQUEST), "earlier counters are kept");
        assertEquals(1, c.sent(FrameKind.ARP_REPLY));
        assertEquals(ArpForm.REPLY, a.config().arpForm());
    }

    @Test
    void aRunningBurstFollowsTheNewCount() {
        Announcer a = announcer();
        a.trigger(Reason.FAILOVER);
        a.doWork();
        assertEquals(2, links.drain().size(), "first round: ARP and NA");
        a.reconfigure(AnnouncementConfig.builder().arpCount(1).naCount(1).build());
        runFor(a, 3);
        assertEquals(0, links.drain().size(), "the burst had already sent its one round");
        assertFalse(a.counters().burstRunning());
    }

    @Test
    void aLowerBudgetTakesEffectAtOnce() {
        Announcer a = announcer();
        a.reconfigure(AnnouncementConfig.builder().budgetPerSecond(1).build());
        a.trigger(Reason.FAILOVER);
        a.doWork();
        assertEquals(1, links.drain().size(), "one frame per second: the NA waits");
        assertEquals(1, a.counters().framesSuppressed());
    }
}
