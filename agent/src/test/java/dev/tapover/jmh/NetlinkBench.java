// JMH: the link monitor's receive path on captured kernel messages: decoding, and decoding plus the table diff.
package dev.tapover.jmh;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.tapover.netlink.AddressMessage;
import dev.tapover.netlink.LinkEvent;
import dev.tapover.netlink.LinkMessage;
import dev.tapover.netlink.LinkTable;
import dev.tapover.netlink.MalformedMessageException;
import dev.tapover.netlink.NlMsg;
import dev.tapover.netlink.RtAttr;
import dev.tapover.netlink.RtnlCodec;

/**
 * Inputs are the golden fixtures captured from Linux 6.18 (agent/src/test/resources/netlink):
 * <ul>
 *   <li>{@code decodeLink}: one 1496-byte RTM_NEWLINK (a veth losing carrier, ~50 attributes walked);</li>
 *   <li>{@code decodeAddress}: one 80-byte RTM_NEWADDR (192.0.2.1/24);</li>
 *   <li>{@code carrierChange}: what the monitor does per notification: decode, then {@link LinkTable#apply}
 *       against the known state, alternating carrier-off and carrier-on of the same link, so every
 *       message yields exactly one CarrierChanged event (cost per message).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class NetlinkBench {
    private final NlMsg msg = new NlMsg();
    private final RtAttr attr = new RtAttr();
    private ByteBuffer linkDown;
    private ByteBuffer linkUp;
    private ByteBuffer addressAdd;
    private LinkTable table;
    private final List<LinkEvent> events = new ArrayList<>();
    private long now;

    @Setup
    public void setUp() throws MalformedMessageException {
        List<byte[]> veth = Fixtures.datagrams("veth-carrier.hex");
        linkDown = Fixtures.direct(veth.get(1)); // tovfx0 (ifindex 3): carrier off
        linkUp = Fixtures.direct(veth.get(4));   // tovfx0: carrier back
        addressAdd = Fixtures.direct(Fixtures.datagrams("address-add-remove.hex").get(0));

        table = new LinkTable();
        List<dev.tapover.netlink.LinkInfo> dumped = new ArrayList<>();
        for (byte[] d : Fixtures.datagrams("link-dump.hex")) {
            msg.wrap(Fixtures.direct(d), 0, d.length);
            while (msg.next()) {
                if (msg.type() == dev.tapover.netlink.Rtnl.RTM_NEWLINK) {
                    dumped.add(RtnlCodec.decodeLink(msg, attr).link());
                }
            }
        }
        table.resync(dumped, List.of(), now);
        if (carrierChange() != 2) {
            throw new IllegalStateException("the fixtures no longer make one carrier event per message");
        }
    }

    @Benchmark
    public LinkMessage decodeLink() throws MalformedMessageException {
        msg.wrap(linkDown, 0, linkDown.limit());
        msg.next();
        return RtnlCodec.decodeLink(msg, attr);
    }

    @Benchmark
    public AddressMessage decodeAddress() throws MalformedMessageException {
        msg.wrap(addressAdd, 0, addressAdd.limit());
        msg.next();
        return RtnlCodec.decodeAddress(msg, attr);
    }

    /** Decode + diff of one carrier-off and one carrier-on message: two operations, two events. */
    @Benchmark
    @OperationsPerInvocation(2)
    public int carrierChange() throws MalformedMessageException {
        events.clear();
        apply(linkDown);
        apply(linkUp);
        return events.size();
    }

    private void apply(ByteBuffer datagram) throws MalformedMessageException {
        msg.wrap(datagram, 0, datagram.limit());
        while (msg.next()) {
            events.addAll(table.apply(RtnlCodec.decodeLink(msg, attr), LinkEvent.Source.NETLINK, ++now));
        }
    }
}
