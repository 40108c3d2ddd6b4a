// Real-kernel test of the data path on the lab topology: pings and TCP through the TAP master over either link.
package dev.tapover.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.tapover.lab.Capture;
import dev.tapover.lab.Lab;
import dev.tapover.lab.Sh;
import dev.tapover.natives.NetDevice;

class DataPathIT {
    private static final byte[] MAC = Master.parseMac("02:00:5e:00:53:01");

    private Lab lab;
    private Master master;
    private DataPath dataPath;
    private final PortCounters primaryCounters = new PortCounters();
    private final PortCounters standbyCounters = new PortCounters();

    @BeforeEach
    void up() {
        lab = Lab.up();
    }

    /** Creates the master (with or without a vnet header) and the data path over both links. */
    private void start(boolean vnetHeader) throws Exception {
        start(vnetHeader, LowerPort.ReceiveMode.RING);
    }

    private void start(boolean vnetHeader, LowerPort.ReceiveMode mode) throws Exception {
        master = Master.create("fo0", MAC, vnetHeader);
        Sh.run("ip", "addr", "add", "192.0.2.1/24", "dev", "fo0");
        dataPath = new DataPath(master.tap(), MAC, vnetHeader, 2);
        LowerPort primary = LowerPort.open("primary", "primary", NetDevice.indexOf("primary"), primaryCounters, mode);
        LowerPort standby = LowerPort.open("standby", "standby", NetDevice.indexOf("standby"), standbyCounters, mode);
        assertEquals(mode == LowerPort.ReceiveMode.RING, primary.ring() != null && standby.ring() != null);
        dataPath.attach(1, primary);
        dataPath.attach(2, standby);
        dataPath.start();
    }

    @AfterEach
    void down() throws Exception {
        if (dataPath != null) {
            dataPath.close();
        }
        if (master != null) {
            master.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    private void ping(int count) {
        Sh.run("ping", "-c", String.valueOf(count), "-i", "0.05", "-W", "1", "-w", "5", Lab.PEER_V4);
    }

    @Test
    void hostReachesPeerThroughEitherLinkAndTheSwitchFollows() throws Exception {
        start(false);
        master.setCarrier(true);
        dataPath.activate(1);
        ping(3);
        assertEquals("up-primary", lab.fdbPortOf("02:00:5e:00:53:01"));
        assertTrue(primaryCounters.txFrames() >= 3);
        assertTrue(master.tap().isOpen());

        dataPath.activate(2);
        ping(3);
        assertEquals("up-standby", lab.fdbPortOf("02:00:5e:00:53:01"), "the bridge relearned the MAC on standby");
        assertTrue(standbyCounters.txFrames() >= 3);
        assertTrue(masterRxDelivered() >= 6, "replies were delivered to the host");
    }

    @Test
    void framesOnTheInactiveLinkAreCountedNotDelivered() throws Exception {
        start(false);
        master.setCarrier(true);
        dataPath.activate(1);
        ping(2);
        // The peer broadcasts ARP requests: the bridge floods them to both links; only primary's copy may pass.
        try (Capture onMaster = Capture.start("fo0", "arp dst host 192.0.2.77", 10, 5)) {
            lab.tryPeer("arping", "-c", "3", "-i", "0.2", "-w", "2", "-I", "eth0", "-b", "192.0.2.77"); // nobody answers
            assertEquals(3, onMaster.lines().size(), "each request reached the host once, via primary only");
        }
        dataPath.sync(() -> { });
        assertTrue(standbyCounters.drops(DropReason.INACTIVE_LINK) >= 3,
                "standby's copies were dropped: " + standbyCounters);
    }

    @Test
    void hostFramesSentWhileNoLinkIsActiveAreCounted() throws Exception {
        start(false);
        master.setCarrier(true); // the group would say off; force it to see what the data path does
        Sh.Result r = Sh.tryRun("ping", "-c", "2", "-i", "0.1", "-W", "1", Lab.PEER_V4);
        assertTrue(r.exit() != 0, "no active link, no reply");
        dataPath.sync(() -> { });
        assertTrue(dataPath.masterCounters().drops(DropReason.NO_ACTIVE_LINK) >= 1,
                "frames from the host were counted: " + dataPath.masterCounters());
    }

    @Test
    void frozenDataPathHoldsFramesInTheKernelAndMovesThemWhenThawed() throws Exception {
        start(true);
        master.setCarrier(true);
        dataPath.activate(1);
        ping(2);
        dataPath.freeze(true);
        dataPath.sync(() -> { });
        long before = primaryCounters.rxFrames();
        java.util.concurrent.CompletableFuture<Sh.Result> pings = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> lab.tryPeer("ping", "-c", "3", "-i", "0.2", "-W", "8", "192.0.2.1"));
        Thread.sleep(1500);
        assertEquals(before, primaryCounters.rxFrames(), "frozen: nothing read from the link");
        dataPath.freeze(false);
        Sh.Result r = pings.get(15, TimeUnit.SECONDS);
        assertEquals(0, r.exit(), "every echo request waited in the ring and was answered: " + r.output());
        assertTrue(r.output().contains("3 received, 0% packet loss"), r.output());
        Matcher rtt = Pattern.compile("rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/([0-9.]+)/").matcher(r.output());
        assertTrue(rtt.find() && Double.parseDouble(rtt.group(1)) > 500, "the requests waited the freeze out: "
                + r.output());
    }

    private static final long TRANSFER_BYTES = 48L << 20;

    @Test
    void tcpThroughAVnetHeaderMasterKeepsOffloadsAndEveryByte() throws Exception {
        start(true);
        assertTrue(Sh.run("ethtool", "-k", "fo0").contains("tcp-segmentation-offload: on"), "the master offers TSO");
        master.setCarrier(true);
        dataPath.activate(1);
        ping(2);
        Snmp hostBefore = Snmp.host();
        Snmp peerBefore = Snmp.peer(lab);

        transferBothWaysAndCompare();
        Iperf out = iperf(false);
        Iperf in = iperf(true);

        dataPath.sync(() -> { });
        assertChecksumsClean(hostBefore, peerBefore);
        PortCounters m = dataPath.masterCounters();
        assertTrue(m.rxBytes() / m.rxFrames() > 1514,
                "the host handed over TSO super-frames (average " + m.rxBytes() / m.rxFrames() + " bytes): " + m);
        assertTrue(primaryCounters.rxBytes() / primaryCounters.rxFrames() > 1514,
                "the link's GSO frames reached the data path whole: " + primaryCounters);
        assertTrue(m.drops(DropReason.OFFLOAD_UNSUPPORTED) == 0 && primaryCounters.drops(DropReason.TRUNCATED) == 0,
                m + " / " + primaryCounters);
        out.assertHealthy("host -> peer");
        in.assertHealthy("peer -> host");
    }

    @Test
    void tcpThroughAPlainMasterIsFinishedInSoftware() throws Exception {
        start(false);
        master.setCarrier(true);
        dataPath.activate(1);
        ping(2);
        Snmp hostBefore = Snmp.host();
        Snmp peerBefore = Snmp.peer(lab);

        transferBothWaysAndCompare();

        dataPath.sync(() -> { });
        assertChecksumsClean(hostBefore, peerBefore);
        PortCounters m = dataPath.masterCounters();
        assertTrue(m.txBytes() / m.txFrames() <= 1514, "only MTU-sized frames went into the plain TAP: " + m);
        assertTrue(m.txFrames() > primaryCounters.rxFrames() - primaryCounters.totalDrops(),
                "super-frames from the link were cut into more frames: " + m + " / " + primaryCounters);
        assertEquals(0, m.drops(DropReason.OFFLOAD_UNSUPPORTED), m.toString());
    }

    @Test
    void tcpThroughTheRecvmmsgFallbackKeepsEveryByte() throws Exception {
        start(true, LowerPort.ReceiveMode.RECVMMSG);
        master.setCarrier(true);
        dataPath.activate(1);
        ping(2);
        Snmp hostBefore = Snmp.host();
        Snmp peerBefore = Snmp.peer(lab);
        transferBothWaysAndCompare();
        dataPath.sync(() -> { });
        assertChecksumsClean(hostBefore, peerBefore);
        assertTrue(primaryCounters.rxBytes() / primaryCounters.rxFrames() > 1514, primaryCounters.toString());
    }

    @Test
    void switchingLinksInTheMiddleOfTransfersKeepsEveryStreamIntact() throws Exception {
        start(true);
        master.setCarrier(true);
        dataPath.activate(1);
        ping(2);
        // A quarter into each stream the active link changes. Super-frames (longer than a ring slot: they come
        // through the socket's queue) still arrive on the link just made inactive (the switch has not
        // relearned yet); they must be drained and dropped without upsetting the ring's order, and TCP
        // recovers what was dropped.
        peerToHost(5303, () -> dataPath.activate(2));
        peerToHost(5304, () -> dataPath.activate(1));
        hostToPeer(5305, () -> dataPath.activate(2));
        dataPath.sync(() -> { });
        assertTrue(standbyCounters.txFrames() > 0 && standbyCounters.rxFrames() > 0, standbyCounters.toString());
        assertTrue(primaryCounters.rxFrames() > 0, primaryCounters.toString());
        assertEquals(0, dataPath.masterCounters().drops(DropReason.NO_ACTIVE_LINK), dataPath.masterCounters().toString());
        System.out.println("after the switches: primary " + primaryCounters + ", standby " + standbyCounters);
    }

    /** Runs {@code midway} a quarter into a 48 MiB peer -> host transfer, then compares what arrived. */
    private void peerToHost(int port, Runnable midway) throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("192.0.2.1", port));
            server.setSoTimeout(20_000);
            Process source = peerJava("source", "192.0.2.1", String.valueOf(port), String.valueOf(TRANSFER_BYTES),
                    String.valueOf(port), "20");
            try (BufferedReader sourceOut = reader(source); Socket socket = server.accept()) {
                socket.setSoTimeout(20_000);
                String received = StreamPeer.drain(socket.getInputStream(), TRANSFER_BYTES / 4, midway);
                assertTrue(source.waitFor(20, TimeUnit.SECONDS), "the peer's source finished");
                assertEquals(sourceOut.readLine(), received, "peer -> host across a switch: every byte, in order");
            } finally {
                source.destroyForcibly();
            }
        }
    }

    /** Runs {@code midway} a quarter into a 48 MiB host -> peer transfer, then compares what arrived. */
    private void hostToPeer(int port, Runnable midway) throws Exception {
        Process sink = peerJava("sink", String.valueOf(port), "20");
        try (BufferedReader sinkOut = reader(sink)) {
            assertEquals("listening", sinkOut.readLine());
            String sent;
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(Lab.PEER_V4, port), 5000);
                socket.setSoTimeout(20_000);
                sent = StreamPeer.send(socket.getOutputStream(), TRANSFER_BYTES, port, TRANSFER_BYTES / 4, midway);
            }
            assertTrue(sink.waitFor(20, TimeUnit.SECONDS), "the peer's sink finished");
            assertEquals(sent, sinkOut.readLine(), "host -> peer across a switch: every byte, in order");
        } finally {
            sink.destroyForcibly();
        }
    }

    /** 48 MiB host -> peer and 48 MiB peer -> host through the data path; both ends hash what they saw. */
    private void transferBothWaysAndCompare() throws Exception {
        // host -> peer: the peer sinks and hashes
        Process sink = peerJava("sink", "5301", "20");
        try (BufferedReader sinkOut = reader(sink)) {
            assertEquals("listening", sinkOut.readLine());
            String sent;
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(Lab.PEER_V4, 5301), 5000);
                socket.setSoTimeout(20_000);
                sent = StreamPeer.send(socket.getOutputStream(), TRANSFER_BYTES, 42);
            }
            assertTrue(sink.waitFor(20, TimeUnit.SECONDS), "the peer's sink finished");
            assertEquals(sent, sinkOut.readLine(), "host -> peer: every byte arrived unchanged");
        } finally {
            sink.destroyForcibly();
        }
        // peer -> host: the host sinks and hashes
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("192.0.2.1", 5302));
            server.setSoTimeout(20_000);
            Process source = peerJava("source", "192.0.2.1", "5302", String.valueOf(TRANSFER_BYTES), "43", "20");
            try (BufferedReader sourceOut = reader(source); Socket socket = server.accept()) {
                socket.setSoTimeout(20_000);
                String received = StreamPeer.drain(socket.getInputStream());
                assertTrue(source.waitFor(20, TimeUnit.SECONDS), "the peer's source finished");
                assertEquals(sourceOut.readLine(), received, "peer -> host: every byte arrived unchanged");
            } finally {
                source.destroyForcibly();
            }
        }
    }

    private Process peerJava(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("timeout", "30", "ip", "netns", "exec",
                lab.peerNamespace(), Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), StreamPeer.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    private void assertChecksumsClean(Snmp hostBefore, Snmp peerBefore) {
        Snmp host = Snmp.host();
        Snmp peer = Snmp.peer(lab);
        assertEquals(0, host.tcpInCsumErrors - hostBefore.tcpInCsumErrors, "TCP checksum errors at the host");
        assertEquals(0, peer.tcpInCsumErrors - peerBefore.tcpInCsumErrors, "TCP checksum errors at the peer");
        long hostSegs = host.tcpOutSegs - hostBefore.tcpOutSegs;
        long peerSegs = peer.tcpOutSegs - peerBefore.tcpOutSegs;
        long retrans = host.tcpRetransSegs - hostBefore.tcpRetransSegs + peer.tcpRetransSegs - peerBefore.tcpRetransSegs;
        System.out.printf("segments out: host %d peer %d, retransmitted %d%n", hostSegs, peerSegs, retrans);
        assertTrue(retrans * 20 < hostSegs + peerSegs, "no retransmission storm: " + retrans + " of "
                + (hostSegs + peerSegs) + " segments");
    }

    /** The Tcp line of /proc/net/snmp in one namespace. */
    private record Snmp(long tcpOutSegs, long tcpRetransSegs, long tcpInCsumErrors) {
        static Snmp host() {
            try {
                return parse(Files.readString(Path.of("/proc/net/snmp")));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }

        static Snmp peer(Lab lab) {
            return parse(lab.peer("cat", "/proc/net/snmp"));
        }

        static Snmp parse(String text) {
            String[] names = null;
            for (String line : text.split("\n")) {
                if (!line.startsWith("Tcp: ")) {
                    continue;
                }
                String[] words = line.substring(5).trim().split("\\s+");
                if (names == null) {
                    names = words;
                    continue;
                }
                List<String> n = List.of(names);
                return new Snmp(Long.parseLong(words[n.indexOf("OutSegs")]),
                        Long.parseLong(words[n.indexOf("RetransSegs")]),
                        Long.parseLong(words[n.indexOf("InCsumErrors")]));
            }
            throw new AssertionError("no Tcp lines in /proc/net/snmp");
        }
    }

    /** One bounded iperf3 run (2 s) against a server in the peer namespace; {@code reverse} = peer -> host. */
    private Iperf iperf(boolean reverse) throws Exception {
        Process server = new ProcessBuilder("timeout", "20", "ip", "netns", "exec", lab.peerNamespace(), "iperf3",
                "-s", "-1", "-B", Lab.PEER_V4, "-p", "5310").redirectErrorStream(true).start();
        try {
            Thread.sleep(300);
            String json = Sh.run("timeout", "15", "iperf3", "-c", Lab.PEER_V4, "-p", "5310", "-t", "2", "-J",
                    reverse ? "-R" : "-4");
            return Iperf.parse(json);
        } finally {
            server.waitFor(5, TimeUnit.SECONDS);
            server.destroyForcibly();
        }
    }

    private record Iperf(double receivedBitsPerSecond, long retransmits, long bytes) {
        static Iperf parse(String json) {
            return new Iperf(number(json, "\"sum_received\"\\s*:\\s*\\{[^}]*\"bits_per_second\"\\s*:\\s*([0-9.e+]+)"),
                    (long) number(json, "\"sum_sent\"\\s*:\\s*\\{[^}]*\"retransmits\"\\s*:\\s*([0-9]+)"),
                    (long) number(json, "\"sum_received\"\\s*:\\s*\\{[^}]*\"bytes\"\\s*:\\s*([0-9]+)"));
        }

        private static double number(String json, String regex) {
            Matcher m = Pattern.compile(regex).matcher(json);
            if (!m.find()) {
                throw new AssertionError("iperf3 JSON without " + regex + ": " + json);
            }
            return Double.parseDouble(m.group(1));
        }

        void assertHealthy(String direction) {
            System.out.printf("iperf3 %s: %.2f Gbit/s, %d retransmits%n", direction, receivedBitsPerSecond / 1e9,
                    retransmits);
            assertTrue(receivedBitsPerSecond > 100e6, direction + ": at least 100 Mbit/s, got " + receivedBitsPerSecond);
            assertTrue(retransmits * 1448 * 20 < bytes, direction + ": retransmits " + retransmits + " for " + bytes
                    + " bytes (a checksum problem retransmits everything)");
        }
    }

    private long masterRxDelivered() {
        return dataPath.masterCounters().txFrames();
    }
}
