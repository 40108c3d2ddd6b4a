// An immutable reference to a lower link as it was when an event happened: identity (ifindex), name and role.
package dev.tapover.failover;

import java.util.Objects;

/**
 * @param ifindex the kernel interface index: the link's identity within the group
 * @param name    the interface name at the time (an attribute: a rename keeps the identity)
 * @param role    primary or standby
 */
public record LinkRef(int ifindex, String name, LinkRole role) {

    public LinkRef {
        if (ifindex <= 0) {
            throw new IllegalArgumentException("ifindex must be positive, got " + ifindex);
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
    }

    /** True if both refer to the same link, whatever it was called at the time. */
    public boolean sameLink(LinkRef other) {
        return other != null && other.ifindex == ifindex;
    }

    @Override
    public String toString() {
        return name + "(" + ifindex + ")";
    }
}
