// JMH: building gratuitous ARP and unsolicited NA frames with pcap4j, one frame and a whole plan.
package dev.tapover.jmh;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.tapover.announce.AnnouncementFrames;
import dev.tapover.announce.ArpForm;

/**
 * The agent builds frames before they are needed (a plan per address set) and a burst only hands the
 * pre-built bytes to the link; these numbers say what building costs, i.e. what pre-building saves on
 * the failover path.
 * <ul>
 *   <li>{@code arpFrame}: one gratuitous ARP request (60 bytes, untagged);</li>
 *   <li>{@code naFrame}: one unsolicited NA with checksum (86 bytes);</li>
 *   <li>{@code plan}: the whole plan for 192.0.2.1 + 2001:db8::1 with the {@code alternate} form
 *       (two ARP forms + one NA, three frames).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AnnouncementBench {
    private final byte[] mac = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x01};
    private Inet4Address v4;
    private Inet6Address v6;
    private List<AnnouncementFrames.Segment> segments;

    @Setup
    public void setUp() throws UnknownHostException {
        v4 = (Inet4Address) InetAddress.getByName("192.0.2.1");
        v6 = (Inet6Address) InetAddress.getByName("2001:db8::1");
        segments = List.of(AnnouncementFrames.Segment.untagged(List.of(v4, v6)));
    }

    @Benchmark
    public byte[] arpFrame() {
        return AnnouncementFrames.arp(ArpForm.REQUEST, mac, v4, AnnouncementFrames.UNTAGGED);
    }

    @Benchmark
    public byte[] naFrame() {
        return AnnouncementFrames.neighborAdvertisement(mac, v6, AnnouncementFrames.UNTAGGED);
    }

    @Benchmark
    public AnnouncementFrames plan() {
        return AnnouncementFrames.plan(mac, segments, ArpForm.ALTERNATE, false);
    }
}
