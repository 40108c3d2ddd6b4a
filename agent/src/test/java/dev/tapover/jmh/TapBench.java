// JMH (root, inside a throwaway network namespace): one 64-byte frame through a real TAP and an AF_PACKET socket, each way.
package dev.tapover.jmh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import dev.tapover.natives.NativeException;
import dev.tapover.natives.PacketSocket;
import dev.tapover.natives.TapDevice;

/**
 * The system-call half of the data path, through the native bindings the agent uses (poll() left out):
 * <ul>
 *   <li>{@code hostToLink}: {@code send()} on a packet socket bound to the TAP (the kernel transmits the
 *       frame on the TAP), then {@code read()} on the TAP fd: the path of a frame the host sends, as the
 *       agent sees it (TAP read), plus one packet-socket send;</li>
 *   <li>{@code linkToHost}: {@code write()} on the TAP fd (the kernel receives the frame on the TAP), then
 *       {@code recv()} on the packet socket: one TAP write, as the agent does for a frame from the active
 *       link, plus one packet-socket receive.</li>
 * </ul>
 * Frames use EtherType 0x88b5 (local experimental) between documentation-range MACs, so no stack answers.
 * The TAP {@value #TAP} is created in the current network namespace; the setup refuses to run anywhere but
 * in the namespace named by {@code TAPOVER_BENCH_NETNS} (scripts/bench/jmh.sh creates it, as root).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TapBench {
    static final String TAP = "tovbjmh0";
    static final String NETNS_ENV = "TAPOVER_BENCH_NETNS";
    private static final int FRAME = 64;
    private static final int MAX_SPINS = 1_000_000;

    private TapDevice tap;
    private PacketSocket socket;
    private final ByteBuffer frame = ByteBuffer.allocateDirect(FRAME);
    private final ByteBuffer in = ByteBuffer.allocateDirect(2048);

    @Setup
    public void setUp() throws NativeException, IOException {
        requireOwnNamespace();
        tap = TapDevice.open(TAP, false);
        Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + TAP + "/disable_ipv6"), "1");
        tap.setUp(true);
        socket = PacketSocket.open(TAP);
        byte[] dst = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x02};
        byte[] src = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x01};
        frame.put(0, dst).put(6, src).putShort(12, (short) 0x88b5);
        while (tap.read(clear()) > 0) {
            // drain anything the kernel sent while the TAP came up
        }
        while (socket.receive(clear()) > 0) {
            // idem
        }
    }

    /**
     * Refuses to run unless this process is inside the namespace named by {@value #NETNS_ENV} (the one
     * jmh.sh created): a TAP must never appear in the root namespace.
     */
    static void requireOwnNamespace() throws IOException {
        String name = System.getenv(NETNS_ENV);
        if (name == null || name.isEmpty() || name.contains("/")) {
            throw new IllegalStateException("TapBench creates a TAP, so it runs only inside a network namespace of"
                    + " its own named by " + NETNS_ENV + "; run it through sudo scripts/bench/jmh.sh");
        }
        Object self = Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:ino");
        Object named = Files.getAttribute(Path.of("/var/run/netns", name), "unix:ino");
        if (!self.equals(named)) {
            throw new IllegalStateException("this JVM is not inside network namespace " + name
                    + "; run it with ip netns exec " + name + " (scripts/bench/jmh.sh does)");
        }
    }

    @TearDown
    public void tearDown() {
        if (socket != null) {
            socket.close();
        }
        if (tap != null) {
            tap.close(); // the last fd of a non-persistent TAP: the kernel deletes it
        }
    }

    private ByteBuffer clear() {
        in.clear();
        return in;
    }

    @Benchmark
    public int hostToLink() throws NativeException {
        frame.clear();
        if (socket.send(frame) != FRAME) {
            throw new IllegalStateException("packet socket refused the frame");
        }
        for (int i = 0; i < MAX_SPINS; i++) {
            int n = tap.read(clear());
            if (n > 0) {
                return n;
            }
        }
        throw new IllegalStateException("the frame sent on " + TAP + " never reached the TAP fd");
    }

    @Benchmark
    public int linkToHost() throws NativeException {
        frame.clear();
        if (tap.write(frame) != FRAME) {
            throw new IllegalStateException("the TAP refused the frame");
        }
        for (int i = 0; i < MAX_SPINS; i++) {
            int n = socket.receive(clear());
            if (n > 0) {
                return n;
            }
        }
        throw new IllegalStateException("the frame written to the TAP never reached the packet socket");
    }
}
