// Checks every golden frame with tshark, independently of the pcap4j code that wrote it.
package dev.tapover.announce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Runs in the unit tier; it fails, never skips, when tshark is missing. */
class AnnouncementFramesTsharkTest {
    private static final String MAC = "02:00:5e:00:53:01";
    private static final String[] FIELDS = {
        "frame.len", "eth.src", "eth.dst", "eth.type", "vlan.id", "vlan.etype",
        "arp.isgratuitous", "arp.opcode", "arp.src.hw_mac", "arp.dst.hw_mac", "arp.src.proto_ipv4", "arp.dst.proto_ipv4",
        "ipv6.src", "ipv6.dst", "ipv6.hlim", "icmpv6.type", "icmpv6.code",
        "icmpv6.nd.na.flag.r", "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o", "icmpv6.nd.na.target_address",
        "icmpv6.opt.type", "icmpv6.opt.linkaddr", "icmpv6.checksum.status", "_ws.expert", "_ws.malformed",
    };

    private static List<Map<String, String>> decode(String test) {
        return Tshark.fields(Golden.path(test), FIELDS);
    }

    /** Fields every frame must have; only the listed ones are compared. */
    private static void assertFields(Map<String, String> frame, String... pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            assertEquals(pairs[i + 1], frame.get(pairs[i]), pairs[i] + " in " + frame);
        }
        assertEquals(MAC, frame.get("eth.src"), "source MAC is the master's");
        assertEquals("", frame.get("_ws.expert"), "no Wireshark expert warnings: " + frame);
        assertEquals("", frame.get("_ws.malformed"), "not malformed: " + frame);
    }

    private static void assertGratuitousArp(Map<String, String> frame, String opcode, String targetMac, String ip) {
        assertFields(frame, "eth.type", "0x0806", "eth.dst", "ff:ff:ff:ff:ff:ff", "frame.len", "60",
                "arp.isgratuitous", "1", "arp.opcode", opcode, "arp.src.hw_mac", MAC, "arp.dst.hw_mac", targetMac,
                "arp.src.proto_ipv4", ip, "arp.dst.proto_ipv4", ip);
    }

    @Test
    void arpRequestIsAGratuitousRequestWithZeroTargetMac() {
        List<Map<String, String>> frames = decode("arpRequest");
        assertEquals(1, frames.size());
        assertGratuitousArp(frames.get(0), "1", "00:00:00:00:00:00", "192.0.2.1");
    }

    @Test
    void arpRequestBroadcastHasBroadcastTargetMac() {
        assertGratuitousArp(decode("arpRequestBroadcast").get(0), "1", "ff:ff:ff:ff:ff:ff", "192.0.2.1");
    }

    @Test
    void arpReplyIsAGratuitousReply() {
        assertGratuitousArp(decode("arpReply").get(0), "2", MAC, "192.0.2.1");
    }

    @Test
    void arpAlternateTurnsBetweenRequestAndReply() {
        List<Map<String, String>> frames = decode("arpAlternate");
        assertEquals(3, frames.size());
        assertGratuitousArp(frames.get(0), "1", "00:00:00:00:00:00", "192.0.2.1");
        assertGratuitousArp(frames.get(1), "2", MAC, "192.0.2.1");
        assertGratuitousArp(frames.get(2), "1", "00:00:00:00:00:00", "192.0.2.1");
    }

    @Test
    void rarpDecodesAsReverseRequest() {
        Map<String, String> frame = decode("rarp").get(0);
        assertFields(frame, "eth.type", "0x8035", "eth.dst", "ff:ff:ff:ff:ff:ff", "frame.len", "60",
                "arp.opcode", "3", "arp.src.hw_mac", MAC, "arp.dst.hw_mac", MAC,
                "arp.src.proto_ipv4", "0.0.0.0", "arp.dst.proto_ipv4", "0.0.0.0");
        assertEquals(true, Tshark.summary(Golden.path("rarp")).contains("RARP"), "Wireshark calls it RARP");
    }

    @Test
    void neighborAdvertisementIsUnsolicitedOverrideWithGoodChecksum() {
        Map<String, String> frame = decode("neighborAdvertisement").get(0);
        assertFields(frame, "eth.type", "0x86dd", "eth.dst", "33:33:00:00:00:01", "frame.len", "86",
                "ipv6.src", "2001:db8::1", "ipv6.dst", "ff02::1", "ipv6.hlim", "255",
                "icmpv6.type", "136", "icmpv6.code", "0",
                "icmpv6.nd.na.flag.r", "0", "icmpv6.nd.na.flag.s", "0", "icmpv6.nd.na.flag.o", "1",
                "icmpv6.nd.na.target_address", "2001:db8::1", "icmpv6.opt.type", "2", "icmpv6.opt.linkaddr", MAC,
                "icmpv6.checksum.status", "1");
    }

    @Test
    void vlanTaggedCopiesCarryTheirVlanId() {
        List<Map<String, String>> frames = decode("vlanTagged");
        assertEquals(3, frames.size());
        assertGratuitousArp(frames.get(0), "1", "00:00:00:00:00:00", "192.0.2.1");
        assertEquals("", frames.get(0).get("vlan.id"), "first copy is untagged");
        assertFields(frames.get(1), "eth.type", "0x8100", "vlan.id", "100", "vlan.etype", "0x0806",
                "arp.isgratuitous", "1", "arp.opcode", "1", "arp.src.proto_ipv4", "198.51.100.1",
                "arp.dst.proto_ipv4", "198.51.100.1", "frame.len", "60");
        assertFields(frames.get(2), "eth.type", "0x8100", "vlan.id", "100", "vlan.etype", "0x86dd",
                "icmpv6.type", "136", "icmpv6.nd.na.flag.o", "1", "icmpv6.checksum.status", "1",
                "icmpv6.nd.na.target_address", "2001:db8:100::1", "ipv6.hlim", "255");
    }
}
