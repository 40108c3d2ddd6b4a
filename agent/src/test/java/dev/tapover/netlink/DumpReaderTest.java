// Multi-part dump handling over real dump answers: DONE, NLM_F_DUMP_INTR, errors, other requests' answers.
package dev.tapover.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.tapover.natives.Errno;

class DumpReaderTest {
    private final List<String> names = new ArrayList<>();
    private int bad;

    private DumpReader reader(int seq) {
        return new DumpReader("RTM_GETLINK dump", seq, (m, a) -> names.add(RtnlCodec.decodeLink(m, a).link().name()),
                (e, buf, start, end) -> bad++);
    }

    /** Sets a flag bit on every message of a datagram. */
    private static byte[] withFlag(byte[] datagram, int flag) {
        byte[] d = datagram.clone();
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.nativeOrder());
        for (int off = 0; off + 16 <= d.length; off += NlMsg.align(b.getInt(off))) {
            b.putShort(off + 6, (short) (b.getShort(off + 6) | flag));
        }
        return d;
    }

    @Test
    void readsUntilDone() throws Exception {
        DumpReader r = reader(1);
        List<byte[]> ds = Fixtures.datagrams("link-dump.hex");
        for (int i = 0; i < ds.size(); i++) {
            assertEquals(i == ds.size() - 1, r.accept(Fixtures.direct(ds.get(i)), ds.get(i).length));
        }
        assertEquals(List.of("lo", "tovfx1", "tovfx0"), names);
        assertFalse(r.interrupted());
        assertEquals(0, bad);
    }

    @Test
    void noticesDumpIntr() throws Exception {
        DumpReader r = reader(1);
        List<byte[]> ds = Fixtures.datagrams("link-dump.hex");
        r.accept(Fixtures.direct(ds.get(0)), ds.get(0).length);
        byte[] flagged = withFlag(ds.get(1), Rtnl.NLM_F_DUMP_INTR);
        r.accept(Fixtures.direct(flagged), flagged.length);
        assertTrue(r.accept(Fixtures.direct(ds.get(2)), ds.get(2).length));
        assertTrue(r.interrupted());
    }

    @Test
    void ignoresAnswersToOtherRequests() throws Exception {
        DumpReader r = reader(2);
        for (byte[] d : Fixtures.datagrams("link-dump.hex")) {
            assertFalse(r.accept(Fixtures.direct(d), d.length), "seq 1 is not ours");
        }
        assertEquals(List.of(), names);
    }

    @Test
    void errorAnswerNamesTheDump() {
        ByteBuffer buf = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
        buf.putInt(36).putShort((short) Rtnl.NLMSG_ERROR).putShort((short) 0).putInt(1).putInt(0);
        buf.putInt(-Errno.EPERM);
        buf.putInt(32).putShort((short) Rtnl.RTM_GETLINK).putShort((short) 0x301).putInt(1).putInt(0);
        NetlinkException e = assertThrows(NetlinkException.class, () -> reader(1).accept(buf, 36));
        assertEquals("RTM_GETLINK dump failed: EPERM (Operation not permitted)", e.getMessage());
        assertEquals(Errno.EPERM, e.errno());
    }

    @Test
    void badMessageInsideADumpIsSkipped() throws Exception {
        DumpReader r = reader(0);
        List<byte[]> ds = Fixtures.datagrams("truncated.hex"); // seq 0: event messages, damaged
        r.accept(Fixtures.direct(ds.get(1)), ds.get(1).length);
        assertEquals(1, bad);
        assertEquals(List.of(), names);
    }
}
