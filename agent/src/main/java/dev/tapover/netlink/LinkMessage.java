// A decoded RTM_NEWLINK / RTM_DELLINK: the link's state plus the IFLA_EVENT it carried.
package dev.tapover.netlink;

/**
 * @param type   RTM_NEWLINK or RTM_DELLINK
 * @param family ifi_family: AF_UNSPEC for the link itself; AF_BRIDGE (7) messages describe bridge-port
 *               state on the same group and must not be read as the link's life cycle
 * @param link   the link as the message describes it
 * @param event  IFLA_EVENT (IFLA_EVENT_NOTIFY_PEERS, ...), or IFLA_EVENT_NONE
 */
public record LinkMessage(int type, int family, LinkInfo link, int event) {
    public boolean deleted() {
        return type == Rtnl.RTM_DELLINK;
    }
}
