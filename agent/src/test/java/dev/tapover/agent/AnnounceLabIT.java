// Announcements of a whole agent on the lab: 500 pps cable pull, stale peers, migrations, hold-on-flap, flap storms, proof, SIGUSR1.
package dev.tapover.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.tapover.cli.Main;
import dev.tapover.lab.Lab;
import dev.tapover.lab.Sh;

/**
 * Every check is made from outside the agent where it can be: tcpdump on the switch side of each cable
 * ({@code -Q in}: only what the host really put on that wire), the bridge FDB, the peer's neighbour table and
 * ping counts. Waits are bounded polls; hard latency figures live in scripts/bench/failover.sh, not here.
 */
@Tag("netns")
class AnnounceLabIT {
    private static final String MAC = LabAgent.MAC;
    private static final String OLD_MAC = "02:00:5e:00:53:99";
    private static final String MASTER_V4 = "192.0.2.1";
    private static final String ARP_FROM_MASTER = "arp and ether src " + MAC;

    private Lab lab;
    private LabAgent agent;
    private final ExecutorService background = Executors.newCachedThreadPool();

    @BeforeEach
    void up() {
        lab = Lab.up();
    }

    @AfterEach
    void down() throws Exception {
        try {
            if (agent != null) {
                agent.close();
            }
        } finally {
            background.shutdownNow();
            lab.close();
        }
    }

    private WireCapture wire(String cable, String filter, int maxFrames, int seconds) throws IOException {
        return WireCapture.start(lab.switchNamespace(), "up-" + cable, filter, maxFrames, seconds);
    }

    /** Pulls or plugs several cables in one `ip -batch` run: microseconds apart, as a VM migration does. */
    private void cables(boolean plugged, String... links) throws IOException {
        Path batch = Files.createTempFile("cables", ".batch");
        try {
            StringBuilder commands = new StringBuilder();
            for (String link : links) {
                commands.append("link set up-").append(link).append(plugged ? " up\n" : " down\n");
            }
            Files.writeString(batch, commands);
            Sh.run("ip", "-n", lab.switchNamespace(), "-batch", batch.toString());
        } finally {
            Files.delete(batch);
        }
    }

    /** Starts {@code ping -q -i 0.002 -c count} from the peer to the master (500 pps; -q: only the summary, so the pipe never fills). */
    private Future<Sh.Result> pingMasterAt500pps(int count) {
        return background.submit(() -> lab.tryPeer("ping", "-n", "-q", "-i", "0.002", "-c", String.valueOf(count), "-W", "1",
                MASTER_V4));
    }

    private static int lost(Sh.Result ping) {
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(ping.output());
        assertTrue(m.find(), "ping printed its summary: " + ping.output());
        return Integer.parseInt(m.group(1)) - Integer.parseInt(m.group(2));
    }

    private static long count(List<String> lines, String needle) {
        return lines.stream().filter(l -> l.contains(needle)).count();
    }

    @Test
    void cablePullAt500ppsLosesAtMostOneProbeAndTheSwitchMovesTheMasterToTheStandbyPort() throws Exception {
        agent = LabAgent.start();
        lab.peer("ping", "-c", "3", "-i", "0.1", "-W", "1", MASTER_V4);
        agent.awaitQuiet();
        Future<Sh.Result> ping = pingMasterAt500pps(1500); // 3 s
        Thread.sleep(1000);
        lab.cable("primary", false);
        int lost = lost(ping.get(20, TimeUnit.SECONDS));
        System.out.println("AnnounceLabIT: probes lost over a cable pull at 500 pps: " + lost);
        agent.awaitActive("standby");
        assertEquals("up-standby", lab.fdbPortOf(MAC), "the switch learned the master on the standby port");
        assertTrue(lost <= 1, "at most one probe lost at 500 pps, lost " + lost);
    }

    @Test
    void theFailoverAnnouncementCorrectsAPeersStaleNeighbourEntriesAndMovesTheFdb() throws Exception {
        agent = LabAgent.start();
        agent.awaitQuiet();
        lab.peer("ip", "neigh", "replace", MASTER_V4, "lladdr", OLD_MAC, "dev", "eth0", "nud", "stale");
        lab.peer("ip", "-6", "neigh", "replace", "2001:db8::1", "lladdr", OLD_MAC, "dev", "eth0", "nud", "stale");
        assertTrue(lab.peer("ip", "neigh", "show", MASTER_V4).contains(OLD_MAC));
        try (WireCapture standbyWire = wire("standby", "ether src " + MAC, 40, 3)) {
            lab.cable("primary", false);
            String v4 = LabAgent.await(() -> lab.peer("ip", "neigh", "show", MASTER_V4), e -> e.contains(MAC),
                    Duration.ofSeconds(2));
            String v6 = LabAgent.await(() -> lab.peer("ip", "-6", "neigh", "show", "2001:db8::1"),
                    e -> e.contains(MAC), Duration.ofSeconds(2));
            assertTrue(v4.contains(MAC), "the gratuitous ARP moved the peer's IPv4 entry to the master's MAC: " + v4);
            assertTrue(v6.contains(MAC), "the unsolicited NA moved the peer's IPv6 entry to the master's MAC: " + v6);
            assertEquals("up-standby", lab.fdbPortOf(MAC));
            List<String> frames = standbyWire.lines();
            assertFalse(frames.isEmpty(), "the master's MAC appeared on the standby wire");
            assertTrue(frames.get(0).contains("ARP"), "with no traffic, the announcement is what moved the FDB: "
                    + frames.get(0));
            assertEquals(5, count(frames, "ARP"), "the default schedule: 5 ARP rounds (0, 50, 200, 450, 800 ms): "
                    + frames);
        }
    }

    @Test
    void a200msLossOfBothLinksCausesNoFailoverAndOneScheduleOnTheActiveLinkWhenCarrierReturns() throws Exception {
        agent = LabAgent.start("--hold-on-flap");
        agent.awaitQuiet();
        long failovers = agent.failovers();
        long bursts = agent.announcementCounter("bursts");
        long seq = agent.lastSeq();
        try (WireCapture onPrimary = wire("primary", ARP_FROM_MASTER, 50, 4);
                WireCapture onStandby = wire("standby", ARP_FROM_MASTER, 50, 4)) {
            cables(false, "primary", "standby");
            Thread.sleep(200);
            cables(true, "primary", "standby");
            LabAgent.await(() -> agent.announcementCounter("bursts"), b -> b > bursts, Duration.ofSeconds(3));
            agent.awaitQuiet();
            assertEquals(5, onPrimary.lines().size(), "one whole schedule (5 ARP rounds) on the active link");
            assertEquals(List.of(), onStandby.lines(), "nothing on the standby");
        }
        assertEquals("primary", agent.active());
        assertEquals(failovers, agent.failovers(), "no failover");
        assertEquals(bursts + 1, agent.announcementCounter("bursts"), "exactly one announcement schedule");
        assertEquals("migration", agent.announcements().get("lastReason"));
        assertEquals(List.of(), agent.eventsSince(seq, "active-changed"));
        List<Map<String, Object>> notified = agent.eventsSince(seq, "notify-peers");
        assertEquals(1, notified.size(), "one notify-peers event: " + notified);
        assertEquals("migration", notified.get(0).get("reason"));
        assertEquals("primary", notified.get(0).get("link"));
    }

    @Test
    void holdOnFlapRidesOutA200msLossOfTheActiveLinkAloneAndAnnouncesTheReturnAsAMigration() throws Exception {
        agent = LabAgent.start("--hold-on-flap");
        agent.awaitQuiet();
        long failovers = agent.failovers();
        long bursts = agent.announcementCounter("bursts");
        long seq = agent.lastSeq();
        try (WireCapture onPrimary = wire("primary", ARP_FROM_MASTER, 50, 4);
                WireCapture onStandby = wire("standby", ARP_FROM_MASTER, 50, 4)) {
            lab.cable("primary", false);
            Thread.sleep(200);
            assertEquals("primary", agent.active(), "still on the primary while it is held");
            lab.cable("primary", true);
            LabAgent.await(() -> agent.announcementCounter("bursts"), b -> b > bursts, Duration.ofSeconds(3));
            agent.awaitQuiet();
            assertEquals(5, onPrimary.lines().size(), "one whole schedule (5 ARP rounds) on the active link");
            assertEquals(List.of(), onStandby.lines(), "nothing on the standby");
        }
        assertEquals(failovers, agent.failovers(), "no failover");
        assertEquals(bursts + 1, agent.announcementCounter("bursts"));
        assertEquals(List.of(), agent.eventsSince(seq, "active-changed"));
        List<Map<String, Object>> notified = agent.eventsSince(seq, "notify-peers");
        assertEquals(1, notified.size(), "one notify-peers event: " + notified);
        assertEquals("migration", notified.get(0).get("reason"));
    }

    @Test
    void twentyFlapsPerSecondForTenSecondsStayWithinThePerLinkBudgetAndTheAgentStaysHealthy() throws Exception {
        int budget = 5; // frames per second per link: far below what 200 failovers and 200 failbacks would send
        agent = LabAgent.start("--announce-budget", String.valueOf(budget));
        agent.awaitQuiet();
        String announcements = "ether src " + MAC + " and (arp or (icmp6 and ip6[40] == 136))";
        List<Long> statusMillis = new ArrayList<>();
        List<String> onPrimary;
        List<String> onStandby;
        long started;
        assertTrue(statusJson(agent.socket()).contains("\"active\":\"primary\""), "status answers before the storm");
        try (WireCapture primaryWire = wire("primary", announcements, 5000, 30);
                WireCapture standbyWire = wire("standby", announcements, 5000, 30)) {
            started = System.nanoTime();
            Future<Integer> flapper = background.submit(() -> flapPrimary(20, 10));
            while (!flapper.isDone()) {
                long t = System.nanoTime();
                StringWriter out = new StringWriter();
                int rc = Main.execute(new String[] {"status", "--json", "--control", agent.socket().toString()},
                        new PrintWriter(out, true), new PrintWriter(out, true));
                statusMillis.add((System.nanoTime() - t) / 1_000_000);
                assertEquals(0, rc, "status answered during the flap storm: " + out);
                Thread.sleep(250);
            }
            assertEquals(200, flapper.get(30, TimeUnit.SECONDS), "200 flaps were made");
            agent.awaitActive("primary");
            agent.awaitQuiet();
            onPrimary = primaryWire.stop();
            onStandby = standbyWire.stop();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long cap = (long) Math.ceil(budget * seconds) + budget; // refill over the window plus a full bucket
        System.out.printf("AnnounceLabIT: flap storm: %.1f s, frames on the wire primary=%d standby=%d (cap %d each),"
                + " failovers=%d, suppressed=%d, status answers (ms) %s%n", seconds, onPrimary.size(), onStandby.size(), cap,
                agent.failovers(), agent.announcementCounter("framesSuppressed"), statusMillis);
        assertTrue(agent.failovers() >= 100, "the storm really moved the active link: " + agent.failovers());
        assertTrue(agent.announcementCounter("framesSuppressed") > 100, "the budget held frames back");
        assertTrue(onPrimary.size() <= cap, onPrimary.size() + " frames on the primary wire, cap " + cap);
        assertTrue(onStandby.size() <= cap, onStandby.size() + " frames on the standby wire, cap " + cap);
        assertTrue(onStandby.size() > 0, "announcements did go out on the standby");
        assertTrue(statusMillis.size() >= 20, "status was asked throughout: " + statusMillis.size());
        assertTrue(statusMillis.stream().allMatch(ms -> ms < 1000), "status answered within 1 s: " + statusMillis);
        Sh.run("ping", "-c", "3", "-i", "0.1", "-W", "1", Lab.PEER_V4);
        assertEquals("up-primary", lab.fdbPortOf(MAC), "the switch ends on the primary");
        assertEquals(Boolean.TRUE, ((Map<?, ?>) agent.group().get("master")).get("carrier"));
    }

    /** Pulls and plugs the primary {@code perSecond} times a second for {@code seconds}; returns the flaps made. */
    private int flapPrimary(int perSecond, int seconds) throws IOException, InterruptedException {
        Process ip = new ProcessBuilder("ip", "-n", lab.switchNamespace(), "-force", "-batch", "-")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        int flaps = 0;
        try (Writer commands = new OutputStreamWriter(ip.getOutputStream(), StandardCharsets.US_ASCII)) {
            long period = TimeUnit.SECONDS.toNanos(1) / perSecond;
            long start = System.nanoTime();
            for (int i = 0; i < perSecond * seconds; i++) {
                sleepUntil(start + i * period);
                commands.write("link set up-primary down\n");
                commands.flush();
                sleepUntil(start + i * period + period / 2);
                commands.write("link set up-primary up\n");
                commands.flush();
                flaps++;
            }
        } finally {
            if (!ip.waitFor(5, TimeUnit.SECONDS)) {
                ip.destroyForcibly();
            }
        }
        return flaps;
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long left = nanos - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    @Test
    void untilProvenStopsTheScheduleOnceThePeersTrafficReachesTheMasterOverTheNewLink() throws Exception {
        agent = LabAgent.start("--announce-until-proven");
        lab.peer("ping", "-c", "3", "-i", "0.1", "-W", "1", MASTER_V4);
        agent.awaitQuiet();
        long seq = agent.lastSeq();
        try (WireCapture standbyWire = wire("standby", ARP_FROM_MASTER, 20, 3)) {
            Future<Sh.Result> ping = pingMasterAt500pps(1000); // 2 s
            Thread.sleep(500);
            lab.cable("primary", false);
            ping.get(20, TimeUnit.SECONDS);
            assertEquals(1, standbyWire.lines().size(), "only the first ARP round: the peer's pings proved the path");
        }
        List<Map<String, Object>> proofs = agent.eventsSince(seq, "path-proven");
        assertEquals(1, proofs.size(), "one path-proven event: " + proofs);
        Map<String, Object> proof = proofs.get(0);
        assertEquals("standby", proof.get("link"));
        assertEquals("failover", proof.get("reason"));
        assertEquals(Boolean.TRUE, proof.get("stoppedEarly"));
        long micros = ((Number) proof.get("afterMicros")).longValue();
        System.out.println("AnnounceLabIT: failover decision to proof: " + micros + " us");
        assertTrue(micros >= 0 && micros < 1_000_000, "proven within a second at 500 pps: " + micros + " us");
        Map<?, ?> last = (Map<?, ?>) agent.announcements().get("lastProof");
        assertNotNull(last);
        assertEquals("standby", last.get("link"));
        assertEquals(Boolean.FALSE, agent.announcements().get("awaitingProof"));
    }

    @Test
    void sigusr1MakesARunningAgentAnnounceWithVlanTaggedCopies() throws Exception {
        Path script = scriptsDir().resolve("tapover");
        Path dir = Files.createTempDirectory("tapover-usr1");
        Path socket = dir.resolve("fo0.sock");
        Path log = dir.resolve("agent.log");
        ProcessBuilder builder = new ProcessBuilder(script.toString(), "run", "--master", "fo0", "--primary", "primary",
                "--standby", "standby", "--address", "192.0.2.1/24", "--mac", MAC, "--control", socket.toString(),
                "--vlan", "100:198.51.100.1/24").redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home")); // failsafe's points at the netns wrapper
        Process process = builder.start();
        try {
            String status = LabAgent.await(() -> statusJson(socket), s -> s.contains("\"burstRunning\":false"),
                    Duration.ofSeconds(30));
            assertTrue(status.contains("\"burstRunning\":false"), "the agent answered and its start-up burst ended: "
                    + status + "\n" + Files.readString(log));
            try (WireCapture primaryWire = wire("primary", "ether src " + MAC + " and (arp or (vlan and arp))", 2, 5)) {
                Sh.run("kill", "-USR1", String.valueOf(process.pid()));
                List<String> frames = primaryWire.lines();
                assertEquals(2, frames.size(), "a burst followed SIGUSR1: " + frames + "\n" + Files.readString(log));
                assertEquals(1, count(frames, " 192.0.2.1"), "an ARP for the untagged address: " + frames);
                assertEquals(1, count(frames, "vlan 100"), "an 802.1Q copy on VLAN 100: " + frames);
                assertEquals(1, count(frames, "198.51.100.1"), "announcing the VLAN's own address: " + frames);
            }
            String output = LabAgent.await(() -> read(log), s -> s.contains("reason=signal"), Duration.ofSeconds(2));
            assertTrue(output.contains("event=notify-peers group=fo0 reason=signal link=primary"), output);
        } finally {
            process.destroy(); // SIGTERM: the agent removes what it created and exits 0
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
        assertEquals(0, process.exitValue(), "exit 0 on SIGTERM: " + read(log));
        assertFalse(Files.exists(socket));
    }

    private static String statusJson(Path socket) {
        StringWriter out = new StringWriter();
        Main.execute(new String[] {"status", "--json", "--control", socket.toString()}, new PrintWriter(out, true),
                new PrintWriter(out, true));
        return out.toString().replace(" ", "");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    /** The repository's scripts directory, found from the test's working directory (the agent module). */
    private static Path scriptsDir() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isExecutable(dir.resolve("scripts/tapover"))) {
                return dir.resolve("scripts");
            }
        }
        throw new AssertionError("scripts/tapover not found above " + Path.of("").toAbsolutePath());
    }
}
