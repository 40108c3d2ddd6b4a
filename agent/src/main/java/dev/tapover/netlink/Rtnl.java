// rtnetlink numbers exactly as the kernel's uapi headers define them (netlink.h, rtnetlink.h, if_link.h, if_addr.h).
package dev.tapover.netlink;

/** Constants for the rtnetlink messages tapover reads and writes; names as in C. */
public final class Rtnl {
    private Rtnl() {
    }

    // netlink.h: message types and header flags
    public static final int NLMSG_NOOP = 1;
    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    public static final int NLMSG_OVERRUN = 4;

    public static final int NLM_F_REQUEST = 0x01;
    public static final int NLM_F_MULTI = 0x02;
    public static final int NLM_F_ACK = 0x04;
    public static final int NLM_F_ECHO = 0x08;
    public static final int NLM_F_DUMP_INTR = 0x10;
    public static final int NLM_F_DUMP_FILTERED = 0x20;
    public static final int NLM_F_ROOT = 0x100;
    public static final int NLM_F_MATCH = 0x200;
    public static final int NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    public static final int NLM_F_REPLACE = 0x100;
    public static final int NLM_F_EXCL = 0x200;
    public static final int NLM_F_CREATE = 0x400;
    // flags of an NLMSG_ERROR (ack) message
    public static final int NLM_F_CAPPED = 0x100;
    public static final int NLM_F_ACK_TLVS = 0x200;
    public static final int NLMSGERR_ATTR_MSG = 1;

    public static final int NLA_F_NESTED = 0x8000;
    public static final int NLA_F_NET_BYTEORDER = 0x4000;
    public static final int NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

    // rtnetlink.h: message types and multicast groups
    public static final int RTM_NEWLINK = 16;
    public static final int RTM_DELLINK = 17;
    public static final int RTM_GETLINK = 18;
    public static final int RTM_NEWADDR = 20;
    public static final int RTM_DELADDR = 21;
    public static final int RTM_GETADDR = 22;

    public static final int RTNLGRP_LINK = 1;
    public static final int RTNLGRP_IPV4_IFADDR = 5;
    public static final int RTNLGRP_IPV6_IFADDR = 9;

    public static final int RT_SCOPE_UNIVERSE = 0;
    public static final int RT_SCOPE_SITE = 200;
    public static final int RT_SCOPE_LINK = 253;
    public static final int RT_SCOPE_HOST = 254;

    // socket.h address families as they appear in ifinfomsg / ifaddrmsg
    public static final int AF_UNSPEC = 0;
    public static final int AF_INET = 2;
    public static final int AF_BRIDGE = 7;
    public static final int AF_INET6 = 10;

    // if.h: ifi_flags
    public static final int IFF_UP = 0x1;
    public static final int IFF_BROADCAST = 0x2;
    public static final int IFF_LOOPBACK = 0x8;
    public static final int IFF_RUNNING = 0x40;
    public static final int IFF_LOWER_UP = 0x10000;
    public static final int IFF_DORMANT = 0x20000;

    // if_link.h: link attributes
    public static final int IFLA_ADDRESS = 1;
    public static final int IFLA_BROADCAST = 2;
    public static final int IFLA_IFNAME = 3;
    public static final int IFLA_MTU = 4;
    public static final int IFLA_LINK = 5;
    public static final int IFLA_MASTER = 10;
    public static final int IFLA_OPERSTATE = 16;
    public static final int IFLA_LINKINFO = 18;
    public static final int IFLA_CARRIER = 33;
    public static final int IFLA_CARRIER_CHANGES = 35;
    public static final int IFLA_EVENT = 44;
    public static final int IFLA_PERM_ADDRESS = 54;

    // if_link.h: enum rtnl_link_ifla_event
    public static final int IFLA_EVENT_NONE = 0;
    public static final int IFLA_EVENT_REBOOT = 1;
    public static final int IFLA_EVENT_FEATURES = 2;
    public static final int IFLA_EVENT_BONDING_FAILOVER = 3;
    public static final int IFLA_EVENT_NOTIFY_PEERS = 4;
    public static final int IFLA_EVENT_IGMP_RESEND = 5;
    public static final int IFLA_EVENT_BONDING_OPTIONS = 6;

    // if.h: IF_OPER_* (IFLA_OPERSTATE)
    public static final int IF_OPER_UNKNOWN = 0;
    public static final int IF_OPER_NOTPRESENT = 1;
    public static final int IF_OPER_DOWN = 2;
    public static final int IF_OPER_LOWERLAYERDOWN = 3;
    public static final int IF_OPER_TESTING = 4;
    public static final int IF_OPER_DORMANT = 5;
    public static final int IF_OPER_UP = 6;

    // if_addr.h: address attributes and IFA_F_* flags
    public static final int IFA_ADDRESS = 1;
    public static final int IFA_LOCAL = 2;
    public static final int IFA_LABEL = 3;
    public static final int IFA_BROADCAST = 4;
    public static final int IFA_CACHEINFO = 6;
    public static final int IFA_FLAGS = 8;

    public static final int IFA_F_SECONDARY = 0x01;
    public static final int IFA_F_NODAD = 0x02;
    public static final int IFA_F_OPTIMISTIC = 0x04;
    public static final int IFA_F_DADFAILED = 0x08;
    public static final int IFA_F_HOMEADDRESS = 0x10;
    public static final int IFA_F_DEPRECATED = 0x20;
    public static final int IFA_F_TENTATIVE = 0x40;
    public static final int IFA_F_PERMANENT = 0x80;
    public static final int IFA_F_MANAGETEMPADDR = 0x100;
    public static final int IFA_F_NOPREFIXROUTE = 0x200;

    /** A readable name for a message type, e.g. {@code RTM_NEWLINK} or {@code type 99}. */
    public static String typeName(int type) {
        switch (type) {
            case NLMSG_NOOP: return "NLMSG_NOOP";
            case NLMSG_ERROR: return "NLMSG_ERROR";
            case NLMSG_DONE: return "NLMSG_DONE";
            case NLMSG_OVERRUN: return "NLMSG_OVERRUN";
            case RTM_NEWLINK: return "RTM_NEWLINK";
            case RTM_DELLINK: return "RTM_DELLINK";
            case RTM_GETLINK: return "RTM_GETLINK";
            case RTM_NEWADDR: return "RTM_NEWADDR";
            case RTM_DELADDR: return "RTM_DELADDR";
            case RTM_GETADDR: return "RTM_GETADDR";
            default: return "type " + type;
        }
    }

    /** A readable name for IF_OPER_*, as ip(8) prints it. */
    public static String operstateName(int operstate) {
        switch (operstate) {
            case IF_OPER_UNKNOWN: return "UNKNOWN";
            case IF_OPER_NOTPRESENT: return "NOTPRESENT";
            case IF_OPER_DOWN: return "DOWN";
            case IF_OPER_LOWERLAYERDOWN: return "LOWERLAYERDOWN";
            case IF_OPER_TESTING: return "TESTING";
            case IF_OPER_DORMANT: return "DORMANT";
            case IF_OPER_UP: return "UP";
            default: return "operstate " + operstate;
        }
    }
}
