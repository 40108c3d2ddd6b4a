// A unix-domain SOCK_DGRAM socket: sendto a path or an abstract name (sd_notify), and bind/receive for tests.
package dev.tapover.natives;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import jnr.ffi.Pointer;

/**
 * Java's DatagramChannel has no AF_UNIX, so systemd's NOTIFY_SOCKET needs this. An address starting with
 * {@code '@'} is in the abstract namespace (sun_path[0] = 0, the rest is the name, not NUL-terminated, and the
 * address length counts exactly its bytes), as systemd writes it; anything else is a file path.
 *
 * <pre>
 * struct sockaddr_un: | sun_family (2) | sun_path[108] |      addrlen = 2 + strlen(path) + 1   (path)
 *                                                             addrlen = 2 + 1 + strlen(name)   (@name)
 * </pre>
 */
public final class UnixDatagramSocket extends FileHandle {
    private static final int SOCKADDR_UN_SIZE = 110;
    private static final int SUN_PATH_SIZE = 108;
    private static final int SO_RCVTIMEO = 20;

    private UnixDatagramSocket(int fd, String description) {
        super(fd, description);
    }

    /** An unbound socket for {@link #sendTo}. */
    public static UnixDatagramSocket open() throws NativeException {
        int fd = Errors.check(Native.LIBC.socket(Linux.AF_UNIX, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0),
                "socket(AF_UNIX, SOCK_DGRAM)", "");
        return new UnixDatagramSocket(fd, "unix datagram socket");
    }

    /** A socket bound to {@code address} (a path, or {@code @name}) that {@link #receive} reads from. */
    public static UnixDatagramSocket bind(String address) throws NativeException {
        UnixDatagramSocket socket = open();
        try {
            Address a = address(address);
            Errors.check(Native.LIBC.bind(socket.requireOpen(), a.pointer, a.length), "bind(AF_UNIX, SOCK_DGRAM)",
                    address);
            return socket;
        } catch (NativeException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Sends one datagram to {@code address}; returns the bytes sent. */
    public int sendTo(String address, byte[] payload) throws NativeException {
        Address a = address(address);
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(1, payload.length));
        buf.put(payload).flip();
        long n = Errors.check(Native.LIBC.sendto(requireOpen(), buf, payload.length, 0, a.pointer, a.length),
                "sendto(AF_UNIX, SOCK_DGRAM)", address);
        return (int) n;
    }

    /** Waits up to {@code timeout} for one datagram; null if none came. */
    public byte[] receive(Duration timeout, int maxBytes) throws NativeException {
        Pointer tv = Native.allocate(16);
        tv.putLong(0, timeout.toSeconds());
        tv.putLong(8, Math.max(1, timeout.toNanosPart() / 1000));
        Errors.check(Native.LIBC.setsockopt(requireOpen(), Linux.SOL_SOCKET, SO_RCVTIMEO, tv, 16),
                "setsockopt(SO_RCVTIMEO)", description());
        ByteBuffer buf = ByteBuffer.allocateDirect(maxBytes);
        long n = Native.LIBC.recv(requireOpen(), buf, maxBytes, 0);
        if (n < 0) {
            int errno = Errors.lastErrno();
            if (errno == Errno.EAGAIN) {
                return null;
            }
            throw Errors.failure("recv(AF_UNIX, SOCK_DGRAM)", description(), errno);
        }
        byte[] out = new byte[(int) n];
        buf.get(out);
        return out;
    }

    private record Address(Pointer pointer, int length) {
    }

    private static Address address(String address) {
        boolean abstractName = address.startsWith("@");
        byte[] name = (abstractName ? address.substring(1) : address).getBytes(StandardCharsets.UTF_8);
        int room = abstractName ? SUN_PATH_SIZE - 1 : SUN_PATH_SIZE - 1; // abstract: leading NUL; path: trailing NUL
        if (address.isEmpty() || name.length > room) {
            throw new IllegalArgumentException("unix socket address \"" + address + "\" is empty or longer than "
                    + room + " bytes");
        }
        Pointer p = Native.allocate(SOCKADDR_UN_SIZE);
        p.putShort(0, (short) Linux.AF_UNIX);
        if (abstractName) {
            p.putByte(2, (byte) 0);
            p.put(3, name, 0, name.length);
            return new Address(p, 2 + 1 + name.length);
        }
        p.put(2, name, 0, name.length);
        p.putByte(2 + name.length, (byte) 0);
        return new Address(p, 2 + name.length + 1);
    }
}
