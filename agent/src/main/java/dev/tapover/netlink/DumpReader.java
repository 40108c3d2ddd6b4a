// Follows one multi-part dump answer across datagrams: our sequence number only, until NLMSG_DONE or an error.
package dev.tapover.netlink;

import java.nio.ByteBuffer;

/**
 * The pure part of a dump: feed it each received datagram; it hands every answer message to the handler,
 * notices NLM_F_DUMP_INTR on any of them, and says when NLMSG_DONE arrived. Bad messages are passed to
 * {@code onBad} and skipped (the rest of the dump is still read).
 */
final class DumpReader {
    interface MessageHandler {
        void handle(NlMsg msg, RtAttr attr) throws MalformedMessageException;
    }

    interface BadMessageHandler {
        void bad(MalformedMessageException e, ByteBuffer buf, int start, int end);
    }

    private final String what;
    private final int seq;
    private final MessageHandler handler;
    private final BadMessageHandler onBad;
    private final NlMsg msg = new NlMsg();
    private final RtAttr attr = new RtAttr();
    private boolean interrupted;
    private boolean done;

    DumpReader(String what, int seq, MessageHandler handler, BadMessageHandler onBad) {
        this.what = what;
        this.seq = seq;
        this.handler = handler;
        this.onBad = onBad;
    }

    /**
     * Reads one datagram {@code buf[0, length)}.
     *
     * @return true once NLMSG_DONE was seen
     * @throws NetlinkException when the kernel answered the dump with an error
     */
    boolean accept(ByteBuffer buf, int length) throws NetlinkException {
        msg.wrap(buf, 0, length);
        try {
            while (!done && msg.next()) {
                if (msg.seq() != seq) {
                    continue; // a late answer to an earlier request
                }
                interrupted |= msg.dumpInterrupted();
                int type = msg.type();
                if (type == Rtnl.NLMSG_DONE) {
                    int status = msg.status();
                    if (status < 0) {
                        throw NetlinkException.refused(what, -status, null);
                    }
                    done = true;
                } else if (type == Rtnl.NLMSG_ERROR) {
                    throw NetlinkException.refused(what, -msg.status(), msg.extendedAckMessage(attr));
                } else {
                    try {
                        handler.handle(msg, attr);
                    } catch (MalformedMessageException e) {
                        onBad.bad(e, buf, 0, length);
                    }
                }
            }
        } catch (MalformedMessageException e) {
            onBad.bad(e, buf, 0, length); // the rest of this datagram is unreadable; DONE still comes
        }
        return done;
    }

    /** Whether any answer carried NLM_F_DUMP_INTR: the dump may be inconsistent and should be repeated. */
    boolean interrupted() {
        return interrupted;
    }
}
