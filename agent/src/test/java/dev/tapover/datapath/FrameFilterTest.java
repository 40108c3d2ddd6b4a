// Unit tests of the receive decision on the active link.
package dev.tapover.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

class FrameFilterTest {
    private static final byte[] MASTER = Master.parseMac("02:00:5e:00:53:01");
    private final FrameFilter filter = new FrameFilter(MASTER);

    private static ByteBuffer frame(String dst, String src, int offset) {
        ByteBuffer buf = ByteBuffer.allocate(offset + 60);
        buf.position(offset);
        buf.put(Master.parseMacAllowingGroup(dst)).put(Master.parseMacAllowingGroup(src)).putShort((short) 0x0800);
        return buf;
    }

    @Test
    void deliversUnicastForTheMaster() {
        assertNull(filter.classify(frame("02:00:5e:00:53:01", "02:00:5e:00:53:02", 0), 0, 60));
    }

    @Test
    void deliversBroadcastAndMulticast() {
        assertNull(filter.classify(frame("ff:ff:ff:ff:ff:ff", "02:00:5e:00:53:02", 0), 0, 60));
        assertNull(filter.classify(frame("33:33:00:00:00:01", "02:00:5e:00:53:02", 0), 0, 60));
        assertNull(filter.classify(frame("01:00:5e:00:00:fb", "02:00:5e:00:53:02", 0), 0, 60));
    }

    @Test
    void dropsUnicastForSomeoneElse() {
        assertEquals(DropReason.NOT_FOR_MASTER,
                filter.classify(frame("02:00:5e:00:53:03", "02:00:5e:00:53:02", 0), 0, 60));
    }

    @Test
    void dropsOurOwnFramesComingBack() {
        assertEquals(DropReason.LOOPED, filter.classify(frame("ff:ff:ff:ff:ff:ff", "02:00:5e:00:53:01", 0), 0, 60));
    }

    @Test
    void honoursTheVnetHeaderOffset() {
        assertNull(filter.classify(frame("02:00:5e:00:53:01", "02:00:5e:00:53:02", 10), 10, 60));
        assertEquals(DropReason.NOT_FOR_MASTER,
                filter.classify(frame("02:00:5e:00:53:09", "02:00:5e:00:53:02", 10), 10, 60));
    }

    @Test
    void runtFramesAreTruncated() {
        assertEquals(DropReason.TRUNCATED, filter.classify(frame("02:00:5e:00:53:01", "02:00:5e:00:53:02", 0), 0, 13));
    }
}
