// systemd's fd store, with a NOTIFY_SOCKET the test owns: FDSTORE of tap/fo0, MAINPID on upgrade, a crash-restart that re-attaches, FDSTOREREMOVE on stop.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.tapover.lab.Lab;
import dev.tapover.lab.Sh;
import dev.tapover.natives.Errno;
import dev.tapover.natives.FdPassing;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.TapDevice;
import dev.tapover.natives.UnixSocket;

@Tag("netns")
class LiveUpdateFdStoreIT {
    /** One datagram systemd would have received. */
    record Notification(String text, int[] fds) {
    }

    private Lab lab;
    private Path dir;
    private Path socket;
    private UnixSocket notify;
    private Thread receiver;
    private volatile boolean receiving = true;
    private final LinkedBlockingQueue<Notification> notifications = new LinkedBlockingQueue<>();
    private final List<Integer> heldFds = new ArrayList<>();
    private final List<AgentProcess> started = new ArrayList<>();

    @BeforeEach
    void up() throws Exception {
        lab = Lab.up();
        dir = Files.createTempDirectory("tapover-lu-fdstore");
        socket = dir.resolve("fo0.sock");
        notify = UnixSocket.bindDatagram(dir.resolve("notify.sock"));
        notify.setTimeouts(Duration.ofMillis(200));
        receiver = new Thread(this::receive, "notify-socket");
        receiver.setDaemon(true);
        receiver.start();
    }

    private void receive() {
        ByteBuffer buf = ByteBuffer.allocateDirect(4096);
        while (receiving) {
            buf.clear();
            try {
                FdPassing.Received r = FdPassing.receive(notify, buf, 8);
                buf.flip();
                byte[] bytes = new byte[buf.remaining()];
                buf.get(bytes);
                notifications.add(new Notification(new String(bytes, StandardCharsets.US_ASCII), r.fds()));
            } catch (NativeException e) {
                if (e.errno() != Errno.EAGAIN && e.errno() != Errno.EINTR) {
                    return;
                }
            }
        }
    }

    @AfterEach
    void down() throws Exception {
        try {
            for (AgentProcess p : started) {
                p.close();
            }
            if (Files.exists(socket)) {
                try {
                    AgentProcess.stopCurrent(socket);
                } catch (AssertionError | Exception e) {
                    // already gone
                }
            }
            receiving = false;
            receiver.join(2000);
            notify.close();
            Transport.closeAll(heldFds.stream().mapToInt(Integer::intValue).toArray());
            notifications.forEach(n -> Transport.closeAll(n.fds()));
        } finally {
            lab.close();
        }
    }

    /** Waits for the next notification that contains {@code text}; others are kept as "systemd" would keep them. */
    private Notification await(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Notification n = notifications.poll(100, TimeUnit.MILLISECONDS);
            if (n == null) {
                continue;
            }
            if (n.text().contains(text)) {
                return n;
            }
            for (int fd : n.fds()) {
                heldFds.add(fd);
            }
        }
        throw new AssertionError("no notification containing " + text.replace("\n", "\\n") + " within 60 s");
    }

    @Test
    void theTapIsStoredTheSuccessorBecomesMainPidACrashRestartReattachesAndAStopRemovesIt() throws Exception {
        // as systemd 254+ starts a unit with FileDescriptorStoreMax=4
        Map<String, String> env = Map.of("NOTIFY_SOCKET", dir.resolve("notify.sock").toString(), "FDSTORE", "4");
        AgentProcess agent = AgentProcess.start(dir.resolve("agent.log"), env, AgentProcess.runArgs(dir));
        started.add(agent);
        agent.awaitStarted();

        Notification stored = await("FDNAME=tap/fo0");
        assertEquals("FDSTORE=1\nFDNAME=tap/fo0\n", stored.text());
        assertEquals(1, stored.fds().length, "the TAP travels with FDSTORE=1");
        int tapCopy = stored.fds()[0];
        heldFds.add(tapCopy);
        assertEquals("fo0", TapDevice.describe(tapCopy).name(), "what is stored is the master's TAP");
        String ifindex = AgentProcess.sys("fo0", "ifindex");
        String carrierChanges = AgentProcess.sys("fo0", "carrier_changes");

        AgentProcess.CliResult upgrade = AgentProcess.cli(socket, "upgrade", "--json");
        AgentProcess.assertStatus(0, upgrade);
        long successor = upgrade.json().path("pid").asLong();
        // the predecessor says so before it exits (the successor's own READY=1 carries MAINPID too, later)
        assertEquals("MAINPID=" + successor + "\n", await("MAINPID=" + successor).text(), "systemd follows the successor");
        AgentProcess.awaitGeneration(socket, 1);

        // a crash: SIGKILL, nothing cleaned up; systemd (this test) still holds the TAP
        ProcessHandle crashed = ProcessHandle.of(successor).orElseThrow();
        crashed.destroyForcibly();
        crashed.onExit().get(10, TimeUnit.SECONDS);
        assertEquals(ifindex, AgentProcess.sys("fo0", "ifindex"), "the master outlives the crash");
        assertEquals("1", AgentProcess.sys("fo0", "carrier"));

        // the restart: the stored fd comes back as fd 3 with LISTEN_FDS/LISTEN_FDNAMES
        Path handover = dir.resolve("relaunch.sock");
        List<String> cmd = new ArrayList<>(List.of("python3",
                Path.of(getClass().getResource("/liveupdate/relaunch.py").toURI()).toString(), handover.toString(), "--",
                AgentProcess.script("scripts/tapover").toString(), "run"));
        cmd.addAll(AgentProcess.runArgs(dir));
        AgentProcess restarted = AgentProcess.startCommand(dir.resolve("restarted.log"), env, cmd);
        started.add(restarted);
        restarted.awaitLog("waiting", Duration.ofSeconds(30));
        try (UnixSocket s = UnixSocket.connect(handover)) {
            byte[] name = "tap/fo0".getBytes(StandardCharsets.US_ASCII);
            ByteBuffer payload = ByteBuffer.allocateDirect(name.length);
            payload.put(name).flip();
            FdPassing.send(s, payload, tapCopy);
        }
        restarted.awaitStarted();
        assertTrue(restarted.logText().contains("event=master-adopted master=fo0 from=fdstore"), restarted.tail(40));
        assertEquals(ifindex, AgentProcess.sys("fo0", "ifindex"), "the same master, re-attached");
        assertEquals(carrierChanges, AgentProcess.sys("fo0", "carrier_changes"), "its carrier never dropped");
        assertEquals(0, AgentProcess.status(socket).path("liveUpdate").path("generation").asInt());
        Sh.run("ping", "-c", "2", "-i", "0.2", "-W", "2", Lab.PEER_V4);
        assertTrue(Sh.run("ip", "-br", "addr", "show", "fo0").contains("192.0.2.1/24"));

        // a clean stop takes the TAP out of the store, so it goes away with the agent
        restarted.process().toHandle().destroy();
        assertEquals("FDSTOREREMOVE=1\nFDNAME=tap/fo0\n", await("FDSTOREREMOVE").text());
        assertTrue(restarted.process().waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, restarted.process().exitValue());
        Transport.closeAll(heldFds.stream().mapToInt(Integer::intValue).toArray());
        notifications.forEach(n -> Transport.closeAll(n.fds()));
        notifications.clear();
        heldFds.clear();
        assertTrue(Sh.tryRun("ip", "link", "show", "fo0").exit() != 0, "with the store emptied the master is gone");
    }
}
