// sd_notify messages checked on a datagram socket the test owns and passes as NOTIFY_SOCKET.
package dev.tapover.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.tapover.natives.UnixDatagramSocket;

class SdNotifyTest {
    @TempDir
    Path dir;

    private static String next(UnixDatagramSocket socket) throws Exception {
        byte[] b = socket.receive(Duration.ofSeconds(2), 4096);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void readyReloadingAndStoppingReachAPathSocket() throws Exception {
        String address = dir.resolve("notify").toString();
        try (UnixDatagramSocket systemd = UnixDatagramSocket.bind(address)) {
            SdNotify notify = SdNotify.from(Map.of("NOTIFY_SOCKET", address)::get);
            assertTrue(notify.enabled());
            notify.ready("serving fo0");
            assertEquals("READY=1\nSTATUS=serving fo0\nMAINPID=" + ProcessHandle.current().pid(), next(systemd));
            notify.reloading();
            assertTrue(next(systemd).matches("RELOADING=1\nMONOTONIC_USEC=\\d+"));
            notify.stopping();
            assertEquals("STOPPING=1\nSTATUS=stopping", next(systemd));
        }
    }

    @Test
    void abstractSocketNamesStartWithAt() throws Exception {
        String address = "@tapover-sdnotify-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixDatagramSocket systemd = UnixDatagramSocket.bind(address)) {
            SdNotify.from(Map.of("NOTIFY_SOCKET", address)::get).stopping();
            assertEquals("STOPPING=1\nSTATUS=stopping", next(systemd));
        }
    }

    @Test
    void withoutNotifySocketNothingIsSentAndAGoneSocketDoesNotThrow() {
        SdNotify none = SdNotify.from(Map.<String, String>of()::get);
        assertFalse(none.enabled());
        none.ready("x");
        SdNotify gone = SdNotify.from(Map.of("NOTIFY_SOCKET", dir.resolve("nobody").toString())::get);
        gone.ready("x");
        gone.stopping();
    }
}
