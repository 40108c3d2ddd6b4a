// JMH: the data path's per-frame receive decision (deliver to the master, or drop and why) on four kinds of frame.
package dev.tapover.jmh;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import dev.tapover.datapath.FrameFilter;

/**
 * {@code classify}: {@link FrameFilter#classify} on four 64-byte frames side by side in one direct buffer
 * (as a receive ring would hold them): unicast to the master (deliver), broadcast (deliver), unicast to
 * another host (drop not-for-master), the master's own frame looped back (drop looped). Cost per frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameFilterBench {
    private static final int FRAME = 64;
    private static final byte[] MASTER = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x01};
    private static final byte[] PEER = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x02};
    private static final byte[] OTHER = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x03};
    private static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};

    private final FrameFilter filter = new FrameFilter(MASTER);
    private ByteBuffer frames;

    @Setup
    public void setUp() {
        frames = ByteBuffer.allocateDirect(4 * FRAME); // big-endian, as the data path's receive buffer
        put(0, MASTER, PEER);
        put(1, BROADCAST, PEER);
        put(2, OTHER, PEER);
        put(3, BROADCAST, MASTER);
        if (filter.classify(frames, 0, FRAME) != null || filter.classify(frames, 3 * FRAME, FRAME) == null) {
            throw new IllegalStateException("the filter no longer answers as this benchmark expects");
        }
    }

    private void put(int slot, byte[] dst, byte[] src) {
        int at = slot * FRAME;
        frames.put(at, dst).put(at + 6, src).putShort(at + 12, (short) 0x0800);
    }

    @Benchmark
    @OperationsPerInvocation(4)
    public void classify(Blackhole bh) {
        bh.consume(filter.classify(frames, 0, FRAME));
        bh.consume(filter.classify(frames, FRAME, FRAME));
        bh.consume(filter.classify(frames, 2 * FRAME, FRAME));
        bh.consume(filter.classify(frames, 3 * FRAME, FRAME));
    }
}
