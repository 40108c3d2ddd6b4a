// One lower link as the data path sees it: its packet socket, identity and counters.
package dev.tapover.datapath;

import dev.tapover.natives.NativeException;
import dev.tapover.natives.PacketSocket;

/**
 * A lower link opened for the data path. The socket joins promiscuous mode (a packet membership, undone by
 * the kernel when the socket closes), because frames for the master's MAC are not for the link's own MAC;
 * the link keeps its own MAC, so its own stack never claims the master's. It always carries a
 * virtio_net_hdr (PACKET_VNET_HDR): without one the kernel would hand over frames with unfinished
 * checksums and GSO super-frames with no way to tell (see {@link SoftwareOffload}).
 */
public final class LowerPort implements AutoCloseable {
    private final String role;
    private final PacketSocket socket;
    private final PortCounters counters;

    private LowerPort(String role, PacketSocket socket, PortCounters counters) {
        this.role = role;
        this.socket = socket;
        this.counters = counters;
    }

    /** Opens {@code ifname} (ifindex {@code ifindex}) for role {@code role}; counters survive re-opens. */
    public static LowerPort open(String role, String ifname, int ifindex, PortCounters counters)
            throws NativeException {
        PacketSocket socket = PacketSocket.open(ifname, ifindex);
        try {
            socket.setPromiscuous(true);
            socket.enableVnetHeader();
            // Room for a burst of 64 KiB GSO frames, or ~10k small ones, while the data path is busy.
            socket.setReceiveBufferSize(8 << 20);
            socket.setSendBufferSize(4 << 20);
            return new LowerPort(role, socket, counters);
        } catch (NativeException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * The form of earlier versions: the port carries a vnet header whatever {@code vnetHeader} says (the
     * data path adapts to the master), so this is {@link #open(String, String, int, PortCounters)}.
     */
    @Deprecated
    public static LowerPort open(String role, String ifname, int ifindex, PortCounters counters,
                                 boolean vnetHeader) throws NativeException {
        return open(role, ifname, ifindex, counters);
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
