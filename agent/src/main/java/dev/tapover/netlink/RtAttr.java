// A flyweight cursor over a run of rtattr (type-length-value) records inside a netlink message.
package dev.tapover.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Iterates attributes in place. {@link #type()} has the NLA_F_NESTED and NLA_F_NET_BYTEORDER bits masked
 * off; unknown types are simply skipped by callers.
 *
 * <pre>
 * struct rtattr (4 bytes), then the value, then padding to 4 (RTA_ALIGN); rta_len excludes the padding:
 *  0         2         4
 *  | rta_len | rta_type| value ...          | pad |
 *    u16       u16: bit 15 NLA_F_NESTED, bit 14 NLA_F_NET_BYTEORDER, bits 0-13 the type
 * </pre>
 */
public final class RtAttr {
    public static final int HEADER_LENGTH = 4;

    private ByteBuffer buf;
    private int end;
    private int nextOffset;
    private int offset;
    private int length;

    /** Positions the cursor before the first attribute in {@code buf[start, end)}. */
    public RtAttr wrap(ByteBuffer buffer, int start, int endExclusive) {
        this.buf = buffer.order(ByteOrder.nativeOrder());
        this.end = endExclusive;
        this.nextOffset = start;
        this.offset = -1;
        this.length = 0;
        return this;
    }

    /**
     * Advances to the next attribute.
     *
     * @return false at the end of the run
     * @throws MalformedMessageException when an attribute header is incomplete or its length overruns
     */
    public boolean next() throws MalformedMessageException {
        if (nextOffset >= end) {
            return false;
        }
        if (end - nextOffset < HEADER_LENGTH) {
            throw new MalformedMessageException("truncated rtattr header (" + (end - nextOffset) + " of 4 bytes)",
                    nextOffset);
        }
        int len = buf.getShort(nextOffset) & 0xffff;
        if (len < HEADER_LENGTH || len > end - nextOffset) {
            throw new MalformedMessageException("rta_len " + len + " does not fit in " + (end - nextOffset)
                    + " remaining bytes", nextOffset);
        }
        offset = nextOffset;
        length = len;
        nextOffset = Math.min(end, offset + NlMsg.align(len));
        return true;
    }

    /** The attribute type with the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits masked off. */
    public int type() {
        return buf.getShort(offset + 2) & Rtnl.NLA_TYPE_MASK;
    }

    public boolean nested() {
        return (buf.getShort(offset + 2) & Rtnl.NLA_F_NESTED) != 0;
    }

    public boolean networkByteOrder() {
        return (buf.getShort(offset + 2) & Rtnl.NLA_F_NET_BYTEORDER) != 0;
    }

    public int valueOffset() {
        return offset + HEADER_LENGTH;
    }

    public int valueLength() {
        return length - HEADER_LENGTH;
    }

    public int u8() throws MalformedMessageException {
        need(1);
        return buf.get(valueOffset()) & 0xff;
    }

    /** A u32 value (returned as int; callers treat it as unsigned where it matters). */
    public int u32() throws MalformedMessageException {
        need(4);
        int raw = buf.getInt(valueOffset());
        return networkByteOrder() && buf.order() != ByteOrder.BIG_ENDIAN ? Integer.reverseBytes(raw) : raw;
    }

    /** The value as a string up to its first NUL (the kernel NUL-terminates names). */
    public String string() {
        int start = valueOffset();
        int stop = start;
        int limit = start + valueLength();
        while (stop < limit && buf.get(stop) != 0) {
            stop++;
        }
        byte[] bytes = new byte[stop - start];
        buf.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A copy of the value bytes. */
    public byte[] bytes() {
        byte[] bytes = new byte[valueLength()];
        buf.get(valueOffset(), bytes);
        return bytes;
    }

    private void need(int bytes) throws MalformedMessageException {
        if (valueLength() < bytes) {
            throw new MalformedMessageException("attribute type " + type() + " has " + valueLength()
                    + " value bytes, needs " + bytes, offset);
        }
    }
}
