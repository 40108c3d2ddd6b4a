// Real-socket tests of the control server: a UNIX socket under a temporary directory, no network involved.
package dev.tapover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final FakeControlHandler handler = new FakeControlHandler();
    private final List<AutoCloseable> cleanup = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable closeable : cleanup) {
            closeable.close();
        }
    }

    private ControlServer start(Path socket, ControlAccess access) throws ControlSocketException {
        ControlServer server = ControlServer.start(socket, handler, access);
        cleanup.add(server);
        return server;
    }

    private ControlClient client(Path socket) throws ControlClientException {
        ControlClient client = ControlClient.connect(socket);
        cleanup.add(client);
        return client;
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    @Test
    void warmUpAnswersAnUnknownCommandThenAsksForStatusOnce() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        ControlServer server = start(socket, ControlAccess.rootOnly());
        assertTrue(server.warmUp().await(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the pipeline answered the warm-up");
        waitFor(() -> handler.calls.contains("status"), "the warm-up's status request");
        assertEquals(List.of("status"), handler.calls, "the warm-up changes nothing: one status, no other call");
        // and the server still serves a real client afterwards
        ControlClient client = client(socket);
        assertEquals(true, client.call(client.request("status", null, null), TIMEOUT).get("ok"));
    }

    @Test
    void statusOverARealSocket() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        start(socket, ControlAccess.rootOnly());
        ControlClient client = client(socket);
        Map<String, Object> answer = client.call(client.request("status", null, null), TIMEOUT);
        assertEquals(1, answer.get("v"));
        assertEquals("1", answer.get("id"));
        assertEquals(true, answer.get("ok"));
        assertEquals(1, ((Map<?, ?>) answer.get("result")).get("schema"));
        // the same connection takes further requests
        Map<String, Object> second = client.call(client.request("switch", "fo0", "standby"), TIMEOUT);
        assertEquals("2", second.get("id"));
        assertEquals(List.of("status", "switch fo0 standby"), handler.calls);
    }

    @Test
    void theSocketIsOwnerOnlyAndItsMissingDirectoryIsCreated0755() throws Exception {
        Path socket = dir.resolve("run/tapover/fo0.sock");
        ControlServer server = start(socket, ControlAccess.rootOnly());
        assertEquals(socket.toAbsolutePath(), server.socket());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
    }

    @Test
    void withAControlGroupTheSocketIs0660AndOwnedByIt() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        start(socket, ControlAccess.rootAndGroup(12345));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals(12345, Files.getAttribute(socket, "unix:gid"));
        ControlClient client = client(socket);
        assertEquals(true, client.call(client.request("status", null, null), TIMEOUT).get("ok"));
    }

    @Test
    void peerCredentialsAreTheKernelsView() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        List<PeerIdentity> seen = new CopyOnWriteArrayList<>();
        ControlServer server = ControlServer.start(socket, handler, ControlAccess.rootOnly(), channel -> {
            PeerIdentity peer = PeerIdentity.of(channel);
            seen.add(peer);
            return peer;
        });
        cleanup.add(server);
        ControlClient client = client(socket);
        client.call(client.request("status", null, null), TIMEOUT);
        assertEquals(1, seen.size());
        assertEquals(ProcessHandle.current().pid(), seen.get(0).pid());
        assertEquals(0, seen.get(0).uid());
    }

    @Test
    void aPeerOutsideTheAllowedUidsIsRefusedWithAJsonError() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        start(socket, ControlAccess.of(Set.of(12345), OptionalInt.empty()));
        ControlClient client = client(socket);
        Map<String, Object> answer = client.call(client.request("status", null, null), TIMEOUT);
        assertEquals(false, answer.get("ok"));
        assertEquals("not-permitted", ((Map<?, ?>) answer.get("error")).get("code"));
        assertNull(client.readLine(TIMEOUT), "the agent hangs up after refusing");
        assertTrue(handler.calls.isEmpty());
    }

    @Test
    void aStaleSocketFileIsRemovedAndRebound() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            old.bind(UnixDomainSocketAddress.of(socket)); // closing leaves the file behind, like a crashed agent
        }
        assertTrue(Files.exists(socket));
        start(socket, ControlAccess.rootOnly());
        ControlClient client = client(socket);
        assertEquals(true, client.call(client.request("status", null, null), TIMEOUT).get("ok"));
    }

    @Test
    void aSocketInUseIsRefusedAndTheFirstServerKeepsServing() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        start(socket, ControlAccess.rootOnly());
        ControlSocketException e = assertThrows(ControlSocketException.class,
                () -> start(socket, ControlAccess.rootOnly()));
        assertEquals(ControlSocketException.Reason.IN_USE, e.reason());
        assertEquals("control socket " + socket.toAbsolutePath()
                + " is in use by another tapover; stop it or pass --control PATH", e.getMessage());
        ControlClient client = client(socket);
        assertEquals(true, client.call(client.request("status", null, null), TIMEOUT).get("ok"));
    }

    @Test
    void aPathThatIsNotASocketIsLeftAlone() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        Files.writeString(socket, "precious");
        ControlSocketException e = assertThrows(ControlSocketException.class,
                () -> start(socket, ControlAccess.rootOnly()));
        assertEquals(ControlSocketException.Reason.BAD_PATH, e.reason());
        assertEquals("precious", Files.readString(socket));
    }

    @Test
    void aPathTooLongForSunPathIsABadPath() {
        Path socket = dir.resolve("x".repeat(120) + ".sock");
        ControlSocketException e = assertThrows(ControlSocketException.class,
                () -> start(socket, ControlAccess.rootOnly()));
        assertEquals(ControlSocketException.Reason.BAD_PATH, e.reason());
    }

    @Test
    void closeRemovesTheSocketFileAndIsIdempotent() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        ControlServer server = start(socket, ControlAccess.rootOnly());
        server.close();
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        server.close();
        ControlClientException e = assertThrows(ControlClientException.class, () -> ControlClient.connect(socket));
        assertEquals(ControlClientException.Reason.NO_AGENT, e.reason());
    }

    @Test
    void closeLeavesASocketFileThatIsNoLongerItsOwn() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        ControlServer server = start(socket, ControlAccess.rootOnly());
        Files.delete(socket); // e.g. an operator removed it and a successor bound the path
        try (ServerSocketChannel successor = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            successor.bind(UnixDomainSocketAddress.of(socket));
            server.close();
            assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        }
    }

    @Test
    void eventsStreamOverARealSocketAndUnsubscribeWhenTheClientLeaves() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        start(socket, ControlAccess.rootOnly());
        ControlClient client = ControlClient.connect(socket);
        Map<String, Object> ack = client.call(client.request("events", null, null), TIMEOUT);
        assertEquals(true, ack.get("ok"));
        assertTrue(handler.subscribed.await(30, TimeUnit.SECONDS));
        handler.push("a");
        handler.push("b");
        handler.push("c");
        for (int seq = 1; seq <= 3; seq++) {
            Map<String, Object> line = client.readLine(TIMEOUT);
            assertEquals(seq, ((Map<?, ?>) line.get("event")).get("seq"));
        }
        client.close();
        waitFor(() -> handler.unsubscribes == 1, "the agent to unsubscribe the departed client");
        assertTrue(handler.subscribers.isEmpty());
    }

    @Test
    void closingTheServerEndsEventStreams() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        ControlServer server = start(socket, ControlAccess.rootOnly());
        ControlClient client = client(socket);
        client.call(client.request("events", null, null), TIMEOUT);
        assertTrue(handler.subscribed.await(30, TimeUnit.SECONDS));
        server.close();
        assertNull(client.readLine(TIMEOUT));
        assertEquals(1, handler.unsubscribes);
    }

    @Test
    void anOversizedRequestClosesOnlyItsOwnConnection() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        start(socket, ControlAccess.rootOnly());
        try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            raw.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer big = ByteBuffer.wrap(("{\"v\":1,\"cmd\":\"" + "x".repeat(100_000))
                    .getBytes(StandardCharsets.UTF_8));
            try {
                while (big.hasRemaining()) {
                    raw.write(big);
                }
            } catch (java.io.IOException closedOnUs) {
                // the agent may hang up before we finish writing: that is the point
            }
            ByteBuffer answer = ByteBuffer.allocate(4096);
            try {
                while (raw.read(answer) > 0) {
                    // read to end of stream
                }
            } catch (java.io.IOException reset) {
                // unread data on the agent's side turns its close into a reset after our data
            }
            String text = new String(answer.array(), 0, answer.position(), StandardCharsets.UTF_8);
            assertTrue(text.contains("request longer than 65536 bytes"), text);
        }
        ControlClient client = client(socket);
        assertEquals(true, client.call(client.request("status", null, null), TIMEOUT).get("ok"));
        assertEquals(List.of("status"), handler.calls);
    }

    @Test
    void aClientGetsNoAgentWhenNothingListens() throws Exception {
        Path socket = dir.resolve("none.sock");
        ControlClientException missing = assertThrows(ControlClientException.class, () -> ControlClient.connect(socket));
        assertEquals(ControlClientException.Reason.NO_AGENT, missing.reason());
        try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            old.bind(UnixDomainSocketAddress.of(socket));
        }
        ControlClientException refused = assertThrows(ControlClientException.class, () -> ControlClient.connect(socket));
        assertEquals(ControlClientException.Reason.NO_AGENT, refused.reason());
        Path file = Files.writeString(dir.resolve("plain"), "x");
        ControlClientException notSocket = assertThrows(ControlClientException.class, () -> ControlClient.connect(file));
        assertEquals(ControlClientException.Reason.NOT_A_SOCKET, notSocket.reason());
    }

    @Test
    void aSilentAgentTimesOut() throws Exception {
        Path socket = dir.resolve("mute.sock");
        try (ServerSocketChannel mute = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            mute.bind(UnixDomainSocketAddress.of(socket));
            ControlClient client = client(socket);
            ControlClientException e = assertThrows(ControlClientException.class,
                    () -> client.call(client.request("status", null, null), Duration.ofMillis(200)));
            assertEquals(ControlClientException.Reason.TIMEOUT, e.reason());
        }
    }
    @Test
    void aClientThatHalfClosesAfterItsRequestStillGetsTheAnswer() throws Exception {
        Path socket = dir.resolve("fo0.sock");
        start(socket, ControlAccess.rootOnly());
        try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            raw.connect(UnixDomainSocketAddress.of(socket));
            raw.write(ByteBuffer.wrap("{\"v\":1,\"id\":\"h\",\"cmd\":\"notify-peers\"}\n".getBytes(StandardCharsets.UTF_8)));
            raw.shutdownOutput(); // what `echo ... | nc -UN` and socat do
            ByteBuffer answer = ByteBuffer.allocate(4096);
            while (raw.read(answer) >= 0) {
                // until the agent closes after answering
            }
            String text = new String(answer.array(), 0, answer.position(), StandardCharsets.UTF_8);
            assertTrue(text.startsWith("{\"v\":1,\"id\":\"h\",\"ok\":true,"), text);
            assertTrue(text.endsWith("}\n"), text);
        }
    }
}
