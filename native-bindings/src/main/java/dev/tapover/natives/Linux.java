// Linux constants (x86_64/arm64 ABI) for the calls in LibC: open flags, socket families, ioctls, options.
package dev.tapover.natives;

/** Numeric constants exactly as the kernel headers define them. */
public final class Linux {
    private Linux() {
    }

    // fcntl.h
    public static final int O_RDWR = 0x2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;

    // socket.h
    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_NETLINK = 16;
    public static final int AF_PACKET = 17;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_TYPE = 3;
    public static final int SO_ERROR = 4;
    public static final int SO_PEERCRED = 17;
    public static final int SO_DOMAIN = 39;
    public static final int SO_SNDBUFFORCE = 32;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    // if_ether.h / if_packet.h
    public static final int ETH_P_ALL = 0x0003;
    public static final int SOL_PACKET = 263;
    public static final int PACKET_ADD_MEMBERSHIP = 1;
    public static final int PACKET_DROP_MEMBERSHIP = 2;
    public static final int PACKET_STATISTICS = 6;
    public static final int PACKET_VNET_HDR = 15;
    public static final int PACKET_IGNORE_OUTGOING = 23;
    public static final int PACKET_RX_RING = 5;
    public static final int PACKET_COPY_THRESH = 7;
    public static final int PACKET_VERSION = 10;
    public static final int TPACKET_V2 = 1;
    public static final int TP_STATUS_KERNEL = 0;
    public static final int TP_STATUS_USER = 1;
    public static final int TP_STATUS_COPY = 2;
    public static final int TP_STATUS_LOSING = 4;
    public static final int PACKET_MR_PROMISC = 1;

    // netlink.h
    public static final int NETLINK_ROUTE = 0;
    public static final int SOL_NETLINK = 270;
    public static final int NETLINK_ADD_MEMBERSHIP = 1;
    public static final int NETLINK_DROP_MEMBERSHIP = 2;

    // if.h flags (struct ifreq ifr_flags)
    public static final int IFF_UP = 0x1;
    public static final int IFF_BROADCAST = 0x2;
    public static final int IFF_RUNNING = 0x40;
    public static final int IFF_PROMISC = 0x100;
    public static final int IFF_MULTICAST = 0x1000;
    public static final int IFNAMSIZ = 16;

    // if_tun.h
    public static final int IFF_TAP = 0x0002;
    public static final int IFF_NO_PI = 0x1000;
    public static final int IFF_VNET_HDR = 0x4000;
    public static final int TUNSETPERSIST = 0x400454cb;
    public static final int TUNSETIFF = 0x400454ca;
    public static final int TUNGETIFF = 0x800454d2;
    public static final int TUNSETOFFLOAD = 0x400454d0;
    public static final int TUNGETVNETHDRSZ = 0x800454d7;
    public static final int TUNSETVNETHDRSZ = 0x400454d8;
    public static final int TUNSETCARRIER = 0x400454e2;
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    public static final int TUN_F_UFO = 0x10;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;
    public static final int TUNGETFEATURES = 0x800454cf;

    // virtio_net.h: struct virtio_net_hdr, the 10-byte header of IFF_VNET_HDR and PACKET_VNET_HDR
    public static final int VIRTIO_NET_HDR_LEN = 10;
    public static final int VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    public static final int VIRTIO_NET_HDR_F_DATA_VALID = 2;
    public static final int VIRTIO_NET_HDR_GSO_NONE = 0;
    public static final int VIRTIO_NET_HDR_GSO_TCPV4 = 1;
    public static final int VIRTIO_NET_HDR_GSO_UDP = 3;
    public static final int VIRTIO_NET_HDR_GSO_TCPV6 = 4;
    public static final int VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
    public static final int VIRTIO_NET_HDR_GSO_ECN = 0x80;

    // sockios.h
    public static final int SIOCGIFFLAGS = 0x8913;
    public static final int SIOCSIFFLAGS = 0x8914;
    public static final int SIOCGIFMTU = 0x8921;
    public static final int SIOCSIFMTU = 0x8922;
    public static final int SIOCSIFHWADDR = 0x8924;
    public static final int SIOCGIFHWADDR = 0x8927;
    public static final int SIOCGIFTXQLEN = 0x8942;
    public static final int SIOCSIFTXQLEN = 0x8943;
    public static final int ARPHRD_ETHER = 1;

    // poll.h / eventfd.h
    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;

    // mman.h
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;

    // stat.h
    public static final int S_IFMT = 0xF000;
    public static final int S_IFCHR = 0x2000;
    public static final int S_IFSOCK = 0xC000;
}
