// Golden-file and layout tests of the announcement frames (each golden is also decoded by tshark elsewhere).
package dev.tapover.announce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

import dev.tapover.announce.AnnouncementFrames.Frame;
import dev.tapover.announce.AnnouncementFrames.Segment;
import org.junit.jupiter.api.Test;

class AnnouncementFramesTest {
    static final byte[] MAC = HexFormat.ofDelimiter(":").parseHex("02:00:5e:00:53:01");
    static final Inet4Address V4 = (Inet4Address) ip("192.0.2.1");
    static final Inet6Address V6 = (Inet6Address) ip("2001:db8::1");

    static InetAddress ip(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private static List<byte[]> bytes(List<Frame> frames) {
        return frames.stream().map(Frame::bytes).collect(Collectors.toList());
    }

    @Test
    void arpRequest() {
        byte[] frame = AnnouncementFrames.arp(ArpForm.REQUEST, MAC, V4, AnnouncementFrames.UNTAGGED);
        // Written out by hand from RFC 826 / RFC 5227 section 3, independent of pcap4j.
        byte[] expected = HexFormat.of().parseHex(
                "ffffffffffff" + "02005e005301" + "0806"
                + "0001" + "0800" + "06" + "04" + "0001"
                + "02005e005301" + "c0000201" + "000000000000" + "c0000201"
                + "000000000000000000000000000000000000");
        assertArrayEquals(expected, frame);
        Golden.assertMatches("arpRequest", List.of(frame));
    }

    @Test
    void arpRequestBroadcast() {
        byte[] frame = AnnouncementFrames.arp(ArpForm.REQUEST_BROADCAST, MAC, V4, AnnouncementFrames.UNTAGGED);
        assertEquals(60, frame.length);
        assertEquals("0001", hex(frame, 20, 2), "opcode");
        assertEquals("ffffffffffff", hex(frame, 32, 6), "target MAC");
        Golden.assertMatches("arpRequestBroadcast", List.of(frame));
    }

    @Test
    void arpReply() {
        byte[] frame = AnnouncementFrames.arp(ArpForm.REPLY, MAC, V4, AnnouncementFrames.UNTAGGED);
        assertEquals("ffffffffffff", hex(frame, 0, 6), "broadcast destination");
        assertEquals("0002", hex(frame, 20, 2), "opcode");
        assertEquals("02005e005301", hex(frame, 32, 6), "target MAC = sender MAC, as Linux wants for a gratuitous reply");
        assertEquals(hex(frame, 28, 4), hex(frame, 38, 4), "sender IP = target IP");
        Golden.assertMatches("arpReply", List.of(frame));
    }

    @Test
    void arpAlternate() {
        AnnouncementFrames plan = AnnouncementFrames.plan(MAC, List.of(Segment.untagged(List.of(V4))), ArpForm.ALTERNATE, true);
        List<byte[]> rounds = List.of(plan.arpRound(0).get(0).bytes(), plan.arpRound(1).get(0).bytes(),
                plan.arpRound(2).get(0).bytes());
        assertEquals(FrameKind.ARP_REQUEST, plan.arpRound(0).get(0).kind());
        assertEquals(FrameKind.ARP_REPLY, plan.arpRound(1).get(0).kind());
        assertArrayEquals(AnnouncementFrames.arp(ArpForm.REQUEST, MAC, V4, 0), rounds.get(0));
        assertArrayEquals(AnnouncementFrames.arp(ArpForm.REPLY, MAC, V4, 0), rounds.get(1));
        Golden.assertMatches("arpAlternate", rounds);
    }

    @Test
    void rarp() {
        byte[] frame = AnnouncementFrames.rarp(MAC, AnnouncementFrames.UNTAGGED);
        byte[] expected = HexFormat.of().parseHex(
                "ffffffffffff" + "02005e005301" + "8035"
                + "0001" + "0800" + "06" + "04" + "0003"
                + "02005e005301" + "00000000" + "02005e005301" + "00000000"
                + "000000000000000000000000000000000000");
        assertArrayEquals(expected, frame);
        Golden.assertMatches("rarp", List.of(frame));
    }

    @Test
    void neighborAdvertisement() {
        byte[] frame = AnnouncementFrames.neighborAdvertisement(MAC, V6, AnnouncementFrames.UNTAGGED);
        assertEquals(86, frame.length);
        assertEquals("333300000001", hex(frame, 0, 6));
        assertEquals("86dd", hex(frame, 12, 2));
        assertEquals("3a", hex(frame, 20, 1), "next header ICMPv6");
        assertEquals("ff", hex(frame, 21, 1), "hop limit 255");
        assertEquals("ff020000000000000000000000000001", hex(frame, 38, 16), "to all nodes");
        assertEquals("88", hex(frame, 54, 1), "type 136");
        assertEquals("20", hex(frame, 58, 1), "R=0 S=0 O=1");
        assertEquals("020102005e005301", hex(frame, 78, 8), "target link-layer address option");
        assertEquals(0, internetChecksum(frame), "ICMPv6 checksum verifies");
        Golden.assertMatches("neighborAdvertisement", List.of(frame));
    }

    @Test
    void vlanTagged() {
        AnnouncementFrames plan = AnnouncementFrames.plan(MAC, List.of(
                Segment.untagged(List.of(V4)),
                new Segment(100, List.of(ip("198.51.100.1"), ip("2001:db8:100::1")))), ArpForm.REQUEST, true);
        List<Frame> arp = plan.arpRound(0);
        assertEquals(2, arp.size());
        assertEquals(100, arp.get(1).vlan());
        byte[] tagged = arp.get(1).bytes();
        assertEquals("8100" + "0064" + "0806", hex(tagged, 12, 6), "802.1Q tag, VID 100, then ARP");
        assertEquals(60, tagged.length);
        assertEquals(1, plan.naFramesPerRound());
        byte[] na = plan.naRound().get(0).bytes();
        assertEquals(90, na.length);
        Golden.assertMatches("vlanTagged", List.of(arp.get(0).bytes(), tagged, na));
    }

    @Test
    void rarpFormIgnoresAddressesAndIsOnePerSegment() {
        AnnouncementFrames plan = AnnouncementFrames.plan(MAC, List.of(Segment.untagged(List.of(V4, V6)),
                new Segment(7, List.of(ip("203.0.113.7")))), ArpForm.RARP, true);
        assertEquals(2, plan.arpFramesPerRound());
        assertEquals(FrameKind.RARP, plan.arpRound(0).get(0).kind());
        assertNull(plan.arpRound(0).get(0).address());
        assertArrayEquals(AnnouncementFrames.rarp(MAC, 7), plan.arpRound(1).get(1).bytes());
        assertEquals(1, plan.naFramesPerRound(), "IPv6 addresses still get an NA");
    }

    @Test
    void segmentWithoutAddressGetsRarpOnlyWhenAsked() {
        List<Segment> l2only = List.of(Segment.untagged(List.of()), new Segment(42, List.of()));
        AnnouncementFrames with = AnnouncementFrames.plan(MAC, l2only, ArpForm.REQUEST, true);
        assertEquals(2, with.arpFramesPerRound());
        assertTrue(with.arpRound(0).stream().allMatch(f -> f.kind() == FrameKind.RARP));
        AnnouncementFrames without = AnnouncementFrames.plan(MAC, l2only, ArpForm.REQUEST, false);
        assertEquals(0, without.arpFramesPerRound());
        assertEquals(0, without.naFramesPerRound());
    }

    @Test
    void everyAddressOfEveryFamilyIsAnnouncedButNeverMulticastLoopbackOrAny() {
        AnnouncementFrames plan = AnnouncementFrames.plan(MAC, List.of(Segment.untagged(List.of(
                V4, ip("192.0.2.9"), V6, ip("fe80::1"), ip("224.0.0.1"), ip("127.0.0.1"), ip("0.0.0.0"),
                ip("ff02::1"), ip("::1"), ip("::")))), ArpForm.REQUEST_BROADCAST, true);
        assertEquals(List.of("192.0.2.1", "192.0.2.9"), plan.arpRound(0).stream()
                .map(f -> f.address().getHostAddress()).collect(Collectors.toList()));
        assertEquals(List.of("2001:db8:0:0:0:0:0:1", "fe80:0:0:0:0:0:0:1"), plan.naRound().stream()
                .map(f -> f.address().getHostAddress()).collect(Collectors.toList()));
        assertTrue(plan.arpRound(1).stream().allMatch(f -> f.kind() == FrameKind.ARP_REQUEST_BROADCAST));
    }

    @Test
    void everyFrameCarriesTheMasterMacAsSource() {
        AnnouncementFrames plan = AnnouncementFrames.plan(MAC, List.of(Segment.untagged(List.of(V4, V6)),
                new Segment(4094, List.of(ip("198.51.100.2")))), ArpForm.ALTERNATE, true);
        for (List<Frame> round : List.of(plan.arpRound(0), plan.arpRound(1), plan.naRound())) {
            for (Frame frame : round) {
                assertEquals("02005e005301", hex(frame.bytes(), 6, 6), frame.toString());
            }
        }
    }

    @Test
    void invalidInputIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Segment(4095, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new Segment(-1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> AnnouncementFrames.rarp(new byte[5], 0));
        assertThrows(IllegalArgumentException.class,
                () -> AnnouncementFrames.rarp(HexFormat.of().parseHex("01005e000001"), 0));
        assertThrows(IllegalArgumentException.class, () -> AnnouncementFrames.arp(ArpForm.ALTERNATE, MAC, V4, 0));
        assertThrows(IllegalArgumentException.class, () -> AnnouncementFrames.arp(ArpForm.RARP, MAC, V4, 0));
    }

    @Test
    void formNamesAreKebabCase() {
        assertEquals(ArpForm.REQUEST_BROADCAST, ArpForm.parse("request-broadcast"));
        assertEquals(ArpForm.RARP, ArpForm.parse(" RARP "));
        assertEquals("request-broadcast", ArpForm.REQUEST_BROADCAST.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArpForm.parse("garp"));
        assertTrue(e.getMessage().contains("request, request-broadcast, reply, alternate, rarp"), e.getMessage());
        assertEquals(Reason.FAILBACK, Reason.parse("failback"));
    }

    static String hex(byte[] frame, int offset, int length) {
        return HexFormat.of().formatHex(frame, offset, offset + length);
    }

    /** RFC 1071 sum over the IPv6 pseudo-header and the ICMPv6 message of an untagged NA: 0 when valid. */
    private static int internetChecksum(byte[] frame) {
        int icmpOffset = 54;
        int icmpLength = frame.length - icmpOffset;
        long sum = 0;
        for (int i = 22; i < 54; i += 2) { // source and destination addresses
            sum += ((frame[i] & 0xff) << 8) | (frame[i + 1] & 0xff);
        }
        sum += icmpLength + 58;
        for (int i = icmpOffset; i < frame.length; i += 2) {
            int lo = i + 1 < frame.length ? frame[i + 1] & 0xff : 0;
            sum += ((frame[i] & 0xff) << 8) | lo;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
