// Decodes rtnetlink link and address messages in place and encodes the few requests tapover sends.
package dev.tapover.netlink;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The rtnetlink codec. Decoding reads from an {@link NlMsg} positioned on a message (flyweight, native byte
 * order) and returns a small value; encoding writes requests into a buffer at its position.
 *
 * <pre>
 * RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK: nlmsghdr, then
 * struct ifinfomsg (16 bytes)
 *  0          1      2          4           8           12          16
 *  | family   | pad  | ifi_type | ifi_index | ifi_flags | ifi_change | rtattr ... (IFLA_*)
 *    u8         u8     u16        s32         u32         u32
 *
 * RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR: nlmsghdr, then
 * struct ifaddrmsg (8 bytes)
 *  0          1            2           3           4           8
 *  | family   | prefixlen  | ifa_flags | ifa_scope | ifa_index | rtattr ... (IFA_*)
 *    u8         u8           u8          u8          u32
 *
 * Attributes used (all others are skipped):
 *   IFLA_ADDRESS 1, IFLA_PERM_ADDRESS 54 : bytes        IFLA_IFNAME 3 : NUL-terminated string
 *   IFLA_MTU 4, IFLA_CARRIER_CHANGES 35, IFLA_EVENT 44 : u32
 *   IFLA_OPERSTATE 16, IFLA_CARRIER 33 : u8
 *   IFA_ADDRESS 1, IFA_LOCAL 2 : 4 or 16 bytes   IFA_LABEL 3 : string   IFA_FLAGS 8 : u32
 * </pre>
 */
public final class RtnlCodec {
    public static final int IFINFOMSG_LENGTH = 16;
    public static final int IFADDRMSG_LENGTH = 8;

    private RtnlCodec() {
    }

    /** Decodes the RTM_NEWLINK / RTM_DELLINK the cursor is on. */
    public static LinkMessage decodeLink(NlMsg msg, RtAttr attr) throws MalformedMessageException {
        int type = msg.type();
        if (type != Rtnl.RTM_NEWLINK && type != Rtnl.RTM_DELLINK) {
            throw new MalformedMessageException("not a link message: " + Rtnl.typeName(type), msg.offset());
        }
        if (msg.payloadLength() < IFINFOMSG_LENGTH) {
            throw new MalformedMessageException(Rtnl.typeName(type) + " shorter than ifinfomsg ("
                    + msg.payloadLength() + " of 16 bytes)", msg.offset());
        }
        ByteBuffer buf = msg.buffer();
        int p = msg.payloadOffset();
        int family = buf.get(p) & 0xff;
        int arphrd = buf.getShort(p + 2) & 0xffff;
        int index = buf.getInt(p + 4);
        int flags = buf.getInt(p + 8);
        String name = null;
        HardwareAddress address = null;
        HardwareAddress perm = null;
        int mtu = -1;
        int operstate = -1;
        int carrier = -1;
        int carrierChanges = -1;
        int event = Rtnl.IFLA_EVENT_NONE;
        attr.wrap(buf, p + IFINFOMSG_LENGTH, msg.messageEnd());
        while (attr.next()) {
            switch (attr.type()) {
                case Rtnl.IFLA_IFNAME: name = attr.string(); break;
                case Rtnl.IFLA_ADDRESS: address = HardwareAddress.of(attr.bytes()); break;
                case Rtnl.IFLA_PERM_ADDRESS: perm = HardwareAddress.of(attr.bytes()); break;
                case Rtnl.IFLA_MTU: mtu = attr.u32(); break;
                case Rtnl.IFLA_OPERSTATE: operstate = attr.u8(); break;
                case Rtnl.IFLA_CARRIER: carrier = attr.u8(); break;
                case Rtnl.IFLA_CARRIER_CHANGES: carrierChanges = attr.u32(); break;
                case Rtnl.IFLA_EVENT: event = attr.u32(); break;
                default: break;
            }
        }
        if (index <= 0) {
            throw new MalformedMessageException(Rtnl.typeName(type) + " with ifindex " + index, msg.offset());
        }
        if (name == null && type == Rtnl.RTM_NEWLINK) {
            throw new MalformedMessageException("RTM_NEWLINK for ifindex " + index + " without IFLA_IFNAME",
                    msg.offset());
        }
        LinkInfo link = new LinkInfo(index, name, arphrd, flags, address, perm, mtu, operstate, carrier,
                carrierChanges);
        return new LinkMessage(type, family, link, event);
    }

    /**
     * Decodes the RTM_NEWADDR / RTM_DELADDR the cursor is on.
     *
     * @return the message, or null for a family other than IPv4/IPv6
     */
    public static AddressMessage decodeAddress(NlMsg msg, RtAttr attr) throws MalformedMessageException {
        int type = msg.type();
        if (type != Rtnl.RTM_NEWADDR && type != Rtnl.RTM_DELADDR) {
            throw new MalformedMessageException("not an address message: " + Rtnl.typeName(type), msg.offset());
        }
        if (msg.payloadLength() < IFADDRMSG_LENGTH) {
            throw new MalformedMessageException(Rtnl.typeName(type) + " shorter than ifaddrmsg ("
                    + msg.payloadLength() + " of 8 bytes)", msg.offset());
        }
        ByteBuffer buf = msg.buffer();
        int p = msg.payloadOffset();
        int family = buf.get(p) & 0xff;
        int prefix = buf.get(p + 1) & 0xff;
        int flags = buf.get(p + 2) & 0xff;
        int scope = buf.get(p + 3) & 0xff;
        int index = buf.getInt(p + 4);
        if (family != Rtnl.AF_INET && family != Rtnl.AF_INET6) {
            return null;
        }
        int size = family == Rtnl.AF_INET ? 4 : 16;
        if (prefix > size * 8) {
            throw new MalformedMessageException("prefix length " + prefix + " for family " + family, msg.offset());
        }
        byte[] address = null;
        byte[] local = null;
        String label = null;
        attr.wrap(buf, p + IFADDRMSG_LENGTH, msg.messageEnd());
        while (attr.next()) {
            switch (attr.type()) {
                case Rtnl.IFA_ADDRESS: address = addressBytes(attr, size); break;
                case Rtnl.IFA_LOCAL: local = addressBytes(attr, size); break;
                case Rtnl.IFA_LABEL: label = attr.string(); break;
                case Rtnl.IFA_FLAGS: flags = attr.u32(); break;
                default: break;
            }
        }
        byte[] own = local != null ? local : address;
        if (own == null) {
            throw new MalformedMessageException(Rtnl.typeName(type) + " without IFA_LOCAL or IFA_ADDRESS",
                    msg.offset());
        }
        if (index <= 0) {
            throw new MalformedMessageException(Rtnl.typeName(type) + " with ifindex " + index, msg.offset());
        }
        return new AddressMessage(type, new IfAddress(index, family, inet(own), prefix, scope, flags, label));
    }

    private static byte[] addressBytes(RtAttr attr, int size) throws MalformedMessageException {
        if (attr.valueLength() != size) {
            throw new MalformedMessageException("address attribute of " + attr.valueLength() + " bytes, expected "
                    + size, attr.valueOffset() - RtAttr.HEADER_LENGTH);
        }
        return attr.bytes();
    }

    private static InetAddress inet(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes always make an address", e);
        }
    }

    // ---- encoding ----------------------------------------------------------------------------------------

    /** Writes an RTM_GETLINK dump request (all links) at the buffer's position. */
    public static void putLinkDumpRequest(ByteBuffer buf, int seq) {
        int start = startMessage(buf, Rtnl.RTM_GETLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, seq);
        buf.put((byte) Rtnl.AF_UNSPEC).put((byte) 0).putShort((short) 0).putInt(0).putInt(0).putInt(0);
        endMessage(buf, start);
    }

    /** Writes an RTM_GETADDR dump request for {@code family} (AF_UNSPEC = IPv4 and IPv6). */
    public static void putAddressDumpRequest(ByteBuffer buf, int seq, int family) {
        int start = startMessage(buf, Rtnl.RTM_GETADDR, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, seq);
        buf.put((byte) family).put((byte) 0).put((byte) 0).put((byte) 0).putInt(0);
        endMessage(buf, start);
    }

    /**
     * Writes an RTM_NEWADDR (create, fail if it exists) or RTM_DELADDR request with NLM_F_ACK, the way
     * {@code ip address add|del ADDR/PREFIX dev IF} does: IFA_LOCAL and IFA_ADDRESS both carry the address.
     *
     * @param ifaFlags IFA_F_* bits (e.g. IFA_F_NODAD), sent in IFA_FLAGS; 0 for none
     */
    public static void putAddressRequest(ByteBuffer buf, int seq, boolean add, int ifindex, InetAddress address,
            int prefixLength, int ifaFlags) {
        int family = family(address);
        int max = family == Rtnl.AF_INET ? 32 : 128;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0.." + max);
        }
        int flags = Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | (add ? Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL : 0);
        int start = startMessage(buf, add ? Rtnl.RTM_NEWADDR : Rtnl.RTM_DELADDR, flags, seq);
        buf.put((byte) family).put((byte) prefixLength).put((byte) (ifaFlags & 0xff))
                .put((byte) Rtnl.RT_SCOPE_UNIVERSE).putInt(ifindex);
        byte[] raw = address.getAddress();
        putAttribute(buf, Rtnl.IFA_LOCAL, raw);
        putAttribute(buf, Rtnl.IFA_ADDRESS, raw);
        if (ifaFlags != 0) {
            putU32Attribute(buf, Rtnl.IFA_FLAGS, ifaFlags);
        }
        endMessage(buf, start);
    }

    /** AF_INET or AF_INET6 for an address. */
    public static int family(InetAddress address) {
        if (address instanceof Inet4Address) {
            return Rtnl.AF_INET;
        }
        if (address instanceof Inet6Address) {
            return Rtnl.AF_INET6;
        }
        throw new IllegalArgumentException("not an IPv4 or IPv6 address: " + address);
    }

    private static int startMessage(ByteBuffer buf, int type, int flags, int seq) {
        buf.order(ByteOrder.nativeOrder());
        int start = buf.position();
        buf.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
        return start;
    }

    private static void endMessage(ByteBuffer buf, int start) {
        int len = buf.position() - start;
        buf.putInt(start, len);
        while (buf.position() - start < NlMsg.align(len)) {
            buf.put((byte) 0);
        }
    }

    private static void putAttribute(ByteBuffer buf, int type, byte[] value) {
        int len = RtAttr.HEADER_LENGTH + value.length;
        buf.putShort((short) len).putShort((short) type).put(value);
        for (int i = len; i < NlMsg.align(len); i++) {
            buf.put((byte) 0);
        }
    }

    private static void putU32Attribute(ByteBuffer buf, int type, int value) {
        buf.putShort((short) 8).putShort((short) type).putInt(value);
    }
}
