// The takeover connection: protocol messages (and, once, the fds) over a unix SOCK_SEQPACKET socket with bounded waits.
package dev.tapover.liveupdate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;

import dev.tapover.natives.Errno;
import dev.tapover.natives.FdPassing;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.UnixSocket;

/** Not thread-safe: one side of one session uses it from one thread. */
public final class Transport implements AutoCloseable {
    private static final int BUFFER = 256 * 1024;
    private static final int ECONNRESET = 104;

    private final UnixSocket socket;
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER);
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER);

    /** What one receive brought: a message (maybe with fds), or that the peer closed, or nothing in time. */
    public record Incoming(Message message, int[] fds, boolean truncated, boolean closed, boolean timedOut) {
        static final Incoming CLOSED = new Incoming(null, new int[0], false, true, false);
        static final Incoming TIMED_OUT = new Incoming(null, new int[0], false, false, true);
    }

    public Transport(UnixSocket socket) {
        this.socket = socket;
    }

    /** Connects to the running agent's takeover socket. */
    public static Transport connect(java.nio.file.Path path) throws NativeException {
        return new Transport(UnixSocket.connect(path));
    }

    /** The socket's fd (for fd checks to warm up on). */
    int fd() {
        return socket.fd();
    }

    public UnixSocket.Credentials peer() throws NativeException {
        return socket.peerCredentials();
    }

    /** Sends one message, with {@code fds} in the same datagram (SCM_RIGHTS). */
    public void send(Message m, int... fds) throws IOException {
        byte[] bytes = m.encode();
        if (bytes.length > BUFFER) {
            throw new IOException("live-update message " + m.type() + " is " + bytes.length + " bytes, more than "
                    + BUFFER);
        }
        out.clear();
        out.put(bytes).flip();
        socket.setTimeouts(Duration.ofSeconds(2));
        FdPassing.send(socket, out, fds);
    }

    /**
     * Waits up to {@code timeoutNanos} (at least 1 ms) for one message. Fds that arrive are installed
     * close-on-exec; the caller owns them.
     */
    public Incoming receive(long timeoutNanos) throws IOException, LiveUpdateException {
        socket.setTimeouts(Duration.ofNanos(Math.max(1_000_000, timeoutNanos)));
        in.clear();
        FdPassing.Received r;
        try {
            r = FdPassing.receive(socket, in, FdPassing.MAX_FDS);
        } catch (NativeException e) {
            if (e.errno() == Errno.EAGAIN || e.errno() == Errno.EINTR) {
                return Incoming.TIMED_OUT;
            }
            if (e.errno() == ECONNRESET || e.errno() == Errno.ENOTCONN) {
                return Incoming.CLOSED;
            }
            throw e;
        }
        if (r.bytes() == 0 && r.fds().length == 0) {
            return Incoming.CLOSED;
        }
        byte[] bytes = new byte[Math.min(r.bytes(), BUFFER)];
        in.flip();
        in.get(bytes);
        Message m;
        try {
            m = Message.decode(bytes, bytes.length);
        } catch (LiveUpdateException e) {
            closeAll(r.fds());
            throw e;
        }
        return new Incoming(m, r.fds(), r.truncated(), false, false);
    }

    /** Closes fds that arrived where none were expected (or that a failed check rejects). */
    public static void closeAll(int[] fds) {
        for (int fd : fds) {
            if (fd >= 0) {
                dev.tapover.natives.Native.LIBC.close(fd);
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
