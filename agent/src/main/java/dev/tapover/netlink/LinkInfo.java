// What tapover knows about one network interface: the fields of an RTM_NEWLINK it cares about.
package dev.tapover.netlink;

/**
 * One link's state. {@link #carrier()} is IFF_LOWER_UP (the kernel sets it only while the link is admin-up
 * and has carrier), the same truth /sys/class/net/IF/carrier gives.
 *
 * @param ifindex        interface index
 * @param name           IFLA_IFNAME
 * @param arphrdType     ifi_type (ARPHRD_ETHER = 1, loopback = 772, ...)
 * @param flags          ifi_flags (IFF_UP, IFF_RUNNING, IFF_LOWER_UP, ...)
 * @param address        IFLA_ADDRESS, or null when absent
 * @param permAddress    IFLA_PERM_ADDRESS, or null when absent
 * @param mtu            IFLA_MTU, or -1
 * @param operstate      IFLA_OPERSTATE (IF_OPER_*), or -1
 * @param carrierAttr    IFLA_CARRIER (netif_carrier_ok regardless of admin state), or -1
 * @param carrierChanges IFLA_CARRIER_CHANGES, or -1
 */
public record LinkInfo(int ifindex, String name, int arphrdType, int flags, HardwareAddress address,
        HardwareAddress permAddress, int mtu, int operstate, int carrierAttr, int carrierChanges) {

    /** IFF_UP: the administrator set the link up. */
    public boolean adminUp() {
        return (flags & Rtnl.IFF_UP) != 0;
    }

    /** IFF_LOWER_UP: admin-up and the driver reports carrier. */
    public boolean carrier() {
        return (flags & Rtnl.IFF_LOWER_UP) != 0;
    }

    /** IFF_RUNNING (RFC 2863 operational state up or unknown). */
    public boolean running() {
        return (flags & Rtnl.IFF_RUNNING) != 0;
    }

    /** The same link with the IFF_LOWER_UP bit set or cleared (a sysfs poll saw the carrier first). */
    public LinkInfo withCarrier(boolean up) {
        int f = up ? flags | Rtnl.IFF_LOWER_UP : flags & ~Rtnl.IFF_LOWER_UP;
        return new LinkInfo(ifindex, name, arphrdType, f, address, permAddress, mtu, operstate, carrierAttr,
                carrierChanges);
    }

    @Override
    public String toString() {
        return ifindex + ":" + name + " <" + (adminUp() ? "UP" : "DOWN") + (carrier() ? ",LOWER_UP" : "")
                + "> mtu " + mtu + " " + Rtnl.operstateName(operstate) + " " + address;
    }
}
