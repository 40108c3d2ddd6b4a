// The pure receive decision for a frame on the active link: deliver to the master, or drop and why.
package dev.tapover.datapath;

import java.nio.ByteBuffer;

/**
 * Looks only at the Ethernet header:
 * <pre>
 *  0                 6                 12        14
 *  | destination MAC | source MAC      | type    | payload ...
 * </pre>
 * Frames for the master's MAC, broadcast and multicast (I/G bit set) are delivered; a frame whose source
 * is the master's own MAC is our own frame coming back and is dropped, so nothing is ever reflected.
 */
public final class FrameFilter {
    private final long masterMac;

    public FrameFilter(byte[] masterMac) {
        this.masterMac = macToLong(masterMac, 0);
    }

    /** Classifies the frame starting at {@code offset}; {@code null} means deliver. */
    public DropReason classify(ByteBuffer frame, int offset, int length) {
        if (length < 14) {
            return DropReason.TRUNCATED;
        }
        long source = macToLong(frame, offset + 6);
        if (source == masterMac) {
            return DropReason.LOOPED;
        }
        boolean groupAddress = (frame.get(offset) & 0x01) != 0;
        if (groupAddress || macToLong(frame, offset) == masterMac) {
            return null;
        }
        return DropReason.NOT_FOR_MASTER;
    }

    static long macToLong(ByteBuffer buf, int offset) {
        return ((buf.getInt(offset) & 0xffffffffL) << 16) | (buf.getShort(offset + 4) & 0xffffL);
    }

    static long macToLong(byte[] mac, int offset) {
        long value = 0;
        for (int i = 0; i < 6; i++) {
            value = (value << 8) | (mac[offset + i] & 0xff);
        }
        return value;
    }
}
