// Real-kernel tests of a whole agent on the lab topology: failover, failback per policy, hotplug, isolation.
package dev.tapover.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.tapover.cli.RunCommand;
import dev.tapover.lab.Capture;
import dev.tapover.lab.Lab;
import dev.tapover.lab.Sh;

@Tag("netns")
class AgentIT {
    private static final String MAC = "02:00:5e:00:53:01";

    private Lab lab;
    private Agent agent;
    private Future<Integer> running;
    private final ExecutorService executor = Executors.newSingleThreadExecutor();
    private Path socket;

    @BeforeEach
    void up() throws Exception {
        lab = Lab.up();
        socket = Files.createTempDirectory("tapover-it").resolve("fo0.sock");
    }

    @AfterEach
    void down() throws Exception {
        if (agent != null) {
            agent.requestStop("test");
            assertEquals(0, running.get(10, TimeUnit.SECONDS), "the agent exits 0 when stopped");
            assertTrue(Sh.tryRun("ip", "link", "show", "fo0").exit() != 0, "the master is gone after stop");
            assertTrue(!Files.exists(socket), "the control socket file is gone after stop");
        }
        executor.shutdownNow();
        lab.close();
    }

    private void start(String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("--master", "fo0", "--primary", "primary",
                "--standby", "standby", "--address", "192.0.2.1/24", "--address", "2001:db8::1/64", "--mac", MAC,
                "--control", socket.toString()));
        args.addAll(List.of(extra));
        agent = new Agent(RunCommand.configFrom(args.toArray(String[]::new)), false);
        running = executor.submit(agent::run);
        assertTrue(agent.awaitReady(Duration.ofSeconds(10)), "the agent became ready within 10 s");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> group() {
        return ((List<Map<String, Object>>) agent.status().get("groups")).get(0);
    }

    private String active() {
        return (String) group().get("active");
    }

    /** Polls until the active link is {@code expected}, at most 3 s. */
    private void awaitActive(String expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < deadline && !java.util.Objects.equals(expected, active())) {
            Thread.sleep(10);
        }
        assertEquals(expected, active());
    }

    private static int lostWhile(Runnable during) throws Exception {
        return Lab.probesLostWhile(during);
    }

    @Test
    void masterGetsItsAddressesAndThePeerAnswers() throws Exception {
        start();
        String addresses = Sh.run("ip", "-br", "addr", "show", "fo0");
        assertTrue(addresses.contains("192.0.2.1/24") && addresses.contains("2001:db8::1/64"), addresses);
        assertTrue(Sh.run("ip", "-br", "link", "show", "fo0").contains(MAC));
        Sh.run("ping", "-c", "3", "-i", "0.2", "-W", "1", Lab.PEER_V4);
        Sh.run("ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", Lab.PEER_V6);
        assertEquals("primary", active());
        assertEquals("up-primary", lab.fdbPortOf(MAC));
        // No ARP flux: only the master answers for its address, never a lower link with its own MAC.
        String replies = lab.tryPeer("arping", "-c", "2", "-w", "3", "-I", "eth0", "192.0.2.1").output();
        // Debian's arping prints "42 bytes from MAC (192.0.2.1): index=0 ..." per reply.
        java.util.function.Predicate<String> reply = l -> l.contains("bytes from") && l.contains("(192.0.2.1)");
        long fromMaster = replies.lines().filter(reply).filter(l -> l.toLowerCase().contains(MAC)).count();
        long fromOthers = replies.lines().filter(reply).filter(l -> !l.toLowerCase().contains(MAC)).count();
        assertTrue(fromMaster >= 1, "the master answered ARP: " + replies);
        assertEquals(0, fromOthers, "no lower link answered ARP for the master's address: " + replies);
    }

    @Test
    void lowerLinkSysctlsAreRestoredOnStop() throws Exception {
        String before = Sh.run("sysctl", "-n", "net.ipv4.conf.standby.arp_ignore").trim();
        assertTrue(!"1".equals(before), "precondition: the lab leaves arp_ignore at the kernel default, so a"
                + " missing restore would show");
        start();
        assertEquals("1", Sh.run("sysctl", "-n", "net.ipv4.conf.standby.arp_ignore").trim());
        agent.requestStop("test");
        assertEquals(0, running.get(10, TimeUnit.SECONDS));
        agent = null;
        assertEquals(before, Sh.run("sysctl", "-n", "net.ipv4.conf.standby.arp_ignore").trim(),
                "arp_ignore restored to what it was");
    }

    @Test
    void cablePullMovesTrafficToStandbyLosingAtMostTwoProbesAndFailsBack() throws Exception {
        start();
        Sh.run("ping", "-c", "2", "-i", "0.2", Lab.PEER_V4);
        int lost = lostWhile(() -> lab.cable("primary", false));
        System.out.println("AgentIT: probes lost over the cable pull at 100 pps: " + lost);
        assertTrue(lost <= 2, "at most 2 probes lost, lost " + lost);
        awaitActive("standby");
        assertEquals("up-standby", lab.fdbPortOf(MAC), "the switch learned the move");

        int lostBack = lostWhile(() -> lab.cable("primary", true));
        System.out.println("AgentIT: probes lost over the failback at 100 pps: " + lostBack);
        assertTrue(lostBack <= 2, "at most 2 probes lost on failback, lost " + lostBack);
        awaitActive("primary");
        assertEquals("up-primary", lab.fdbPortOf(MAC));
    }

    @Test
    void failbackNeverStaysOnStandby() throws Exception {
        start("--failback", "never");
        lab.cable("primary", false);
        awaitActive("standby");
        lab.cable("primary", true);
        Thread.sleep(500);
        assertEquals("standby", active(), "sticky: the primary's return does not move traffic back");
        Sh.run("ping", "-c", "3", "-i", "0.1", "-W", "1", Lab.PEER_V4);
    }

    @Test
    void deletedAndRecreatedPrimaryIsFollowed() throws Exception {
        start();
        Sh.run("ip", "link", "del", "primary");
        awaitActive("standby");
        Sh.run("ping", "-c", "3", "-i", "0.1", "-W", "1", Lab.PEER_V4);
        lab.recreate("primary");
        awaitActive("primary");
        Sh.run("ping", "-c", "3", "-i", "0.1", "-W", "1", Lab.PEER_V4);
        assertEquals("up-primary", lab.fdbPortOf(MAC));
    }

    @Test
    void framesOnTheInactiveLinkNeverReachTheHost() throws Exception {
        start();
        try (Capture onMaster = Capture.start("fo0", "arp dst host 192.0.2.77", 10, 5)) {
            lab.tryPeer("arping", "-c", "3", "-i", "0.2", "-w", "2", "-I", "eth0", "-b", "192.0.2.77");
            assertEquals(3, onMaster.lines().size(), "each flooded request reached the host once, via primary");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> standby = ((List<Map<String, Object>>) group().get("links")).get(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> drops = (Map<String, Object>) ((Map<String, Object>) standby.get("counters")).get("drops");
        assertNotNull(drops.get("inactive-link"), "standby's copies were counted as drops: " + standby);
        assertTrue(((Number) drops.get("inactive-link")).longValue() >= 3);
    }

    @Test
    void notifyPeersUpdatesAStalePeerNeighbourEntry() throws Exception {
        start();
        Thread.sleep(2500); // let the start-up announcement burst (rounds at 0, 1 and 2 s) finish
        lab.peer("ip", "neigh", "replace", "192.0.2.1", "lladdr", "02:00:5e:00:53:99", "dev", "eth0", "nud", "stale");
        assertTrue(lab.peer("ip", "neigh", "show", "192.0.2.1").contains("02:00:5e:00:53:99"));
        java.io.StringWriter out = new java.io.StringWriter();
        int rc = dev.tapover.cli.Main.execute(new String[] {"notify-peers", "--control", socket.toString()},
                new java.io.PrintWriter(out, true), new java.io.PrintWriter(out, true));
        assertEquals(0, rc, out.toString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        String entry = "";
        while (System.nanoTime() < deadline) {
            entry = lab.peer("ip", "neigh", "show", "192.0.2.1");
            if (entry.contains(MAC)) {
                break;
            }
            Thread.sleep(20);
        }
        assertTrue(entry.contains(MAC), "the peer's neighbour entry moved to the master's MAC: " + entry);
    }

    @Test
    void briefCarrierLossHeldByDownDelayIsAnnouncedAsAMigration() throws Exception {
        start("--down-delay", "1s");
        Thread.sleep(3000); // let the start-up burst (rounds at 0, 1 and 2 s) finish
        try (Capture announcements = Capture.start("primary", "arp and ether src " + MAC, 1, 5)) {
            lab.cable("primary", false);
            Thread.sleep(300);
            lab.cable("primary", true);
            assertEquals(1, announcements.lines().size(), "a gratuitous ARP followed the carrier's return");
        }
        assertEquals("primary", active(), "down-delay held the primary: no failover");
        boolean migration = agent.recentEvents().stream().anyMatch(e -> "notify-peers".equals(e.get("type"))
                && "migration".equals(e.get("reason")));
        assertTrue(migration, "a notify-peers event with reason migration: " + agent.recentEvents());
    }
}
