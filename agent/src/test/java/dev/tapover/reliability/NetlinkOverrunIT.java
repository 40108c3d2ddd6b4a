// Netlink overrun at the agent level: an event flood overflows a tiny monitor socket; the agent re-syncs to the kernel.
package dev.tapover.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.tapover.lab.Lab;
import dev.tapover.lab.Sh;

/**
 * The agent runs with {@code -Dtapover.netlink.receiveBuffer=4096} (the monitor's test hook) and without the
 * sysfs carrier poll ({@code --carrier-poll 0}), so only netlink and its re-dump can tell it the truth, and under
 * the normal scheduler ({@code --realtime-priority 0}), so the flood can outrun its monitor thread. The
 * flood (one {@code ip -batch}) toggles 16 unrelated veth pairs 100 times, and in the middle of it changes
 * what the agent cares about: the primary goes admin-down, the standby bounces, the master gets an address.
 */
@Tag("netns")
class NetlinkOverrunIT {
    private static final int PAIRS = 16;
    private static final int ROUNDS = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Lab lab;
    private AgentProcess agent;

    @AfterEach
    void down() throws Exception {
        if (agent != null) {
            agent.close();
        }
        for (int i = 0; i < PAIRS; i++) {
            Sh.tryRun("ip", "link", "del", "fl" + i);
        }
        if (lab != null) {
            lab.close();
        }
    }

    /** name -> "ifindex admin carrier" as the kernel says (ip -j link). */
    private static Map<String, String> kernelLinks() throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (JsonNode l : JSON.readTree(Sh.run("ip", "-j", "link", "show"))) {
            String name = l.get("ifname").asText();
            if (List.of("primary", "standby", "fo0").contains(name)) {
                List<String> flags = JSON.convertValue(l.get("flags"), JSON.getTypeFactory()
                        .constructCollectionType(List.class, String.class));
                out.put(name, l.get("ifindex").asInt() + " admin=" + flags.contains("UP") + " carrier="
                        + flags.contains("LOWER_UP"));
            }
        }
        return out;
    }

    private static TreeSet<String> kernelMasterAddresses() throws Exception {
        TreeSet<String> out = new TreeSet<>();
        for (JsonNode l : JSON.readTree(Sh.run("ip", "-j", "addr", "show", "dev", "fo0"))) {
            for (JsonNode a : l.get("addr_info")) {
                out.add(a.get("local").asText() + "/" + a.get("prefixlen").asInt());
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private Map<String, String> agentLinks(Map<String, Object> group) {
        Map<String, String> out = new TreeMap<>();
        for (Map<String, Object> l : (List<Map<String, Object>>) group.get("links")) {
            if (Boolean.TRUE.equals(l.get("present"))) {
                out.put((String) l.get("name"), l.get("ifindex") + " admin=" + l.get("adminUp") + " carrier="
                        + l.get("carrier"));
            }
        }
        Map<String, Object> master = (Map<String, Object>) group.get("master");
        // the master is up (the agent set it up) and its carrier mirrors the group
        out.put((String) master.get("name"), master.get("ifindex") + " admin=true carrier=" + master.get("carrier"));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static TreeSet<String> agentMasterAddresses(Map<String, Object> group) {
        return new TreeSet<>((List<String>) ((Map<String, Object>) group.get("master")).get("addresses"));
    }

    @Test
    void floodOverrunsTheMonitorAndTheAgentResyncsToTheKernelsState() throws Exception {
        lab = Lab.up();
        for (int i = 0; i < PAIRS; i++) {
            Sh.run("ip", "link", "add", "fl" + i, "type", "veth", "peer", "name", "fl" + i + "p");
        }
        Path socket = Files.createTempDirectory("tapover-overrun").resolve("fo0.sock");
        agent = AgentProcess.start(socket, "-Xmx256m -Dtapover.netlink.receiveBuffer=4096",
                // Normal scheduling: a real-time monitor thread (the default) can drain 4 KiB as fast as the flood fills it.
                AgentProcess.labArgs(socket, "--carrier-poll", "0", "--realtime-priority", "0"));
        agent.awaitReady(Duration.ofSeconds(60));
        assertEquals("primary", agent.active());

        StringBuilder flood = new StringBuilder();
        int commands = 0;
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < PAIRS; i++) {
                flood.append("link set fl").append(i).append(round % 2 == 0 ? " up\n" : " down\n");
                commands++;
            }
            if (round == ROUNDS / 2) {
                flood.append("link set primary down\nlink set standby down\nlink set standby up\n"
                        + "address add 203.0.113.7/24 dev fo0\n");
                commands += 4;
            }
        }
        Path batch = Files.createTempFile("tapover-flood", ".ip");
        Files.writeString(batch, flood);
        long t0 = System.nanoTime();
        try {
            Sh.run("ip", "-force", "-batch", batch.toString());
        } finally {
            Files.delete(batch);
        }
        long floodMs = (System.nanoTime() - t0) / 1_000_000;

        // Converged when the agent's links, the master's carrier and addresses equal the kernel's.
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        Map<String, Object> group = agent.group();
        while (System.nanoTime() < deadline && !(agentLinks(group).equals(kernelLinks())
                && agentMasterAddresses(group).equals(kernelMasterAddresses()) && "standby".equals(group.get("active")))) {
            Thread.sleep(50);
            group = agent.group();
        }
        long convergedMs = (System.nanoTime() - t0) / 1_000_000;
        long overruns = agent.logCount("netlink overrun");
        System.out.println("NetlinkOverrunIT: " + commands + " link changes in " + floodMs + " ms with a 4 KiB monitor"
                + " buffer: " + overruns + " overruns logged, agent equal to the kernel " + convergedMs
                + " ms after the flood began");
        System.out.println("NetlinkOverrunIT: kernel " + kernelLinks() + " " + kernelMasterAddresses());
        System.out.println("NetlinkOverrunIT: agent  " + agentLinks(group) + " " + agentMasterAddresses(group)
                + " active=" + group.get("active"));
        assertTrue(overruns >= 1, "the flood overran the monitor socket:\n" + agent.logText());
        assertEquals(kernelLinks(), agentLinks(group), "links as ip -j link shows them");
        assertEquals(kernelMasterAddresses(), agentMasterAddresses(group), "master addresses as ip -j addr shows them");
        assertTrue(agentMasterAddresses(group).contains("203.0.113.7/24"));
        assertEquals("standby", group.get("active"), "the primary is admin-down: the standby carries the traffic");
        assertTrue(Sh.tryRun("ip", "netns", "exec", lab.peerNamespace(), "ping", "-q", "-c", "20", "-i", "0.01", "-W",
                "1", "192.0.2.1").exit() == 0, "traffic flows after the re-sync");

        // The monitor still follows events after the overrun.
        Sh.run("ip", "link", "set", "primary", "up");
        assertTrue(agent.awaitActive("primary", Duration.ofSeconds(10)), "the primary's return is seen");
        assertEquals(0, agent.stop(Duration.ofSeconds(15)));
    }
}
