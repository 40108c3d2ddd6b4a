// Announcer tests with fake links and a fake clock: pre-opening, bursts, link changes, hotplug, errors, pcap copy.
package dev.tapover.announce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.tapover.announce.FakeLinks.Sent;
import org.junit.jupiter.api.Test;

class AnnouncerTest {
    private static final long S = 1_000_000_000L;
    private static final byte[] MAC = AnnouncementFramesTest.MAC;
    private static final Instant WALL = Instant.parse("2025-01-01T00:00:00Z");

    private final long[] now = {42 * S};
    private final FakeLinks links = new FakeLinks().with("p", 5).with("s", 6);

    private Announcer announcer(AnnouncementConfig config, FrameRecorder recorder) {
        return new Announcer(config, MAC, links, recorder, () -> now[0], Clock.fixed(WALL, ZoneOffset.UTC));
    }

    /** Three ARP and three NA rounds one second apart: round times that are easy to step through. */
    static final AnnouncementConfig ONE_SECOND_APART = AnnouncementConfig.builder().intervalMode(IntervalMode.FIXED)
            .arpCount(3).build();

    private Announcer announcer() {
        Announcer a = announcer(ONE_SECOND_APART, null);
        a.updateAddresses(List.of(AnnouncementFramesTest.V4, AnnouncementFramesTest.V6));
        a.prepareLinks(List.of("p", "s"));
        a.setActiveLink("p");
        return a;
    }

    private static List<FrameKind> kinds(List<Sent> sent) {
        return sent.stream().map(s -> kind(s.frame())).collect(Collectors.toList());
    }

    /** The kind of a frame, read from its bytes (ethertype and ARP opcode). */
    private static FrameKind kind(byte[] f) {
        int type = ((f[12] & 0xff) << 8) | (f[13] & 0xff);
        if (type == 0x86dd) {
            return FrameKind.NEIGHBOR_ADVERTISEMENT;
        }
        if (type == 0x8035) {
            return FrameKind.RARP;
        }
        return f[21] == 2 ? FrameKind.ARP_REPLY : f[32] == -1 ? FrameKind.ARP_REQUEST_BROADCAST : FrameKind.ARP_REQUEST;
    }

    @Test
    void linksAreOpenedAndFramesBuiltBeforeAnyTrigger() {
        Announcer a = announcer();
        assertTrue(a.doWork() >= 3, "frames built, two links opened");
        assertEquals(List.of("p", "s"), links.opened.stream().sorted().collect(Collectors.toList()));
        assertEquals(0, links.sent.size());
        assertEquals(0, a.doWork(), "nothing more to do while idle");
        assertEquals(AnnouncementSchedule.NO_DEADLINE, a.nextDeadlineNanos());
    }

    @Test
    void aBurstSendsEveryAddressOnTheActiveLinkRoundAfterRound() {
        Announcer a = announcer();
        a.doWork();
        a.trigger(Reason.FAILOVER);
        a.doWork();
        List<Sent> first = links.drain();
        assertEquals(List.of(FrameKind.ARP_REQUEST, FrameKind.NEIGHBOR_ADVERTISEMENT), kinds(first));
        assertTrue(first.stream().allMatch(s -> s.link().equals("p")));
        assertArrayEquals(AnnouncementFrames.arp(ArpForm.REQUEST, MAC, AnnouncementFramesTest.V4, 0), first.get(0).frame());
        assertEquals(now[0] + S, a.nextDeadlineNanos());
        for (int i = 0; i < 5; i++) {
            now[0] += S;
            a.doWork();
        }
        assertEquals(4, links.drain().size(), "two more rounds of two frames, then nothing");
        AnnouncementCounters c = a.counters();
        assertEquals(3, c.sent(FrameKind.ARP_REQUEST));
        assertEquals(3, c.sent(FrameKind.NEIGHBOR_ADVERTISEMENT));
        assertEquals(6, c.sentTotal());
        assertEquals(1, c.bursts());
        assertEquals(Reason.FAILOVER, c.lastReason());
        assertEquals(WALL, c.lastTrigger());
        assertEquals("p", c.activeLink());
        assertFalse(c.burstRunning());
        assertEquals(0, c.sendErrors());
    }

    @Test
    void alternateFormTurnsBetweenRequestAndReply() {
        Announcer a = announcer(ONE_SECOND_APART.toBuilder().arpForm(ArpForm.ALTERNATE).naCount(0).build(), null);
        a.updateAddresses(List.of(AnnouncementFramesTest.V4));
        a.setActiveLink("p");
        a.trigger(Reason.MANUAL);
        for (int i = 0; i < 4; i++) {
            a.doWork();
            now[0] += S;
        }
        assertEquals(List.of(FrameKind.ARP_REQUEST, FrameKind.ARP_REPLY, FrameKind.ARP_REQUEST), kinds(links.drain()));
        assertEquals(2, a.counters().sent(FrameKind.ARP_REQUEST));
        assertEquals(1, a.counters().sent(FrameKind.ARP_REPLY));
    }

    @Test
    void laterRoundsFollowTheActiveLink() {
        Announcer a = announcer();
        a.trigger(Reason.FAILOVER);
        a.doWork();
        a.setActiveLink("s");
        now[0] += S;
        a.doWork();
        assertEquals(List.of("p", "p", "s", "s"), links.drain().stream().map(Sent::link).collect(Collectors.toList()));
    }

    @Test
    void aReplugedLinkIsReopenedAtTheNextBurst() {
        Announcer a = announcer();
        a.doWork();
        links.ifindex.put("p", 77); // unplugged and plugged again: a new ifindex, the old handle is useless
        a.trigger(Reason.MIGRATION);
        a.doWork();
        List<Sent> sent = links.drain();
        assertEquals(2, sent.size());
        assertTrue(sent.stream().allMatch(s -> s.handle() == 3), "sent through the new handle: " + sent);
        assertEquals(1, a.counters().reopens());
        assertEquals(2, links.openHandles, "the old handle was closed");
    }

    @Test
    void aLinkMonitorReportReopensTheLinkAhead() {
        Announcer a = announcer();
        a.doWork();
        links.ifindex.put("s", 99);
        a.linkIndexChanged("s", 99);
        a.linkIndexChanged("p", 5); // unchanged: left alone
        a.doWork();
        assertEquals(List.of("p", "s", "s"), links.opened.stream().sorted().collect(Collectors.toList()));
        assertEquals(1, a.counters().reopens());
    }

    @Test
    void sendErrorsAreCountedNeverThrown() {
        Announcer a = announcer();
        a.doWork();
        links.failSend.add("p"); // e.g. ENETDOWN: same link, same ifindex
        a.trigger(Reason.FAILOVER);
        a.doWork();
        AnnouncementCounters c = a.counters();
        assertEquals(2, c.sendErrors());
        assertEquals(0, c.sentTotal());
        links.failSend.clear();
        now[0] += S;
        a.doWork();
        assertEquals(2, a.counters().sentTotal(), "the next round goes out through the same handle");
        assertEquals(0, a.counters().reopens());
        assertEquals(List.of(1, 1), links.drain().stream().map(Sent::handle).collect(Collectors.toList()),
                "p was opened first, as prepared");
        assertEquals(2, links.opened.size());
    }

    @Test
    void aSendFailureOnAReplacedLinkReopensIt() {
        Announcer a = announcer();
        a.doWork();
        a.trigger(Reason.FAILOVER);
        a.doWork();
        links.drain();
        links.failSend.add("p"); // the old handle's link is gone, a new "p" has another ifindex
        links.ifindex.put("p", 55);
        now[0] += S;
        a.doWork();
        assertEquals(2, a.counters().sendErrors());
        links.failSend.clear();
        now[0] += S;
        a.doWork();
        List<Sent> sent = links.drain();
        assertEquals(2, sent.size());
        assertTrue(sent.stream().allMatch(s -> s.handle() == 3), "through a new handle: " + sent);
        assertEquals(1, a.counters().reopens());
    }

    @Test
    void withoutAnActiveLinkFramesAreCountedAsErrors() {
        Announcer a = announcer();
        a.setActiveLink(null);
        a.trigger(Reason.RESTART);
        a.doWork();
        assertEquals(2, a.counters().sendErrors());
        assertEquals(0, links.sent.size());
    }

    @Test
    void openFailuresAreCountedAndRetriedEverySecond() {
        links.failOpen.add("s");
        Announcer a = announcer();
        a.doWork();
        assertEquals(1, a.counters().openErrors());
        assertEquals(now[0] + S, a.nextDeadlineNanos(), "a retry is scheduled");
        a.doWork();
        assertEquals(1, a.counters().openErrors(), "not retried before the second is up");
        links.failOpen.clear();
        now[0] += S;
        a.doWork();
        assertTrue(links.opened.contains("s"));
        assertEquals(AnnouncementSchedule.NO_DEADLINE, a.nextDeadlineNanos());
    }

    @Test
    void aMissingLinkIsNoErrorAndIsOpenedWhenItAppears() {
        Announcer a = announcer();
        a.prepareLinks(List.of("p", "s", "late0"));
        a.doWork();
        assertEquals(0, a.counters().openErrors());
        links.ifindex.put("late0", 12);
        now[0] += S;
        a.doWork();
        assertTrue(links.opened.contains("late0"));
    }

    @Test
    void linksNoLongerWantedAreClosed() {
        Announcer a = announcer();
        a.doWork();
        assertEquals(2, links.openHandles);
        a.prepareLinks(List.of());
        a.doWork();
        assertEquals(1, links.openHandles, "only the active link stays open");
        a.close();
        assertEquals(0, links.openHandles);
    }

    @Test
    void theBudgetHoldsFramesBackAndCountsThem() {
        Announcer a = announcer(AnnouncementConfig.builder().budgetPerSecond(2).naCount(0).build(), null);
        a.updateAddresses(List.of(AnnouncementFramesTest.ip("192.0.2.1"), AnnouncementFramesTest.ip("192.0.2.2"),
                AnnouncementFramesTest.ip("192.0.2.3")));
        a.setActiveLink("p");
        a.trigger(Reason.FAILOVER);
        a.doWork();
        assertEquals(2, links.drain().size());
        assertEquals(1, a.counters().framesSuppressed());
    }

    @Test
    void addressChangesRebuildTheFramesAndVlansGetTaggedCopies() {
        Announcer a = announcer();
        a.updateAddresses(List.of(AnnouncementFramesTest.ip("203.0.113.5")));
        a.updateVlans(Map.of(10, List.of(AnnouncementFramesTest.ip("198.51.100.10")), 20, List.of()));
        a.trigger(Reason.MANUAL);
        a.doWork();
        List<Sent> sent = links.drain();
        assertEquals(List.of(FrameKind.ARP_REQUEST, FrameKind.ARP_REQUEST, FrameKind.RARP),
                sent.stream().map(s -> kindBehindTag(s.frame())).collect(Collectors.toList()));
        assertEquals("000a", AnnouncementFramesTest.hex(sent.get(1).frame(), 14, 2));
        assertEquals("0014", AnnouncementFramesTest.hex(sent.get(2).frame(), 14, 2));
        assertThrows(IllegalArgumentException.class, () -> a.updateVlans(Map.of(0, List.of())));
        assertThrows(IllegalArgumentException.class, () -> a.updateVlans(Map.of(4095, List.of())));
    }

    @Test
    void aNewMasterMacIsUsedFromTheNextRound() {
        Announcer a = announcer();
        byte[] other = java.util.HexFormat.ofDelimiter(":").parseHex("02:00:5e:00:53:02");
        a.setMasterMac(other);
        a.trigger(Reason.MANUAL);
        a.doWork();
        for (Sent s : links.drain()) {
            assertEquals("02005e005302", AnnouncementFramesTest.hex(s.frame(), 6, 6));
        }
        assertThrows(IllegalArgumentException.class, () -> a.setMasterMac(new byte[3]));
    }

    @Test
    void theRecorderGetsACopyOfEverySentFrame() {
        List<byte[]> recorded = new ArrayList<>();
        int[] flushes = {0};
        FrameRecorder recorder = new FrameRecorder() {
            @Override
            public void record(byte[] frame) {
                recorded.add(frame);
            }

            @Override
            public void flush() {
                flushes[0]++;
            }

            @Override
            public void close() {
            }
        };
        Announcer a = announcer(AnnouncementConfig.defaults(), recorder);
        a.updateAddresses(List.of(AnnouncementFramesTest.V4, AnnouncementFramesTest.V6));
        a.setActiveLink("p");
        a.trigger(Reason.MANUAL);
        a.doWork();
        List<Sent> sent = links.drain();
        assertEquals(sent.size(), recorded.size());
        for (int i = 0; i < sent.size(); i++) {
            assertArrayEquals(sent.get(i).frame(), recorded.get(i));
        }
        assertEquals(2, flushes[0], "one flush per round");
    }

    @Test
    void aTriggerDuringABurstIsCoalesced() {
        Announcer a = announcer();
        a.trigger(Reason.FAILOVER);
        a.doWork();
        a.trigger(Reason.FAILBACK);
        a.doWork();
        AnnouncementCounters c = a.counters();
        assertEquals(2, c.bursts());
        assertEquals(1, c.coalesced());
        assertEquals(Reason.FAILBACK, c.lastReason());
        assertNotEquals(0, c.sent(FrameKind.ARP_REQUEST));
    }

    @Test
    void aProofOnTheActiveLinkIsRecordedReportedAndCutsTheBurst() {
        Announcer a = announcer(ONE_SECOND_APART.toBuilder().untilProven(true).build(), null);
        a.updateAddresses(List.of(AnnouncementFramesTest.V4, AnnouncementFramesTest.V6));
        a.setActiveLink("s");
        List<String> heard = new ArrayList<>();
        a.setProofListener((link, reason, micros, stopped) -> heard.add(link + " " + reason + " " + micros + " " + stopped));
        long trigger = now[0];
        a.trigger(Reason.FAILOVER);
        a.doWork();
        assertEquals(2, links.drain().size(), "the first ARP and NA round went out");
        a.pathProven("p", trigger + 1_000_000); // an inactive link proves nothing
        assertTrue(a.counters().awaitingProof());
        a.pathProven("s", trigger + 2_500_000);
        now[0] += 3_000_000;
        a.doWork();
        assertEquals(List.of("s failover 2500 true"), heard);
        for (int i = 0; i < 5; i++) {
            now[0] += S;
            a.doWork();
        }
        assertEquals(0, links.drain().size(), "no round after the proof");
        AnnouncementCounters c = a.counters();
        assertEquals(1, c.proofs());
        assertEquals(1, c.stoppedEarly());
        assertEquals(2500, c.lastProofMicros());
        assertEquals("s", c.lastProofLink());
        assertFalse(c.awaitingProof());
        assertFalse(c.burstRunning());
    }

    @Test
    void flappingBetweenLinksIsCappedByEachLinksOwnBudget() {
        Announcer a = announcer(ONE_SECOND_APART.toBuilder().budgetPerSecond(3).naCount(0).build(), null);
        a.updateAddresses(List.of(AnnouncementFramesTest.V4));
        for (int flap = 0; flap < 20; flap++) { // twenty failovers within a millisecond
            a.setActiveLink(flap % 2 == 0 ? "s" : "p");
            a.trigger(Reason.FAILOVER);
            a.doWork();
            now[0] += 50_000;
        }
        Map<String, Long> perLink = links.drain().stream().collect(Collectors.groupingBy(Sent::link, Collectors.counting()));
        assertEquals(Map.of("p", 3L, "s", 3L), perLink);
        assertEquals(14, a.counters().framesSuppressed());
    }

    @Test
    void refreshRoundsFollowTheBurstWithoutCountingAsBursts() {
        Announcer a = announcer(ONE_SECOND_APART.toBuilder().arpCount(1).naCount(0)
                .refresh(java.time.Duration.ofSeconds(30)).build(), null);
        a.updateAddresses(List.of(AnnouncementFramesTest.V4));
        a.setActiveLink("p");
        a.trigger(Reason.RESTART);
        a.doWork();
        assertEquals(now[0] + 30 * S, a.nextDeadlineNanos());
        for (int i = 0; i < 3; i++) {
            now[0] += 30 * S;
            a.doWork();
        }
        assertEquals(4, links.drain().size());
        assertEquals(3, a.counters().refreshRounds());
        assertEquals(1, a.counters().bursts());
    }

    @Test
    void aReadyAnnouncerSendsTheFirstRoundOnTheTriggeringThread() {
        Announcer a = announcer();
        a.doWork(); // frames built, links opened: what the worker does ahead of any failover
        a.setActiveLink("s");
        a.trigger(Reason.FAILOVER);
        List<Sent> first = links.drain();
        assertEquals(List.of(FrameKind.ARP_REQUEST, FrameKind.NEIGHBOR_ADVERTISEMENT), kinds(first),
                "round 0 went out inside trigger(), no worker wake-up needed");
        assertTrue(first.stream().allMatch(x -> x.link().equals("s")));
        a.doWork();
        assertEquals(0, links.drain().size(), "the worker does not send round 0 again");
        now[0] += S;
        a.doWork();
        assertEquals(2, links.drain().size(), "round 1 comes from the worker on time");
    }

    @Test
    void anUnreadyAnnouncerLeavesTheFirstRoundToTheWorker() {
        Announcer a = announcer(); // nothing built or opened yet
        a.trigger(Reason.FAILOVER);
        assertEquals(0, links.drain().size());
        a.doWork();
        assertEquals(2, links.drain().size());
        links.ifindex.put("p", 15); // replugged: the handle is stale, the worker must reopen it
        a.trigger(Reason.MANUAL);
        assertEquals(0, links.drain().size(), "never sends through a stale handle, never opens a link itself");
        a.doWork();
        List<Sent> resent = links.drain();
        assertEquals(List.of(FrameKind.ARP_REQUEST), kinds(resent), "the ARP round (the NA waits for its spacing)");
        assertEquals(3, links.opened.size(), "p was reopened by the worker: " + links.opened);
    }

    @Test
    void announceOnSwitchesTheActiveLinkAndSendsAtOnceUnlessTheReportedIfindexIsNew() {
        Announcer a = announcer();
        a.doWork();
        a.announceOn("s", 6, Reason.FAILOVER);
        assertEquals(List.of("s", "s"), links.drain().stream().map(Sent::link).collect(Collectors.toList()));
        assertEquals("s", a.counters().activeLink());
        links.ifindex.put("p", 15);
        a.announceOn("p", 15, Reason.FAILBACK); // p was replugged: its open handle belongs to ifindex 5
        assertEquals(0, links.drain().size());
        a.doWork();
        assertEquals(List.of("p"), links.drain().stream().map(Sent::link).collect(Collectors.toList()),
                "the worker reopened p and sent the ARP round (the NA waits for its spacing)");
    }

    @Test
    void announceOnTellsWhenItsThreadHandedTheFirstFrameToTheLink() {
        Announcer a = announcer();
        a.doWork();
        now[0] = 7 * S;
        assertEquals(7 * S, a.announceOn("s", 6, Reason.FAILOVER), "sent here: the time just before the first send");
        assertEquals(2, links.drain().size());
        links.ifindex.put("p", 15);
        assertEquals(-1, a.announceOn("p", 15, Reason.FAILBACK), "replugged: the worker sends, no time to report");
        assertEquals(0, links.drain().size());
    }

    @Test
    void warmUpRunsTheFirstRoundOnLinksThatDiscardEveryFrame() throws Exception {
        AnnouncementConfig config = AnnouncementConfig.builder().budgetPerSecond(10).build();
        List<InetAddress> addresses = List.of(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.7"));
        assertEquals(2 * 50, Announcer.warmUp(config, MAC, addresses, 50),
                "one ARP per address per trigger, no budget in the way (the real one would have withheld most)");
        assertEquals(0, links.drain().size(), "nothing reached this test's links");
    }

    @Test
    void aTriggerNeverWaitsForTheWorkersIo() throws Exception {
        java.util.concurrent.CountDownLatch opening = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        FakeLinks slow = new FakeLinks().with("p", 5);
        slow.beforeOpen = () -> {
            opening.countDown();
            try {
                release.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        Announcer a = new Announcer(ONE_SECOND_APART, MAC, slow, null, () -> now[0], Clock.fixed(WALL, ZoneOffset.UTC));
        a.updateAddresses(List.of(AnnouncementFramesTest.V4));
        a.setActiveLink("p");
        Thread worker = new Thread(a::doWork, "test-worker");
        worker.start();
        assertTrue(opening.await(5, java.util.concurrent.TimeUnit.SECONDS), "the worker is opening a link");
        long t = System.nanoTime();
        a.trigger(Reason.FAILOVER);
        assertTrue(System.nanoTime() - t < 1_000_000_000L, "trigger returned while the worker held its I/O lock");
        assertEquals(0, slow.sent.size());
        release.countDown();
        worker.join(5000);
        a.doWork();
        assertEquals(1, slow.drain().size(), "the worker sent the round");
    }

    private static FrameKind kindBehindTag(byte[] f) {
        if (f[12] == (byte) 0x81 && f[13] == 0) {
            byte[] inner = new byte[f.length - 4];
            System.arraycopy(f, 0, inner, 0, 12);
            System.arraycopy(f, 16, inner, 12, f.length - 16);
            return kind(inner);
        }
        return kind(f);
    }
}
