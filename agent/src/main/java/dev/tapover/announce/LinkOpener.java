// The I/O seam of the announcer: opens a link for sending and tells its ifindex (pcap4j, or a fake in tests).
package dev.tapover.announce;

import java.io.IOException;

/** Opens links by name; implementations: {@link PcapLinks}, test fakes. */
public interface LinkOpener {
    /** The link's current ifindex, or -1 when there is no such link (it was unplugged). */
    int ifindex(String ifname);

    /** Opens {@code ifname} for sending whole Ethernet frames; may take ~10 ms, so it is done ahead. */
    LinkSender open(String ifname) throws IOException;
}
