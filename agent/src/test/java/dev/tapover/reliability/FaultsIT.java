// Fault injection on a running agent: SIGKILL, the active link deleted under load, both links down, master deleted.
package dev.tapover.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.tapover.lab.Lab;
import dev.tapover.lab.Sh;

@Tag("netns")
class FaultsIT {
    private Lab lab;
    private Path socket;
    private AgentProcess agent;

    @BeforeEach
    void up() throws Exception {
        lab = Lab.up();
        socket = Files.createTempDirectory("tapover-faults").resolve("fo0.sock");
    }

    @AfterEach
    void down() throws Exception {
        if (agent != null) {
            agent.close();
        }
        lab.close();
    }

    private AgentProcess start(String... extra) throws Exception {
        AgentProcess a = AgentProcess.start(socket, "-Xmx256m", AgentProcess.labArgs(socket, extra));
        a.awaitReady(Duration.ofSeconds(60));
        return a;
    }

    private String ping(int count, double interval) {
        return Sh.tryRun("ip", "netns", "exec", lab.peerNamespace(), "ping", "-q", "-n", "-c", Integer.toString(count),
                "-i", String.format(Locale.ROOT, "%.3f", interval), "-W", "1", "192.0.2.1").output();
    }

    /** One probe that waits at most 100 ms for its answer. */
    private boolean probe() {
        return Sh.tryRun("ip", "netns", "exec", lab.peerNamespace(), "ping", "-q", "-n", "-c", "1", "-W", "0.1",
                "192.0.2.1").exit() == 0;
    }

    private static long lost(String pingOutput) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) packets transmitted, (\\d+) received")
                .matcher(pingOutput);
        assertTrue(m.find(), "ping printed its summary: " + pingOutput);
        return Long.parseLong(m.group(1)) - Long.parseLong(m.group(2));
    }

    private static boolean exists(String ifname) {
        return Files.exists(Path.of("/sys/class/net", ifname));
    }

    private static String sysfs(String ifname, String attribute) throws Exception {
        try {
            return Files.readString(Path.of("/sys/class/net", ifname, attribute)).trim();
        } catch (java.io.IOException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    private static void assertNotPromiscuous() {
        for (String link : new String[] {"primary", "standby"}) {
            if (exists(link)) {
                assertTrue(Sh.run("ip", "-d", "link", "show", link).contains("promiscuity 0"),
                        link + " is not left promiscuous");
            }
        }
    }

    private static long waitUntil(java.util.function.BooleanSupplier condition, Duration timeout)
            throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return -1;
            }
            Thread.sleep(5);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void sigkillRemovesTheTapLeavesNoPromiscuousLinkAndARestartRecovers() throws Exception {
        agent = start();
        assertEquals(0, lost(ping(20, 0.01)), "traffic before the kill");
        assertTrue(Sh.run("ip", "-d", "link", "show", "primary").contains("promiscuity 1"),
                "the agent's packet membership makes the primary promiscuous while it runs");
        agent.kill9();
        long goneMs = waitUntil(() -> !exists("fo0"), Duration.ofSeconds(10));
        System.out.println("FaultsIT: after SIGKILL the TAP master was gone in " + goneMs + " ms; control socket file "
                + (Files.exists(socket) ? "left behind (stale)" : "gone"));
        assertTrue(goneMs >= 0, "the non-persistent TAP disappears with its process");
        assertNotPromiscuous();

        agent.close();
        long t0 = System.nanoTime();
        agent = start();
        long readyMs = (System.nanoTime() - t0) / 1_000_000;
        String out = ping(50, 0.01);
        System.out.println("FaultsIT: restart after SIGKILL ready in " + readyMs + " ms (stale socket replaced); "
                + out.lines().filter(l -> l.contains("packets")).findFirst().orElse(out));
        assertTrue(lost(out) <= 1, "traffic after the restart: " + out);
        assertEquals("primary", agent.active());
        assertEquals(0, agent.stop(Duration.ofSeconds(15)));
        assertFalse(exists("fo0"));
        assertFalse(Files.exists(socket), "a clean stop removes the socket");
        assertNotPromiscuous();
    }

    @Test
    @SuppressWarnings("unchecked")
    void activeLinkDeletedUnderLoadTrafficContinuesOnTheStandby() throws Exception {
        agent = start();
        int rate = 200;
        Traffic.Pinger pinger = Traffic.Pinger.start(lab, "192.0.2.1", 1000.0 / rate, rate * 6, 12);
        Thread.sleep(2000);
        long t0 = System.nanoTime();
        Sh.run("ip", "link", "del", "primary");
        assertTrue(agent.awaitActive("standby", Duration.ofSeconds(5)), "the standby took over");
        long switchMs = (System.nanoTime() - t0) / 1_000_000;
        long[] ping = pinger.result(12);
        Map<String, Object> group = agent.group();
        Map<String, Object> primary = agent.link("primary");
        Map<String, Object> master = (Map<String, Object>) group.get("master");
        Map<String, Object> masterDrops = (Map<String, Object>) ((Map<String, Object>) master.get("counters")).get("drops");
        System.out.printf(Locale.ROOT, "FaultsIT: primary deleted under %d pps: standby active within %d ms (as seen by"
                + " status polling); %d of %d probes lost; primary present=%s; master drops %s; failovers %s%n", rate,
                switchMs, ping[0] - ping[1], ping[0], primary.get("present"), masterDrops, group.get("failovers"));
        assertTrue(ping[0] - ping[1] <= 10, "at most 10 probes (50 ms) lost: " + (ping[0] - ping[1]));
        assertEquals(Boolean.FALSE, primary.get("present"));
        lab.recreate("primary");
        long r0 = System.nanoTime();
        assertTrue(agent.awaitActive("primary", Duration.ofSeconds(5)), "the re-created primary is used again");
        long resumedMs = waitUntil(this::probe, Duration.ofSeconds(10));
        long totalMs = (System.nanoTime() - r0) / 1_000_000;
        String after = ping(50, 0.01);
        System.out.println("FaultsIT: primary re-created: first answered probe after " + resumedMs + " ms of waiting ("
                + totalMs + " ms from re-creation); then " + after.lines().filter(l -> l.contains("packets"))
                .findFirst().orElse(after));
        assertTrue(resumedMs >= 0, "traffic resumed over the re-created primary");
        assertTrue(lost(after) <= 1, after);
        assertEquals(0, agent.stop(Duration.ofSeconds(15)));
    }

    @Test
    void bothLinksDownTurnsTheMasterCarrierOffAndTrafficResumesWhenTheyReturn() throws Exception {
        agent = start();
        assertEquals("1", sysfs("fo0", "carrier"));
        lab.cable("primary", false);
        lab.cable("standby", false);
        long offMs = waitUntil(() -> {
            try {
                return "0".equals(sysfs("fo0", "carrier"));
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(5));
        assertTrue(offMs >= 0, "the master's carrier went off");
        assertNull(agent.active(), "no active link");
        assertTrue(lost(ping(5, 0.1)) == 5, "nothing gets through with both cables out");
        assertTrue(Sh.run("ip", "link", "show", "fo0").contains("NO-CARRIER"), "the host stack sees NO-CARRIER");

        String peerNeighbour = lab.peer("ip", "neigh", "show", "192.0.2.1").strip();
        long t0 = System.nanoTime();
        lab.cable("standby", true);
        lab.cable("primary", true);
        long onMs = waitUntil(() -> {
            try {
                return "1".equals(sysfs("fo0", "carrier"));
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(5));
        long hostMs = waitUntil(() -> Sh.tryRun("ping", "-q", "-n", "-c", "1", "-W", "0.1", Lab.PEER_V4).exit() == 0,
                Duration.ofSeconds(10));
        long resumedMs = waitUntil(this::probe, Duration.ofSeconds(10));
        long total = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(agent.awaitActive("primary", Duration.ofSeconds(5)));
        String out = ping(50, 0.01);
        System.out.printf(Locale.ROOT, "FaultsIT: both cables out: master carrier off in %d ms; both back: carrier on in"
                + " %d ms, host->peer answered after %d ms, then peer->host after %d ms more (%d ms in all; the peer's"
                + " entry for the master was \"%s\" when the cables returned); then %s%n", onMs >= 0 ? offMs : -1, onMs,
                hostMs, resumedMs, total, peerNeighbour, out.lines().filter(l -> l.contains("packets")).findFirst()
                .orElse(out));
        assertTrue(onMs >= 0, "the master's carrier came back");
        assertTrue(resumedMs >= 0, "traffic resumed");
        assertTrue(lost(out) <= 1, out);
        assertEquals(0, agent.stop(Duration.ofSeconds(15)));
    }

    @Test
    @SuppressWarnings("unchecked")
    void masterDeletedBySomeoneElseIsReportedAndTheAgentExits69LeavingNothing() throws Exception {
        agent = start();
        List<Map<String, Object>> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread listener = new Thread(() -> {
            try (dev.tapover.control.ControlClient c = dev.tapover.control.ControlClient.connect(socket)) {
                c.send(c.request("events", null, null));
                Map<String, Object> line;
                while ((line = c.readLine(Duration.ofSeconds(20))) != null) {
                    if (line.get("event") != null) {
                        events.add((Map<String, Object>) line.get("event"));
                    }
                }
            } catch (Exception e) {
                // the agent closed the stream
            }
        }, "events");
        listener.start();
        Thread.sleep(300);
        long t0 = System.nanoTime();
        Sh.run("ip", "link", "del", "fo0");
        int code = agent.waitFor(Duration.ofSeconds(20));
        long exitMs = (System.nanoTime() - t0) / 1_000_000;
        listener.join(5000);
        String log = agent.logText();
        String last = log.strip().lines().reduce((a, b) -> b).orElse("");
        System.out.println("FaultsIT: master deleted: agent exited " + code + " after " + exitMs + " ms; last line: "
                + last);
        assertEquals(69, code, log);
        assertTrue(last.startsWith("tapover: the master fo0 was deleted by someone else"), last);
        assertTrue(events.stream().anyMatch(e -> "master-removed".equals(e.get("type"))),
                "an events client was told: " + events);
        assertFalse(exists("fo0"));
        assertFalse(Files.exists(socket), "no control socket left behind");
        assertNotPromiscuous();
        assertEquals("1", Sh.run("sysctl", "-n", "net.ipv6.conf.primary.disable_ipv6").trim(),
                "the links' IPv6 setting is as the lab left it");
    }
}
