// Flap storm: the primary flaps at 50 cycles/s while the peer pings at 500 pps; responsiveness, budget, leaks.
package dev.tapover.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.tapover.lab.Lab;
import dev.tapover.lab.Sh;

/**
 * The agent runs as its own process (fds, RSS and heap measured from outside). The storm lasts
 * {@code -Dtapover.storm.seconds} (default 15 in CI; 60 for the full run) at
 * {@code -Dtapover.storm.rate} down+up cycles per second (default 50) while the peer pings the master
 * every 2 ms. A client asks {@code status} over a fresh connection every 20 ms throughout (and for 3 s
 * before the storm, to know how fast the machine answers at all right now).
 */
@Tag("netns")
class FlapStormIT {
    private static final double SECONDS = Double.parseDouble(System.getProperty("tapover.storm.seconds", "15"));
    private static final int RATE = Integer.getInteger("tapover.storm.rate", 50);
    private static final int PPS = 500;
    /** The announcer's default budget: 100 frames per second, bucket of 100. */
    private static final int BUDGET = 100;

    private Lab lab;
    private AgentProcess agent;

    @AfterEach
    void down() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    /** Above this idle status p99 the machine is too loaded for the absolute 100 ms check to mean anything. */
    private static final int QUIET_P99_MS = 25;
    /** ... and above this share of the storm's time with tasks waiting for a CPU (PSI "some"). */
    private static final int LOADED_PRESSURE_PERCENT = 50;

    /** /proc/pressure/cpu "some" total stall time in µs, or -1 where PSI is not available. */
    private static long cpuStallMicros() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/pressure/cpu"))) {
                if (line.startsWith("some ")) {
                    return Long.parseLong(line.substring(line.indexOf("total=") + 6).trim());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no PSI on this kernel
        }
        return -1;
    }

    /** Asks status over a fresh connection every 20 ms until {@code running} is cleared. */
    private Thread prober(List<Long> latencies, AtomicInteger failures, AtomicBoolean running) {
        return new Thread(() -> {
            while (running.get()) {
                long t = System.nanoTime();
                try {
                    agent.status(Duration.ofSeconds(2));
                    latencies.add(System.nanoTime() - t);
                } catch (Exception | AssertionError e) {
                    failures.incrementAndGet();
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "status-prober");
    }

    @SuppressWarnings("unchecked")
    private static long announced(Map<String, Object> group, String key) {
        Object v = ((Map<String, Object>) group.get("announcements")).get(key);
        return v == null ? 0 : ((Number) v).longValue();
    }

    @Test
    void agentStaysResponsiveWithinBudgetAndLeakFreeThroughAFlapStorm() throws Exception {
        lab = Lab.up();
        Path socket = Files.createTempDirectory("tapover-storm").resolve("fo0.sock");
        agent = AgentProcess.start(socket, "-Xmx256m", AgentProcess.labArgs(socket));
        agent.awaitReady(Duration.ofSeconds(60));
        Sh.run("ip", "netns", "exec", lab.peerNamespace(), "ping", "-c", "3", "-i", "0.2", "-W", "2", "192.0.2.1");

        // Warm-up: a short storm (classes loaded, JIT, event history full), then let the bursts end.
        Traffic.flap(lab, "primary", RATE, 2);
        assertTrue(agent.awaitActive("primary", Duration.ofSeconds(10)), "back on primary after the warm-up");
        Thread.sleep(4000);
        long heap0 = agent.heapUsedAfterFullGcKb();
        int fd0 = agent.fdCount();
        long threads0 = agent.threads();
        long rss0 = agent.rssKb();
        Map<String, Object> before = agent.group();

        // The same prober without a storm first: how fast status is on this machine right now.
        List<Long> idleLatencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger idleFailures = new AtomicInteger();
        AtomicBoolean idleProbing = new AtomicBoolean(true);
        Thread idleProber = prober(idleLatencies, idleFailures, idleProbing);
        idleProber.start();
        Thread.sleep(3000);
        idleProbing.set(false);
        idleProber.join(5000);
        Traffic.Latencies idle = Traffic.Latencies.of(idleLatencies);

        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger statusFailures = new AtomicInteger();
        AtomicBoolean probing = new AtomicBoolean(true);
        Thread prober = prober(latencies, statusFailures, probing);

        int deadline = (int) Math.ceil(SECONDS) + 10;
        long windowStart = System.nanoTime();
        long[] wire;
        long cycles;
        double stormSeconds;
        long[] ping;
        double cpuPressure;
        try (Traffic.AnnouncementCapture capture = Traffic.AnnouncementCapture.start(lab.switchNamespace(), "br0",
                deadline + 60)) {
            Traffic.Pinger pinger = Traffic.Pinger.start(lab, "192.0.2.1", 1000.0 / PPS, (int) (PPS * SECONDS),
                    deadline);
            prober.start();
            long t0 = System.nanoTime();
            long stall0 = cpuStallMicros();
            cycles = Traffic.flap(lab, "primary", RATE, SECONDS);
            stormSeconds = (System.nanoTime() - t0) / 1e9;
            cpuPressure = stall0 < 0 ? -1 : (cpuStallMicros() - stall0) / 1e4 / stormSeconds;
            probing.set(false);
            prober.join(5000);
            ping = pinger.result(deadline);
            assertTrue(agent.awaitActive("primary", Duration.ofSeconds(10)), "the agent ends on the primary");
            Thread.sleep(3500); // the last burst's rounds (0, 1, 2 s) go out
            wire = capture.stopAndCount();
        }
        double window = (System.nanoTime() - windowStart) / 1e9;

        Map<String, Object> after = agent.group();
        long sent = announced(after, "sentTotal") - announced(before, "sentTotal");
        long suppressed = announced(after, "framesSuppressed") - announced(before, "framesSuppressed");
        long failovers = ((Number) after.get("failovers")).longValue() - ((Number) before.get("failovers")).longValue();
        String finalPing = Sh.run("ip", "netns", "exec", lab.peerNamespace(), "ping", "-q", "-c", "100", "-i", "0.01",
                "-W", "1", "192.0.2.1");
        long heap1 = agent.heapUsedAfterFullGcKb();
        int fd1 = agent.fdCount();
        long threads1 = agent.threads();
        long rss1 = agent.rssKb();
        Traffic.Latencies lat = Traffic.Latencies.of(latencies);
        long wireTotal = wire[0] + wire[1] + wire[2];
        double wireLimit = BUDGET * window + BUDGET;

        System.out.printf(Locale.ROOT, "FlapStormIT: tried %d down+up cycles of the primary in %.1f s (target %d/s for %.0f s),"
                + " peer ping every %.1f ms%n", cycles, stormSeconds, RATE, SECONDS, 1000.0 / PPS);
        System.out.printf(Locale.ROOT, "FlapStormIT: ping %d sent, %d answered (%.1f%% lost during the storm)%n", ping[0],
                ping[1], 100.0 * (ping[0] - ping[1]) / Math.max(1, ping[0]));
        System.out.printf(Locale.ROOT, "FlapStormIT: status over a fresh connection every 20 ms: %s, failures %d"
                + " (without the storm just before: %s)%n", lat, statusFailures.get(), idle);
        System.out.printf(Locale.ROOT, "FlapStormIT: failovers %d; announcements on the wire (br0) in %.1f s: %d ARP, %d NA,"
                + " %d RARP = %d (budget limit %.0f); agent counted %d sent, %d suppressed%n", failovers, window, wire[0],
                wire[1], wire[2], wireTotal, wireLimit, sent, suppressed);
        System.out.printf(Locale.ROOT, "FlapStormIT: fds %d -> %d, threads %d -> %d, heap after full GC %d -> %d KiB,"
                + " RSS %d -> %d KiB%n", fd0, fd1, threads0, threads1, heap0, heap1, rss0, rss1);
        System.out.println("FlapStormIT: after the storm: " + finalPing.lines().filter(l -> l.contains("packets"))
                .findFirst().orElse(finalPing));

        assertEquals(0, statusFailures.get(), "every status request was answered");
        assertTrue(lat.count() >= SECONDS * 5, "status was asked throughout the storm: " + lat);
        System.out.printf(Locale.ROOT, "FlapStormIT: CPU pressure during the storm (/proc/pressure/cpu, some): %.0f%%%n",
                cpuPressure);
        if (idle.p99Ms() < QUIET_P99_MS && cpuPressure < LOADED_PRESSURE_PERCENT) {
            assertTrue(lat.p99Ms() < 100, "status p99 under 100 ms: " + lat + " (idle " + idle + ")");
        } else {
            // Other work is starving the machine's 2 cores (tasks waited for a CPU most of the time): a latency
            // figure then measures the machine, not the agent. Print it, check only that status kept answering.
            System.out.printf(Locale.ROOT, "FlapStormIT: WARNING the machine is overloaded (idle status p99 %.1f ms,"
                    + " CPU pressure %.0f%%): the 100 ms bound is not checked, only p99 < 1 s%n", idle.p99Ms(),
                    cpuPressure);
            assertTrue(lat.p99Ms() < 1000, "status p99 under 1 s even on an overloaded machine: " + lat);
        }
        assertTrue(wireTotal <= wireLimit, "announcement frames on the wire within the budget: " + wireTotal + " > "
                + wireLimit);
        assertTrue(wire[1] <= 2 * (Math.ceil(window) + 1), "NA rounds at most one per second (2 IPv6 addresses): "
                + wire[1]);
        assertTrue(failovers > 0, "the storm moved traffic: " + failovers + " failovers for " + cycles + " cycles");
        assertEquals("primary", after.get("active"));
        @SuppressWarnings("unchecked")
        Map<String, Object> master = (Map<String, Object>) after.get("master");
        assertEquals(Boolean.TRUE, master.get("carrier"), "the master has carrier");
        assertEquals("1", Files.readString(Path.of("/sys/class/net/fo0/carrier")).trim());
        assertEquals(Boolean.TRUE, agent.link("primary").get("carrier"));
        assertEquals(Boolean.TRUE, agent.link("standby").get("carrier"));
        assertTrue(finalPing.contains(" 0% packet loss") || finalPing.contains(" 1% packet loss"),
                "traffic flows after the storm: " + finalPing);
        assertTrue(fd1 <= fd0 + 2, "fd count back to its level: " + fd0 + " -> " + fd1);
        assertTrue(threads1 <= threads0 + 2, "thread count back to its level: " + threads0 + " -> " + threads1);
        assertTrue(heap1 <= heap0 + 8 * 1024, "heap after a full GC back to its level: " + heap0 + " -> " + heap1
                + " KiB");
        assertEquals(0, agent.stop(Duration.ofSeconds(15)), "the agent exits 0 on SIGTERM");
    }
}
