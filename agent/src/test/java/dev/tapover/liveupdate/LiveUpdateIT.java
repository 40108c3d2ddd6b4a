// A live update of a real agent under 1,000 frames/s each way: no frame lost, no carrier change, no RTM_NEWLINK for the master.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.tapover.lab.Lab;
import dev.tapover.lab.Sh;

@Tag("netns")
class LiveUpdateIT {
    private static final int RATE = 1000;

    private Lab lab;
    private Path dir;
    private Path socket;
    private AgentProcess agent;
    private Process monitor;

    @BeforeEach
    void up() throws Exception {
        lab = Lab.up();
        dir = Files.createTempDirectory("tapover-lu");
        socket = dir.resolve("fo0.sock");
    }

    @AfterEach
    void down() throws Exception {
        try {
            if (monitor != null) {
                monitor.destroyForcibly();
            }
            if (Files.exists(socket)) {
                AgentProcess.stopCurrent(socket);
            }
            if (agent != null) {
                agent.close();
            }
        } finally {
            lab.close();
        }
    }

    @Test
    void upgradeUnderTrafficLosesNothingAndTheMasterNeverFlaps() throws Exception {
        // the agent silences a link it serves and restores it on exit: after a handoff, the successor restores it
        Sh.run("sysctl", "-q", "-w", "net.ipv6.conf.standby.disable_ipv6=0");
        agent = AgentProcess.start(dir.resolve("agent.log"), Map.of(), AgentProcess.runArgs(dir));
        agent.awaitStarted();
        String ifindex = AgentProcess.sys("fo0", "ifindex");
        String peerMac = lab.peer("cat", "/sys/class/net/eth0/address").trim();
        JsonNode before = AgentProcess.status(socket);
        assertEquals(0, before.path("liveUpdate").path("generation").asInt());
        assertEquals("primary", before.path("groups").get(0).path("active").asText());

        Path monitorOut = dir.resolve("monitor.txt");
        monitor = new ProcessBuilder("ip", "monitor", "link").redirectErrorStream(true).redirectOutput(monitorOut.toFile())
                .start();
        Thread.sleep(200);
        String carrierChanges = AgentProcess.sys("fo0", "carrier_changes");

        try (Traffic toMaster = Traffic.receive(null, "fo0", 1, Duration.ofSeconds(120));
             Traffic toPeer = Traffic.receive(lab.peerNamespace(), "eth0", 2, Duration.ofSeconds(120));
             Traffic fromPeer = Traffic.send(lab.peerNamespace(), "eth0", AgentProcess.MAC, RATE, Duration.ofSeconds(90), 1);
             Traffic fromHost = Traffic.send(null, "fo0", peerMac, RATE, Duration.ofSeconds(90), 2)) {
            // a `tapover events` follower, as a user watching the update would run it
            Path eventsOut = dir.resolve("events.jsonl");
            ProcessBuilder follow = new ProcessBuilder(AgentProcess.script("scripts/tapover").toString(), "events",
                    "--control", socket.toString()).redirectErrorStream(true).redirectOutput(eventsOut.toFile());
            AgentProcess.realJava(follow);
            Process follower = follow.start();
            Thread.sleep(1500);
            AgentProcess.CliResult upgrade = AgentProcess.cli(socket, "upgrade", "--json");
            AgentProcess.assertStatus(0, upgrade);
            JsonNode result = upgrade.json();
            long newPid = result.path("pid").asLong();
            assertNotEquals(agent.pid(), newPid);
            AgentProcess.assertExitsZero(agent.pid(), Duration.ofSeconds(15));
            assertEquals(0, agent.process().exitValue(), "the old agent exits 0 after FINISH");
            assertTrue(follower.waitFor(10, TimeUnit.SECONDS), "the events stream ends with the old agent");
            String streamed = Files.readString(eventsOut);
            assertTrue(streamed.lines().anyMatch(l -> l.contains("\"type\":\"live-update\"")
                    && l.contains("\"result\":\"done\"")), "the follower saw the update's outcome: " + streamed);
            Thread.sleep(1500);

            JsonNode sent1 = fromPeer.stop();
            JsonNode sent2 = fromHost.stop();
            Thread.sleep(500);
            JsonNode got1 = toMaster.stop();
            JsonNode got2 = toPeer.stop();
            System.out.printf("LiveUpdateIT: handoff gap %.1f ms (frozen %.1f ms); largest inter-arrival gap on the wire:"
                    + " peer->master %.1f ms, master->peer %.1f ms; frames %d/%d and %d/%d%n",
                    result.path("gapMs").asDouble(), result.path("frozenMs").asDouble(), got1.path("maxGapMs").asDouble(),
                    got2.path("maxGapMs").asDouble(), got1.path("unique").asLong(), sent1.path("sent").asLong(),
                    got2.path("unique").asLong(), sent2.path("sent").asLong());
            assertTrue(sent1.path("sent").asLong() > 2 * RATE, "traffic ran through the update: " + sent1);
            assertEquals(sent1.path("sent").asLong(), got1.path("unique").asLong(), "peer -> master: every frame arrived " + got1);
            assertEquals(sent2.path("sent").asLong(), got2.path("unique").asLong(), "master -> peer: every frame arrived " + got2);
            assertEquals(0, got1.path("duplicates").asLong(), "no frame was delivered twice");
            assertEquals(0, got2.path("duplicates").asLong());
            assertTrue(result.path("gapMs").asDouble() > 0, "the gap is measured: " + result);
        }

        assertEquals(carrierChanges, AgentProcess.sys("fo0", "carrier_changes"), "the master's carrier never changed");
        assertEquals(ifindex, AgentProcess.sys("fo0", "ifindex"), "the very same master");
        Sh.run("ip", "link", "set", "dev", "standby", "alias", "tovprobe"); // proves the monitor is listening
        Thread.sleep(300);
        monitor.destroy();
        monitor.waitFor(5, TimeUnit.SECONDS);
        List<String> events = Files.readAllLines(monitorOut);
        assertTrue(events.stream().anyMatch(l -> l.contains("standby")), "ip monitor saw the probe: " + events);
        assertFalse(events.stream().anyMatch(l -> l.matches("^(Deleted )?\\d+: fo0[:@].*")),
                "no RTM_NEWLINK/DELLINK for fo0 during the update: " + events);

        JsonNode after = AgentProcess.awaitGeneration(socket, 1);
        JsonNode group = after.path("groups").get(0);
        assertEquals("primary", group.path("active").asText(), "the active link is kept");
        assertEquals(agent.pid(), after.path("liveUpdate").path("predecessorPid").asLong());
        assertTrue(group.path("master").path("counters").path("rxFrames").asLong()
                >= before.path("groups").get(0).path("master").path("counters").path("rxFrames").asLong(),
                "counters continue: " + group.path("master").path("counters"));
        assertTrue(Sh.run("ip", "-br", "addr", "show", "fo0").contains("192.0.2.1/24"), "the address stayed");
        Sh.run("ping", "-c", "2", "-i", "0.2", "-W", "2", Lab.PEER_V4);
        assertTrue(agent.logText().contains("event=takeover-done"), agent.tail(40));
        assertEquals("1", Sh.run("sysctl", "-n", "net.ipv6.conf.standby.disable_ipv6").trim(),
                "the old agent did not restore the link it handed over");

        AgentProcess.stopCurrent(socket);
        assertTrue(Sh.tryRun("ip", "link", "show", "fo0").exit() != 0, "the successor removes the master on stop");
        assertFalse(Files.exists(socket), "and its control socket");
        assertFalse(Files.exists(TakeoverListener.pathFor(socket)), "and its takeover socket");
        assertEquals("0", Sh.run("sysctl", "-n", "net.ipv6.conf.standby.disable_ipv6").trim(),
                "the successor restored what the predecessor had silenced");
    }
}
