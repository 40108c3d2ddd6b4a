// Unit tests of the reload rules: which changed settings apply live and which are refused, with why.
package dev.tapover.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigChangesTest {
    @TempDir
    Path dir;

    private static final String BASE = """
            groups:
              - master: fo0
                addresses: [192.0.2.1/24]
                links: {primary: eth1, standby: eth2}
                policy: {failback: always}
                announce: {count: 3}
            """;

    private AgentConfig load(String yaml) throws Exception {
        Path file = dir.resolve("fo0.yaml");
        Files.writeString(file, yaml);
        return ConfigSource.of(file, List.of(), n -> OptionalInt.empty()).load();
    }

    @Test
    void sameFileChangesNothing() throws Exception {
        ConfigChanges c = ConfigChanges.between(load(BASE), load(BASE));
        assertEquals(List.of(), c.live());
        assertEquals(List.of(), c.refused());
    }

    @Test
    void policyAnnouncementsAndLogLevelApplyLive() throws Exception {
        String next = BASE.replace("failback: always", "failback: never, down-delay: 500ms")
                .replace("count: 3", "count: 5, arp-form: reply, migration-window: 1s") + "log: {level: debug}\n";
        ConfigChanges c = ConfigChanges.between(load(BASE), load(next));
        assertEquals(List.of("groups[0].policy.failback", "groups[0].policy.down-delay", "groups[0].announce.arp-form",
                "groups[0].announce.count", "groups[0].announce.migration-window", "log.level"), c.live());
        assertEquals(List.of(), c.refused());
    }

    @Test
    void masterLinksAddressesAndSocketsAreRefusedWithTheirReasons() throws Exception {
        String next = BASE.replace("master: fo0", "master: fo1").replace("standby: eth2", "standby: eth3")
                .replace("192.0.2.1/24", "192.0.2.9/24").replace("count: 3", "count: 4")
                + "metrics: {listen: 127.0.0.1:9468}\n";
        ConfigChanges c = ConfigChanges.between(load(BASE), load(next));
        assertEquals(List.of("groups[0].announce.count"), c.live(), "the live part is still reported");
        assertEquals(List.of("groups[0].master", "groups[0].mac", "groups[0].addresses", "groups[0].links.standby", "control.socket",
                "metrics.listen"), c.refused().stream().map(ConfigChanges.Refusal::key).toList());
        String message = c.refusalMessage("/etc/tapover/fo0.yaml");
        assertTrue(message.startsWith("cannot apply /etc/tapover/fo0.yaml live: groups[0].master (the TAP master is "
                + "created at start), groups[0].mac (the master's MAC is set when its TAP is created), groups[0].addresses "
                + "(addresses are added at start; `ip addr` on the master changes them live)"), message);
        assertTrue(message.endsWith("changed; undo those changes or restart the agent (nothing was applied)"), message);
    }

    @Test
    void realtimeSettingsAreSetAtStart() throws Exception {
        ConfigChanges c = ConfigChanges.between(load(BASE), load(BASE + "realtime: {priority: 20, lock-memory: true}\n"));
        assertEquals(List.of(), c.live());
        assertEquals(List.of("realtime.priority", "realtime.lock-memory"),
                c.refused().stream().map(ConfigChanges.Refusal::key).toList());
    }
}
