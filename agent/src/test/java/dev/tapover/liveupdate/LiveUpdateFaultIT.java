// Fault injection: a successor killed at each protocol step in turn; the running agent rolls back, loses nothing, and the next upgrade works.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.tapover.lab.Lab;

@Tag("netns")
class LiveUpdateFaultIT {
    private static final int RATE = 1000;

    private Lab lab;
    private Path dir;
    private Path socket;
    private AgentProcess agent;

    @BeforeEach
    void up() throws Exception {
        lab = Lab.up();
        dir = Files.createTempDirectory("tapover-lu-fault");
        socket = dir.resolve("fo0.sock");
        agent = AgentProcess.start(dir.resolve("agent.log"), Map.of(), AgentProcess.runArgs(dir));
        agent.awaitStarted();
    }

    @AfterEach
    void down() throws Exception {
        try {
            if (Files.exists(socket)) {
                AgentProcess.stopCurrent(socket);
            }
            agent.close();
        } finally {
            lab.close();
        }
    }

    private long currentPid() throws Exception {
        return AgentProcess.status(socket).path("liveUpdate").path("pid").asLong();
    }

    @Test
    void anIncompatibleSuccessorIsRefusedAndTheAgentCarriesOn() throws Exception {
        String carrierChanges = AgentProcess.sys("fo0", "carrier_changes");
        try (Transport t = Transport.connect(TakeoverListener.pathFor(socket))) {
            Message hello = Message.of(Message.HELLO);
            hello.body().put("minProtocol", 99);
            hello.body().put("protocol", 99);
            hello.body().put("version", "99.0");
            t.send(hello);
            Transport.Incoming in = t.receive(5_000_000_000L);
            assertEquals(Message.REFUSE, in.message().type());
            assertTrue(in.message().text("reason").contains("speaks live-update protocol 99..99"), in.message().text("reason"));
        }
        agent.awaitLog("event=live-update result=refused step=HELLO", Duration.ofSeconds(10));
        JsonNode s = AgentProcess.status(socket);
        assertEquals(agent.pid(), s.path("liveUpdate").path("pid").asLong());
        assertEquals("refused", s.path("liveUpdate").path("last").path("result").asText());
        assertEquals(carrierChanges, AgentProcess.sys("fo0", "carrier_changes"));
        AgentProcess.assertStatus(0, AgentProcess.cli(socket, "upgrade", "--json"));
        AgentProcess.awaitGeneration(socket, 1);
    }

    @Test
    void aSuccessorKilledAtEachStepChangesNothingAndTheNextUpgradeWorks() throws Exception {
        Path takeover = TakeoverListener.pathFor(socket);
        String carrierChanges = AgentProcess.sys("fo0", "carrier_changes");
        List<String> gaps = new ArrayList<>();
        try (Traffic toMaster = Traffic.receive(null, "fo0", 1, Duration.ofSeconds(400));
             Traffic fromPeer = Traffic.send(lab.peerNamespace(), "eth0", AgentProcess.MAC, RATE, Duration.ofSeconds(360), 1)) {
            Thread.sleep(500);
            long generation = 0;
            for (String point : FaultInjection.POINTS) {
                long pid = currentPid();
                Map<String, Integer> fdsBefore = AgentProcess.fdCensus(pid);
                int rollbacks = agent.countLog("event=live-update result=rolled-back");
                List<String> cmd = List.of(AgentProcess.script("scripts/tapover").toString(), "run", "--takeover",
                        takeover.toString());
                try (AgentProcess successor = AgentProcess.startCommand(dir.resolve("successor-" + point + ".log"),
                        Map.of(FaultInjection.VARIABLE, point), cmd)) {
                    successor.awaitLog("event=test-pause point=" + point, Duration.ofSeconds(60));
                    if (point.equals("preserve")) {
                        AgentProcess.CliResult busy = AgentProcess.cli(socket, "upgrade");
                        assertEquals(69, busy.exit(), "one upgrade at a time: " + busy.err());
                        assertTrue(busy.err().contains("already in progress"), busy.err());
                    }
                    successor.process().destroyForcibly(); // SIGKILL, at this very step
                    successor.process().waitFor();
                }
                agent.awaitLog("event=live-update result=rolled-back", rollbacks + 1, Duration.ofSeconds(20));
                String line = agent.awaitLog("event=live-update result=rolled-back.*", rollbacks + 1,
                        Duration.ofSeconds(1)).group();
                System.out.println("LiveUpdateFaultIT: killed at " + point + ": " + line);
                assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the agent still runs");
                JsonNode s = AgentProcess.status(socket);
                assertEquals(pid, s.path("liveUpdate").path("pid").asLong(), "the same agent serves");
                assertEquals(generation, s.path("liveUpdate").path("generation").asLong());
                assertEquals("rolled-back", s.path("liveUpdate").path("last").path("result").asText());
                assertEquals(carrierChanges, AgentProcess.sys("fo0", "carrier_changes"), "no carrier change");
                Map<String, Integer> fdsAfter = AgentProcess.fdCensus(pid);
                assertEquals(fdsBefore.get("tun"), fdsAfter.get("tun"), "the rollback leaks no TAP fd");
                assertEquals(fdsBefore.get("socket"), fdsAfter.get("socket"), "nor a socket: " + fdsBefore + " " + fdsAfter);

                AgentProcess.CliResult upgrade = AgentProcess.cli(socket, "upgrade", "--json");
                AgentProcess.assertStatus(0, upgrade);
                gaps.add(point + ":" + upgrade.json().path("gapMs").asText());
                generation++;
                AgentProcess.awaitGeneration(socket, generation);
            }
            Thread.sleep(1000);
            JsonNode sent = fromPeer.stop();
            Thread.sleep(500);
            JsonNode got = toMaster.stop();
            System.out.println("LiveUpdateFaultIT: gaps of the upgrades after each kill (ms) " + gaps + "; frames "
                    + got.path("unique") + "/" + sent.path("sent") + ", largest wire gap " + got.path("maxGapMs") + " ms");
            assertTrue(sent.path("sent").asLong() > 10 * RATE, "traffic ran through the whole test: " + sent);
            assertEquals(sent.path("sent").asLong(), got.path("unique").asLong(), "no frame lost: " + got);
            assertEquals(0, got.path("duplicates").asLong());
        }
        assertEquals(carrierChanges, AgentProcess.sys("fo0", "carrier_changes"));
    }
}
