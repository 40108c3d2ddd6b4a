// One open link the announcer writes whole Ethernet frames to.
package dev.tapover.announce;

import java.io.IOException;

/** A link opened by a {@link LinkOpener}; used by one thread at a time. */
public interface LinkSender extends AutoCloseable {
    /** Puts one whole Ethernet frame (destination MAC first) on the link. */
    void send(byte[] frame) throws IOException;

    @Override
    void close();
}
