// Unit tests of the AF_UNIX datagram socket: path and abstract addresses round-trip, timeouts, bad addresses.
package dev.tapover.natives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixDatagramSocketTest {
    @TempDir
    Path dir;

    @Test
    void pathAddressRoundTrips() throws Exception {
        String path = dir.resolve("notify").toString();
        try (UnixDatagramSocket receiver = UnixDatagramSocket.bind(path);
             UnixDatagramSocket sender = UnixDatagramSocket.open()) {
            byte[] message = "READY=1\nSTATUS=up".getBytes(StandardCharsets.UTF_8);
            assertEquals(message.length, sender.sendTo(path, message));
            assertArrayEquals(message, receiver.receive(Duration.ofSeconds(2), 4096));
        }
    }

    @Test
    void abstractAddressRoundTripsAndLeavesNoFile() throws Exception {
        String name = "@tapover-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixDatagramSocket receiver = UnixDatagramSocket.bind(name);
             UnixDatagramSocket sender = UnixDatagramSocket.open()) {
            sender.sendTo(name, "STOPPING=1".getBytes(StandardCharsets.UTF_8));
            assertArrayEquals("STOPPING=1".getBytes(StandardCharsets.UTF_8),
                    receiver.receive(Duration.ofSeconds(2), 4096));
        }
        assertEquals(false, Path.of(name).toFile().exists());
    }

    @Test
    void receiveTimesOutWithNull() throws Exception {
        try (UnixDatagramSocket receiver = UnixDatagramSocket.bind(dir.resolve("quiet").toString())) {
            assertNull(receiver.receive(Duration.ofMillis(50), 64));
        }
    }

    @Test
    void sendingToNobodyNamesTheAddress() throws Exception {
        try (UnixDatagramSocket sender = UnixDatagramSocket.open()) {
            String nobody = dir.resolve("nobody").toString();
            NativeException e = assertThrows(NativeException.class, () -> sender.sendTo(nobody, new byte[] {1}));
            assertEquals("ENOENT", e.errnoName(), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> sender.sendTo("@" + "x".repeat(200), new byte[] {1}));
        }
    }
}
