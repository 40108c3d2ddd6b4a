// Opens links for sending with pcap4j live handles, and reads ifindexes through the native bindings.
package dev.tapover.announce;

import java.io.IOException;

import dev.tapover.natives.NativeException;
import dev.tapover.natives.NetDevice;
import org.pcap4j.core.BpfProgram.BpfCompileMode;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * pcap4j's {@code pcap_sendpacket} path. Each handle gets a filter that accepts nothing, so the kernel
 * does not copy the link's traffic into a capture buffer nobody reads.
 */
public final class PcapLinks implements LinkOpener {
    private static final String RECEIVE_NOTHING = "less 1";

    /**
     * Runs pcap4j's send path (PcapHandle.sendPacket, the JNA call into libpcap) {@code rounds} times on a
     * "dead" handle (pcap_open_dead: no link, so libpcap refuses every send and nothing reaches a wire), so the
     * JIT has compiled it before the first real failover. Returns the sends libpcap refused (to check it ran).
     */
    public static int warmUpSend(byte[] frame, int rounds) {
        PcapHandle dead;
        try {
            dead = org.pcap4j.core.Pcaps.openDead(DataLinkType.EN10MB, 128);
        } catch (PcapNativeException e) {
            return 0;
        }
        int refused = 0;
        try {
            for (int i = 0; i < rounds; i++) {
                try {
                    dead.sendPacket(frame);
                } catch (PcapNativeException | NotOpenException e) {
                    refused++;
                }
            }
        } finally {
            dead.close();
        }
        return refused;
    }

    @Override
    public int ifindex(String ifname) {
        try {
            return NetDevice.indexOf(ifname);
        } catch (NativeException | IllegalArgumentException e) {
            return -1;
        }
    }

    @Override
    public LinkSender open(String ifname) throws IOException {
        PcapHandle handle;
        try {
            handle = new PcapHandle.Builder(ifname)
                    .snaplen(128)
                    .promiscuousMode(PromiscuousMode.NONPROMISCUOUS)
                    .timeoutMillis(10)
                    .bufferSize(256 * 1024)
                    .immediateMode(true)
                    .build();
        } catch (PcapNativeException e) {
            throw new IOException("pcap open of " + ifname + " failed: " + e.getMessage(), e);
        }
        try {
            if (handle.getDlt() != DataLinkType.EN10MB) {
                throw new IOException(ifname + " is not an Ethernet link (pcap link type " + handle.getDlt()
                        + "): announcements need an Ethernet lower link");
            }
            handle.setFilter(RECEIVE_NOTHING, BpfCompileMode.OPTIMIZE);
        } catch (PcapNativeException | NotOpenException | IOException e) {
            handle.close();
            throw e instanceof IOException ? (IOException) e
                    : new IOException("pcap setup of " + ifname + " failed: " + e.getMessage(), e);
        }
        return new Sender(ifname, handle);
    }

    /** One live handle. */
    private static final class Sender implements LinkSender {
        private final String ifname;
        private final PcapHandle handle;

        Sender(String ifname, PcapHandle handle) {
            this.ifname = ifname;
            this.handle = handle;
        }

        @Override
        public void send(byte[] frame) throws IOException {
            try {
                handle.sendPacket(frame);
            } catch (PcapNativeException | NotOpenException e) {
                throw new IOException("pcap send on " + ifname + " failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            handle.close();
        }
    }
}
