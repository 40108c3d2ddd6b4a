// Unit tests of the software offloads for a master without a vnet header: checksum completion and GSO cuts.
package dev.tapover.datapath;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class SoftwareOffloadTest {
    private static final int V = SoftwareOffload.VNET_HDR_LEN;
    private static final byte[] SRC4 = {(byte) 192, 0, 2, 2};
    private static final byte[] DST4 = {(byte) 192, 0, 2, 1};

    /** A naive RFC 1071 sum over 16-bit words, independent of the class under test. */
    private static int checksum(byte[] data, int from, int length, long initial) {
        long sum = initial;
        for (int i = 0; i < length; i += 2) {
            int hi = data[from + i] & 0xff;
            int lo = i + 1 < length ? data[from + i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    private static long pseudo(byte[] f, int ip, boolean v6, int protocol, int l4Length) {
        long sum = 0;
        int from = v6 ? ip + 8 : ip + 12;
        int n = v6 ? 32 : 8;
        for (int i = 0; i < n; i += 2) {
            sum += ((f[from + i] & 0xff) << 8) | (f[from + i + 1] & 0xff);
        }
        return sum + protocol + l4Length;
    }

    private record Built(ByteBuffer buf, int length, byte[] payload) {
    }

    /**
     * Builds vnet header + Ethernet + IPv4/IPv6 + TCP/UDP + payload as the kernel hands a GSO frame to a packet
     * socket: lengths of the whole super-frame, checksum field holding the pseudo-header sum (partial).
     */
    private static Built gsoFrame(boolean v6, boolean tcp, int payloadLength, int mss, int tcpFlags, boolean vlan) {
        byte[] payload = new byte[payloadLength];
        new Random(payloadLength * 31L + mss).nextBytes(payload);
        int eth = vlan ? 18 : 14;
        int ipLen = v6 ? 40 : 20;
        int l4Len = tcp ? 32 : 8; // TCP with 12 bytes of options (timestamps)
        int frameLength = eth + ipLen + l4Len + payloadLength;
        ByteBuffer b = ByteBuffer.allocateDirect(V + frameLength + 64);
        int gsoType = tcp ? (v6 ? SoftwareOffload.GSO_TCPV6 : SoftwareOffload.GSO_TCPV4) : SoftwareOffload.GSO_UDP_L4;
        b.put(0, (byte) SoftwareOffload.F_NEEDS_CSUM).put(1, (byte) (mss == 0 ? 0 : gsoType));
        b.putShort(2, Short.reverseBytes((short) (eth + ipLen + l4Len)));
        b.putShort(4, Short.reverseBytes((short) mss));
        b.putShort(6, Short.reverseBytes((short) (eth + ipLen)));
        b.putShort(8, Short.reverseBytes((short) (tcp ? 16 : 6)));
        int f = V;
        b.put(f, new byte[] {2, 0, 0x5e, 0, 0x53, 1}).put(f + 6, new byte[] {2, 0, 0x5e, 0, 0x53, 2});
        if (vlan) {
            b.putShort(f + 12, (short) 0x8100).putShort(f + 14, (short) 7);
        }
        b.putShort(f + eth - 2, (short) (v6 ? 0x86dd : 0x0800));
        int ip = f + eth;
        int proto = tcp ? 6 : 17;
        if (v6) {
            b.putInt(ip, 0x60000000).putShort(ip + 4, (short) (l4Len + payloadLength)).put(ip + 6, (byte) proto)
                    .put(ip + 7, (byte) 64);
            b.put(ip + 8, new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
            b.put(ip + 24, new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        } else {
            b.put(ip, (byte) 0x45).putShort(ip + 2, (short) (ipLen + l4Len + payloadLength))
                    .putShort(ip + 4, (short) 0xfffe).putShort(ip + 6, (short) 0x4000).put(ip + 8, (byte) 64)
                    .put(ip + 9, (byte) proto).put(ip + 12, SRC4).put(ip + 16, DST4);
            byte[] tmp = new byte[20];
            b.get(ip, tmp);
            b.putShort(ip + 10, (short) checksum(tmp, 0, 20, 0));
        }
        int l4 = ip + ipLen;
        if (tcp) {
            b.putShort(l4, (short) 40000).putShort(l4 + 2, (short) 5201).putInt(l4 + 4, 0xfffffff0)
                    .putInt(l4 + 8, 12345).put(l4 + 12, (byte) (8 << 4)).put(l4 + 13, (byte) tcpFlags)
                    .putShort(l4 + 14, (short) 501);
            b.put(l4 + 20, new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2});
        } else {
            b.putShort(l4, (short) 40000).putShort(l4 + 2, (short) 9).putShort(l4 + 4, (short) (8 + payloadLength));
        }
        b.put(l4 + l4Len, payload);
        byte[] whole = new byte[frameLength];
        b.get(f, whole);
        long ps = pseudo(whole, eth, v6, proto, l4Len + payloadLength);
        while ((ps >> 16) != 0) {
            ps = (ps & 0xffff) + (ps >> 16);
        }
        b.putShort(l4 + (tcp ? 16 : 6), (short) ps); // what CHECKSUM_PARTIAL leaves in the field
        return new Built(b, V + frameLength, payload);
    }

    private static List<byte[]> segment(Built built, int expectVerdict) {
        List<byte[]> out = new ArrayList<>();
        SoftwareOffload offload = new SoftwareOffload(ByteBuffer.allocateDirect(70000), 16, 65536);
        int verdict = offload.prepare(built.buf(), 0, built.length(), (buf, offset, length) -> {
            byte[] copy = new byte[length];
            buf.get(offset, copy);
            out.add(copy);
        });
        assertEquals(expectVerdict, verdict);
        return out;
    }

    private static void assertValidSegments(List<byte[]> segments, boolean v6, boolean tcp, int eth, byte[] payload,
                                            int mss, int tcpFlags) {
        int ipLen = v6 ? 40 : 20;
        int l4Len = tcp ? 32 : 8;
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        assertEquals((payload.length + mss - 1) / mss, segments.size());
        for (int k = 0; k < segments.size(); k++) {
            byte[] s = segments.get(k);
            int chunk = Math.min(mss, payload.length - k * mss);
            assertEquals(eth + ipLen + l4Len + chunk, s.length, "segment " + k + " length");
            ByteBuffer b = ByteBuffer.wrap(s);
            int ip = eth;
            if (v6) {
                assertEquals(l4Len + chunk, b.getShort(ip + 4) & 0xffff, "IPv6 payload length");
            } else {
                assertEquals(ipLen + l4Len + chunk, b.getShort(ip + 2) & 0xffff, "IPv4 total length");
                assertEquals((0xfffe + k) & 0xffff, b.getShort(ip + 4) & 0xffff, "IPv4 id counts up");
                assertEquals(0, checksum(s, ip, 20, 0) == 0 ? 0 : 1, "IPv4 header checksum");
            }
            int l4 = ip + ipLen;
            long ps = pseudo(s, ip, v6, tcp ? 6 : 17, l4Len + chunk);
            assertEquals(0, checksum(s, l4, l4Len + chunk, ps), "L4 checksum of segment " + k);
            if (tcp) {
                assertEquals(0xfffffff0 + k * mss, b.getInt(l4 + 4), "sequence number (wraps)");
                int flags = b.get(l4 + 13) & 0xff;
                boolean last = k == segments.size() - 1;
                assertEquals(last ? tcpFlags & 0x09 : 0, flags & 0x09, "FIN/PSH only on the last");
                assertEquals(k == 0 ? tcpFlags & 0x80 : 0, flags & 0x80, "CWR only on the first");
                assertEquals(0x10, flags & 0x10, "ACK on all");
            } else {
                assertEquals(8 + chunk, b.getShort(l4 + 4) & 0xffff, "UDP length");
            }
            joined.write(s, l4 + l4Len, chunk);
        }
        assertArrayEquals(payload, joined.toByteArray(), "the payload, cut and joined again");
    }

    @Test
    void tcpv4SuperFrameIsCutIntoMssSegmentsWithTheirOwnHeaders() {
        Built built = gsoFrame(false, true, 10 * 1448 + 100, 1448, 0x18 | 0x01 | 0x80, false);
        List<byte[]> segments = segment(built, SoftwareOffload.SEGMENTED);
        assertValidSegments(segments, false, true, 14, built.payload(), 1448, 0x18 | 0x01 | 0x80);
    }

    @Test
    void tcpv6SuperFrameBehindAVlanTagIsCut() {
        Built built = gsoFrame(true, true, 65000, 1428, 0x18, true);
        List<byte[]> segments = segment(built, SoftwareOffload.SEGMENTED);
        assertValidSegments(segments, true, true, 18, built.payload(), 1428, 0x18);
    }

    @Test
    void udpL4SuperFrameIsCutIntoDatagrams() {
        Built built = gsoFrame(false, false, 5 * 1200 + 7, 1200, 0, false);
        List<byte[]> segments = segment(built, SoftwareOffload.SEGMENTED);
        assertValidSegments(segments, false, false, 14, built.payload(), 1200, 0);
    }

    @Test
    void partialChecksumIsCompletedInPlaceAndPaddingIsLeftOut() {
        for (boolean v6 : new boolean[] {false, true}) {
            for (boolean tcp : new boolean[] {false, true}) {
                Built built = gsoFrame(v6, tcp, 333, 0, 0x10, false);
                // Ethernet padding after the IP packet must not enter the sum.
                built.buf().put(built.length(), (byte) 0x5a);
                List<byte[]> none = segment(new Built(built.buf(), built.length() + 1, built.payload()),
                        SoftwareOffload.IN_PLACE);
                assertTrue(none.isEmpty());
                byte[] frame = new byte[built.length() - V];
                built.buf().get(V, frame);
                int eth = 14;
                int ipLen = v6 ? 40 : 20;
                int l4Total = (tcp ? 32 : 8) + 333;
                long ps = pseudo(frame, eth, v6, tcp ? 6 : 17, l4Total);
                assertEquals(0, checksum(frame, eth + ipLen, l4Total, ps), "completed checksum v6=" + v6 + " tcp=" + tcp);
            }
        }
    }

    @Test
    void framesWithNothingPendingAreLeftAlone() {
        Built built = gsoFrame(false, true, 100, 0, 0x10, false);
        built.buf().put(0, (byte) 0); // no NEEDS_CSUM, not GSO: a finished frame
        byte[] before = new byte[built.length()];
        built.buf().get(0, before);
        assertTrue(segment(built, SoftwareOffload.IN_PLACE).isEmpty());
        byte[] after = new byte[built.length()];
        built.buf().get(0, after);
        assertArrayEquals(before, after);
    }

    @Test
    void unknownGsoTypesAndMismatchesAreRefused() {
        Built udpAsTcp = gsoFrame(false, false, 3000, 1000, 0, false);
        udpAsTcp.buf().put(1, (byte) SoftwareOffload.GSO_TCPV4);
        segment(udpAsTcp, SoftwareOffload.UNSUPPORTED);
        Built legacyUfo = gsoFrame(false, false, 3000, 1000, 0, false);
        legacyUfo.buf().put(1, (byte) 3); // VIRTIO_NET_HDR_GSO_UDP: IP fragmentation, not done here
        segment(legacyUfo, SoftwareOffload.UNSUPPORTED);
        Built v4AsV6 = gsoFrame(false, true, 3000, 1000, 0x10, false);
        v4AsV6.buf().put(1, (byte) SoftwareOffload.GSO_TCPV6);
        segment(v4AsV6, SoftwareOffload.UNSUPPORTED);
    }

    @Test
    void randomHeadersNeverThrow() {
        Random random = new Random(7);
        SoftwareOffload offload = new SoftwareOffload(ByteBuffer.allocateDirect(70000), 0, 65536);
        for (int i = 0; i < 20000; i++) {
            int length = V + random.nextInt(200);
            ByteBuffer b = ByteBuffer.allocateDirect(length);
            byte[] junk = new byte[length];
            random.nextBytes(junk);
            b.put(0, junk);
            if (random.nextBoolean()) {
                b.put(1, (byte) (random.nextBoolean() ? 1 : 5)); // mostly "supported" types, on junk
                if (length >= V + 15) {
                    b.putShort(V + 12, (short) (random.nextBoolean() ? 0x0800 : 0x86dd));
                    b.put(V + 14, (byte) (random.nextBoolean() ? 0x45 : 0x60));
                }
            }
            offload.prepare(b, 0, length, (buf, offset, len) -> assertTrue(len <= 65536));
        }
    }
}
