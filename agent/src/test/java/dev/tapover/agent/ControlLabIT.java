// The CLI end to end against running agents on the lab: status after a cable pull, switch, notify-peers, reload,
// metrics checked by promtool, and the launcher under a systemd-style NOTIFY_SOCKET with SIGHUP and SIGTERM.
package dev.tapover.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.tapover.cli.Main;
import dev.tapover.cli.RunCommand;
import dev.tapover.config.ConfigSource;
import dev.tapover.lab.Lab;
import dev.tapover.lab.Sh;
import dev.tapover.metrics.MetricsServer;
import dev.tapover.natives.UnixDatagramSocket;

@Tag("netns")
class ControlLabIT {
    private static final String MAC = "02:00:5e:00:53:01";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Lab lab;
    private Path dir;
    private Path socket;
    private Path configFile;
    private Agent agent;
    private Future<Integer> running;
    private final ExecutorService executor = Executors.newSingleThreadExecutor();
    private Process launched;

    @BeforeEach
    void up() throws Exception {
        lab = Lab.up();
        dir = Files.createTempDirectory("tapover-ctl-it");
        socket = dir.resolve("fo0.sock");
        configFile = dir.resolve("fo0.yaml");
    }

    @AfterEach
    void down() throws Exception {
        try {
            if (agent != null) {
                agent.requestStop("test");
                assertEquals(0, running.get(10, TimeUnit.SECONDS), "the agent exits 0 when stopped");
            }
            if (launched != null && launched.isAlive()) {
                launched.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            assertTrue(Sh.tryRun("ip", "link", "show", "fo0").exit() != 0, "the master is gone after stop");
            assertTrue(!Files.exists(socket), "the control socket file is gone after stop");
        } finally {
            executor.shutdownNow();
            lab.close();
            Sh.tryRun("rm", "-rf", dir.toString());
        }
    }

    /** The lab's group as a configuration file, with {@code policy} and {@code extra} (top-level YAML) added. */
    private void writeConfig(String policy, String extra) throws Exception {
        Files.writeString(configFile, """
                control:
                  socket: %s
                groups:
                  - master: fo0
                    mac: "%s"
                    addresses: [192.0.2.1/24, 2001:db8::1/64]
                    links:
                      primary: primary
                      standby: standby
                    policy: %s
                %s""".formatted(socket, MAC, policy, extra));
    }

    private void startFromFile(String... flags) throws Exception {
        List<String> args = new ArrayList<>(List.of("--config", configFile.toString()));
        args.addAll(List.of(flags));
        ConfigSource source = RunCommand.sourceFrom(args.toArray(String[]::new));
        agent = new Agent(RunCommand.load(source), source, false);
        running = executor.submit(agent::run);
        assertTrue(agent.awaitReady(Duration.ofSeconds(10)), "the agent became ready within 10 s");
    }

    /** What one CLI command printed and returned. */
    private record Cli(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    private static Cli tapover(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Cli(code, out.toString(), err.toString());
    }

    private JsonNode statusJson() throws Exception {
        Cli r = tapover("status", "--json", "--control", socket.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode doc = r.json();
        assertEquals(1, doc.get("schema").asInt());
        return doc.get("groups").get(0);
    }

    /** Polls {@code status --json} until {@code done} holds, at most 3 s; returns the last group document. */
    private JsonNode awaitStatus(Predicate<JsonNode> done, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        JsonNode group = statusJson();
        while (!done.test(group) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            group = statusJson();
        }
        assertTrue(done.test(group), what + ": " + group);
        return group;
    }

    private static JsonNode link(JsonNode group, String name) {
        for (JsonNode l : group.get("links")) {
            if (l.get("name").asText().equals(name)) {
                return l;
            }
        }
        throw new AssertionError("no link " + name + " in " + group);
    }

    private static int lostWhile(Runnable during) throws Exception {
        return Lab.probesLostWhile(during);
    }

    @Test
    void statusJsonShowsTheActiveLinkChangeAfterACablePull() throws Exception {
        writeConfig("{failback: always}", "");
        startFromFile();
        JsonNode before = statusJson();
        assertEquals("primary", before.get("active").asText());
        assertEquals("fo0", before.get("master").get("name").asText());
        assertEquals(MAC, before.get("master").get("mac").asText());

        lab.cable("primary", false);
        JsonNode after = awaitStatus(g -> "standby".equals(g.get("active").asText()), "active moved to standby");
        assertEquals("carrier-lost", after.get("lastFailover").get("reason").asText());
        assertEquals("primary", after.get("lastFailover").get("from").asText());
        assertEquals(false, link(after, "primary").get("carrier").asBoolean());
        assertTrue(after.get("failovers").asLong() >= 2, "initial + carrier-lost: " + after);

        Cli table = tapover("status", "--control", socket.toString());
        assertEquals(0, table.exit(), table.err());
        assertTrue(table.out().contains("* standby"), "the table marks the new active link:\n" + table.out());

        lab.cable("primary", true);
        awaitStatus(g -> "primary".equals(g.get("active").asText()), "failback to primary");
    }

    @Test
    void switchToStandbyMovesTrafficAndTheSwitchLearnsIt() throws Exception {
        writeConfig("{failback: always}", "");
        startFromFile();
        Sh.run("ping", "-c", "2", "-i", "0.2", "-W", "1", Lab.PEER_V4);
        assertEquals("up-primary", lab.fdbPortOf(MAC));

        Cli r = tapover("switch", "--to", "standby", "--control", socket.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("switched from primary to standby"), r.out());
        JsonNode group = statusJson();
        assertEquals("standby", group.get("active").asText());
        assertTrue(group.get("manual").asBoolean());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!"up-standby".equals(lab.fdbPortOf(MAC)) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals("up-standby", lab.fdbPortOf(MAC), "the announcement moved the MAC to the standby port");
        Sh.run("ping", "-c", "3", "-i", "0.1", "-W", "1", Lab.PEER_V4);
        assertTrue(link(statusJson(), "standby").get("counters").get("rxFrames").asLong() > 0,
                "replies came in through the standby");

        lab.cable("primary", false);
        Thread.sleep(200);
        Cli refused = tapover("switch", "--to", "primary", "--control", socket.toString());
        assertEquals(69, refused.exit(), refused.out() + refused.err());
        assertTrue(refused.err().startsWith("tapover: primary has no carrier"), refused.err());
    }

    @Test
    void notifyPeersCorrectsAStalePeerAndCountsABurst() throws Exception {
        writeConfig("{failback: always}", "");
        startFromFile();
        Thread.sleep(2500); // the start-up burst (rounds at 0, 1 and 2 s) is over
        long bursts = statusJson().get("announcements").get("bursts").asLong();
        lab.peer("ip", "neigh", "replace", "192.0.2.1", "lladdr", "02:00:5e:00:53:99", "dev", "eth0", "nud", "stale");

        Cli r = tapover("notify-peers", "--json", "--control", socket.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("primary", r.json().get("link").asText());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        String entry = "";
        while (System.nanoTime() < deadline && !entry.contains(MAC)) {
            entry = lab.peer("ip", "neigh", "show", "192.0.2.1");
            Thread.sleep(20);
        }
        assertTrue(entry.contains(MAC), "the peer's neighbour entry moved to the master's MAC: " + entry);
        assertEquals(bursts + 1, statusJson().get("announcements").get("bursts").asLong(), "one more burst");
    }

    @Test
    void reloadAppliesThePolicyLiveWithoutLosingAFrame() throws Exception {
        writeConfig("{failback: always}", "");
        startFromFile();
        long ifindex = statusJson().get("master").get("ifindex").asLong();
        Sh.run("ping", "-c", "2", "-i", "0.2", "-W", "1", Lab.PEER_V4);

        Cli[] reload = new Cli[1];
        int lost = lostWhile(() -> {
            try {
                writeConfig("{failback: never, down-delay: 50ms}", "log: {level: debug}\n");
                reload[0] = tapover("reload", "--json", "--control", socket.toString());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertEquals(0, reload[0].exit(), reload[0].err());
        assertEquals("[\"groups[0].policy.failback\",\"groups[0].policy.down-delay\",\"log.level\"]",
                reload[0].json().get("changed").toString());
        assertEquals(0, lost, "no probe lost across the reload");
        JsonNode group = statusJson();
        assertEquals(ifindex, group.get("master").get("ifindex").asLong(), "the same TAP master");
        assertEquals("never", group.get("policy").get("failback").asText());
        assertEquals(50, group.get("policy").get("downDelayMs").asLong());

        lab.cable("primary", false);
        awaitStatus(g -> "standby".equals(g.get("active").asText()), "failover to standby");
        lab.cable("primary", true);
        awaitStatus(g -> link(g, "primary").get("usable").asBoolean(), "primary usable again");
        Thread.sleep(300);
        assertEquals("standby", statusJson().get("active").asText(), "failback never, as reloaded");
        assertTrue(agent.recentEvents().stream().anyMatch(e -> "reloaded".equals(e.get("type"))));
    }

    @Test
    void reloadRefusesWhatCannotChangeLiveAndAppliesNothing() throws Exception {
        writeConfig("{failback: always}", "");
        startFromFile();
        Files.writeString(configFile, Files.readString(configFile).replace("standby: standby", "standby: eth9")
                .replace("failback: always", "failback: never"));
        Cli r = tapover("reload", "--control", socket.toString());
        assertEquals(69, r.exit(), r.out() + r.err());
        assertEquals("tapover: cannot apply " + configFile + " live: groups[0].links.standby (the lower links are "
                + "opened at start) changed; undo that change or restart the agent (nothing was applied)",
                r.err().strip());
        assertEquals("always", statusJson().get("policy").get("failback").asText(), "nothing was applied");

        Files.writeString(configFile, Files.readString(configFile).replace("failback: never", "failback: sometimes"));
        Cli bad = tapover("reload", "--control", socket.toString());
        assertEquals(69, bad.exit());
        assertEquals("tapover: " + configFile + ": groups[0].policy.failback is \"sometimes\"; use always, better or "
                + "never (nothing was applied)", bad.err().strip());
    }

    @Test
    void aFlagGivenAtStartKeepsOverridingTheFileOnReload() throws Exception {
        writeConfig("{failback: always}", "");
        startFromFile("--failback", "better");
        assertEquals("better", statusJson().get("policy").get("failback").asText());
        writeConfig("{failback: never, up-delay: 20ms}", "");
        Cli r = tapover("reload", "--json", "--control", socket.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("[\"groups[0].policy.up-delay\"]", r.json().get("changed").toString());
        assertEquals("better", statusJson().get("policy").get("failback").asText());
    }

    @Test
    void metricsAfterACablePullPassPromtool() throws Exception {
        writeConfig("{failback: never}", "metrics: {listen: 127.0.0.1:0}\n");
        startFromFile();
        assertNotNull(agent.metricsAddress());
        lab.cable("primary", false);
        awaitStatus(g -> "standby".equals(g.get("active").asText()), "failover to standby");

        String page = "";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < deadline && !page.contains("stage=\"switch_to_announcement\"")) {
            page = dev.tapover.metrics.Promtool.scrape(agent.metricsAddress());
            Thread.sleep(50);
        }
        System.out.println("ControlLabIT: metrics page after a cable pull:\n" + page);
        dev.tapover.metrics.Promtool.Result check = dev.tapover.metrics.Promtool.check(page);
        assertEquals(0, check.exit(), "promtool check metrics: " + check.output());
        assertTrue(page.contains("tapover_failovers_total{group=\"fo0\",reason=\"carrier-lost\"} 1.0"), page);
        assertTrue(page.contains("tapover_failovers_total{group=\"fo0\",reason=\"initial\"} 1.0"), page);
        assertTrue(page.contains("tapover_link_carrier_changes_total{group=\"fo0\",link=\"primary\"} 1.0"), page);
        assertTrue(page.contains("tapover_failover_latency_seconds_count{group=\"fo0\",reason=\"carrier-lost\","
                + "stage=\"detect_to_switch\"} 1"), page);
        assertTrue(page.contains("tapover_failover_latency_seconds_count{group=\"fo0\",reason=\"carrier-lost\","
                + "stage=\"switch_to_announcement\"} 1"), page);
        assertTrue(page.contains("tapover_link_active{group=\"fo0\",link=\"standby\",role=\"standby\"} 1.0"), page);
        assertTrue(page.contains("tapover_link_carrier{group=\"fo0\",link=\"primary\",role=\"primary\"} 0.0"), page);
        assertTrue(page.contains("tapover_time_since_last_failover_seconds{group=\"fo0\"}"), page);
        assertTrue(Pattern.compile("tapover_announcement_frames_total\\{group=\"fo0\",kind=\"arp-request\"} [1-9]")
                .matcher(page).find(), page);
        assertTrue(MetricsServer.format(agent.metricsAddress()).startsWith("127.0.0.1:"));
    }

    /** The repository's scripts/tapover, found from the working directory upwards. */
    private static Path launcher() {
        for (Path base = Path.of("").toAbsolutePath(); base != null; base = base.getParent()) {
            Path candidate = base.resolve("scripts/tapover");
            if (Files.isExecutable(candidate) && Files.isRegularFile(base.resolve("agent/target/tapover.jar"))) {
                return candidate;
            }
        }
        throw new AssertionError("scripts/tapover with a built agent/target/tapover.jar not found: run the tests "
                + "through mvn verify (the package phase builds the jar)");
    }

    private static String receive(UnixDatagramSocket socket, int seconds) throws Exception {
        byte[] b = socket.receive(Duration.ofSeconds(seconds), 4096);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void launcherNotifiesSystemdReloadsOnSighupAndStopsOnSigterm() throws Exception {
        writeConfig("{failback: always}", "");
        String notifyAddress = "@tovnotify-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixDatagramSocket systemd = UnixDatagramSocket.bind(notifyAddress)) {
            // as systemd starts it: SIGHUP at its default even when this test runs under nohup (env execs, same pid)
            ProcessBuilder pb = new ProcessBuilder("env", "--default-signal=HUP", launcher().toString(), "run",
                    "--config", configFile.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile());
            // failsafe points JAVA_HOME at the netns wrapper: give the launcher the real JDK of this JVM
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            pb.environment().put("NOTIFY_SOCKET", notifyAddress);
            launched = pb.start();
            String ready = receive(systemd, 60);
            assertNotNull(ready, "READY=1 within 60 s; log:\n" + log());
            assertTrue(ready.startsWith("READY=1\n"), ready);
            assertTrue(ready.contains("MAINPID=" + launched.pid()), "the launcher exec'd java: " + ready);
            assertTrue(Sh.run("ip", "link", "show", "fo0").contains("fo0"), "the master exists once READY=1 is sent");
            assertEquals("primary", statusJson().get("active").asText(), "links are up at READY=1");

            writeConfig("{failback: never}", "");
            Sh.run("kill", "-HUP", Long.toString(launched.pid()));
            String reloading = receive(systemd, 10);
            assertNotNull(reloading, "RELOADING=1 after SIGHUP; log:\n" + log());
            assertTrue(reloading.startsWith("RELOADING=1\nMONOTONIC_USEC="), reloading);
            String readyAgain = receive(systemd, 10);
            assertNotNull(readyAgain, "READY=1 after the reload");
            assertTrue(readyAgain.startsWith("READY=1\n"), readyAgain);
            assertEquals("never", statusJson().get("policy").get("failback").asText(), "SIGHUP applied the file");

            launched.destroy(); // SIGTERM
            String stopping = receive(systemd, 10);
            assertEquals("STOPPING=1\nSTATUS=stopping", stopping);
            assertTrue(launched.waitFor(15, TimeUnit.SECONDS), "the agent exits after SIGTERM");
            assertEquals(0, launched.exitValue(), "exit 0 on SIGTERM; log:\n" + log());
        }
    }

    private String log() throws Exception {
        Path file = dir.resolve("agent.log");
        return Files.exists(file) ? Files.readString(file) : "(no log)";
    }
}
