// The typed events the link monitor reports: link life cycle, carrier, admin state, MAC, addresses, notify-peers.
package dev.tapover.netlink;

/**
 * A change the {@link LinkMonitor} saw. Every event says when it was noticed ({@link #nanos()}, from the
 * monitor's injected nanoTime clock), which source noticed it, and the link's index and current name.
 */
public sealed interface LinkEvent {

    /** Where a change was first seen. */
    enum Source {
        /** an rtnetlink notification (RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR) */
        NETLINK,
        /** a read of /sys/class/net/IF/carrier, which sees carrier before linkwatch reports it */
        SYSFS_POLL,
        /** a full dump: at start, and after an overrun (ENOBUFS) or an interrupted dump */
        DUMP
    }

    long nanos();

    Source source();

    int ifindex();

    String name();

    /** A link appeared (or was present at start). */
    record LinkAdded(long nanos, Source source, int ifindex, String name, LinkInfo link) implements LinkEvent {
    }

    /** A link disappeared; {@code link} is its last known state. */
    record LinkRemoved(long nanos, Source source, int ifindex, String name, LinkInfo link) implements LinkEvent {
    }

    /** Same ifindex, new name. */
    record LinkRenamed(long nanos, Source source, int ifindex, String name, String oldName) implements LinkEvent {
    }

    /** Carrier (IFF_LOWER_UP) went up or down. */
    record CarrierChanged(long nanos, Source source, int ifindex, String name, boolean up) implements LinkEvent {
    }

    /** IFF_UP was set or cleared. */
    record AdminChanged(long nanos, Source source, int ifindex, String name, boolean up) implements LinkEvent {
    }

    /** IFLA_ADDRESS changed. */
    record MacChanged(long nanos, Source source, int ifindex, String name, HardwareAddress oldAddress,
            HardwareAddress address) implements LinkEvent {
    }

    /** An IPv4/IPv6 address was added; {@code name} is the link's name if known, else null. */
    record AddressAdded(long nanos, Source source, int ifindex, String name, IfAddress address)
            implements LinkEvent {
    }

    /** An IPv4/IPv6 address was removed. */
    record AddressRemoved(long nanos, Source source, int ifindex, String name, IfAddress address)
            implements LinkEvent {
    }

    /** The kernel asked for peers to be notified (IFLA_EVENT_NOTIFY_PEERS, from netif_notify_peers()). */
    record NotifyPeersRequested(long nanos, Source source, int ifindex, String name) implements LinkEvent {
    }
}
