// Keeps a copy of every frame the announcer sent, e.g. in a pcap file for Wireshark (--pcap FILE).
package dev.tapover.announce;

import java.io.IOException;

/** Receives each frame after it went out; see {@link PcapFileRecorder}. */
public interface FrameRecorder extends AutoCloseable {
    void record(byte[] frame) throws IOException;

    /** Called after each round so a reader sees whole rounds. */
    void flush() throws IOException;

    @Override
    void close();
}
