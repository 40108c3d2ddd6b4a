// Counts unreadable netlink messages and logs the first one with a hex excerpt, so bad input never floods logs.
package dev.tapover.netlink;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;

/** Shared by the monitor and the route client: the first bad message is a WARN, later ones DEBUG. */
final class BadMessageLog {
    private static final int EXCERPT = 64;

    private final Logger log;
    private final String where;
    private final AtomicLong count = new AtomicLong();

    BadMessageLog(Logger log, String where) {
        this.log = log;
        this.where = where;
    }

    /** Counts and logs a bad message; {@code buf[start, end)} is the datagram or message it was found in. */
    void record(MalformedMessageException e, ByteBuffer buf, int start, int end) {
        long n = count.incrementAndGet();
        if (n > 1 && !log.isDebugEnabled()) {
            return;
        }
        int from = Math.max(start, Math.min(e.offset(), end) - 16);
        int to = Math.min(end, from + EXCERPT);
        byte[] bytes = new byte[Math.max(0, to - from)];
        buf.get(from, bytes);
        String hex = HexFormat.of().formatHex(bytes);
        if (n == 1) {
            log.warn("{}: skipped a bad netlink message: {}; bytes {}..{} of the datagram: {} "
                    + "(further bad messages are only counted and logged at DEBUG)", where, e.getMessage(),
                    from - start, to - start, hex);
        } else {
            log.debug("{}: skipped bad netlink message #{}: {}; bytes {}..{}: {}", where, n, e.getMessage(),
                    from - start, to - start, hex);
        }
    }

    long count() {
        return count.get();
    }
}
