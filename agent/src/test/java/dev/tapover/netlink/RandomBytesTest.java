// Feeds the rtnetlink parser 1,000,000 seeded random and mutated inputs: it may reject them, never blow up.
package dev.tapover.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;

class RandomBytesTest {
    private static final int INPUTS = 1_000_000;
    private static final int[] TYPES = {Rtnl.NLMSG_NOOP, Rtnl.NLMSG_ERROR, Rtnl.NLMSG_DONE, Rtnl.RTM_NEWLINK,
            Rtnl.RTM_DELLINK, Rtnl.RTM_NEWADDR, Rtnl.RTM_DELADDR};

    @Test
    void parserSurvivesAMillionRandomInputs() {
        Logger handlerLog = (Logger) LoggerFactory.getLogger(DatagramHandler.class);
        Level saved = handlerLog.getLevel();
        handlerLog.setLevel(Level.WARN); // the first bad message is logged; the rest only counted
        try {
            run();
        } finally {
            handlerLog.setLevel(saved);
        }
    }

    private void run() {
        Random random = new Random(0x7a90_7e11L);
        List<byte[]> seeds = new ArrayList<>();
        for (String f : List.of("link-dump.hex", "veth-carrier.hex", "address-add-remove.hex", "rename.hex",
                "delete-readd.hex", "unknown-attributes.hex", "notify-peers.hex")) {
            seeds.addAll(Fixtures.datagrams(f));
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(4096).order(ByteOrder.nativeOrder());
        NlMsg msg = new NlMsg();
        RtAttr attr = new RtAttr();
        DatagramHandler handler = new DatagramHandler(new LinkTable());
        List<LinkEvent> sink = new ArrayList<>();
        long rejected = 0;
        long decoded = 0;
        byte[] scratch = new byte[4096];
        for (int i = 0; i < INPUTS; i++) {
            int length = fill(random, seeds, scratch, i % 3);
            buf.clear();
            buf.put(scratch, 0, length);
            // 1. the codec directly: only MalformedMessageException may come out
            msg.wrap(buf, 0, length);
            try {
                while (msg.next()) {
                    switch (msg.type()) {
                        case Rtnl.RTM_NEWLINK:
                        case Rtnl.RTM_DELLINK:
                            RtnlCodec.decodeLink(msg, attr);
                            break;
                        case Rtnl.RTM_NEWADDR:
                        case Rtnl.RTM_DELADDR:
                            RtnlCodec.decodeAddress(msg, attr);
                            break;
                        case Rtnl.NLMSG_ERROR:
                            msg.status();
                            msg.extendedAckMessage(attr);
                            break;
                        default:
                            msg.dumpInterrupted();
                            break;
                    }
                    decoded++;
                }
            } catch (MalformedMessageException e) {
                rejected++;
            }
            // 2. the monitor's receive path on the same bytes
            handler.handle(buf, length, i, sink);
            sink.clear();
        }
        assertEquals(0, handler.unexpected());
        assertTrue(rejected > INPUTS / 10, "most random inputs are rejected: " + rejected);
        assertTrue(decoded > INPUTS / 10, "many mutated inputs still decode: " + decoded);
    }

    /** Writes one input into {@code out}: random bytes, a random message behind a plausible header, or a mutated real one. */
    private static int fill(Random random, List<byte[]> seeds, byte[] out, int kind) {
        if (kind == 0) {
            int n = random.nextInt(97);
            for (int i = 0; i < n; i++) {
                out[i] = (byte) random.nextInt();
            }
            return n;
        }
        if (kind == 1) {
            int n = 16 + random.nextInt(180);
            for (int i = 0; i < n; i++) {
                out[i] = (byte) random.nextInt();
            }
            ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.nativeOrder());
            b.putInt(0, random.nextInt(8) == 0 ? random.nextInt() : n - random.nextInt(3) * 4 + random.nextInt(3));
            b.putShort(4, (short) TYPES[random.nextInt(TYPES.length)]);
            for (int p = 32; p + 4 <= n && random.nextBoolean(); p += 4 + random.nextInt(24)) {
                b.putShort(p, (short) (random.nextInt(24)));
                b.putShort(p + 2, (short) random.nextInt(60));
            }
            return n;
        }
        byte[] seed = seeds.get(random.nextInt(seeds.size()));
        int n = Math.min(seed.length, out.length);
        System.arraycopy(seed, 0, out, 0, n);
        int flips = 1 + random.nextInt(4);
        for (int f = 0; f < flips; f++) {
            out[random.nextInt(n)] = (byte) random.nextInt();
        }
        return random.nextInt(4) == 0 ? random.nextInt(n + 1) : n;
    }
}
