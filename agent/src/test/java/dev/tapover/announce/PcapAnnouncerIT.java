// Real-kernel test: announcements sent through pcap4j on a veth, captured by tcpdump, decoded by tshark,
// and their effect on a Linux peer's neighbour table and a Linux bridge's FDB.
package dev.tapover.announce;

import static dev.tapover.announce.Netns.quietly;
import static dev.tapover.announce.Netns.sh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Topology (everything but the peer lives in the test JVM's throwaway namespace):
 *
 * <pre>
 *   a ──veth── b ─┐
 *   e ──veth── f ─┤ br0 ─ c ──veth── d  [namespace tovan-peer-PID: 192.0.2.2/24, 2001:db8::2/64]
 *   g ──veth── h ─┘
 * </pre>
 *
 * The announcer sends on a (or e, g: the "lower links"); tcpdump captures on the bridge port. Tagged
 * {@code netns} so a surefire {@code excludedGroups} can keep it out of the unit tier even when
 * {@code -Dtest=...} overrides surefire's {@code *IT} exclusion.
 */
@Tag("netns")
class PcapAnnouncerIT {
    private static final String MAC = "02:00:5e:00:53:01";
    private static final String OLD_MAC = "02:00:5e:00:53:99";
    private static final byte[] MAC_BYTES = AnnouncementFramesTest.MAC;
    private static final String FILTER = "ether src " + MAC;
    private static final InetAddress V4 = AnnouncementFramesTest.ip("192.0.2.1");
    private static final InetAddress V6 = AnnouncementFramesTest.ip("2001:db8::1");
    private static final InetAddress VLAN_V4 = AnnouncementFramesTest.ip("198.51.100.1");

    private static String peer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void topology() {
        Netns.requireThrowawayNamespace();
        peer = "tovan-peer-" + ProcessHandle.current().pid();
        sh("ip", "netns", "add", peer);
        sh("ip", "-n", peer, "link", "set", "dev", "lo", "up");
        sh("ip", "link", "add", "name", "br0", "type", "bridge");
        sysctl(null, "net.ipv6.conf.br0.disable_ipv6", "1");
        sh("ip", "link", "set", "dev", "br0", "up");
        for (String[] pair : new String[][] {{"a", "b"}, {"e", "f"}, {"g", "h"}}) {
            vethToBridge(pair[0], pair[1]);
        }
        sh("ip", "link", "add", "name", "c", "type", "veth", "peer", "name", "d", "netns", peer);
        sysctl(null, "net.ipv6.conf.c.disable_ipv6", "1");
        sh("ip", "link", "set", "dev", "c", "master", "br0");
        sh("ip", "link", "set", "dev", "c", "up");
        sh("ip", "-n", peer, "addr", "add", "192.0.2.2/24", "dev", "d");
        sh("ip", "-n", peer, "addr", "add", "2001:db8::2/64", "dev", "d", "nodad");
        sh("ip", "-n", peer, "link", "set", "dev", "d", "up");
    }

    /** A veth pair whose far end is a bridge port; the near end's own IPv6 stack stays silent. */
    private static void vethToBridge(String near, String port) {
        sh("ip", "link", "add", "name", near, "type", "veth", "peer", "name", port);
        sysctl(null, "net.ipv6.conf." + near + ".disable_ipv6", "1");
        sysctl(null, "net.ipv6.conf." + port + ".disable_ipv6", "1");
        sh("ip", "link", "set", "dev", port, "master", "br0");
        sh("ip", "link", "set", "dev", port, "up");
        sh("ip", "link", "set", "dev", near, "up");
    }

    @AfterAll
    static void removeTopology() {
        if (peer != null) {
            quietly("ip", "netns", "del", peer);
        }
        for (String link : List.of("a", "e", "g", "c", "br0")) {
            if (Netns.run("ip", "link", "show", "dev", link).exit() == 0) {
                quietly("ip", "link", "del", "dev", link);
            }
        }
    }

    private static void sysctl(String netns, String key, String value) {
        if (netns == null) {
            sh("sysctl", "-q", "-w", key + "=" + value);
        } else {
            sh("ip", "netns", "exec", netns, "sysctl", "-q", "-w", key + "=" + value);
        }
    }

    private static AnnouncementConfig quick(ArpForm form, int arpCount, int naCount) {
        return AnnouncementConfig.builder().arpForm(form).arpCount(arpCount).intervalMode(IntervalMode.FIXED)
                .interval(Duration.ofMillis(100))
                .naCount(naCount).naInterval(Duration.ofMillis(100)).build();
    }

    /** Starts a pcap4j announcer on {@code link} with the test addresses. */
    private static Announcer announcer(AnnouncementConfig config, String link, Path pcap) throws Exception {
        Announcer announcer = PcapAnnouncer.start(config, MAC_BYTES, pcap);
        announcer.updateAddresses(List.of(V4, V6));
        announcer.prepareLinks(List.of(link));
        announcer.setActiveLink(link);
        return announcer;
    }

    /** Waits (bounded) until the worker has no burst running. */
    private static void awaitIdle(Announcer announcer) {
        assertTrue(Netns.within(3000, () -> !announcer.counters().burstRunning()), "burst ended within 3 s");
    }

    private static List<Map<String, String>> decode(Path pcap) {
        return Tshark.fields(pcap, "eth.src", "eth.type", "vlan.id", "arp.isgratuitous", "arp.opcode",
                "arp.src.proto_ipv4", "icmpv6.type", "icmpv6.nd.na.flag.o", "icmpv6.nd.na.flag.s",
                "icmpv6.checksum.status", "_ws.malformed", "_ws.expert");
    }

    @ParameterizedTest
    @EnumSource(ArpForm.class)
    void everyFormGoesOnTheWireAsWiresharkDecodesIt(ArpForm form) throws Exception {
        Path captured = tmp.resolve("captured-" + form.cliName() + ".pcap");
        Path recorded = tmp.resolve("recorded-" + form.cliName() + ".pcap");
        int expected = 2 * 2 + 1; // 2 ARP rounds x (untagged + VLAN 100), 1 NA round
        try (Capture capture = Capture.start(null, "b", expected, captured, FILTER)) {
            Announcer announcer = announcer(quick(form, 2, 1), "a", recorded);
            try {
                announcer.updateVlans(Map.of(100, List.of(VLAN_V4)));
                announcer.trigger(Reason.MANUAL);
                awaitIdle(announcer);
                AnnouncementCounters c = announcer.counters();
                assertEquals(expected, c.sentTotal(), "sent " + c);
                assertEquals(0, c.sendErrors());
            } finally {
                announcer.close();
            }
            capture.await();
        }
        String summary = Tshark.summary(captured);
        System.out.println("tshark -r (" + form + "):\n" + summary);
        List<Map<String, String>> frames = decode(captured);
        assertEquals(expected, frames.size(), summary);
        List<String> arpOpcodes = new ArrayList<>();
        int na = 0;
        int tagged = 0;
        for (Map<String, String> f : frames) {
            assertEquals(MAC, f.get("eth.src"));
            assertEquals("", f.get("_ws.malformed"), f.toString());
            assertEquals("", f.get("_ws.expert"), f.toString());
            tagged += f.get("vlan.id").equals("100") ? 1 : 0;
            if (f.get("icmpv6.type").equals("136")) {
                na++;
                assertEquals("1", f.get("icmpv6.nd.na.flag.o"), "override");
                assertEquals("0", f.get("icmpv6.nd.na.flag.s"), "unsolicited");
                assertEquals("1", f.get("icmpv6.checksum.status"), "checksum good");
            } else if (form == ArpForm.RARP) {
                assertEquals("3", f.get("arp.opcode"), "RARP reverse request");
                assertTrue(f.get("eth.type").equals("0x8035") || f.get("vlan.id").equals("100"), f.toString());
                arpOpcodes.add(f.get("arp.opcode"));
            } else {
                assertEquals("1", f.get("arp.isgratuitous"), f.toString());
                if (!f.get("vlan.id").equals("100")) {
                    arpOpcodes.add(f.get("arp.opcode"));
                }
            }
        }
        assertEquals(1, na);
        assertEquals(2, tagged, "one VLAN-100 copy per ARP round");
        List<String> expectedOpcodes = Map.of(
                ArpForm.REQUEST, List.of("1", "1"), ArpForm.REQUEST_BROADCAST, List.of("1", "1"),
                ArpForm.REPLY, List.of("2", "2"), ArpForm.ALTERNATE, List.of("1", "2"),
                ArpForm.RARP, List.of("3", "3", "3", "3")).get(form);
        assertEquals(expectedOpcodes, arpOpcodes);

        // The --pcap copy holds exactly what went on the wire.
        List<byte[]> wire = PcapFiles.read(Files.readAllBytes(captured));
        List<byte[]> copy = PcapFiles.read(Files.readAllBytes(recorded));
        assertEquals(wire.size(), copy.size());
        for (int i = 0; i < wire.size(); i++) {
            assertArrayEquals(wire.get(i), copy.get(i), "frame " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(value = ArpForm.class, names = {"REQUEST", "REQUEST_BROADCAST", "REPLY"})
    void aLinuxPeerMovesAnExistingEntryToTheNewMacWithArpAcceptOff(ArpForm form) throws Exception {
        sysctl(peer, "net.ipv4.conf.d.arp_accept", "0");
        sysctl(peer, "net.ipv4.conf.all.arp_accept", "0");
        sh("ip", "-n", peer, "neigh", "replace", "192.0.2.1", "lladdr", OLD_MAC, "dev", "d", "nud", "stale");
        assertTrue(neigh("192.0.2.1").contains(OLD_MAC));
        try (Announcer announcer = announcer(quick(form, 1, 0), "a", null)) {
            announcer.trigger(Reason.FAILOVER);
            assertTrue(Netns.within(2000, () -> neigh("192.0.2.1").contains(MAC)),
                    form + ": peer entry is " + neigh("192.0.2.1"));
        }
        System.out.println(form + ": ip neigh on the peer: " + neigh("192.0.2.1"));
    }

    @Test
    void withoutAnEntryOnlyArpAcceptMakesThePeerLearnTheAddress() throws Exception {
        sysctl(peer, "net.ipv4.conf.all.arp_accept", "0");
        sysctl(peer, "net.ipv4.conf.d.arp_accept", "0");
        quietly("ip", "-n", peer, "neigh", "del", "192.0.2.1", "dev", "d");
        try (Announcer announcer = announcer(quick(ArpForm.REQUEST, 1, 0), "a", null)) {
            announcer.trigger(Reason.MANUAL);
            awaitIdle(announcer);
            assertEquals(1, announcer.counters().sent(FrameKind.ARP_REQUEST));
            Thread.sleep(200); // the frame crosses two veths and a bridge in microseconds
            assertFalse(neigh("192.0.2.1").contains(MAC), "arp_accept=0 creates no entry: " + neigh("192.0.2.1"));

            sysctl(peer, "net.ipv4.conf.d.arp_accept", "1");
            announcer.trigger(Reason.MANUAL);
            assertTrue(Netns.within(2000, () -> neigh("192.0.2.1").contains(MAC)),
                    "arp_accept=1 creates the entry: " + neigh("192.0.2.1"));
        } finally {
            sysctl(peer, "net.ipv4.conf.d.arp_accept", "0");
        }
    }

    @Test
    void aLinuxPeerMovesAnIpv6NeighbourOnTheOverrideAdvertisement() throws Exception {
        sh("ip", "-n", peer, "-6", "neigh", "replace", "2001:db8::1", "lladdr", OLD_MAC, "dev", "d", "nud", "stale");
        assertTrue(neigh("2001:db8::1").contains(OLD_MAC));
        try (Announcer announcer = announcer(quick(ArpForm.REQUEST, 0, 1), "a", null)) {
            announcer.trigger(Reason.MIGRATION);
            assertTrue(Netns.within(2000, () -> neigh("2001:db8::1").contains(MAC)),
                    "peer entry is " + neigh("2001:db8::1"));
            assertEquals(1, announcer.counters().sent(FrameKind.NEIGHBOR_ADVERTISEMENT));
        }
        System.out.println("NA: ip -6 neigh on the peer: " + neigh("2001:db8::1"));
    }

    @Test
    void theBridgeLearnsTheMasterMacOnThePortTheAnnouncementCameIn() throws Exception {
        try (Announcer announcer = announcer(quick(ArpForm.REQUEST, 1, 0), "a", null)) {
            announcer.prepareLinks(List.of("a", "e"));
            announcer.trigger(Reason.RESTART);
            assertTrue(Netns.within(2000, () -> "b".equals(fdbPort())), "fdb: " + sh("bridge", "fdb", "show", "br", "br0"));

            // Failover to the other lower link: the bridge moves the MAC to the other port at once.
            announcer.setActiveLink("e");
            announcer.trigger(Reason.FAILOVER);
            assertTrue(Netns.within(2000, () -> "f".equals(fdbPort())), "fdb: " + sh("bridge", "fdb", "show", "br", "br0"));
            System.out.println("bridge fdb after failover: " + fdbLine());
        }
    }

    @Test
    void aReplugedLinkIsReopenedAndSendsToAMissingLinkAreCountedNotThrown() throws Exception {
        try (Announcer announcer = announcer(quick(ArpForm.REQUEST, 1, 0), "g", null)) {
            announcer.trigger(Reason.MANUAL);
            awaitIdle(announcer);
            assertEquals(1, announcer.counters().sentTotal());
            int before = ifindex("g");

            sh("ip", "link", "del", "dev", "g"); // unplugged: h goes too
            announcer.trigger(Reason.MIGRATION);
            awaitIdle(announcer);
            assertEquals(1, announcer.counters().sendErrors(), "counted: " + announcer.counters());

            vethToBridge("g", "h"); // plugged again, with a new ifindex
            int after = ifindex("g");
            assertTrue(after != before, "new ifindex " + after + " vs " + before);
            Path captured = tmp.resolve("replug.pcap");
            try (Capture capture = Capture.start(null, "h", 1, captured, FILTER)) {
                announcer.trigger(Reason.MIGRATION);
                awaitIdle(announcer);
                capture.await();
            }
            assertEquals(2, announcer.counters().sentTotal(), announcer.counters().toString());
            assertTrue(announcer.counters().reopens() >= 1, announcer.counters().toString());
            assertEquals(1, decode(captured).size(), "the frame left through the new g");
        }
    }

    @Test
    void triggerReturnsAtOnceAndTheFirstFrameIsOnTheWireWithinMilliseconds() throws Exception {
        Path captured = tmp.resolve("latency.pcap");
        try (Announcer announcer = announcer(quick(ArpForm.REQUEST, 1, 0), "a", null)) {
            assertTrue(Netns.within(2000, () -> announcer.nextDeadlineNanos() == AnnouncementSchedule.NO_DEADLINE));
            Thread.sleep(100); // let the worker open the link and build the frames ahead
            try (Capture capture = Capture.start(null, "b", 1, captured, FILTER)) {
                Instant before = Instant.now();
                long t0 = System.nanoTime();
                announcer.trigger(Reason.FAILOVER);
                long triggerNanos = System.nanoTime() - t0;
                capture.await();
                String epoch = Tshark.fields(captured, "frame.time_epoch").get(0).get("frame.time_epoch");
                double wireDelayMs = (Double.parseDouble(epoch) - (before.getEpochSecond() + before.getNano() / 1e9)) * 1e3;
                System.out.printf("trigger() took %d us; first frame on the wire %.3f ms after trigger%n",
                        triggerNanos / 1000, wireDelayMs);
                assertTrue(triggerNanos < 50_000_000L, "trigger() returned within 50 ms: " + triggerNanos + " ns");
                assertTrue(wireDelayMs < 100, "first frame within 100 ms, was " + wireDelayMs + " ms");
            }
        }
    }

    private static String neigh(String address) {
        return sh("ip", "-n", peer, "neigh", "show", address, "dev", "d").trim();
    }

    private static int ifindex(String link) {
        return Integer.parseInt(sh("cat", "/sys/class/net/" + link + "/ifindex").trim());
    }

    private static String fdbLine() {
        for (String line : sh("bridge", "fdb", "show", "br", "br0").split("\n")) {
            if (line.startsWith(MAC + " ")) {
                return line;
            }
        }
        return "";
    }

    /** The bridge port the master MAC was learned on, or null. */
    private static String fdbPort() {
        Matcher m = Pattern.compile(" dev (\\S+)").matcher(fdbLine());
        return m.find() ? m.group(1) : null;
    }
}
