// Wires an Announcer to pcap4j: live handles on the lower links, an optional pcap copy, a started worker.
package dev.tapover.announce;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The production announcer:
 *
 * <pre>
 * Announcer announcer = PcapAnnouncer.start(config, masterMac, pcapFileOrNull);
 * announcer.prepareLinks(List.of("eth0", "eth1"));   // open both lower links ahead of time
 * announcer.updateAddresses(addressesOfTheMaster);    // frames are pre-built
 * announcer.setActiveLink("eth1");
 * announcer.trigger(Reason.FAILOVER);                 // returns at once; the worker sends
 * ...
 * announcer.close();
 * </pre>
 */
public final class PcapAnnouncer {
    private PcapAnnouncer() {
    }

    /**
     * Creates and starts an announcer that sends through pcap4j.
     *
     * @param pcapFile where to keep a copy of every frame sent ({@code --pcap FILE}), or null
     * @throws IOException when the pcap file cannot be created
     */
    public static Announcer start(AnnouncementConfig config, byte[] masterMac, Path pcapFile) throws IOException {
        return start(config, masterMac, pcapFile, () -> { });
    }

    /** As above; {@code threadStart} runs first on the worker thread (e.g. real-time scheduling). */
    public static Announcer start(AnnouncementConfig config, byte[] masterMac, Path pcapFile, Runnable threadStart)
            throws IOException {
        FrameRecorder recorder = pcapFile == null ? null : PcapFileRecorder.create(pcapFile);
        Announcer announcer;
        try {
            announcer = new Announcer(config, masterMac, new PcapLinks(), recorder);
        } catch (RuntimeException e) {
            if (recorder != null) {
                recorder.close();
            }
            throw e;
        }
        announcer.start(threadStart);
        return announcer;
    }
}
