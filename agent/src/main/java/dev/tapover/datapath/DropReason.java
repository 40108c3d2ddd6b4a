// Why the data path dropped a frame: every drop is counted under one of these, never silently.
package dev.tapover.datapath;

/** Drop reasons, with the names used in status and logs. */
public enum DropReason {
    /** A frame arrived on a link that is not the active one (bonding and net_failover drop these too). */
    INACTIVE_LINK("inactive-link"),
    /** A frame on the active link was for neither the master's MAC nor broadcast/multicast. */
    NOT_FOR_MASTER("not-for-master"),
    /** A frame on the active link carried the master's own MAC as source: our own frame, looped back. */
    LOOPED("looped"),
    /** The master sent a frame while no lower link was usable. */
    NO_ACTIVE_LINK("no-active-link"),
    /** The TAP's queue was full when a received frame was written. */
    TAP_QUEUE_FULL("tap-queue-full"),
    /** The lower link's socket queue was full (ENOBUFS/EAGAIN). */
    TX_QUEUE_FULL("tx-queue-full"),
    /** The lower link refused the frame (ENETDOWN, ENXIO after deletion, ...). */
    LINK_ERROR("link-error"),
    /**
     * A frame from a link needed an offload the master cannot take (the master has no vnet header) and
     * the data path cannot do in software (a GSO type other than TCP or UDP segmentation, or a malformed
     * header).
     */
    OFFLOAD_UNSUPPORTED("offload-unsupported"),
    /** The frame was longer than the receive buffer. */
    TRUNCATED("truncated"),
    /** Dropped by the kernel before the agent could read it (PACKET_STATISTICS tp_drops). */
    KERNEL("kernel");

    private final String wireName;

    DropReason(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
