// Golden-fixture tests of the rtnetlink codec: real kernel messages decoded, requests encoded byte for byte.
package dev.tapover.netlink;

import static dev.tapover.netlink.Fixtures.datagrams;
import static dev.tapover.netlink.Fixtures.direct;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

class RtnlCodecTest {
    private final NlMsg msg = new NlMsg();
    private final RtAttr attr = new RtAttr();

    @Test
    void linkDumpDecodesEveryLinkAndEndsWithDone() throws Exception {
        List<LinkInfo> links = new ArrayList<>();
        boolean done = false;
        for (byte[] d : datagrams("link-dump.hex")) {
            msg.wrap(direct(d), 0, d.length);
            while (msg.next()) {
                assertEquals(1, msg.seq());
                assertTrue((msg.flags() & Rtnl.NLM_F_MULTI) != 0, "dump answers are multi-part");
                assertFalse(msg.dumpInterrupted());
                if (msg.type() == Rtnl.NLMSG_DONE) {
                    assertEquals(0, msg.status());
                    done = true;
                } else {
                    LinkMessage m = RtnlCodec.decodeLink(msg, attr);
                    assertEquals(Rtnl.AF_UNSPEC, m.family());
                    assertEquals(Rtnl.IFLA_EVENT_NONE, m.event());
                    links.add(m.link());
                }
            }
        }
        assertTrue(done);
        assertEquals(List.of("lo", "tovfx1", "tovfx0"), links.stream().map(LinkInfo::name).toList());

        LinkInfo lo = links.get(0);
        assertEquals(1, lo.ifindex());
        assertEquals(772, lo.arphrdType(), "ARPHRD_LOOPBACK");
        assertEquals(65536, lo.mtu());
        assertEquals(Rtnl.IF_OPER_UNKNOWN, lo.operstate());
        assertTrue(lo.adminUp() && lo.carrier() && lo.running());
        assertEquals(Rtnl.IFF_LOOPBACK, lo.flags() & Rtnl.IFF_LOOPBACK);

        LinkInfo fx0 = links.get(2);
        assertEquals(3, fx0.ifindex());
        assertEquals(1, fx0.arphrdType(), "ARPHRD_ETHER");
        assertEquals(HardwareAddress.parse("02:00:00:00:f0:00"), fx0.address());
        assertEquals(1400, fx0.mtu());
        assertEquals(Rtnl.IF_OPER_UP, fx0.operstate());
        assertEquals(1, fx0.carrierAttr());
        assertTrue(fx0.carrierChanges() >= 1, "IFLA_CARRIER_CHANGES present");
        assertEquals(0x11043, fx0.flags(), "UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP");
        assertTrue(fx0.adminUp() && fx0.carrier());
        assertEquals(HardwareAddress.parse("02:00:00:00:f0:01"), links.get(1).address());
    }

    @Test
    void vethCarrierLossAndReturn() {
        List<LinkMessage> ms = Fixtures.linkMessages("veth-carrier.hex");
        assertEquals(5, ms.size());
        // tovfx1 set down: admin and carrier off; tovfx0 then loses carrier but stays up
        assertEquals("tovfx1", ms.get(0).link().name());
        assertFalse(ms.get(0).link().adminUp());
        assertEquals("tovfx0", ms.get(1).link().name());
        assertTrue(ms.get(1).link().adminUp());
        assertFalse(ms.get(1).link().carrier());
        assertEquals(0, ms.get(1).link().carrierAttr());
        assertEquals(Rtnl.IF_OPER_LOWERLAYERDOWN, ms.get(1).link().operstate());
        // and regains it
        LinkInfo back = ms.get(4).link();
        assertEquals("tovfx0", back.name());
        assertTrue(back.carrier());
        assertEquals(Rtnl.IF_OPER_UP, back.operstate());
        assertTrue(back.carrierChanges() > ms.get(1).link().carrierChanges());
    }

    @Test
    void renameKeepsTheIndex() {
        List<String> names = Fixtures.linkMessages("rename.hex").stream()
                .filter(m -> m.link().ifindex() == 3).map(m -> m.link().name()).toList();
        assertEquals(List.of("tovfx0", "tovfx9", "tovfx0", "tovfx0", "tovfx0"), names);
    }

    @Test
    void macChange() {
        List<LinkMessage> ms = Fixtures.linkMessages("mac-change.hex");
        assertEquals(1, ms.size());
        assertEquals(HardwareAddress.parse("02:00:00:00:f0:0a"), ms.get(0).link().address());
    }

    @Test
    void addressAddAndRemove() throws Exception {
        List<AddressMessage> ms = Fixtures.addressMessages("address-add-remove.hex");
        assertEquals(4, ms.size());
        IfAddress v4 = ms.get(0).address();
        assertFalse(ms.get(0).deleted());
        assertEquals(Rtnl.AF_INET, v4.family());
        assertEquals(InetAddress.getByName("192.0.2.1"), v4.address());
        assertEquals(24, v4.prefixLength());
        assertEquals(3, v4.ifindex());
        assertEquals(Rtnl.RT_SCOPE_UNIVERSE, v4.scope());
        assertEquals("tovfx0", v4.label());
        assertEquals(Rtnl.IFA_F_PERMANENT, v4.flags());
        assertEquals("192.0.2.1/24", v4.cidr());

        IfAddress v6 = ms.get(1).address();
        assertEquals(Rtnl.AF_INET6, v6.family());
        assertEquals(InetAddress.getByName("2001:db8::1"), v6.address());
        assertEquals(64, v6.prefixLength());
        assertEquals(Rtnl.IFA_F_PERMANENT | Rtnl.IFA_F_NODAD, v6.flags());
        assertFalse(v6.tentative());
        assertNull(v6.label());

        assertTrue(ms.get(2).deleted());
        assertEquals(v4.key(), ms.get(2).address().key());
        assertTrue(ms.get(3).deleted());
        assertEquals(v6.key(), ms.get(3).address().key());
    }

    @Test
    void addressDumpHasLoopbackAndOurs() throws Exception {
        List<String> all = Fixtures.addressMessages("address-dump.hex").stream()
                .map(m -> m.address().cidr() + "@" + m.address().ifindex()).toList();
        assertEquals(List.of("127.0.0.1/8@1", "192.0.2.1/24@3", "::1/128@1", "2001:db8::1/64@3"),
                all);
    }

    @Test
    void deleteCarriesDellinkAndDeladdr() {
        List<LinkMessage> links = Fixtures.linkMessages("delete-readd.hex");
        assertEquals(List.of("NEW 3 tovfx0", "NEW 2 tovfx1", "DEL 3 tovfx0", "DEL 2 tovfx1", "NEW 4 tovfx1",
                "NEW 5 tovfx0"), links.stream().map(m -> (m.deleted() ? "DEL " : "NEW ") + m.link().ifindex()
                        + " " + m.link().name()).toList());
        List<AddressMessage> addresses = Fixtures.addressMessages("delete-readd.hex");
        assertEquals(2, addresses.size());
        assertTrue(addresses.get(1).deleted());
    }

    @Test
    void tapCarrierOff() {
        List<LinkMessage> ms = Fixtures.linkMessages("tap-carrier-off.hex");
        LinkInfo tap = ms.get(ms.size() - 1).link();
        assertEquals("tovfxtap", tap.name());
        assertTrue(tap.adminUp());
        assertFalse(tap.carrier());
        assertEquals(HardwareAddress.parse("02:00:00:00:f0:ee"), tap.address());
    }

    @Test
    void notifyPeersEvent() {
        List<LinkMessage> ms = Fixtures.linkMessages("notify-peers.hex");
        assertEquals(1, ms.size());
        assertEquals(Rtnl.IFLA_EVENT_NOTIFY_PEERS, ms.get(0).event());
        assertEquals("tovfx1", ms.get(0).link().name());
    }

    @Test
    void unknownAttributesAndTypesAreSkipped() throws Exception {
        LinkInfo original = Fixtures.linkMessages("veth-carrier.hex").get(0).link();
        List<byte[]> ds = datagrams("unknown-attributes.hex");
        msg.wrap(direct(ds.get(0)), 0, ds.get(0).length);
        assertTrue(msg.next());
        assertEquals(original, RtnlCodec.decodeLink(msg, attr).link());
        // the appended attributes are walked with their flag bits masked off
        List<Integer> types = new ArrayList<>();
        attr.wrap(msg.buffer(), msg.payloadOffset() + RtnlCodec.IFINFOMSG_LENGTH, msg.messageEnd());
        while (attr.next()) {
            types.add(attr.type());
            if (attr.type() == 0x3ff1) {
                assertTrue(attr.nested());
            }
            if (attr.type() == 0x3ff2) {
                assertTrue(attr.networkByteOrder());
                assertEquals(7, attr.u32(), "NLA_F_NET_BYTEORDER value read big-endian");
            }
        }
        assertEquals(List.of(0x3ff0, 0x3ff1, 0x3ff2), types.subList(types.size() - 3, types.size()));
        assertFalse(msg.next());

        msg.wrap(direct(ds.get(1)), 0, ds.get(1).length);
        assertTrue(msg.next());
        assertEquals(Rtnl.RTM_NEWLINK, msg.type());
        assertTrue(msg.next());
        assertEquals(24, msg.type(), "RTM_NEWROUTE follows");
        assertFalse(msg.next());
    }

    @Test
    void truncatedMessagesAreRejectedWithTheirOffset() throws Exception {
        List<byte[]> ds = datagrams("truncated.hex");
        msg.wrap(direct(ds.get(0)), 0, ds.get(0).length);
        MalformedMessageException cut = assertThrows(MalformedMessageException.class, msg::next);
        assertEquals(0, cut.offset());
        assertTrue(cut.getMessage().contains("nlmsg_len 1496"), cut.getMessage());

        msg.wrap(direct(ds.get(1)), 0, ds.get(1).length);
        assertTrue(msg.next(), "the header itself is consistent");
        MalformedMessageException overrun = assertThrows(MalformedMessageException.class,
                () -> RtnlCodec.decodeLink(msg, attr));
        assertTrue(overrun.getMessage().contains("rta_len 64"), overrun.getMessage());
    }

    @Test
    void shortPayloadsAreRejected() {
        byte[] d = HexFormat.of().parseHex("1400000010000000000000000000000000000000"); // NEWLINK, 4-byte body
        msg.wrap(direct(d), 0, d.length);
        assertThrows(MalformedMessageException.class, () -> {
            msg.next();
            RtnlCodec.decodeLink(msg, attr);
        });
        byte[] e = HexFormat.of().parseHex("10000000020000000100000000000000"); // NLMSG_ERROR, no status
        msg.wrap(direct(e), 0, e.length);
        assertThrows(MalformedMessageException.class, () -> {
            msg.next();
            msg.status();
        });
    }

    @Test
    void encodesAddressRequestsLikeIproute2() throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
        RtnlCodec.putAddressRequest(buf, 5, true, 7, InetAddress.getByName("192.0.2.1"), 24, 0);
        assertEquals("28000000" + "1400" + "0506" + "05000000" + "00000000" // nlmsghdr: NEWADDR REQ|ACK|EXCL|CREATE
                + "02" + "18" + "00" + "00" + "07000000"                    // ifaddrmsg: AF_INET /24 ifindex 7
                + "0800" + "0200" + "c0000201"                              // IFA_LOCAL
                + "0800" + "0100" + "c0000201", hex(buf));                  // IFA_ADDRESS

        buf.clear();
        RtnlCodec.putAddressRequest(buf, 6, false, 7, InetAddress.getByName("2001:db8::1"), 64, 0);
        assertEquals("40000000" + "1500" + "0500" + "06000000" + "00000000"
                + "0a" + "40" + "00" + "00" + "07000000"
                + "1400" + "0200" + "20010db8000000000000000000000001"
                + "1400" + "0100" + "20010db8000000000000000000000001", hex(buf));

        buf.clear();
        RtnlCodec.putAddressRequest(buf, 8, true, 7, InetAddress.getByName("2001:db8::2"), 64, Rtnl.IFA_F_NODAD);
        assertEquals("48000000" + "1400" + "0506" + "08000000" + "00000000"
                + "0a" + "40" + "02" + "00" + "07000000"
                + "1400" + "0200" + "20010db8000000000000000000000002"
                + "1400" + "0100" + "20010db8000000000000000000000002"
                + "0800" + "0800" + "02000000", hex(buf));

        assertThrows(IllegalArgumentException.class, () -> RtnlCodec.putAddressRequest(ByteBuffer.allocate(128), 1,
                true, 7, InetAddress.getByName("192.0.2.1"), 33, 0));
    }

    @Test
    void encodesDumpRequests() {
        ByteBuffer buf = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
        RtnlCodec.putLinkDumpRequest(buf, 9);
        assertEquals("20000000" + "1200" + "0103" + "09000000" + "00000000" + "00".repeat(16), hex(buf));
        buf.clear();
        RtnlCodec.putAddressDumpRequest(buf, 10, Rtnl.AF_UNSPEC);
        assertEquals("18000000" + "1600" + "0103" + "0a000000" + "00000000" + "00".repeat(8), hex(buf));
    }

    @Test
    void readsErrorStatusAndExtendedAck() throws Exception {
        // NLMSG_ERROR -EEXIST with NLM_F_CAPPED | NLM_F_ACK_TLVS: status, request header, NLMSGERR_ATTR_MSG
        ByteBuffer buf = ByteBuffer.allocateDirect(128).order(ByteOrder.nativeOrder());
        byte[] text = "Address already assigned\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int attrLen = 4 + text.length;
        int len = 16 + 4 + 16 + NlMsg.align(attrLen);
        buf.putInt(len).putShort((short) Rtnl.NLMSG_ERROR).putShort((short) 0x300).putInt(5).putInt(0);
        buf.putInt(-17);
        buf.putInt(40).putShort((short) Rtnl.RTM_NEWADDR).putShort((short) 0x605).putInt(5).putInt(0);
        buf.putShort((short) attrLen).putShort((short) Rtnl.NLMSGERR_ATTR_MSG).put(text);
        msg.wrap(buf, 0, len);
        assertTrue(msg.next());
        assertEquals(-17, msg.status());
        assertEquals("Address already assigned", msg.extendedAckMessage(attr));
        NetlinkException e = NetlinkException.refused("RTM_NEWADDR 192.0.2.1/24 on ifindex 7", 17,
                msg.extendedAckMessage(attr));
        assertEquals("RTM_NEWADDR 192.0.2.1/24 on ifindex 7 failed: EEXIST (File exists): Address already assigned",
                e.getMessage());
    }

    @Test
    void formatsIpv6LikeIp() throws Exception {
        assertEquals("2001:db8::1", IfAddress.format(InetAddress.getByName("2001:db8::1")));
        assertEquals("::1", IfAddress.format(InetAddress.getByName("::1")));
        assertEquals("::", IfAddress.format(InetAddress.getByName("::")));
        assertEquals("fe80::", IfAddress.format(InetAddress.getByName("fe80::")));
        assertEquals("2001:db8:0:1::1", IfAddress.format(InetAddress.getByName("2001:db8:0:1:0:0:0:1")));
        assertEquals("2001:db8::1:0:0:1", IfAddress.format(InetAddress.getByName("2001:db8:0:0:1:0:0:1")));
        assertEquals("2001:db8:1:1:1:1:1:1", IfAddress.format(InetAddress.getByName("2001:db8:1:1:1:1:1:1")));
        assertEquals("192.0.2.1", IfAddress.format(InetAddress.getByName("192.0.2.1")));
    }

    private static String hex(ByteBuffer buf) {
        byte[] out = new byte[buf.position()];
        buf.get(0, out);
        return HexFormat.of().formatHex(out);
    }
}
