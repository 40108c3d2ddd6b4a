// Builds the gratuitous ARP, RARP and unsolicited NA frames for a master's MAC and addresses (pure, no I/O).
package dev.tapover.announce;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

import org.pcap4j.packet.ArpPacket;
import org.pcap4j.packet.Dot1qVlanTagPacket;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IcmpV6CommonPacket.IpV6NeighborDiscoveryOption;
import org.pcap4j.packet.IcmpV6NeighborAdvertisementPacket;
import org.pcap4j.packet.IpV6NeighborDiscoveryTargetLinkLayerAddressOption;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.IpV6SimpleFlowLabel;
import org.pcap4j.packet.IpV6SimpleTrafficClass;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.namednumber.ArpHardwareType;
import org.pcap4j.packet.namednumber.ArpOperation;
import org.pcap4j.packet.namednumber.EtherType;
import org.pcap4j.packet.namednumber.IcmpV6Code;
import org.pcap4j.packet.namednumber.IcmpV6Type;
import org.pcap4j.packet.namednumber.IpNumber;
import org.pcap4j.packet.namednumber.IpVersion;
import org.pcap4j.util.MacAddress;

/**
 * The frames of one announcement plan, built once with pcap4j's packet builders and kept as bytes so a
 * burst only has to hand them to the link.
 *
 * <pre>
 * Ethernet  dst(6) src(6)=master MAC [0x8100 PCP/DEI/VID(2)] type(2)          padded to 60 bytes
 * ARP       htype=1 ptype=0x0800 hlen=6 plen=4 op(2) sha(6) spa(4) tha(6) tpa(4)
 *           request: dst ff:ff:ff:ff:ff:ff op=1 sha=MAC spa=tpa=address tha=00:00:00:00:00:00
 *           request-broadcast: as request with tha=ff:ff:ff:ff:ff:ff
 *           reply:   dst ff:ff:ff:ff:ff:ff op=2 sha=tha=MAC spa=tpa=address (Linux needs tha=sha)
 * RARP      type 0x8035, op=3, sha=tha=MAC, spa=tpa=0.0.0.0                   (QEMU announce-self)
 * NA        dst 33:33:00:00:00:01, IPv6 src=address dst=ff02::1 hop limit 255,
 *           ICMPv6 type 136 code 0 checksum, flags R=0 S=0 O=1, target=address,
 *           option 2 (target link-layer address) len 1 = MAC                   (86 bytes untagged)
 * </pre>
 *
 * One {@link Segment} per VLAN (or the untagged one) lists the addresses that live there. A segment
 * without any address gets one RARP frame when {@code rarpWhenNoAddress} is set, so switches still
 * learn the MAC there.
 */
public final class AnnouncementFrames {
    /** The VLAN id of untagged frames. */
    public static final int UNTAGGED = 0;

    private static final MacAddress BROADCAST = MacAddress.ETHER_BROADCAST_ADDRESS;
    private static final MacAddress ZERO = MacAddress.getByAddress(new byte[6]);
    private static final MacAddress ALL_NODES_MAC = MacAddress.getByName("33:33:00:00:00:01");
    private static final Inet6Address ALL_NODES = (Inet6Address) literal("ff02::1");
    private static final Inet4Address ANY4 = (Inet4Address) literal("0.0.0.0");

    /** Addresses that live on one VLAN ({@link #UNTAGGED} for none). */
    public record Segment(int vlan, List<InetAddress> addresses) {
        public Segment {
            checkVlan(vlan);
            addresses = List.copyOf(addresses);
        }

        public static Segment untagged(List<InetAddress> addresses) {
            return new Segment(UNTAGGED, addresses);
        }
    }

    /** One pre-built frame; {@code address} is null for RARP. */
    public record Frame(FrameKind kind, int vlan, InetAddress address, byte[] bytes) {
        @Override
        public String toString() {
            return kind + (vlan == UNTAGGED ? "" : " vlan " + vlan)
                    + (address == null ? "" : " " + address.getHostAddress()) + " (" + bytes.length + " bytes)";
        }
    }

    private final ArpForm form;
    private final List<Frame> evenArpRound;
    private final List<Frame> oddArpRound;
    private final List<Frame> naRound;

    private AnnouncementFrames(ArpForm form, List<Frame> even, List<Frame> odd, List<Frame> na) {
        this.form = form;
        this.evenArpRound = List.copyOf(even);
        this.oddArpRound = List.copyOf(odd);
        this.naRound = List.copyOf(na);
    }

    /**
     * Builds every frame a burst can need. Multicast, loopback and unspecified addresses are left out:
     * they are never announced.
     */
    public static AnnouncementFrames plan(byte[] masterMac, Collection<Segment> segments, ArpForm form,
            boolean rarpWhenNoAddress) {
        Objects.requireNonNull(form, "form");
        MacAddress mac = mac(masterMac);
        List<Frame> even = new ArrayList<>();
        List<Frame> odd = new ArrayList<>();
        List<Frame> na = new ArrayList<>();
        for (Segment segment : segments) {
            List<Inet4Address> v4 = new ArrayList<>();
            List<Inet6Address> v6 = new ArrayList<>();
            for (InetAddress address : segment.addresses()) {
                if (!announceable(address)) {
                    continue;
                }
                if (address instanceof Inet4Address) {
                    v4.add((Inet4Address) address);
                } else {
                    v6.add((Inet6Address) address);
                }
            }
            int vlan = segment.vlan();
            if (form == ArpForm.RARP || (v4.isEmpty() && v6.isEmpty() && rarpWhenNoAddress)) {
                Frame rarp = new Frame(FrameKind.RARP, vlan, null, encode(rarpPacket(mac), EtherType.RARP, vlan, BROADCAST, mac));
                even.add(rarp);
                odd.add(rarp);
            } else {
                for (Inet4Address address : v4) {
                    even.add(arpFrame(form.forRound(0), mac, address, vlan));
                    odd.add(arpFrame(form.forRound(1), mac, address, vlan));
                }
            }
            for (Inet6Address address : v6) {
                na.add(new Frame(FrameKind.NEIGHBOR_ADVERTISEMENT, vlan, address, neighborAdvertisement(mac, address, vlan)));
            }
        }
        return new AnnouncementFrames(form, even, odd, na);
    }

    /** The ARP (or RARP) frames of round {@code round} (0-based) of a burst. */
    public List<Frame> arpRound(int round) {
        return round % 2 == 0 ? evenArpRound : oddArpRound;
    }

    /** The neighbour advertisements of one NA round (the same every round). */
    public List<Frame> naRound() {
        return naRound;
    }

    /** Frames in every ARP round (alternate rounds differ in content, not in number). */
    public int arpFramesPerRound() {
        return evenArpRound.size();
    }

    public int naFramesPerRound() {
        return naRound.size();
    }

    public ArpForm form() {
        return form;
    }

    /** One gratuitous ARP frame of a single-frame form (request, request-broadcast, reply). */
    public static byte[] arp(ArpForm form, byte[] masterMac, Inet4Address address, int vlan) {
        return arpFrame(form, mac(masterMac), address, vlan).bytes();
    }

    /** One RARP reverse request (opcode 3) announcing the MAC alone. */
    public static byte[] rarp(byte[] masterMac, int vlan) {
        MacAddress mac = mac(masterMac);
        return encode(rarpPacket(mac), EtherType.RARP, vlan, BROADCAST, mac);
    }

    /** One unsolicited neighbour advertisement for {@code target}, to all nodes, override set. */
    public static byte[] neighborAdvertisement(byte[] masterMac, Inet6Address target, int vlan) {
        return neighborAdvertisement(mac(masterMac), target, vlan);
    }

    private static Frame arpFrame(ArpForm form, MacAddress mac, Inet4Address address, int vlan) {
        ArpOperation op;
        MacAddress targetMac;
        switch (form) {
            case REQUEST:
                op = ArpOperation.REQUEST;
                targetMac = ZERO;
                break;
            case REQUEST_BROADCAST:
                op = ArpOperation.REQUEST;
                targetMac = BROADCAST;
                break;
            case REPLY:
                op = ArpOperation.REPLY;
                targetMac = mac; // Linux treats a reply as gratuitous only when tha == sha
                break;
            default:
                throw new IllegalArgumentException(form + " is not a single-frame ARP form");
        }
        ArpPacket.Builder arp = arpBuilder(op, mac, address, targetMac, address);
        return new Frame(FrameKind.of(form), vlan, address, encode(arp, EtherType.ARP, vlan, BROADCAST, mac));
    }

    private static ArpPacket.Builder rarpPacket(MacAddress mac) {
        return arpBuilder(ArpOperation.REQUEST_REVERSE, mac, ANY4, mac, ANY4);
    }

    private static ArpPacket.Builder arpBuilder(ArpOperation op, MacAddress sha, Inet4Address spa, MacAddress tha,
            Inet4Address tpa) {
        return new ArpPacket.Builder()
                .hardwareType(ArpHardwareType.ETHERNET)
                .protocolType(EtherType.IPV4)
                .hardwareAddrLength((byte) MacAddress.SIZE_IN_BYTES)
                .protocolAddrLength((byte) 4)
                .operation(op)
                .srcHardwareAddr(sha)
                .srcProtocolAddr(spa)
                .dstHardwareAddr(tha)
                .dstProtocolAddr(tpa);
    }

    private static byte[] neighborAdvertisement(MacAddress mac, Inet6Address target, int vlan) {
        IpV6NeighborDiscoveryTargetLinkLayerAddressOption tlla = new IpV6NeighborDiscoveryTargetLinkLayerAddressOption.Builder()
                .linkLayerAddress(mac.getAddress())
                .correctLengthAtBuild(true)
                .build();
        IcmpV6NeighborAdvertisementPacket.Builder na = new IcmpV6NeighborAdvertisementPacket.Builder()
                .routerFlag(false)
                .solicitedFlag(false)
                .overrideFlag(true)
                .reserved(0)
                .targetAddress(target)
                .options(List.<IpV6NeighborDiscoveryOption>of(tlla));
        IcmpV6CommonPacket.Builder icmp = new IcmpV6CommonPacket.Builder()
                .type(IcmpV6Type.NEIGHBOR_ADVERTISEMENT)
                .code(IcmpV6Code.NO_CODE)
                .srcAddr(target)
                .dstAddr(ALL_NODES)
                .payloadBuilder(na)
                .correctChecksumAtBuild(true);
        IpV6Packet.Builder ip = new IpV6Packet.Builder()
                .version(IpVersion.IPV6)
                .trafficClass(IpV6SimpleTrafficClass.newInstance((byte) 0))
                .flowLabel(IpV6SimpleFlowLabel.newInstance(0))
                .nextHeader(IpNumber.ICMPV6)
                .hopLimit((byte) 255)
                .srcAddr(target) // the kernel's unsolicited NA uses the target as source too
                .dstAddr(ALL_NODES)
                .payloadBuilder(icmp)
                .correctLengthAtBuild(true);
        return encode(ip, EtherType.IPV6, vlan, ALL_NODES_MAC, mac);
    }

    /** Wraps a payload in Ethernet (and 802.1Q when {@code vlan} is not untagged), padded to 60 bytes. */
    private static byte[] encode(Packet.Builder payload, EtherType type, int vlan, MacAddress dst, MacAddress src) {
        EthernetPacket.Builder ether = new EthernetPacket.Builder()
                .dstAddr(dst)
                .srcAddr(src)
                .paddingAtBuild(true);
        if (vlan == UNTAGGED) {
            ether.type(type).payloadBuilder(payload);
        } else {
            ether.type(EtherType.DOT1Q_VLAN_TAGGED_FRAMES).payloadBuilder(new Dot1qVlanTagPacket.Builder()
                    .priority((byte) 0)
                    .cfi(false)
                    .vid((short) vlan)
                    .type(type)
                    .payloadBuilder(payload));
        }
        return ether.build().getRawData();
    }

    private static boolean announceable(InetAddress address) {
        return !(address.isMulticastAddress() || address.isLoopbackAddress() || address.isAnyLocalAddress());
    }

    private static MacAddress mac(byte[] mac) {
        if (mac == null || mac.length != MacAddress.SIZE_IN_BYTES) {
            throw new IllegalArgumentException("master MAC must be 6 bytes");
        }
        if ((mac[0] & 1) != 0) {
            throw new IllegalArgumentException("master MAC " + MacAddress.getByAddress(mac) + " is a multicast address");
        }
        return MacAddress.getByAddress(mac);
    }

    static void checkVlan(int vlan) {
        if (vlan != UNTAGGED && (vlan < 1 || vlan > 4094)) {
            throw new IllegalArgumentException("VLAN id " + vlan + " is outside 1..4094");
        }
    }

    private static InetAddress literal(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
