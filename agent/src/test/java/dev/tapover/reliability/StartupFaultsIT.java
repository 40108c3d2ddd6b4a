// The start-up cases the bad-input matrix (BadInputIT) lacks: TAP creation refused, a link deleted during start-up.
package dev.tapover.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.tapover.lab.Sh;

@Tag("netns")
class StartupFaultsIT {
    private static Path dir;

    @BeforeAll
    static void links() throws Exception {
        Sh.requireThrowawayNamespace();
        for (String link : new String[] {"primary", "standby"}) {
            Sh.run("ip", "link", "add", link, "type", "veth", "peer", "name", link + "-far");
            Sh.run("ip", "link", "set", link, "up");
            Sh.run("ip", "link", "set", link + "-far", "up");
        }
        dir = Files.createTempDirectory("tapover-startup");
    }

    @AfterAll
    static void cleanup() {
        Sh.tryRun("ip", "link", "del", "primary");
        Sh.tryRun("ip", "link", "del", "standby");
    }

    private static Path socket() {
        return dir.resolve("fo0.sock");
    }

    private static List<String> run() {
        return List.of(AgentProcess.launcher().toString(), "run", "--master", "fo0", "--primary", "primary",
                "--standby", "standby", "--address", "192.0.2.1/24", "--control", socket().toString());
    }

    record Outcome(int code, String output) {
        String lastLine() {
            return output.strip().lines().reduce((a, b) -> b).orElse("");
        }
    }

    private static Outcome runBounded(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("the agent did not exit within 60 s");
        }
        return new Outcome(p.exitValue(), new String(p.getInputStream().readAllBytes()));
    }

    private static void assertNothingLeft() {
        assertTrue(Sh.tryRun("ip", "link", "show", "fo0").exit() != 0, "no master left behind");
        assertFalse(Files.exists(socket()), "no control socket left behind");
        for (String link : new String[] {"primary", "standby"}) {
            if (Files.exists(Path.of("/sys/class/net", link))) {
                assertTrue(Sh.run("ip", "-d", "link", "show", link).contains("promiscuity 0"), link + " not promiscuous");
            }
        }
    }

    @Test
    void tapCreationRefusedForLackOfCapabilityExits77() throws Exception {
        // Root, but without CAP_NET_ADMIN in the bounding set: TUNSETIFF fails with EPERM.
        List<String> command = new ArrayList<>(List.of("setpriv", "--bounding-set=-net_admin",
                "--inh-caps=-net_admin", "--"));
        command.addAll(run());
        Outcome o = runBounded(command);
        System.out.println("StartupFaultsIT: without CAP_NET_ADMIN: exit " + o.code() + ": " + o.lastLine());
        assertEquals(77, o.code(), o.output());
        assertTrue(o.lastLine().startsWith("tapover: ") && o.lastLine().contains("CAP_NET_ADMIN"), o.lastLine());
        assertNothingLeft();
    }

    @Test
    void tapCreationRefusedByTheDeviceExits69() throws Exception {
        // A private mount namespace where /dev/net/tun is /dev/null: open works, TUNSETIFF fails (ENOTTY).
        String script = "mount --make-rprivate / && mount --bind /dev/null /dev/net/tun && exec \"$@\"";
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--", "sh", "-c", script, "sh"));
        command.addAll(run());
        Outcome o = runBounded(command);
        System.out.println("StartupFaultsIT: /dev/net/tun refusing TUNSETIFF: exit " + o.code() + ": " + o.lastLine());
        assertEquals(69, o.code(), o.output());
        assertTrue(o.lastLine().startsWith("tapover: cannot create the TAP master"), o.lastLine());
        assertNothingLeft();
    }

    /**
     * The standby is deleted at different moments of start-up (spread over the time the agent needs to be
     * ready). Whenever it happens, the agent either refuses cleanly (69, one sentence, nothing left behind:
     * "does not exist" before the preflight, "disappeared during start-up" after it) or starts and reports
     * the link absent (it was a hot-unplug after registration); it never hangs or leaks.
     */
    @Test
    void linkDeletedDuringStartUpIsRefusedCleanlyOrFollowedAsAHotUnplug() throws Exception {
        long readyMs = timeToReady();
        Map<String, Integer> outcomes = new TreeMap<>();
        int tries = 8;
        for (int i = 0; i < tries; i++) {
            long delay = readyMs * (40 + 60 * i / (tries - 1)) / 100; // the JVM alone takes ~half of it
            AgentProcess agent = AgentProcess.start(socket(), "-Xmx256m", run().subList(1, run().size()));
            try {
                Thread.sleep(delay);
                Sh.run("ip", "link", "del", "standby");
                String outcome = awaitOutcome(agent);
                outcomes.merge(outcome, 1, Integer::sum);
                System.out.println("StartupFaultsIT: standby deleted " + delay + " ms after launch: " + outcome);
            } finally {
                agent.close();
                Sh.run("ip", "link", "add", "standby", "type", "veth", "peer", "name", "standby-far");
                Sh.run("ip", "link", "set", "standby", "up");
                Sh.run("ip", "link", "set", "standby-far", "up");
            }
            assertNothingLeft();
        }
        System.out.println("StartupFaultsIT: link deleted during start-up (ready takes ~" + readyMs + " ms): " + outcomes);
    }

    private long timeToReady() throws Exception {
        long t0 = System.nanoTime();
        try (AgentProcess agent = AgentProcess.start(socket(), "-Xmx256m", run().subList(1, run().size()))) {
            agent.awaitReady(Duration.ofSeconds(60));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, agent.stop(Duration.ofSeconds(15)));
            return ms;
        }
    }

    /** "refused: ..." or "runs: standby present=false", after which it is stopped and must exit 0. */
    private static String awaitOutcome(AgentProcess agent) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                int code = agent.waitFor(Duration.ofSeconds(1));
                String log = agent.logText().strip();
                String last = log.lines().reduce((a, b) -> b).orElse("");
                assertEquals(69, code, log);
                assertTrue(last.startsWith("tapover: link \"standby\" "), last);
                assertTrue(last.contains("does not exist") || last.contains("disappeared during start-up"), last);
                return last.contains("does not exist") ? "refused before the preflight (does not exist)"
                        : "refused during start-up (disappeared)";
            }
            if (Files.exists(agent.socket())) {
                try {
                    Object present = agent.link("standby").get("present");
                    if (Boolean.FALSE.equals(present)) {
                        assertEquals(0, agent.stop(Duration.ofSeconds(15)), agent.logText());
                        return "started, standby reported absent (hot-unplug)";
                    }
                } catch (Exception | AssertionError e) {
                    // not answering yet
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no outcome within 60 s:\n" + agent.logText());
    }
}
