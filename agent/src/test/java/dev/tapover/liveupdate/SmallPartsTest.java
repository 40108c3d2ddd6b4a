// The small pure parts of live update: versions, txqueuelen sizing, systemd fd names and messages, launch command, messages.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SmallPartsTest {
    @Test
    void versionsAreCompatibleWhenTheRangeHoldsOurs() {
        assertNull(Versions.incompatibility(2, 2));
        assertNull(Versions.incompatibility(1, 4));
        assertEquals("the successor speaks live-update protocol 3..4 and this agent speaks 2; upgrade through a build "
                + "that speaks both", Versions.incompatibility(3, 4));
        assertEquals("the successor speaks live-update protocol 1..1 and this agent speaks 2; upgrade through a build "
                + "that speaks both", Versions.incompatibility(1, 1), "a protocol-1 build (READY/COMMIT) is refused");
        assertTrue(Versions.incompatibility(3, 2).contains("empty protocol range"));
    }

    @Test
    void txQueueIsRaisedOnlyWhenTheGapWouldOverflowIt() {
        assertEquals(1000, TxQueuePlan.required(1000, Duration.ofMillis(250), 1000), "1 k/s for 250 ms needs 500");
        assertEquals(1000, TxQueuePlan.required(2000, Duration.ofMillis(250), 1000), "exactly 1000 fits");
        assertEquals(5120, TxQueuePlan.required(10_000, Duration.ofMillis(250), 1000), "10 k/s needs 5000, rounded up");
        assertEquals(4000, TxQueuePlan.required(10_000, Duration.ofMillis(100), 4000), "never shrinks");
        assertEquals(TxQueuePlan.MAX_LENGTH, TxQueuePlan.required(10_000_000, Duration.ofSeconds(1), 1000));
        assertEquals(500, TxQueuePlan.required(0, Duration.ofSeconds(1), 500), "no traffic, no change");
        assertEquals(500, TxQueuePlan.required(1000, Duration.ZERO, 500));
    }

    @Test
    void listenFdsAreNamedAndOnlyForThisPid() {
        Map<String, String> env = Map.of("LISTEN_PID", "42", "LISTEN_FDS", "3", "LISTEN_FDNAMES", "tap/fo0::tap/fo1");
        assertEquals(Map.of("tap/fo0", 3, "unknown", 4, "tap/fo1", 5), ListenFds.parse(env, 42));
        assertEquals(Map.of(), ListenFds.parse(env, 43), "meant for another process");
        assertEquals(Map.of("unknown", 3), ListenFds.parse(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "1"), 42));
        assertEquals(Map.of(), ListenFds.parse(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "x"), 42));
        assertEquals(Map.of(), ListenFds.parse(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "0"), 42));
        assertEquals(Map.of(), ListenFds.parse(Map.of(), 42));
    }

    @Test
    void fdStoreMessagesAreSystemdsKeyValueLines() {
        assertEquals("tap/fo0", FdStore.nameFor("fo0"));
        assertEquals("FDSTORE=1\nFDNAME=tap/fo0\n", FdStore.storeMessage("tap/fo0"));
        assertEquals("FDSTOREREMOVE=1\nFDNAME=tap/fo0\n", FdStore.removeMessage("tap/fo0"));
        assertThrows(IllegalArgumentException.class, () -> FdStore.storeMessage("tap:fo0"), "':' separates LISTEN_FDNAMES");
        assertThrows(IllegalArgumentException.class, () -> FdStore.storeMessage(""));
        assertThrows(IllegalArgumentException.class, () -> FdStore.storeMessage("tap/fo0\nMAINPID=1"));
        assertTrue(FdStore.fromEnvironment(Map.of()).isEmpty());
        FdStore plain = FdStore.fromEnvironment(Map.of("NOTIFY_SOCKET", "@/org/freedesktop/systemd1/notify")).get();
        assertEquals("@/org/freedesktop/systemd1/notify", plain.address());
        assertTrue(!plain.storesFds(), "no FileDescriptorStoreMax=: no FDSTORE messages");
        assertTrue(FdStore.fromEnvironment(Map.of("NOTIFY_SOCKET", "/run/n", "FDSTORE", "4")).get().storesFds(),
                "systemd 254+ says how big the store is");
        assertTrue(FdStore.fromEnvironment(Map.of("NOTIFY_SOCKET", "/run/n", "TAPOVER_FDSTORE", "1")).get().storesFds(),
                "an older systemd: the unit says so");
        assertTrue(!FdStore.fromEnvironment(Map.of("NOTIFY_SOCKET", "/run/n", "FDSTORE", "x")).get().storesFds());
    }

    @Test
    void theSuccessorRunsTheInstalledJarWithTheSameJvmFlags() {
        List<String> cmd = SuccessorLauncher.command(Map.of(), "/usr/bin/java",
                List.of("--enable-native-access=ALL-UNNAMED", "-agentlib:jdwp=transport=dt_socket,address=5005", "-Xmx64m"),
                Path.of("/usr/share/tapover/tapover.jar"), "ignored", Path.of("/run/tapover/fo0.takeover"));
        assertEquals(List.of("/usr/bin/java", "--enable-native-access=ALL-UNNAMED", "-Xmx64m", "-jar",
                "/usr/share/tapover/tapover.jar", "run", "--takeover", "/run/tapover/fo0.takeover"), cmd);
    }

    @Test
    void fromASourceTreeTheClassPathIsUsed() {
        List<String> cmd = SuccessorLauncher.command(Map.of(), "java", List.of(), Path.of("/src/agent/target/classes"),
                "/a.jar:/b", Path.of("/t"));
        assertEquals(List.of("java", "-cp", "/a.jar:/b", "dev.tapover.cli.Main", "run", "--takeover", "/t"), cmd);
    }

    @Test
    void anInstallCanNameItsOwnLauncher() {
        List<String> cmd = SuccessorLauncher.command(Map.of(SuccessorLauncher.OVERRIDE, " /usr/bin/tapover  "), "java",
                List.of("-Xmx1g"), Path.of("x.jar"), "", Path.of("/t"));
        assertEquals(List.of("/usr/bin/tapover", "run", "--takeover", "/t"), cmd);
    }

    @Test
    void theTakeoverSocketSitsNextToTheControlSocket() {
        assertEquals(Path.of("/run/tapover/fo0.takeover"), TakeoverListener.pathFor(Path.of("/run/tapover/fo0.sock")));
        assertEquals(Path.of("/tmp/x/ctl.takeover"), TakeoverListener.pathFor(Path.of("/tmp/x/ctl")));
    }

    @Test
    void messagesAreJsonObjectsWithAType() throws LiveUpdateException {
        Message m = Message.withReason(Message.FAIL, "boom");
        byte[] bytes = m.encode();
        Message back = Message.decode(bytes, bytes.length);
        assertEquals(Message.FAIL, back.type());
        assertEquals("boom", back.text("reason"));
        assertNull(back.text("missing"));
        byte[] junk = "\u0000\u0001garbage".getBytes(StandardCharsets.UTF_8);
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> Message.decode(junk, junk.length));
        assertTrue(e.getMessage().startsWith("the peer sent a live-update message that is not JSON"), e.getMessage());
        byte[] noType = "{\"x\":1}".getBytes(StandardCharsets.UTF_8);
        e = assertThrows(LiveUpdateException.class, () -> Message.decode(noType, noType.length));
        assertEquals("the peer sent a live-update message without a \"type\"; are both sides tapover?", e.getMessage());
    }
}
