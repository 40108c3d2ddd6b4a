// What a master without a vnet header needs from frames that arrive with offloads pending: checksums, segments.
package dev.tapover.datapath;

import java.nio.ByteBuffer;

/**
 * The lower links are always read with a virtio_net_hdr (PACKET_VNET_HDR), because the kernel hands a packet
 * socket frames whose work is left to the hardware: a TCP/UDP checksum that holds only the pseudo-header sum
 * (CHECKSUM_PARTIAL, e.g. everything a veth peer sends) and GSO/GRO super-frames of up to 64 KiB. A master
 * with a vnet header takes such frames as they are; for a master without one this class finishes the work
 * in software, as the kernel's {@code skb_checksum_help} and {@code tcp_gso_segment}/{@code __udp_gso_segment}
 * do: it completes the checksum in place, or cuts the super-frame into MSS-sized frames with their own
 * lengths, IPv4 ids, sequence numbers, flags and checksums.
 *
 * <pre>
 * struct virtio_net_hdr (10 bytes, little-endian)
 *  0       1          2         4          6            8             10
 *  | flags | gso_type | hdr_len | gso_size | csum_start | csum_offset |  frame (Ethernet header first) ...
 * </pre>
 * csum_start is counted from the start of the Ethernet frame. Not thread-safe.
 */
final class SoftwareOffload {
    static final int VNET_HDR_LEN = 10;
    static final int F_NEEDS_CSUM = 1;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_TCPV6 = 4;
    static final int GSO_UDP_L4 = 5;
    static final int GSO_ECN = 0x80;

    /** Write the frame in place (its checksum completed if it needed one). */
    static final int IN_PLACE = 0;
    /** The frame was cut into segments, each handed to the sink. */
    static final int SEGMENTED = 1;
    /** Nothing this class can do: drop the frame as {@link DropReason#OFFLOAD_UNSUPPORTED}. */
    static final int UNSUPPORTED = -1;

    private static final int ETH_P_IPV4 = 0x0800;
    private static final int ETH_P_IPV6 = 0x86dd;
    private static final int ETH_P_8021Q = 0x8100;
    private static final int ETH_P_8021AD = 0x88a8;
    private static final int IPPROTO_TCP = 6;
    private static final int IPPROTO_UDP = 17;

    /** Receives one segment: {@code length} bytes at {@code offset} of {@code buffer}. */
    interface SegmentSink {
        void segment(ByteBuffer buffer, int offset, int length);
    }

    private final ByteBuffer scratch;
    private final int scratchOffset;
    private final int scratchCapacity;

    /** Segments are built in {@code scratch} at {@code offset}, at most {@code capacity} bytes each. */
    SoftwareOffload(ByteBuffer scratch, int offset, int capacity) {
        this.scratch = scratch;
        this.scratchOffset = offset;
        this.scratchCapacity = capacity;
    }

    /**
     * Prepares the frame whose vnet header starts at {@code at} in {@code buf} ({@code length} bytes with the
     * header) for a master without a vnet header.
     *
     * @return {@link #IN_PLACE}, {@link #SEGMENTED} or {@link #UNSUPPORTED}
     */
    int prepare(ByteBuffer buf, int at, int length, SegmentSink sink) {
        int flags = buf.get(at) & 0xff;
        int gsoType = buf.get(at + 1) & 0xff;
        int gsoSize = Short.reverseBytes(buf.getShort(at + 4)) & 0xffff;
        int csumStart = Short.reverseBytes(buf.getShort(at + 6)) & 0xffff;
        int csumOffset = Short.reverseBytes(buf.getShort(at + 8)) & 0xffff;
        int frame = at + VNET_HDR_LEN;
        int frameLength = length - VNET_HDR_LEN;
        if ((gsoType & ~GSO_ECN) == GSO_NONE) {
            if ((flags & F_NEEDS_CSUM) == 0) {
                return IN_PLACE;
            }
            return completeChecksum(buf, frame, frameLength, csumStart, csumOffset) ? IN_PLACE : UNSUPPORTED;
        }
        return segment(buf, frame, frameLength, gsoType & ~GSO_ECN, gsoSize, sink) ? SEGMENTED : UNSUPPORTED;
    }

    /** skb_checksum_help: the one's complement sum from csum_start to the end of the L4 data, stored. */
    static boolean completeChecksum(ByteBuffer buf, int frame, int frameLength, int csumStart, int csumOffset) {
        int end = frame + l3End(buf, frame, frameLength);
        int start = frame + csumStart;
        int field = start + csumOffset;
        if (csumStart < 14 || field + 2 > end) {
            return false;
        }
        int sum = fold(sum(buf, start, end - start));
        int check = ~sum & 0xffff;
        buf.putShort(field, (short) (check == 0 ? 0xffff : check));
        return true;
    }

    /** Where the IP packet ends (frames may carry Ethernet padding after it), or the frame's end. */
    private static int l3End(ByteBuffer buf, int frame, int frameLength) {
        int nh = networkOffset(buf, frame, frameLength);
        if (nh < 0) {
            return frameLength;
        }
        int version = (buf.get(frame + nh) & 0xff) >>> 4;
        int end;
        if (version == 4 && nh + 20 <= frameLength) {
            end = nh + (buf.getShort(frame + nh + 2) & 0xffff);
        } else if (version == 6 && nh + 40 <= frameLength) {
            end = nh + 40 + (buf.getShort(frame + nh + 4) & 0xffff);
        } else {
            return frameLength;
        }
        return end > nh && end <= frameLength ? end : frameLength;
    }

    /** The offset of the IP header in the frame (after up to two VLAN tags), or -1 if not IP. */
    static int networkOffset(ByteBuffer buf, int frame, int frameLength) {
        int at = 12;
        for (int tags = 0; tags <= 2; tags++) {
            if (at + 2 > frameLength) {
                return -1;
            }
            int type = buf.getShort(frame + at) & 0xffff;
            if (type == ETH_P_IPV4 || type == ETH_P_IPV6) {
                return at + 2;
            }
            if (type != ETH_P_8021Q && type != ETH_P_8021AD) {
                return -1;
            }
            at += 4;
        }
        return -1;
    }

    private boolean segment(ByteBuffer buf, int frame, int frameLength, int gsoType, int mss, SegmentSink sink) {
        int nh = networkOffset(buf, frame, frameLength);
        if (nh < 0 || mss == 0 || nh + 20 > frameLength) {
            return false;
        }
        int version = (buf.get(frame + nh) & 0xff) >>> 4;
        int l4;
        int protocol;
        if (version == 4) {
            int ihl = (buf.get(frame + nh) & 0x0f) * 4;
            if (ihl < 20) {
                return false;
            }
            l4 = nh + ihl;
            protocol = buf.get(frame + nh + 9) & 0xff;
        } else if (version == 6 && nh + 40 <= frameLength) {
            l4 = nh + 40;
            protocol = buf.get(frame + nh + 6) & 0xff; // extension headers before L4: not segmented here
        } else {
            return false;
        }
        boolean tcp = gsoType == GSO_TCPV4 || gsoType == GSO_TCPV6;
        if (tcp ? protocol != IPPROTO_TCP : gsoType != GSO_UDP_L4 || protocol != IPPROTO_UDP) {
            return false;
        }
        if ((gsoType == GSO_TCPV4 && version != 4) || (gsoType == GSO_TCPV6 && version != 6)) {
            return false;
        }
        if (l4 + (tcp ? 20 : 8) > frameLength) {
            return false;
        }
        int l4Header = tcp ? ((buf.get(frame + l4 + 12) & 0xf0) >>> 4) * 4 : 8;
        int headers = l4 + l4Header;
        int end = l3End(buf, frame, frameLength);
        if (l4Header < 8 || headers > end || headers + mss > scratchCapacity) {
            return false;
        }
        int payload = end - headers;
        int ipId = version == 4 ? buf.getShort(frame + nh + 4) & 0xffff : 0;
        int seq = tcp ? buf.getInt(frame + l4 + 4) : 0;
        int segments = (payload + mss - 1) / mss;
        long pseudo = pseudoHeaderAddresses(buf, frame + nh, version);
        for (int k = 0; k < Math.max(segments, 1); k++) {
            int chunk = Math.min(mss, payload - k * mss);
            int out = scratchOffset;
            copy(buf, frame, scratch, out, headers);
            copy(buf, frame + headers + k * mss, scratch, out + headers, chunk);
            int l3Length = headers - nh + chunk;
            if (version == 4) {
                scratch.putShort(out + nh + 2, (short) l3Length);
                scratch.putShort(out + nh + 4, (short) (ipId + k));
                scratch.putShort(out + nh + 10, (short) 0);
                int ihl = (l4 - nh);
                scratch.putShort(out + nh + 10, (short) (~fold(sum(scratch, out + nh, ihl)) & 0xffff));
            } else {
                scratch.putShort(out + nh + 4, (short) (l3Length - 40));
            }
            int l4Length = l4Header + chunk;
            int checkField;
            if (tcp) {
                scratch.putInt(out + l4 + 4, seq + k * mss);
                int tcpFlags = scratch.get(out + l4 + 13) & 0xff;
                if (k < segments - 1) {
                    tcpFlags &= ~0x09; // FIN, PSH only on the last segment
                }
                if (k > 0) {
                    tcpFlags &= ~0x80; // CWR only on the first
                }
                scratch.put(out + l4 + 13, (byte) tcpFlags);
                checkField = out + l4 + 16;
            } else {
                scratch.putShort(out + l4 + 4, (short) l4Length);
                checkField = out + l4 + 6;
            }
            scratch.putShort(checkField, (short) 0);
            long sum = pseudo + (tcp ? IPPROTO_TCP : IPPROTO_UDP) + l4Length + sum(scratch, out + l4, l4Length);
            int check = ~fold(sum) & 0xffff;
            scratch.putShort(checkField, (short) (check == 0 && !tcp ? 0xffff : check));
            sink.segment(scratch, out, headers + chunk);
        }
        return true;
    }

    /** The sum of the source and destination addresses of the IP header at {@code ip}. */
    private static long pseudoHeaderAddresses(ByteBuffer buf, int ip, int version) {
        return version == 4 ? sum(buf, ip + 12, 8) : sum(buf, ip + 8, 32);
    }

    private static void copy(ByteBuffer from, int fromOffset, ByteBuffer to, int toOffset, int length) {
        to.put(toOffset, from, fromOffset, length);
    }

    /** The 32-bit-word sum of {@code length} bytes (big-endian 16-bit words, odd byte padded), unfolded. */
    static long sum(ByteBuffer buf, int from, int length) {
        long sum = 0;
        int i = from;
        int end = from + length;
        while (end - i >= 8) {
            long v = buf.getLong(i);
            sum += (v >>> 32) + (v & 0xffffffffL);
            i += 8;
        }
        while (end - i >= 2) {
            sum += buf.getShort(i) & 0xffff;
            i += 2;
        }
        if (i < end) {
            sum += (buf.get(i) & 0xff) << 8;
        }
        return sum;
    }

    /** Folds a sum to 16 bits with end-around carry. */
    static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }
}
