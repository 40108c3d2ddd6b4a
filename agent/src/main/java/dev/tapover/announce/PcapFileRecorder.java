// Writes every frame the announcer sent to a pcap file (pcap4j PcapDumper) for Wireshark: --pcap FILE.
package dev.tapover.announce;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Clock;

import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapHandle.TimestampPrecision;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/** A pcap file (Ethernet, microsecond timestamps) holding a copy of each announcement frame sent. */
public final class PcapFileRecorder implements FrameRecorder {
    private final PcapHandle dead;
    private final PcapDumper dumper;
    private final Clock clock;

    private PcapFileRecorder(PcapHandle dead, PcapDumper dumper, Clock clock) {
        this.dead = dead;
        this.dumper = dumper;
        this.clock = clock;
    }

    /** Creates (or truncates) {@code file}. */
    public static PcapFileRecorder create(Path file) throws IOException {
        return create(file, Clock.systemUTC());
    }

    public static PcapFileRecorder create(Path file, Clock clock) throws IOException {
        PcapHandle dead;
        try {
            dead = Pcaps.openDead(DataLinkType.EN10MB, 65536, TimestampPrecision.MICRO);
        } catch (PcapNativeException e) {
            throw new IOException("cannot start a pcap file: " + e.getMessage(), e);
        }
        try {
            return new PcapFileRecorder(dead, dead.dumpOpen(file.toString()), clock);
        } catch (PcapNativeException | NotOpenException e) {
            dead.close();
            throw new IOException("cannot write pcap file " + file + ": " + e.getMessage()
                    + "; check the directory exists and is writable", e);
        }
    }

    @Override
    public void record(byte[] frame) throws IOException {
        try {
            dumper.dumpRaw(frame, Timestamp.from(clock.instant()));
        } catch (NotOpenException e) {
            throw new IOException("pcap file is closed", e);
        }
    }

    @Override
    public void flush() throws IOException {
        try {
            dumper.flush();
        } catch (PcapNativeException | NotOpenException e) {
            throw new IOException("pcap file flush failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        dumper.close();
        dead.close();
    }
}
