// Turns one received rtnetlink datagram into table updates and events; bad messages are counted and skipped.
package dev.tapover.netlink;

import java.nio.ByteBuffer;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pure part of the monitor's receive path: decode each message of a datagram, apply it to the
 * {@link LinkTable}, collect the events. A message that cannot be decoded is skipped; a header that cannot
 * be trusted ends the datagram. Neither ever throws.
 */
final class DatagramHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DatagramHandler.class);

    private final LinkTable table;
    private final NlMsg msg = new NlMsg();
    private final RtAttr attr = new RtAttr();
    private final BadMessageLog bad = new BadMessageLog(LOG, "link monitor");
    private long messages;
    private long unexpected;

    DatagramHandler(LinkTable table) {
        this.table = table;
    }

    /** Handles {@code buf[0, length)}, appending events to {@code out}. */
    void handle(ByteBuffer buf, int length, long now, List<LinkEvent> out) {
        msg.wrap(buf, 0, length);
        try {
            while (msg.next()) {
                messages++;
                try {
                    handleMessage(now, out);
                } catch (MalformedMessageException e) {
                    bad.record(e, buf, 0, length);
                } catch (RuntimeException e) {
                    unexpected++; // a codec bug must not stop the monitor: count, log, skip
                    bad.record(new MalformedMessageException("unexpected " + e, msg.offset()), buf, 0, length);
                }
            }
        } catch (MalformedMessageException e) {
            bad.record(e, buf, 0, length);
        }
    }

    private void handleMessage(long now, List<LinkEvent> out) throws MalformedMessageException {
        switch (msg.type()) {
            case Rtnl.RTM_NEWLINK:
            case Rtnl.RTM_DELLINK:
                out.addAll(table.apply(RtnlCodec.decodeLink(msg, attr), LinkEvent.Source.NETLINK, now));
                break;
            case Rtnl.RTM_NEWADDR:
            case Rtnl.RTM_DELADDR:
                AddressMessage m = RtnlCodec.decodeAddress(msg, attr);
                if (m != null) {
                    out.addAll(table.apply(m, LinkEvent.Source.NETLINK, now));
                }
                break;
            default:
                break; // other groups' or types' messages are not ours
        }
    }

    /** Messages that could not be decoded (and were skipped). */
    long malformed() {
        return bad.count();
    }

    /** Messages whose decoding failed with a runtime exception instead of a clean rejection (a bug). */
    long unexpected() {
        return unexpected;
    }

    /** Messages seen, good or bad. */
    long messages() {
        return messages;
    }
}
