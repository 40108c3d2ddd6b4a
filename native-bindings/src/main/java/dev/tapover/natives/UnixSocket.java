// A unix-domain SOCK_SEQPACKET socket: socketpair, listen/accept/connect by path, peer credentials, timeouts.
package dev.tapover.natives;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import jnr.ffi.Pointer;

/**
 * Blocking unix sockets for the live-update handoff. SEQPACKET keeps message boundaries, so a manifest and
 * its fds arrive as one unit (see {@link FdPassing}).
 *
 * <pre>
 * struct sockaddr_un (110 bytes)   struct ucred (12 bytes)
 *  0        2              110      0     4     8     12
 *  | family | sun_path[108] |       | pid | uid | gid |
 * </pre>
 */
public final class UnixSocket extends FileHandle {
    private static final int SOCKADDR_UN_SIZE = 110;
    private static final int SUN_PATH_MAX = 107;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_SNDTIMEO = 21;

    private UnixSocket(int fd, String description) {
        super(fd, description);
    }

    /** A connected pair (socketpair(2)). */
    public static UnixSocket[] pair() throws NativeException {
        int[] sv = new int[2];
        Errors.check(Native.LIBC.socketpair(Linux.AF_UNIX, Linux.SOCK_SEQPACKET | Linux.SOCK_CLOEXEC, 0, sv),
                "socketpair(AF_UNIX, SOCK_SEQPACKET)", "");
        return new UnixSocket[] {new UnixSocket(sv[0], "socketpair end 0"), new UnixSocket(sv[1], "socketpair end 1")};
    }

    /** Binds and listens on {@code path}; the caller removes the file when done. */
    public static UnixSocket listen(Path path) throws NativeException {
        Pointer addr = address(path);
        int fd = newSocket(path);
        try {
            Errors.check(Native.LIBC.bind(fd, addr, SOCKADDR_UN_SIZE), "bind(AF_UNIX)", path.toString());
            Errors.check(Native.LIBC.listen(fd, 4), "listen", path.toString());
            return new UnixSocket(fd, "unix socket " + path);
        } catch (NativeException e) {
            Native.LIBC.close(fd);
            throw e;
        }
    }

    public static UnixSocket connect(Path path) throws NativeException {
        Pointer addr = address(path);
        int fd = newSocket(path);
        try {
            Errors.check(Native.LIBC.connect(fd, addr, SOCKADDR_UN_SIZE), "connect(AF_UNIX)", path.toString());
            return new UnixSocket(fd, "unix socket " + path);
        } catch (NativeException e) {
            Native.LIBC.close(fd);
            throw e;
        }
    }

    /**
     * A SOCK_DGRAM socket connected to {@code address}, for sd_notify(3) messages: a path, or an abstract
     * address written with a leading '@' as in $NOTIFY_SOCKET.
     */
    public static UnixSocket connectDatagram(String address) throws NativeException {
        byte[] bytes = address.getBytes(StandardCharsets.UTF_8);
        boolean abstractAddress = bytes.length > 0 && bytes[0] == '@';
        if (bytes.length == 0 || bytes.length > SUN_PATH_MAX) {
            throw new IllegalArgumentException("unix socket address \"" + address + "\" must be 1 to "
                    + SUN_PATH_MAX + " bytes long");
        }
        Pointer addr = Native.allocate(SOCKADDR_UN_SIZE);
        addr.putShort(0, (short) Linux.AF_UNIX);
        addr.put(2, bytes, 0, bytes.length);
        int length = SOCKADDR_UN_SIZE;
        if (abstractAddress) {
            addr.putByte(2, (byte) 0);
            length = 2 + bytes.length;
        }
        int fd = Errors.check(Native.LIBC.socket(Linux.AF_UNIX, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0),
                "socket(AF_UNIX, SOCK_DGRAM)", address);
        try {
            Errors.check(Native.LIBC.connect(fd, addr, length), "connect(AF_UNIX, SOCK_DGRAM)", address);
            return new UnixSocket(fd, "datagram socket to " + address);
        } catch (NativeException e) {
            Native.LIBC.close(fd);
            throw e;
        }
    }

    /** A SOCK_DGRAM socket bound at {@code path} that receives datagrams (a test's NOTIFY_SOCKET). */
    public static UnixSocket bindDatagram(Path path) throws NativeException {
        Pointer addr = address(path);
        int fd = Errors.check(Native.LIBC.socket(Linux.AF_UNIX, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0),
                "socket(AF_UNIX, SOCK_DGRAM)", path.toString());
        try {
            Errors.check(Native.LIBC.bind(fd, addr, SOCKADDR_UN_SIZE), "bind(AF_UNIX, SOCK_DGRAM)", path.toString());
            return new UnixSocket(fd, "datagram socket " + path);
        } catch (NativeException e) {
            Native.LIBC.close(fd);
            throw e;
        }
    }

    /** Accepts one connection (blocking, bounded by the receive timeout if one is set). */
    public UnixSocket accept() throws NativeException {
        int fd = Errors.check(Native.LIBC.accept4(requireOpen(), null, null, Linux.SOCK_CLOEXEC), "accept",
                description());
        return new UnixSocket(fd, description() + " (accepted)");
    }

    /** Bounds blocking receives and accepts (SO_RCVTIMEO) and sends (SO_SNDTIMEO); EAGAIN on expiry. */
    public void setTimeouts(Duration timeout) throws NativeException {
        Pointer tv = Native.allocate(16);
        tv.putLong(0, timeout.toSeconds());
        tv.putLong(8, timeout.toNanosPart() / 1000);
        Errors.check(Native.LIBC.setsockopt(requireOpen(), Linux.SOL_SOCKET, SO_RCVTIMEO, tv, 16),
                "setsockopt(SO_RCVTIMEO)", description());
        Errors.check(Native.LIBC.setsockopt(requireOpen(), Linux.SOL_SOCKET, SO_SNDTIMEO, tv, 16),
                "setsockopt(SO_SNDTIMEO)", description());
    }

    /** The connected peer's pid, uid and gid (SO_PEERCRED). */
    public record Credentials(int pid, int uid, int gid) {
    }

    public Credentials peerCredentials() throws NativeException {
        Pointer cred = Native.allocate(12);
        Pointer len = Native.allocate(4);
        len.putInt(0, 12);
        Errors.check(Native.LIBC.getsockopt(requireOpen(), Linux.SOL_SOCKET, Linux.SO_PEERCRED, cred, len),
                "getsockopt(SO_PEERCRED)", description());
        return new Credentials(cred.getInt(0), cred.getInt(4), cred.getInt(8));
    }

    private static int newSocket(Path path) throws NativeException {
        return Errors.check(Native.LIBC.socket(Linux.AF_UNIX, Linux.SOCK_SEQPACKET | Linux.SOCK_CLOEXEC, 0),
                "socket(AF_UNIX, SOCK_SEQPACKET)", path.toString());
    }

    private static Pointer address(Path path) {
        byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length > SUN_PATH_MAX) {
            throw new IllegalArgumentException("unix socket path " + path + " is longer than " + SUN_PATH_MAX
                    + " bytes");
        }
        Pointer addr = Native.allocate(SOCKADDR_UN_SIZE);
        addr.putShort(0, (short) Linux.AF_UNIX);
        addr.put(2, bytes, 0, bytes.length);
        return addr;
    }
}
