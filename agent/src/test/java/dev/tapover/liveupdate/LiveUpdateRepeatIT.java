// Twenty live updates in a row under traffic: every generation holds the same fds (no leak), and no frame is lost.
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
class LiveUpdateRepeatIT {
    private static final int UPGRADES = 20;
    private static final int RATE = 1000;

    private Lab lab;
    private Path dir;
    private Path socket;
    private AgentProcess agent;

    @BeforeEach
    void up() throws Exception {
        lab = Lab.up();
        dir = Files.createTempDirectory("tapover-lu-repeat");
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

    /** The fds of the serving agent once it settled: its takeover-done line is logged and the status answers. */
    private Map<String, Integer> census(long pid) throws Exception {
        Thread.sleep(300); // let the predecessor's exit and the successor's start-up threads settle
        return AgentProcess.fdCensus(pid);
    }

    @Test
    void twentyUpgradesInARowLeakNoFd() throws Exception {
        String carrierChanges = AgentProcess.sys("fo0", "carrier_changes");
        String peerMac = lab.peer("cat", "/sys/class/net/eth0/address").trim();
        List<Map<String, Integer>> censuses = new ArrayList<>();
        List<Double> gaps = new ArrayList<>();
        try (Traffic toMaster = Traffic.receive(null, "fo0", 1, Duration.ofSeconds(600));
             Traffic toPeer = Traffic.receive(lab.peerNamespace(), "eth0", 2, Duration.ofSeconds(600));
             Traffic fromPeer = Traffic.send(lab.peerNamespace(), "eth0", AgentProcess.MAC, RATE, Duration.ofSeconds(540), 1);
             Traffic fromHost = Traffic.send(null, "fo0", peerMac, RATE, Duration.ofSeconds(540), 2)) {
            Thread.sleep(500);
            for (int generation = 1; generation <= UPGRADES; generation++) {
                AgentProcess.CliResult upgrade = AgentProcess.cli(socket, "upgrade", "--json");
                AgentProcess.assertStatus(0, upgrade);
                JsonNode result = upgrade.json();
                gaps.add(result.path("gapMs").asDouble());
                JsonNode status = AgentProcess.awaitGeneration(socket, generation);
                long pid = status.path("liveUpdate").path("pid").asLong();
                assertEquals(result.path("pid").asLong(), pid);
                Map<String, Integer> census = census(pid);
                censuses.add(census);
                assertEquals(1, census.get("tun"), "generation " + generation + " holds exactly one TAP fd: " + census);
            }
            Thread.sleep(1000);
            JsonNode sent1 = fromPeer.stop();
            JsonNode sent2 = fromHost.stop();
            Thread.sleep(500);
            JsonNode got1 = toMaster.stop();
            JsonNode got2 = toPeer.stop();
            List<Double> sorted = gaps.stream().sorted().toList();
            System.out.printf("LiveUpdateRepeatIT: %d upgrades, handoff gap min %.1f / median %.1f / max %.1f ms; frames "
                    + "%d/%d peer->master, %d/%d master->peer; fds per generation %s%n", UPGRADES, sorted.get(0),
                    sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), got1.path("unique").asLong(),
                    sent1.path("sent").asLong(), got2.path("unique").asLong(), sent2.path("sent").asLong(),
                    censuses.stream().map(c -> c.get("total")).toList());
            assertEquals(sent1.path("sent").asLong(), got1.path("unique").asLong(), "peer -> master: nothing lost " + got1);
            assertEquals(sent2.path("sent").asLong(), got2.path("unique").asLong(), "master -> peer: nothing lost " + got2);
        }
        // generation 1 is the first successor; every later one must hold exactly what it held
        Map<String, Integer> first = censuses.get(0);
        for (int i = 1; i < censuses.size(); i++) {
            Map<String, Integer> c = censuses.get(i);
            assertEquals(first.get("socket"), c.get("socket"), "sockets of generation " + (i + 1) + " vs 1: " + c + " " + first);
            assertEquals(first.get("eventfd"), c.get("eventfd"), "eventfds of generation " + (i + 1) + ": " + c + " " + first);
            assertTrue(c.get("total") <= first.get("total") + 2, "fds of generation " + (i + 1) + " " + c + " vs " + first);
        }
        assertTrue(censuses.get(censuses.size() - 1).get("total") <= first.get("total") + 2,
                "no growth over " + UPGRADES + " generations: " + censuses);
        assertEquals(carrierChanges, AgentProcess.sys("fo0", "carrier_changes"), "the master never flapped");
    }
}
