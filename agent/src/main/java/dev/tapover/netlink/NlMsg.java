// A flyweight cursor over the netlink messages of one received datagram, read in place from the buffer.
package dev.tapover.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Walks the messages packed in one datagram without copying. Fields are read in native byte order
 * straight from the buffer; {@link #next()} validates each header before exposing it.
 *
 * <pre>
 * One datagram holds one or more messages, each starting on a 4-byte boundary (NLMSG_ALIGN):
 *
 * struct nlmsghdr (16 bytes)                      payload (nlmsg_len - 16 bytes)      pad to 4
 *  0            4          6           8         12         16
 *  | nlmsg_len  | type     | flags     | seq     | pid      | ifinfomsg / ifaddrmsg / nlmsgerr ... | .. |
 *    u32          u16        u16         u32       u32
 *
 * NLMSG_ERROR payload: s32 error (0 = ack, else -errno), then the request's nlmsghdr (and its payload
 * unless NLM_F_CAPPED), then, with NLM_F_ACK_TLVS, rtattrs such as NLMSGERR_ATTR_MSG.
 * NLMSG_DONE payload: s32 (0, or -errno when a dump failed).
 * </pre>
 */
public final class NlMsg {
    public static final int HEADER_LENGTH = 16;

    private ByteBuffer buf;
    private int end;
    private int nextOffset;
    private int offset = -1;
    private int length;

    /** Positions the cursor before the first message in {@code buf[start, end)}; sets native byte order. */
    public NlMsg wrap(ByteBuffer buffer, int start, int endExclusive) {
        this.buf = buffer.order(ByteOrder.nativeOrder());
        this.end = endExclusive;
        this.nextOffset = start;
        this.offset = -1;
        this.length = 0;
        return this;
    }

    /**
     * Advances to the next message.
     *
     * @return false when the datagram holds no more messages
     * @throws MalformedMessageException when a header is incomplete or its length does not fit; the rest of
     *         the datagram cannot be trusted then
     */
    public boolean next() throws MalformedMessageException {
        if (nextOffset >= end) {
            return false;
        }
        if (end - nextOffset < HEADER_LENGTH) {
            offset = -1;
            throw new MalformedMessageException("truncated nlmsghdr (" + (end - nextOffset) + " of 16 bytes)",
                    nextOffset);
        }
        int len = buf.getInt(nextOffset);
        if (len < HEADER_LENGTH || len > end - nextOffset) {
            offset = -1;
            throw new MalformedMessageException("nlmsg_len " + Integer.toUnsignedString(len) + " does not fit in "
                    + (end - nextOffset) + " remaining bytes", nextOffset);
        }
        offset = nextOffset;
        length = len;
        nextOffset = Math.min(end, offset + align(len));
        return true;
    }

    /** Rounds up to the 4-byte netlink alignment. */
    public static int align(int length) {
        return (length + 3) & ~3;
    }

    public ByteBuffer buffer() {
        return buf;
    }

    /** Where the current message starts in the buffer. */
    public int offset() {
        return offset;
    }

    public int length() {
        return length;
    }

    public int type() {
        return buf.getShort(offset + 4) & 0xffff;
    }

    public int flags() {
        return buf.getShort(offset + 6) & 0xffff;
    }

    public int seq() {
        return buf.getInt(offset + 8);
    }

    public int pid() {
        return buf.getInt(offset + 12);
    }

    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength() {
        return length - HEADER_LENGTH;
    }

    /** The end (exclusive) of this message's bytes. */
    public int messageEnd() {
        return offset + length;
    }

    /** NLM_F_DUMP_INTR: the kernel's tables changed during the dump, so it may be inconsistent. */
    public boolean dumpInterrupted() {
        return (flags() & Rtnl.NLM_F_DUMP_INTR) != 0;
    }

    /** The s32 status of an NLMSG_ERROR (0 = ack, else -errno) or NLMSG_DONE message. */
    public int status() throws MalformedMessageException {
        if (payloadLength() < 4) {
            if (type() == Rtnl.NLMSG_DONE) {
                return 0; // some senders omit the status of DONE
            }
            throw new MalformedMessageException(Rtnl.typeName(type()) + " without its 4-byte status", offset);
        }
        return buf.getInt(payloadOffset());
    }

    /**
     * The NLMSGERR_ATTR_MSG text of an NLMSG_ERROR with NLM_F_ACK_TLVS (extended ack), or null.
     */
    public String extendedAckMessage(RtAttr attr) {
        if (type() != Rtnl.NLMSG_ERROR || (flags() & Rtnl.NLM_F_ACK_TLVS) == 0 || payloadLength() < 4 + 16) {
            return null;
        }
        int inner = payloadOffset() + 4;
        int innerLen = buf.getInt(inner);
        int attrs = (flags() & Rtnl.NLM_F_CAPPED) != 0 ? inner + HEADER_LENGTH : inner + align(innerLen);
        if (innerLen < HEADER_LENGTH || attrs > messageEnd()) {
            return null;
        }
        try {
            attr.wrap(buf, attrs, messageEnd());
            while (attr.next()) {
                if (attr.type() == Rtnl.NLMSGERR_ATTR_MSG) {
                    return attr.string();
                }
            }
        } catch (MalformedMessageException e) {
            return null;
        }
        return null;
    }
}
