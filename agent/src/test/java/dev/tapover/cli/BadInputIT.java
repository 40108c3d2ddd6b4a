// The bad-input matrix of `tapover run`: one-sentence error, documented exit code (64 usage, 78 bad value, 69/77 environment), nothing left behind.
package dev.tapover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.tapover.control.ControlServer;
import dev.tapover.lab.Sh;

@Tag("netns")
class BadInputIT {
    private static Path dir;

    @BeforeAll
    static void links() throws Exception {
        Sh.requireThrowawayNamespace();
        for (String link : new String[] {"primary", "standby"}) {
            Sh.run("ip", "link", "add", link, "type", "veth", "peer", "name", link + "-far");
            Sh.run("ip", "link", "set", link, "up");
            Sh.run("ip", "link", "set", link + "-far", "up");
        }
        Sh.run("ip", "link", "add", "taken0", "type", "veth", "peer", "name", "taken0-far");
        dir = Files.createTempDirectory("tapover-badinput");
    }

    @AfterAll
    static void cleanup() {
        Sh.tryRun("ip", "link", "del", "primary");
        Sh.tryRun("ip", "link", "del", "standby");
        Sh.tryRun("ip", "link", "del", "taken0");
    }

    record Outcome(int code, String err) {
    }

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Outcome(code, err.toString());
    }

    private static String[] base(String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--master", "fo0", "--primary", "primary", "--standby",
                "standby", "--address", "192.0.2.1/24", "--control", dir.resolve("fo0.sock").toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private static String[] with(String option, String value) {
        List<String> args = new ArrayList<>(List.of(base()));
        int i = args.indexOf(option);
        if (i >= 0) {
            args.set(i + 1, value);
        } else {
            args.add(option);
            args.add(value);
        }
        return args.toArray(String[]::new);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
            Arguments.of("missing interface", with("--primary", "eth9"), 69, "link \"eth9\" does not exist"),
            Arguments.of("misspelled standby", with("--standby", "stanby"), 69, "link \"stanby\" does not exist"),
            Arguments.of("primary == standby", with("--standby", "primary"), 78, "primary and standbys must differ"),
            Arguments.of("master name too long", with("--master", "fo-name-too-long"), 78, "1 to 15 letters"),
            Arguments.of("master name taken", with("--master", "taken0"), 69, "already exists"),
            Arguments.of("master equals a link", with("--master", "primary"), 78, "the master itself"),
            Arguments.of("invalid MAC", with("--mac", "02:00:5e:00:53"), 78, "use six hex bytes"),
            Arguments.of("multicast MAC", with("--mac", "01:00:5e:00:53:01"), 78, "(a unicast MAC)"),
            Arguments.of("invalid CIDR", with("--address", "192.0.2.1"), 78, "use ADDRESS/PREFIX"),
            Arguments.of("prefix too long", with("--address", "192.0.2.1/33"), 78, "\"192.0.2.1/33\""),
            Arguments.of("not an address", with("--address", "example.com/24"), 78, "\"example.com/24\""),
            Arguments.of("bad failback", with("--failback", "sometimes"), 78, "use always, better or never"),
            Arguments.of("bad duration", with("--up-delay", "soon"), 78, "a duration like 200ms"),
            Arguments.of("bad ARP form", with("--arp-form", "shout"), 78, "use request, request-broadcast"),
            Arguments.of("announce count 0", with("--announce-count", "0"), 78, "from 1 to 100"),
            Arguments.of("bad log level", with("--log-level", "loud"), 78, "use error, warn, info"),
            Arguments.of("link name with a slash", with("--standby", "a/b"), 78, "use an interface name"),
            Arguments.of("unknown option", base("--frobnicate"), 64, "Unknown option"),
            Arguments.of("unknown command", new String[] {"explode"}, 64, "Unmatched argument"),
            Arguments.of("missing primary", new String[] {"run", "--standby", "standby"}, 64, "--primary"),
            Arguments.of("control path too long", with("--control", "/tmp/" + "x".repeat(120) + ".sock"), 78,
                    "107"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputIsRefusedCleanly(String name, String[] args, int code, String fragment) throws Exception {
        Outcome o = run(args);
        assertEquals(code, o.code(), name + ": exit code; stderr was: " + o.err());
        assertTrue(o.err().contains(fragment), name + ": message mentions \"" + fragment + "\": " + o.err());
        assertOneSentence(o.err());
        assertNothingLeft();
    }

    @Test
    void controlSocketInUseIsRefusedAndTheMasterRemoved() throws Exception {
        Path path = dir.resolve("busy.sock");
        try (ControlServer other = ControlServer.start(path, new FakeHandler())) {
            Outcome o = run(with("--control", path.toString()));
            assertEquals(69, o.code(), o.err());
            assertTrue(o.err().contains("in use by another tapover"), o.err());
            assertOneSentence(o.err());
            assertTrue(Files.exists(path), "the other agent's socket is left alone");
        }
        assertNothingLeft();
    }

    /** The launcher, with this JVM's own java (failsafe points JAVA_HOME at the namespace wrapper). */
    private static ProcessBuilder launcher(String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.redirectErrorStream(true);
        return pb;
    }

    private static Outcome runProcess(ProcessBuilder pb) {
        try {
            Process p = pb.start();
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroy();
                p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
                throw new AssertionError("the launcher did not exit within 30 s");
            }
            return new Outcome(p.exitValue(), new String(p.getInputStream().readAllBytes()));
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void notRootIsRefusedWith77() {
        Outcome o = runProcess(launcher("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "../scripts/tapover", "run", "--master", "fo0", "--primary", "primary", "--standby", "standby"));
        assertEquals(77, o.code(), o.err());
        assertTrue(o.err().contains("needs root"), o.err());
        assertNothingLeft();
    }

    @Test
    void missingLibpcapIsRefusedWith69() {
        ProcessBuilder pb = launcher("../scripts/tapover", "run", "--master", "fo0", "--primary", "primary",
                "--standby", "standby", "--control", dir.resolve("fo0.sock").toString());
        pb.environment().put("TAPOVER_JAVA_OPTS", "-Dorg.pcap4j.core.pcapLibName=/nonexistent/libpcap.so.0.8");
        Outcome o = runProcess(pb);
        assertEquals(69, o.code(), o.err());
        assertTrue(o.err().contains("install libpcap0.8"), o.err());
        assertNothingLeft();
    }

    private static void assertOneSentence(String err) {
        String[] lines = err.strip().split("\n");
        assertEquals(1, lines.length, "one line on stderr: " + err);
        assertTrue(lines[0].startsWith("tapover: "), lines[0]);
        assertFalse(lines[0].contains("Exception"), "no exception class names: " + lines[0]);
    }

    private static void assertNothingLeft() {
        assertTrue(Sh.tryRun("ip", "link", "show", "fo0").exit() != 0, "no master left behind");
        assertFalse(Files.exists(dir.resolve("fo0.sock")), "no control socket left behind");
        for (String link : new String[] {"primary", "standby"}) {
            assertTrue(Sh.run("ip", "-d", "link", "show", link).contains("promiscuity 0"), link + " not promiscuous");
        }
    }

    /** A control handler that answers nothing useful; it only occupies a socket path. */
    static final class FakeHandler implements dev.tapover.control.ControlHandler {
        @Override
        public Map<String, Object> status() {
            return Map.of("schema", 1);
        }

        @Override
        public Map<String, Object> switchTo(String group, String target) {
            return Map.of();
        }

        @Override
        public Map<String, Object> notifyPeers(String group) {
            return Map.of();
        }

        @Override
        public Map<String, Object> reload() {
            return Map.of();
        }

        @Override
        public Map<String, Object> upgrade() {
            return Map.of();
        }

        @Override
        public AutoCloseable subscribe(java.util.function.Consumer<Map<String, Object>> listener) {
            return () -> { };
        }
    }
}
