// Reads a link's carrier right now, without waiting for rtnetlink: the seam between LinkTable and sysfs.
package dev.tapover.netlink;

/** A synchronous carrier reading by interface name (production: {@link SysfsCarrier}; tests: a fake). */
@FunctionalInterface
public interface CarrierProbe {

    /** What one read of a link's carrier said. */
    enum Reading {
        UP,
        /** carrier off, or the link is admin-down (the kernel refuses the read with EINVAL) */
        DOWN,
        /** no such link under that name: removed or renamed, rtnetlink will tell which */
        ABSENT,
        /** any other failure; ignored */
        UNREADABLE
    }

    Reading read(String ifname);
}
