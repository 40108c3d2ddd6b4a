// Jazzer target: any bytes as one rtnetlink datagram through the decoder and the link table, as the monitor does.
package dev.tapover.fuzz;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.tapover.netlink.AddressMessage;
import dev.tapover.netlink.IfAddress;
import dev.tapover.netlink.LinkInfo;
import dev.tapover.netlink.LinkMessage;
import dev.tapover.netlink.LinkTable;
import dev.tapover.netlink.LinkEvent;
import dev.tapover.netlink.MalformedMessageException;
import dev.tapover.netlink.NlMsg;
import dev.tapover.netlink.RtAttr;
import dev.tapover.netlink.Rtnl;
import dev.tapover.netlink.RtnlCodec;

/**
 * The contract under test: a datagram from the kernel (or anyone who can write to the socket) is decoded
 * message by message; a bad message costs a {@link MalformedMessageException} and nothing else. Any other
 * throwable (index out of bounds, negative array size, NPE...) is a finding. What decodes must also be
 * usable: the link table accepts it, and a dump (resync) of the decoded links and addresses succeeds.
 *
 * <p>CI: regression (the seeds under src/test/resources/dev/tapover/fuzz/RtnlDecoderFuzzTestInputs) in the
 * unit tier, then a fuzzing run of {@link #RUNS} executions (surefire execution {@code fuzz-rtnl}, JAZZER_FUZZ=1).
 * Longer: {@code scripts/fuzz.sh}.
 */
public class RtnlDecoderFuzzTest {
    /** CI's budget: a fixed number of executions (with the fixed -seed of agent/pom.xml the same inputs every run). */
    static final long RUNS = 40000;
    /** A time cap for a machine too loaded to reach {@link #RUNS} (the run then stops early, at a random input). */
    static final String BUDGET = "90s";

    @FuzzTest(maxDuration = BUDGET, maxExecutions = RUNS)
    void datagram(byte[] data) {
        fuzzerTestOneInput(data);
    }

    /** The standalone-driver entry point ({@code scripts/fuzz.sh}). */
    public static void fuzzerTestOneInput(byte[] data) {
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(1, data.length));
        buf.put(data).clear();
        NlMsg msg = new NlMsg().wrap(buf, 0, data.length);
        RtAttr attr = new RtAttr();
        LinkTable table = new LinkTable();
        List<LinkInfo> links = new ArrayList<>();
        List<IfAddress> addresses = new ArrayList<>();
        long now = 1;
        try {
            while (msg.next()) {
                assertTrue(msg.length() >= NlMsg.HEADER_LENGTH && msg.messageEnd() <= data.length,
                        "a message stays inside its datagram");
                try {
                    switch (msg.type()) {
                        case Rtnl.RTM_NEWLINK, Rtnl.RTM_DELLINK -> {
                            LinkMessage m = RtnlCodec.decodeLink(msg, attr);
                            assertTrue(m.link().ifindex() > 0, "decoded ifindex is positive");
                            if (msg.type() == Rtnl.RTM_NEWLINK) {
                                assertNotNull(m.link().name(), "RTM_NEWLINK has a name");
                                links.add(m.link());
                            }
                            check(table.apply(m, LinkEvent.Source.NETLINK, now++));
                        }
                        case Rtnl.RTM_NEWADDR, Rtnl.RTM_DELADDR -> {
                            AddressMessage m = RtnlCodec.decodeAddress(msg, attr);
                            if (m != null) {
                                addresses.add(m.address());
                                check(table.apply(m, LinkEvent.Source.NETLINK, now++));
                            }
                        }
                        case Rtnl.NLMSG_ERROR, Rtnl.NLMSG_DONE -> {
                            msg.status();
                            msg.extendedAckMessage(attr);
                        }
                        default -> msg.dumpInterrupted();
                    }
                } catch (MalformedMessageException e) {
                    // the expected way to refuse one message; the next one is still read
                }
            }
        } catch (MalformedMessageException e) {
            // a header that cannot be trusted ends the datagram
        }
        check(new LinkTable().resync(dedupe(links), addresses, now));
    }

    private static List<LinkInfo> dedupe(List<LinkInfo> links) {
        java.util.Map<Integer, LinkInfo> last = new java.util.LinkedHashMap<>();
        for (LinkInfo l : links) {
            last.put(l.ifindex(), l);
        }
        return new ArrayList<>(last.values());
    }

    private static void check(List<LinkEvent> events) {
        for (LinkEvent e : events) {
            assertTrue(e.ifindex() > 0, "events name a positive ifindex: " + e);
        }
    }
}
