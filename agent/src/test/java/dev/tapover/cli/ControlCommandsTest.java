// End-to-end tests of status, switch, notify-peers, events and upgrade against a real control socket.
package dev.tapover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.tapover.control.ControlAccess;
import dev.tapover.control.ControlServer;
import dev.tapover.control.FakeControlHandler;

class ControlCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final FakeControlHandler handler = new FakeControlHandler();
    private Path socket;
    private ControlServer server;

    /** What one run of the command line printed and returned. */
    record Run(int exit, String out, String err) {
    }

    @BeforeEach
    void startAgent() throws Exception {
        socket = dir.resolve("fo0.sock");
        server = ControlServer.start(socket, handler, ControlAccess.rootOnly());
    }

    @AfterEach
    void stopAgent() {
        server.close();
    }

    private static Run tapover(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private Run tapoverHere(String... args) {
        String[] withSocket = new String[args.length + 2];
        System.arraycopy(args, 0, withSocket, 0, args.length);
        withSocket[args.length] = "--control";
        withSocket[args.length + 1] = socket.toString();
        return tapover(withSocket);
    }

    @Test
    void statusJsonPrintsTheDocumentAsIs() throws Exception {
        Run run = tapoverHere("status", "--json");
        assertEquals(0, run.exit(), run.err());
        assertEquals("", run.err());
        JsonNode expected = JSON.readTree(JSON.writeValueAsString(FakeControlHandler.statusDocument()));
        assertEquals(expected, JSON.readTree(run.out()));
        assertTrue(run.out().startsWith("{\n  \"schema\": 1,\n"), run.out());
    }

    @Test
    void statusPrintsATable() {
        Run run = tapoverHere("status");
        assertEquals(0, run.exit(), run.err());
        String out = run.out();
        assertTrue(out.startsWith("tapover test, status schema 1\n"), out);
        assertTrue(out.contains("fo0  mac 02:00:5e:00:53:01  ifindex 7  carrier up"), out);
        assertTrue(out.contains("192.0.2.1/24, 2001:db8::1/64"), out);
        assertTrue(out.contains("carrier-lost: eth2 -> eth1 at 2025-01-01T10:00:00Z"), out);
        assertTrue(out.lines().anyMatch(line -> line.startsWith("* eth1") && line.contains("primary")), out);
        assertTrue(out.lines().anyMatch(line -> line.startsWith("  eth2") && line.contains("no-carrier=3")), out);
    }

    @Test
    void switchReportsTheNewActiveLinkAndPassesTheMasterAsGroup() {
        Run run = tapoverHere("switch", "--master", "fo0", "--to", "standby");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().startsWith("switched to eth2\n"), run.out());
        assertEquals(List.of("switch fo0 standby"), handler.calls);
    }

    @Test
    void switchWithoutMasterLeavesTheGroupToTheAgent() {
        assertEquals(0, tapoverHere("switch", "--to", "eth1").exit());
        assertEquals(List.of("switch null eth1"), handler.calls);
    }

    @Test
    void aRefusedSwitchExits69WithTheAgentsSentence() {
        handler.standbyUp = false;
        Run run = tapoverHere("switch", "--to", "standby");
        assertEquals(69, run.exit());
        assertEquals("tapover: eth2 has no carrier; plug it in or choose another link\n", run.err());
    }

    @Test
    void switchToAnUnknownLinkIsAUsageError() {
        assertEquals(64, tapoverHere("switch", "--to", "eth9").exit());
    }

    @Test
    void switchWithoutToIsAUsageErrorBeforeAnythingIsSent() {
        Run run = tapoverHere("switch");
        assertEquals(64, run.exit());
        assertTrue(run.err().contains("--to"), run.err());
        assertTrue(handler.calls.isEmpty());
    }

    @Test
    void anAgentBugExits70() {
        Run run = tapoverHere("switch", "--to", "boom");
        assertEquals(70, run.exit());
        assertTrue(run.err().startsWith("tapover: the agent failed to run switch"), run.err());
    }

    @Test
    void notifyPeersSucceeds() {
        Run run = tapoverHere("notify-peers");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().startsWith("peers notified\n"), run.out());
        assertTrue(run.out().contains("sent"), run.out());
        assertEquals(List.of("notify-peers null"), handler.calls);
    }

    @Test
    void notifyPeersJson() throws Exception {
        Run run = tapoverHere("notify-peers", "--json");
        assertEquals(0, run.exit(), run.err());
        assertEquals("fo0", JSON.readTree(run.out()).get("group").asText());
    }

    @Test
    void upgradeRefusedAsUnavailableExits69() {
        Run run = tapoverHere("upgrade");
        assertEquals(69, run.exit());
        assertEquals("tapover: no installed build found at /opt/tapover; install one first\n", run.err());
    }

    @Test
    void eventsPrintOneJsonLinePerEventUntilTheAgentGoesAway() throws Exception {
        CompletableFuture<Run> events = CompletableFuture.supplyAsync(() -> tapoverHere("events"));
        assertTrue(handler.subscribed.await(30, TimeUnit.SECONDS), "events subscribed");
        handler.push("link-down");
        handler.push("failover");
        handler.push("announce");
        server.close();
        Run run = events.get(30, TimeUnit.SECONDS);
        assertEquals(69, run.exit(), run.err());
        List<String> lines = run.out().lines().toList();
        assertEquals(3, lines.size(), run.out());
        assertEquals("{\"seq\":2,\"time\":\"2025-01-01T10:00:00Z\",\"type\":\"failover\"}", lines.get(1));
        assertTrue(run.err().contains("ended the event stream"), run.err());
    }

    @Test
    void noAgentExits69WithAHint() {
        Path none = dir.resolve("none.sock");
        Run run = tapover("status", "--control", none.toString());
        assertEquals(69, run.exit());
        assertEquals("tapover: no tapover agent answers on " + none + "; is `tapover run --control " + none
                + "` running?\n", run.err());
    }

    @Test
    void theDefaultSocketFollowsTheMaster() {
        Run run = tapover("status", "--master", "tapover-test-none");
        assertEquals(69, run.exit());
        assertEquals("tapover: no tapover agent answers on /run/tapover/tapover-test-none.sock; "
                + "is `tapover run --master tapover-test-none` running?\n", run.err());
    }

    @Test
    void aMasterNameThatIsNotAnInterfaceNameIsAUsageError() {
        assertEquals(64, tapover("status", "--master", "../etc").exit());
    }

    @Test
    void aStaleSocketFileMeansNoAgent() throws Exception {
        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            old.bind(UnixDomainSocketAddress.of(stale));
        }
        for (String command : List.of("status", "notify-peers", "events", "upgrade")) {
            assertEquals(69, tapover(command, "--control", stale.toString()).exit(), command);
        }
        assertEquals(69, tapover("switch", "--to", "standby", "--control", stale.toString()).exit());
    }

    @Test
    void aPeerTheAgentRefusesExits77() throws Exception {
        Path guarded = dir.resolve("guarded.sock");
        try (ControlServer strict = ControlServer.start(guarded, handler,
                ControlAccess.of(Set.of(12345), OptionalInt.empty()))) {
            Run run = tapover("status", "--control", guarded.toString());
            assertEquals(77, run.exit());
            assertTrue(run.err().startsWith("tapover: uid 0 may not use this control socket"), run.err());
            Run events = tapover("events", "--control", guarded.toString());
            assertEquals(77, events.exit());
        }
        assertTrue(handler.calls.isEmpty());
    }

    @Test
    void everyControlCommandHasHelpWithAnExample() {
        for (String command : List.of("status", "switch", "notify-peers", "events", "upgrade")) {
            Run run = tapover(command, "--help");
            assertEquals(0, run.exit(), command);
            assertTrue(run.out().contains("--control=SOCKET"), command + ": " + run.out());
            assertTrue(run.out().contains("--master=NAME"), command + ": " + run.out());
            assertTrue(run.out().contains("Example"), command + ": " + run.out());
        }
        Run top = tapover("--help");
        for (String command : List.of("status", "switch", "notify-peers", "events", "upgrade")) {
            assertTrue(top.out().contains("  " + command + " "), top.out());
        }
    }
}
