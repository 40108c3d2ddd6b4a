// Unit tests of reading configuration files (YAML and JSON), defaults, and flags laid over the file.
package dev.tapover.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.tapover.cli.Main;
import dev.tapover.cli.RunCommand;
import dev.tapover.datapath.Master;

class ConfigSourceTest {
    @TempDir
    Path dir;

    static final String FULL_YAML = """
            # every key, as docs/configuration.md shows it
            control:
              socket: /run/tapover/fo0.sock
              group: tapover
            metrics:
              listen: 127.0.0.1:9468
            log:
              level: debug
            realtime:
              priority: 20
              lock-memory: false
            groups:
              - master: fo0
                mac: 02:00:5e:00:53:01
                addresses: [192.0.2.1/24, 2001:db8::1/64]
                links:
                  primary: eth1
                  standby: [eth2, eth3]
                  primary-mac: 52:54:00:12:34:56
                  allow-missing: true
                  carrier-poll: 20ms
                policy:
                  failback: better
                  up-delay: 200ms
                  down-delay: 1s
                  failback-delay: 1.5s
                announce:
                  arp-form: alternate
                  count: 5
                  interval: 500ms
                  migration-window: 3s
                vnet-header: true
                pcap: /var/tmp/fo0.pcap
            """;

    static final String FULL_JSON = """
            {"control": {"socket": "/run/tapover/fo0.sock", "group": "tapover"},
             "metrics": {"listen": "127.0.0.1:9468"},
             "log": {"level": "debug"},
             "realtime": {"priority": 20, "lock-memory": false},
             "groups": [{"master": "fo0", "mac": "02:00:5e:00:53:01",
                         "addresses": ["192.0.2.1/24", "2001:db8::1/64"],
                         "links": {"primary": "eth1", "standby": ["eth2", "eth3"], "primary-mac": "52:54:00:12:34:56",
                                   "allow-missing": true, "carrier-poll": 20},
                         "policy": {"failback": "better", "up-delay": 200, "down-delay": "1s", "failback-delay": "1.5s"},
                         "announce": {"arp-form": "alternate", "count": 5, "interval": "500ms", "migration-window": "3s"},
                         "vnet-header": true, "pcap": "/var/tmp/fo0.pcap"}]}
            """;

    private AgentConfig load(String name, String text, ConfigSource.Flag... flags) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return ConfigSource.of(file, List.of(flags), n -> n.equals("tapover") ? OptionalInt.of(4242)
                : OptionalInt.empty()).load();
    }

    @Test
    void everyKeyIsRead() throws Exception {
        AgentConfig c = load("fo0.yaml", FULL_YAML);
        GroupConfig g = c.group();
        assertEquals(Path.of("/run/tapover/fo0.sock"), c.controlSocket());
        assertEquals(OptionalInt.of(4242), c.controlGid());
        assertEquals(new InetSocketAddress("127.0.0.1", 9468), c.metrics());
        assertEquals("debug", c.logLevel());
        assertEquals(new AgentConfig.Realtime(20, false), c.realtime());
        assertEquals(dir.resolve("fo0.yaml"), c.file());
        assertEquals("fo0", g.master());
        assertEquals("02:00:5e:00:53:01", Master.formatMac(g.mac()));
        assertEquals("[192.0.2.1/24, 2001:db8::1/64]", g.addresses().toString());
        assertEquals(List.of("eth1", "eth2", "eth3"), g.links());
        assertEquals("52:54:00:12:34:56", Master.formatMac(g.primaryMac()), "an unquoted MAC stays a string");
        assertTrue(g.allowMissingLinks());
        assertEquals(Duration.ofMillis(20), g.carrierPoll());
        assertEquals("better", g.failback());
        assertEquals(Duration.ofMillis(200), g.upDelay());
        assertEquals(Duration.ofSeconds(1), g.downDelay());
        assertEquals(Duration.ofMillis(1500), g.failbackDelay());
        assertEquals(new GroupConfig.AnnounceConfig("alternate", 5, Duration.ofMillis(500), Duration.ofSeconds(3),
                List.of()), g.announce());
        assertTrue(g.vnetHeader());
        assertEquals(Path.of("/var/tmp/fo0.pcap"), g.pcap());
        assertEquals(Path.of("/run/tapover/fo0.sock"), g.controlSocket());
    }

    @Test
    void jsonFileReadsTheSameAsYaml() throws Exception {
        AgentConfig yaml = load("fo0.yaml", FULL_YAML);
        AgentConfig json = load("fo0.json", FULL_JSON);
        assertTrue(ConfigChanges.between(yaml, json).live().isEmpty());
        assertTrue(ConfigChanges.between(yaml, json).refused().isEmpty());
    }

    @Test
    void minimalFileTakesTheDefaults() throws Exception {
        AgentConfig c = load("min.yaml", "groups: [{links: {primary: eth1}}]\n");
        GroupConfig g = c.group();
        assertEquals("fo0", g.master());
        assertArrayEquals(Master.derivedMac("fo0"), g.mac());
        assertEquals(List.of("eth1"), g.links());
        assertEquals("always", g.failback());
        assertEquals(Duration.ZERO, g.upDelay());
        assertEquals(Duration.ofMillis(10), g.carrierPoll());
        assertEquals(GroupConfig.AnnounceConfig.defaults(), g.announce());
        assertEquals(Path.of("/run/tapover/fo0.sock"), c.controlSocket());
        assertEquals(OptionalInt.empty(), c.controlGid());
        assertNull(c.metrics());
        assertEquals("info", c.logLevel());
    }

    @Test
    void flagsOverrideTheFile() throws Exception {
        AgentConfig c = load("fo0.yaml", FULL_YAML,
                new ConfigSource.Flag("groups[0].policy.failback", "never", "--failback"),
                new ConfigSource.Flag("groups[0].links.standby", List.of("eth9"), "--standby"),
                new ConfigSource.Flag("metrics.listen", "[::1]:0", "--metrics"),
                new ConfigSource.Flag("groups[0].announce.count", 7, "--announce-count"));
        assertEquals("never", c.group().failback());
        assertEquals(List.of("eth1", "eth9"), c.group().links());
        assertEquals(new InetSocketAddress("::1", 0), c.metrics());
        assertEquals(7, c.group().announce().count());
        assertEquals("alternate", c.group().announce().arpForm(), "what no flag set stays as the file has it");
    }

    @Test
    void commandLineWithoutAFileKeepsItsOldDefaults() throws Exception {
        GroupConfig g = RunCommand.configFrom("--primary", "eth1", "--standby", "eth2", "--address", "192.0.2.1/24");
        assertEquals("fo0", g.master());
        assertEquals(List.of("eth1", "eth2"), g.links());
        assertEquals(Path.of("/run/tapover/fo0.sock"), g.controlSocket());
        assertEquals("always", g.failback());
        assertEquals(5, g.announce().count());
        GroupConfig named = RunCommand.configFrom("--master", "fo7", "--primary", "eth1");
        assertEquals(Path.of("/run/tapover/fo7.sock"), named.controlSocket());
    }

    @Test
    void commandLineFlagsOverrideTheFileThroughRun() throws Exception {
        Path file = dir.resolve("fo0.yaml");
        Files.writeString(file, "groups: [{master: fo3, links: {primary: eth1}, policy: {failback: never}}]\n");
        GroupConfig g = RunCommand.configFrom("--config", file.toString(), "--up-delay", "300ms");
        assertEquals("fo3", g.master());
        assertEquals("never", g.failback());
        assertEquals(Duration.ofMillis(300), g.upDelay());
    }

    @Test
    void checkPrintsTheResultAndTouchesNothing() throws Exception {
        Path file = dir.resolve("fo0.yaml");
        Files.writeString(file, "groups: [{master: fo0, links: {primary: eth1, standby: eth2}}]\n"
                + "control: {socket: " + dir.resolve("ctl.sock") + "}\nmetrics: {listen: 127.0.0.1:9468}\n");
        StringWriter out = new StringWriter();
        int code = Main.execute(new String[] {"run", "--check", "--config", file.toString()},
                new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));
        assertEquals(0, code);
        assertEquals("configuration ok: " + file + ": master fo0 links [eth1, eth2] addresses [] control "
                + dir.resolve("ctl.sock") + " metrics 127.0.0.1:9468", out.toString().strip());
        assertTrue(!Files.exists(dir.resolve("ctl.sock")), "--check binds no socket");
    }

    @Test
    void missingPrimaryWithoutAFileIsAUsageError() {
        StringWriter err = new StringWriter();
        int code = Main.execute(new String[] {"run", "--check"}, new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true));
        assertEquals(64, code);
        assertEquals("tapover: --primary is missing; name the preferred lower link (--primary IF) or give a "
                + "configuration file (--config FILE)", err.toString().strip());
    }

    @Test
    void controlGroupAcceptsANumber() throws Exception {
        assertEquals(OptionalInt.of(0), load("a.yaml", "groups: [{links: {primary: eth1}}]\ncontrol: {group: 0}\n")
                .controlGid());
        assertEquals(OptionalInt.of(27), load("b.yaml", "groups: [{links: {primary: eth1}}]\ncontrol: {group: '27'}\n")
                .controlGid());
    }

    @Test
    void setAtCreatesWhatIsMissing() throws Exception {
        var root = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        ConfigSource.setAt(root, "groups[0].links.standby", com.fasterxml.jackson.databind.node.TextNode.valueOf("x"));
        assertEquals("{\"groups\":[{\"links\":{\"standby\":\"x\"}}]}", root.toString());
    }

    @Test
    void etcGroupLookupFindsRoot() {
        assertEquals(OptionalInt.of(0), ConfigSource.gidFromEtcGroup("root"));
        assertEquals(OptionalInt.empty(), ConfigSource.gidFromEtcGroup("tapover-no-such-group-here"));
    }

    @Test
    void configExceptionCarriesTheKey() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> load("k.yaml",
                "groups: [{links: {primary: eth1}, policy: {failback: x}}]\n"));
        assertEquals("groups[0].policy.failback", e.key());
        ConfigException f = assertThrows(ConfigException.class, () -> load("k.yaml",
                "groups: [{links: {primary: eth1}}]\n", new ConfigSource.Flag("groups[0].policy.up-delay", "x",
                        "--up-delay")));
        assertEquals("--up-delay", f.key());
    }

    @Test
    void realtimeSchedulingIsOnAtPriorityTenUnlessConfigured() throws Exception {
        AgentConfig d = load("d.yaml", "groups: [{links: {primary: eth1}}]\n");
        assertEquals(new AgentConfig.Realtime(10, false), d.realtime());
        AgentConfig f = load("f.yaml", "groups: [{links: {primary: eth1}}]\nrealtime: {priority: 0, lock-memory: true}\n");
        assertEquals(new AgentConfig.Realtime(0, true), f.realtime());
        AgentConfig flags = load("f.yaml", "groups: [{links: {primary: eth1}}]\nrealtime: {priority: 0}\n",
                new ConfigSource.Flag("realtime.priority", 50, "--realtime-priority"),
                new ConfigSource.Flag("realtime.lock-memory", true, "--lock-memory"));
        assertEquals(new AgentConfig.Realtime(50, true), flags.realtime());
        assertEquals(new AgentConfig.Realtime(99, false), RunCommand.load(RunCommand.sourceFrom("--primary", "eth1",
                "--realtime-priority", "99")).realtime());
        assertEquals(new AgentConfig.Realtime(10, true), RunCommand.load(RunCommand.sourceFrom("--primary", "eth1",
                "--lock-memory")).realtime());
    }

    @Test
    void aBadRealtimeSettingNamesItsKeyOrFlag() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> load("r.yaml",
                "groups: [{links: {primary: eth1}}]\nrealtime: {priority: 100}\n"));
        assertEquals("realtime.priority", e.key());
        assertTrue(e.getMessage().contains("0 to 99"), e.getMessage());
        ConfigException g = assertThrows(ConfigException.class, () -> load("r.yaml",
                "groups: [{links: {primary: eth1}}]\nrealtime: {lock-memory: yes please}\n"));
        assertEquals("realtime.lock-memory", g.key());
        ConfigException h = assertThrows(ConfigException.class, () -> load("r.yaml",
                "groups: [{links: {primary: eth1}}]\nrealtime: {prio: 5}\n"));
        assertTrue(h.getMessage().contains("prio"), h.getMessage());
        dev.tapover.cli.CommandFailure flag = assertThrows(dev.tapover.cli.CommandFailure.class,
                () -> RunCommand.load(RunCommand.sourceFrom("--primary", "eth1", "--realtime-priority", "-1")));
        assertEquals(78, flag.exitCode());
        assertTrue(flag.getMessage().contains("--realtime-priority"), flag.getMessage());
    }
}
