// An AF_PACKET raw socket bound to one interface: send and receive whole Ethernet frames.
package dev.tapover.natives;

import java.nio.ByteBuffer;

import jnr.ffi.Pointer;

/**
 * A non-blocking SOCK_RAW packet socket bound to one ifindex for ETH_P_ALL. It ignores the frames the
 * host itself transmits on the link (PACKET_IGNORE_OUTGOING), so the data path never sees its own sends.
 *
 * <pre>
 * struct sockaddr_ll (20 bytes)
 *  0        2          4            8         10        11       12          20
 *  | family | protocol | ifindex    | hatype  | pkttype | halen  | addr[8]    |
 *  | u16    | be16     | s32        | u16     | u8      | u8     |            |
 * </pre>
 */
public final class PacketSocket extends FileHandle {
    private static final int SOCKADDR_LL_SIZE = 20;
    private static final int PACKET_MREQ_SIZE = 16;

    private static final int RING_BLOCK_SIZE = 1 << 16;

    private final String ifname;
    private final int ifindex;
    private boolean promiscuous;
    private volatile RxRing rxRing;

    private PacketSocket(int fd, String ifname, int ifindex) {
        super(fd, "packet socket on \"" + ifname + "\"");
        this.ifname = ifname;
        this.ifindex = ifindex;
    }

    /** Opens a raw socket on {@code ifname}, bound so that it only ever sees that interface's frames. */
    public static PacketSocket open(String ifname) throws NativeException {
        int ifindex = NetDevice.indexOf(ifname);
        return open(ifname, ifindex);
    }

    /** Opens a raw socket on the interface with this index (the name is for messages only). */
    public static PacketSocket open(String ifname, int ifindex) throws NativeException {
        // Protocol 0 at socket() time: no frame of any interface is queued before bind() narrows it.
        int fd = Errors.check(Native.LIBC.socket(Linux.AF_PACKET,
                Linux.SOCK_RAW | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC, 0), "socket(AF_PACKET, SOCK_RAW)",
                "\"" + ifname + "\"");
        PacketSocket socket = new PacketSocket(fd, ifname, ifindex);
        try {
            Pointer addr = Native.allocate(SOCKADDR_LL_SIZE);
            addr.putShort(0, (short) Linux.AF_PACKET);
            addr.putShort(2, Short.reverseBytes((short) Linux.ETH_P_ALL));
            addr.putInt(4, ifindex);
            Errors.check(Native.LIBC.bind(fd, addr, SOCKADDR_LL_SIZE), "bind(AF_PACKET)",
                    "\"" + ifname + "\" (ifindex " + ifindex + ")");
            SocketOptions.setInt(fd, Linux.SOL_PACKET, Linux.PACKET_IGNORE_OUTGOING, 1,
                    "PACKET_IGNORE_OUTGOING", socket.description());
            return socket;
        } catch (NativeException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Adopts a packet socket received from another process (live update). The socket keeps its binding, its
     * options and its queued frames; {@code promiscuous} records whether it already holds a promiscuous
     * membership, so the adopter neither adds a second one nor drops it.
     */
    public static PacketSocket adopt(int fd, String ifname, boolean promiscuous) throws NativeException {
        Binding binding = binding(fd);
        if (binding.domain() != Linux.AF_PACKET || binding.type() != Linux.SOCK_RAW) {
            throw Errors.failure("adopt", "fd " + fd + " (not an AF_PACKET SOCK_RAW socket)", Errno.EINVAL);
        }
        PacketSocket socket = new PacketSocket(fd, ifname, binding.ifindex());
        socket.promiscuous = promiscuous;
        socket.setNonBlocking(true);
        return socket;
    }

    /** What a socket fd is and where it is bound: SO_DOMAIN, SO_TYPE, and the ifindex of its sockaddr_ll. */
    public record Binding(int domain, int type, int ifindex) {
    }

    /** Reads the domain, type and (for AF_PACKET) bound ifindex of a socket fd without adopting it. */
    public static Binding binding(int fd) throws NativeException {
        String object = "fd " + fd;
        int domain = SocketOptions.getInt(fd, Linux.SOL_SOCKET, Linux.SO_DOMAIN, "SO_DOMAIN", object);
        int type = SocketOptions.getInt(fd, Linux.SOL_SOCKET, Linux.SO_TYPE, "SO_TYPE", object);
        int ifindex = 0;
        if (domain == Linux.AF_PACKET) {
            Pointer addr = Native.allocate(SOCKADDR_LL_SIZE);
            Pointer len = Native.allocate(4);
            len.putInt(0, SOCKADDR_LL_SIZE);
            Errors.check(Native.LIBC.getsockname(fd, addr, len), "getsockname(AF_PACKET)", object);
            ifindex = addr.getInt(4);
        }
        return new Binding(domain, type, ifindex);
    }

    public String ifname() {
        return ifname;
    }

    public int ifindex() {
        return ifindex;
    }

    public boolean isPromiscuous() {
        return promiscuous;
    }

    /**
     * Joins or leaves promiscuous mode through a packet membership: the kernel counts it and drops it when
     * the socket closes, so a crash never leaves the link promiscuous.
     */
    public void setPromiscuous(boolean on) throws NativeException {
        if (on == promiscuous) {
            return;
        }
        Pointer mreq = Native.allocate(PACKET_MREQ_SIZE);
        mreq.putInt(0, ifindex);
        mreq.putShort(4, (short) Linux.PACKET_MR_PROMISC);
        int option = on ? Linux.PACKET_ADD_MEMBERSHIP : Linux.PACKET_DROP_MEMBERSHIP;
        Errors.check(Native.LIBC.setsockopt(requireOpen(), Linux.SOL_PACKET, option, mreq, PACKET_MREQ_SIZE),
                on ? "setsockopt(PACKET_ADD_MEMBERSHIP)" : "setsockopt(PACKET_DROP_MEMBERSHIP)", description());
        promiscuous = on;
    }

    /** PACKET_VNET_HDR: every frame is preceded by a struct virtio_net_hdr (10 bytes). */
    public void enableVnetHeader() throws NativeException {
        SocketOptions.setInt(requireOpen(), Linux.SOL_PACKET, Linux.PACKET_VNET_HDR, 1, "PACKET_VNET_HDR",
                description());
    }

    /**
     * Switches reception to a PACKET_RX_RING (TPACKET_V2) of {@code frameCount} slots of {@code frameSize}
     * bytes (a power of two, 256..65536), mapped into this process; frames longer than a slot come through
     * the receive queue instead (PACKET_COPY_THRESH, see {@link RxRing}). Call after
     * {@link #enableVnetHeader()}, which the kernel refuses once a ring exists. The ring goes with the socket.
     */
    public RxRing mapRxRing(int frameSize, int frameCount) throws NativeException {
        if (Integer.bitCount(frameSize) != 1 || frameSize < 256 || frameSize > RING_BLOCK_SIZE) {
            throw new IllegalArgumentException("ring frame size " + frameSize + " (a power of two, 256..65536)");
        }
        if (rxRing != null) {
            throw new IllegalStateException(description() + " already has a receive ring");
        }
        int perBlock = RING_BLOCK_SIZE / frameSize;
        int blocks = Math.max(1, (frameCount + perBlock - 1) / perBlock);
        int frames = blocks * perBlock;
        int fd = requireOpen();
        SocketOptions.setInt(fd, Linux.SOL_PACKET, Linux.PACKET_VERSION, Linux.TPACKET_V2, "PACKET_VERSION",
                description());
        SocketOptions.setInt(fd, Linux.SOL_PACKET, Linux.PACKET_COPY_THRESH, 1, "PACKET_COPY_THRESH", description());
        Pointer req = Native.allocate(16);
        req.putInt(0, RING_BLOCK_SIZE);
        req.putInt(4, blocks);
        req.putInt(8, frameSize);
        req.putInt(12, frames);
        Errors.check(Native.LIBC.setsockopt(fd, Linux.SOL_PACKET, Linux.PACKET_RX_RING, req, 16),
                "setsockopt(PACKET_RX_RING)", description());
        long size = (long) RING_BLOCK_SIZE * blocks;
        Pointer mapped = Native.LIBC.mmap(null, size, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED, fd, 0L);
        long address = mapped == null ? -1L : mapped.address();
        if (address == -1L || address == 0L) {
            throw Errors.failure("mmap(PACKET_RX_RING)", description());
        }
        RxRing ring = new RxRing(address, size, frameSize, frames);
        rxRing = ring;
        return ring;
    }

    /**
     * Maps the receive ring another process set up on this socket (a live update hands the socket over with
     * its ring: PACKET_RX_RING cannot be set twice). {@code frameSize} and {@code frames} are that ring's, as
     * {@link #mapRxRing} made it; the consumer continues at slot {@code position}, where the other one stopped.
     */
    public RxRing mapExistingRxRing(int frameSize, int frames, int position) throws NativeException {
        if (Integer.bitCount(frameSize) != 1 || frameSize < 256 || frameSize > RING_BLOCK_SIZE
                || frames <= 0 || frames % (RING_BLOCK_SIZE / frameSize) != 0) {
            throw new IllegalArgumentException("ring of " + frames + " slots of " + frameSize
                    + " bytes is not one mapRxRing makes");
        }
        if (rxRing != null) {
            throw new IllegalStateException(description() + " already has a receive ring");
        }
        int fd = requireOpen();
        long size = (long) frames * frameSize;
        Pointer mapped = Native.LIBC.mmap(null, size, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED, fd, 0L);
        long address = mapped == null ? -1L : mapped.address();
        if (address == -1L || address == 0L) {
            throw Errors.failure("mmap(PACKET_RX_RING)", description());
        }
        RxRing ring = new RxRing(address, size, frameSize, frames);
        ring.startAt(position);
        rxRing = ring;
        return ring;
    }

    public void setReceiveBufferSize(int bytes) throws NativeException {
        SocketOptions.setReceiveBuffer(requireOpen(), bytes, description());
    }

    public void setSendBufferSize(int bytes) throws NativeException {
        SocketOptions.setSendBuffer(requireOpen(), bytes, description());
    }

    /**
     * Sends the bytes between position and limit as one frame, advancing the position.
     *
     * @return the bytes sent, or 0 when the socket's queue is full (the frame was not taken)
     */
    public int send(ByteBuffer frame) throws NativeException {
        long n = Native.LIBC.send(requireOpen(), frame, frame.remaining(), 0);
        if (n < 0 && Errors.lastErrno() == Errno.ENOBUFS) {
            return 0;
        }
        return Io.advance(frame, n, "send", description());
    }

    /**
     * Receives one frame into {@code buf} at its position, advancing it.
     *
     * @return the frame length (larger than what was stored if it was truncated), or 0 when none is queued
     */
    public int receive(ByteBuffer buf) throws NativeException {
        long n = Native.LIBC.recv(requireOpen(), buf, buf.remaining(), Linux.MSG_TRUNC);
        return Io.advance(buf, n, "recv", description());
    }

    /**
     * Receives up to {@code batch.count()} frames with one recvmmsg(2), into slots 0, 1, ...; the length of
     * each is {@link FrameBatch#length(int)} (larger than the slot if the frame was truncated).
     *
     * @return how many frames were received, 0 when none is queued
     */
    public int receive(FrameBatch batch) throws NativeException {
        batch.resetLengths(batch.count());
        int n = Native.LIBC.recvmmsg(requireOpen(), batch.vectorAddress(0), batch.count(), Linux.MSG_TRUNC, 0L);
        if (n < 0) {
            int errno = Errors.lastErrno();
            if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
                return 0;
            }
            throw Errors.failure("recvmmsg", description(), errno);
        }
        return n;
    }

    /**
     * Receives one frame from the receive queue (with a ring: the whole of a TP_STATUS_COPY frame) into
     * slot {@code slot}.
     *
     * @return the frame length (larger than the slot if truncated), or 0 when none is queued
     */
    public int receive(FrameBatch batch, int slot) throws NativeException {
        long n = Native.LIBC.recv(requireOpen(), batch.address(slot, 0), batch.slotSize(), Linux.MSG_TRUNC);
        if (n < 0) {
            int errno = Errors.lastErrno();
            if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
                return 0;
            }
            throw Errors.failure("recv", description(), errno);
        }
        return (int) n;
    }

    /**
     * Sends slots {@code from .. from+count-1} (each {@link FrameBatch#setLength(int, int)} bytes from its
     * start) with one sendmmsg(2). The kernel stops at the first frame it refuses: the caller resends from
     * there, and a frame refused first is reported as 0 (queue full: EAGAIN, or ENOBUFS, which means the
     * frame was dropped on its way out) or as an exception (any other error).
     *
     * @return how many frames, from {@code from} on, were sent; 0 when the first one met a full queue
     */
    public int send(FrameBatch batch, int from, int count) throws NativeException {
        if (from < 0 || count < 1 || from + count > batch.count()) {
            throw new IndexOutOfBoundsException("slots " + from + "+" + count + " of " + batch.count());
        }
        int n = Native.LIBC.sendmmsg(requireOpen(), batch.vectorAddress(from), count, 0);
        if (n < 0) {
            int errno = Errors.lastErrno();
            if (errno == Errno.EAGAIN || errno == Errno.ENOBUFS || errno == Errno.EINTR) {
                return 0;
            }
            throw Errors.failure("sendmmsg", description(), errno);
        }
        return n;
    }

    /** Frames received and dropped by the kernel for this socket since the last call (PACKET_STATISTICS). */
    public record Statistics(long packets, long drops) {
    }

    /** Unmaps the receive ring, if any, and closes the socket. */
    @Override
    public void close() {
        RxRing ring = rxRing;
        rxRing = null;
        if (ring != null && isOpen()) {
            ring.unmap();
        }
        super.close();
    }

    /** Reads and resets the kernel's per-socket counters. */
    public Statistics statistics() throws NativeException {
        Pointer stats = Native.allocate(8);
        Pointer len = Native.allocate(4);
        len.putInt(0, 8);
        Errors.check(Native.LIBC.getsockopt(requireOpen(), Linux.SOL_PACKET, Linux.PACKET_STATISTICS, stats, len),
                "getsockopt(PACKET_STATISTICS)", description());
        return new Statistics(stats.getInt(0) & 0xffffffffL, stats.getInt(4) & 0xffffffffL);
    }

    /**
     * Reads and clears the socket's pending error (SO_ERROR), e.g. ENETDOWN after the link went down; a
     * ring-mapped socket never clears it by reading, and poll() would report POLLERR forever.
     *
     * @return the errno that was pending, 0 if none
     */
    public int takeError() throws NativeException {
        return SocketOptions.getInt(requireOpen(), Linux.SOL_SOCKET, Linux.SO_ERROR, "SO_ERROR", description());
    }
}
