// sendmsg/recvmsg with SCM_RIGHTS: one message carries a byte payload and several open file descriptors.
package dev.tapover.natives;

import java.nio.ByteBuffer;

import jnr.ffi.Pointer;

/**
 * Layouts (LP64):
 * <pre>
 * struct msghdr (56)                        struct cmsghdr + data
 *  0  msg_name      8  msg_namelen (u32)     0  cmsg_len (size_t)
 *  16 msg_iov       24 msg_iovlen            8  cmsg_level (SOL_SOCKET)
 *  32 msg_control   40 msg_controllen        12 cmsg_type  (SCM_RIGHTS)
 *  48 msg_flags                              16 int fds[n]
 * struct iovec (16): 0 iov_base, 8 iov_len
 * </pre>
 */
public final class FdPassing {
    private static final int MSGHDR_SIZE = 56;
    private static final int IOVEC_SIZE = 16;
    private static final int CMSG_HEADER = 16;

    /** The kernel's SCM_MAX_FD. */
    public static final int MAX_FDS = 253;

    private FdPassing() {
    }

    /** What one message brought: payload length and the fds installed in this process (close-on-exec). */
    public record Received(int bytes, int[] fds, boolean truncated) {
    }

    private static int cmsgSpace(int fdCount) {
        return CMSG_HEADER + ((fdCount * 4 + 7) & ~7);
    }

    /** Sends the payload (position..limit) and {@code fds} in one sendmsg; the fds stay open here too. */
    public static void send(UnixSocket socket, ByteBuffer payload, int... fds) throws NativeException {
        if (fds.length > MAX_FDS) {
            throw new IllegalArgumentException("at most " + MAX_FDS + " fds fit in one message, got " + fds.length);
        }
        Io.requireDirect(payload);
        Pointer data = Pointer.wrap(Native.RUNTIME, payload);
        Pointer iov = Native.allocate(IOVEC_SIZE);
        iov.putAddress(0, data.address() + payload.position());
        iov.putLong(8, payload.remaining());
        Pointer msg = Native.allocate(MSGHDR_SIZE);
        msg.putAddress(16, iov.address());
        msg.putLong(24, 1);
        if (fds.length > 0) {
            Pointer control = Native.allocate(cmsgSpace(fds.length));
            control.putLong(0, CMSG_HEADER + fds.length * 4L);
            control.putInt(8, Linux.SOL_SOCKET);
            control.putInt(12, Linux.SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++) {
                control.putInt(CMSG_HEADER + 4L * i, fds[i]);
            }
            msg.putAddress(32, control.address());
            msg.putLong(40, cmsgSpace(fds.length));
            keepAlive(control);
        }
        long n = Native.LIBC.sendmsg(socket.fd(), msg, 0);
        Errors.check(n, "sendmsg(SCM_RIGHTS, " + fds.length + " fds)", socket.description());
        payload.position(payload.position() + (int) n);
        keepAlive(iov);
        keepAlive(data);
    }

    /**
     * Receives one message into {@code payload} at its position (advancing it) with up to {@code maxFds} fds.
     * If the sender sent more fds than fit, {@code truncated} is set and the extra fds are lost (MSG_CTRUNC).
     */
    public static Received receive(UnixSocket socket, ByteBuffer payload, int maxFds) throws NativeException {
        Io.requireDirect(payload);
        Pointer data = Pointer.wrap(Native.RUNTIME, payload);
        Pointer iov = Native.allocate(IOVEC_SIZE);
        iov.putAddress(0, data.address() + payload.position());
        iov.putLong(8, payload.remaining());
        int controlSize = cmsgSpace(Math.max(1, maxFds));
        Pointer control = Native.allocate(controlSize);
        Pointer msg = Native.allocate(MSGHDR_SIZE);
        msg.putAddress(16, iov.address());
        msg.putLong(24, 1);
        msg.putAddress(32, control.address());
        msg.putLong(40, controlSize);
        long n = Native.LIBC.recvmsg(socket.fd(), msg, Linux.MSG_CMSG_CLOEXEC);
        Errors.check(n, "recvmsg(SCM_RIGHTS)", socket.description());
        int flags = msg.getInt(48);
        long controlLen = msg.getLong(40);
        int[] fds = new int[0];
        // Walk the control messages: normally exactly one SCM_RIGHTS block.
        long offset = 0;
        while (offset + CMSG_HEADER <= controlLen) {
            long len = control.getLong(offset);
            if (len < CMSG_HEADER) {
                break;
            }
            if (control.getInt(offset + 8) == Linux.SOL_SOCKET && control.getInt(offset + 12) == Linux.SCM_RIGHTS) {
                int count = (int) ((len - CMSG_HEADER) / 4);
                int[] more = new int[fds.length + count];
                System.arraycopy(fds, 0, more, 0, fds.length);
                for (int i = 0; i < count; i++) {
                    more[fds.length + i] = control.getInt(offset + CMSG_HEADER + 4L * i);
                }
                fds = more;
            }
            offset += (len + 7) & ~7L;
        }
        payload.position(payload.position() + (int) Math.min(n, payload.remaining()));
        keepAlive(iov);
        keepAlive(data);
        return new Received((int) n, fds, (flags & (Linux.MSG_CTRUNC | Linux.MSG_TRUNC)) != 0);
    }

    /** Keeps native memory reachable until the call that uses its address has returned. */
    private static void keepAlive(Object o) {
        java.lang.ref.Reference.reachabilityFence(o);
    }
}
