// Reads and writes classic pcap files in pure Java, with fixed timestamps so golden files are reproducible.
package dev.tapover.announce;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Classic libpcap format, little-endian: a 24-byte file header (magic a1b2c3d4, version 2.4, snaplen
 * 65535, linktype 1 = Ethernet), then per frame ts_sec(4) ts_usec(4) incl_len(4) orig_len(4) bytes.
 * Frame {@code i} is stamped {@code i} seconds after the epoch.
 */
final class PcapFiles {
    private PcapFiles() {
    }

    static byte[] write(List<byte[]> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        out.writeBytes(header.array());
        int second = 0;
        for (byte[] frame : frames) {
            ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            record.putInt(second++).putInt(0).putInt(frame.length).putInt(frame.length);
            out.writeBytes(record.array());
            out.writeBytes(frame);
        }
        return out.toByteArray();
    }

    /** The frames of a file written by {@link #write} (or any little-endian microsecond pcap). */
    static List<byte[]> read(byte[] file) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (in.getInt() != 0xa1b2c3d4) {
            throw new IllegalArgumentException("not a little-endian microsecond pcap file");
        }
        in.position(24);
        List<byte[]> frames = new ArrayList<>();
        while (in.remaining() >= 16) {
            in.position(in.position() + 8);
            int length = in.getInt();
            in.getInt();
            byte[] frame = new byte[length];
            in.get(frame);
            frames.add(frame);
        }
        return frames;
    }
}
