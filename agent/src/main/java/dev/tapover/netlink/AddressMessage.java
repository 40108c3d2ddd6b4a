// A decoded RTM_NEWADDR / RTM_DELADDR.
package dev.tapover.netlink;

/**
 * @param type    RTM_NEWADDR or RTM_DELADDR
 * @param address the address the message describes
 */
public record AddressMessage(int type, IfAddress address) {
    public boolean deleted() {
        return type == Rtnl.RTM_DELADDR;
    }
}
