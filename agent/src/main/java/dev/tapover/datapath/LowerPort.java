// One lower link as the data path sees it: its packet socket, identity and counters.
package dev.tapover.datapath;

import dev.tapover.natives.NativeException;
import dev.tapover.natives.NetDevice;
import dev.tapover.natives.PacketSocket;
import dev.tapover.natives.RxRing;

/**
 * A lower link opened for the data path. The socket joins promiscuous mode (a packet membership, undone by
 * the kernel when the socket closes), because frames for the master's MAC are not for the link's own MAC;
 * the link keeps its own MAC, so its own stack never claims the master's. It always carries a
 * virtio_net_hdr (PACKET_VNET_HDR): without one the kernel would hand over frames with unfinished
 * checksums and GSO super-frames with no way to tell (see {@link SoftwareOffload}).
 *
 * <p>Frames are received through a PACKET_RX_RING mapped into the agent: the kernel copies each frame into a
 * slot (in softirq, on the CPU that received it) and the data path reads it in place and writes it into the
 * TAP from there, so a frame costs the data path no receive system call and no copy of its own. Slots
 * hold an MTU-sized frame; a longer one (a GSO/GRO super-frame) comes whole through the socket's queue.
 * If the ring cannot be mapped the port falls back to recvmmsg(2) batches.
 */
public final class LowerPort implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LowerPort.class);

    /** Ring memory per link: 4096 slots of 2 KiB for a 1500-byte MTU. */
    static final int RING_BYTES = 8 << 20;

    private final String role;
    private final PacketSocket socket;
    private final PortCounters counters;
    private final RxRing ring;

    private LowerPort(String role, PacketSocket socket, PortCounters counters, RxRing ring) {
        this.role = role;
        this.socket = socket;
        this.counters = counters;
        this.ring = ring;
    }

    /** Opens {@code ifname} (ifindex {@code ifindex}) for role {@code role}; counters survive re-opens. */
    public static LowerPort open(String role, String ifname, int ifindex, PortCounters counters)
            throws NativeException {
        return open(role, ifname, ifindex, counters, ReceiveMode.RING);
    }

    /** How a port receives: a mapped ring (the default), or recvmmsg batches (the fallback; tests). */
    enum ReceiveMode { RING, RECVMMSG }

    static LowerPort open(String role, String ifname, int ifindex, PortCounters counters, ReceiveMode mode)
            throws NativeException {
        PacketSocket socket = PacketSocket.open(ifname, ifindex);
        try {
            socket.setPromiscuous(true);
            socket.enableVnetHeader();
            // Room for a burst of 64 KiB GSO frames (ring: those alone), or ~10k small ones, while busy.
            socket.setReceiveBufferSize(8 << 20);
            socket.setSendBufferSize(4 << 20);
            RxRing rxRing = null;
            if (mode == ReceiveMode.RING) {
                int frameSize = ringFrameSize(ifname);
                try {
                    rxRing = socket.mapRxRing(frameSize, RING_BYTES / frameSize);
                } catch (NativeException e) {
                    LOG.warn("event=rx-ring-unavailable link={} error=\"{}\" fallback=recvmmsg", ifname, e.getMessage());
                }
            }
            return new LowerPort(role, socket, counters, rxRing);
        } catch (NativeException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }


    /**
     * A power-of-two slot that holds the link's MTU-sized frame after the ring's own header (76 bytes with
     * the vnet header) and a VLAN tag: 2 KiB up to an MTU of 1950, more for jumbo frames.
     */
    static int ringFrameSize(String ifname) {
        int mtu;
        try {
            mtu = NetDevice.mtu(ifname);
        } catch (NativeException e) {
            mtu = 1500;
        }
        int needed = 76 + 18 + mtu;
        int size = 2048;
        while (size < needed && size < 65536) {
            size <<= 1;
        }
        return size;
    }

    /**
     * A packet socket received from a predecessor (live update), with its receive ring's geometry and the
     * slot the predecessor would have read next ({@code ringFrameSize} 0: no ring).
     */
    public record Handed(PacketSocket socket, int ringFrameSize, int ringFrames, int ringPosition, RxRing ring) {
        public Handed(PacketSocket socket, int ringFrameSize, int ringFrames, int ringPosition) {
            this(socket, ringFrameSize, ringFrames, ringPosition, null);
        }

        /** Maps the receive ring now (a live update's successor, before the freeze); reading starts at slot 0. */
        public Handed premapped() throws NativeException {
            return ring != null || ringFrameSize == 0 ? this : new Handed(socket, ringFrameSize, ringFrames, ringPosition,
                    socket.mapExistingRxRing(ringFrameSize, ringFrames, 0));
        }
    }

    /**
     * Wraps a packet socket received from a predecessor (live update): bound, promiscuous, options set; its
     * receive ring is mapped again here and read on from where the predecessor stopped.
     */
    public static LowerPort adopt(String role, Handed handed, PortCounters counters) throws NativeException {
        RxRing ring = handed.ring() != null ? handed.ring() : handed.ringFrameSize() > 0
                ? handed.socket().mapExistingRxRing(handed.ringFrameSize(), handed.ringFrames(), handed.ringPosition())
                : null;
        return new LowerPort(role, handed.socket(), counters, ring);
    }

    /** The receive ring's slot size, 0 without a ring. */
    public int ringFrameSize() {
        return ring == null ? 0 : ring.frameSize();
    }

    /** The receive ring's slot count, 0 without a ring. */
    public int ringFrames() {
        return ring == null ? 0 : ring.frames();
    }

    /** The slot the data path reads next (stable only while the data path is frozen), 0 without a ring. */
    public int ringPosition() {
        return ring == null ? 0 : ring.position();
    }

    /** The packet socket's fd, to hand it to a successor. */
    public int fd() {
        return socket.fd();
    }

    /** Grows the socket's receive buffer to at least {@code bytes} (frames wait there while a live update freezes). */
    public void ensureReceiveBuffer(int bytes) throws NativeException {
        socket.setReceiveBufferSize(bytes);
    }

    /** Whether the socket holds a promiscuous membership. */
    public boolean promiscuous() {
        return socket.isPromiscuous();
    }

    public String role() {
        return role;
    }

    public String ifname() {
        return socket.ifname();
    }

    public int ifindex() {
        return socket.ifindex();
    }

    PacketSocket socket() {
        return socket;
    }

    /** The receive ring, or null when the port receives with recvmmsg. */
    RxRing ring() {
        return ring;
    }

    public PortCounters counters() {
        return counters;
    }

    @Override
    public void close() {
        socket.close();
    }

    @Override
    public String toString() {
        return role + "(" + ifname() + "#" + ifindex() + ")";
    }
}
