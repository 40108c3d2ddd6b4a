// A NETLINK_ROUTE socket: join multicast groups, send requests to the kernel, receive replies and events.
package dev.tapover.natives;

import java.nio.ByteBuffer;

import jnr.ffi.Pointer;

/**
 * A non-blocking netlink socket. {@link #receive} throws a {@link NativeException} with errno ENOBUFS when
 * the kernel had to drop notifications because the receive buffer was full: the caller must re-dump.
 *
 * <pre>
 * struct sockaddr_nl (12 bytes)
 *  0         2       4           8            12
 *  | family  | pad   | nl_pid    | nl_groups  |
 * </pre>
 */
public final class NetlinkSocket extends FileHandle {
    private static final int SOCKADDR_NL_SIZE = 12;

    private final int portId;
    private final Pointer kernelAddress;

    private NetlinkSocket(int fd, String description, int portId) {
        super(fd, description);
        this.portId = portId;
        this.kernelAddress = Native.allocate(SOCKADDR_NL_SIZE);
        kernelAddress.putShort(0, (short) Linux.AF_NETLINK);
    }

    /** Opens and binds a socket for {@code protocol} (e.g. {@link Linux#NETLINK_ROUTE}). */
    public static NetlinkSocket open(int protocol) throws NativeException {
        String what = "netlink socket (protocol " + protocol + ")";
        int fd = Errors.check(Native.LIBC.socket(Linux.AF_NETLINK,
                Linux.SOCK_RAW | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC, protocol), "socket(AF_NETLINK)", what);
        try {
            Pointer addr = Native.allocate(SOCKADDR_NL_SIZE);
            addr.putShort(0, (short) Linux.AF_NETLINK);
            Errors.check(Native.LIBC.bind(fd, addr, SOCKADDR_NL_SIZE), "bind(AF_NETLINK)", what);
            Pointer len = Native.allocate(4);
            len.putInt(0, SOCKADDR_NL_SIZE);
            Errors.check(Native.LIBC.getsockname(fd, addr, len), "getsockname", what);
            return new NetlinkSocket(fd, what, addr.getInt(4));
        } catch (NativeException | RuntimeException e) {
            Native.LIBC.close(fd);
            throw e;
        }
    }

    /** The port id the kernel assigned (nl_pid); requests' replies carry it. */
    public int portId() {
        return portId;
    }

    /** Subscribes to a multicast group by number (e.g. RTNLGRP_LINK = 1). */
    public void joinGroup(int group) throws NativeException {
        SocketOptions.setInt(requireOpen(), Linux.SOL_NETLINK, Linux.NETLINK_ADD_MEMBERSHIP, group,
                "NETLINK_ADD_MEMBERSHIP", description() + " group " + group);
    }

    public void leaveGroup(int group) throws NativeException {
        SocketOptions.setInt(requireOpen(), Linux.SOL_NETLINK, Linux.NETLINK_DROP_MEMBERSHIP, group,
                "NETLINK_DROP_MEMBERSHIP", description() + " group " + group);
    }

    /** Sets the receive buffer (SO_RCVBUFFORCE when permitted, so it may exceed rmem_max). */
    public void setReceiveBufferSize(int bytes) throws NativeException {
        SocketOptions.setReceiveBuffer(requireOpen(), bytes, description());
    }

    /** The receive buffer size the kernel actually uses (twice the requested value, as socket(7) says). */
    public int receiveBufferSize() throws NativeException {
        return SocketOptions.getInt(requireOpen(), Linux.SOL_SOCKET, Linux.SO_RCVBUF, "SO_RCVBUF", description());
    }

    /** Sends one or more netlink messages (position..limit) to the kernel. */
    public void send(ByteBuffer messages) throws NativeException {
        long n = Native.LIBC.sendto(requireOpen(), messages, messages.remaining(), 0, kernelAddress,
                SOCKADDR_NL_SIZE);
        Errors.check(n, "sendto(AF_NETLINK)", description());
        messages.position(messages.position() + (int) n);
    }

    /**
     * Receives one datagram (one or more messages) at the buffer's position, advancing it.
     *
     * @return the bytes received, or 0 when nothing is queued
     * @throws NativeException with errno ENOBUFS when notifications were lost
     */
    public int receive(ByteBuffer buf) throws NativeException {
        long n = Native.LIBC.recv(requireOpen(), buf, buf.remaining(), 0);
        return Io.advance(buf, n, "recv", description());
    }
}
