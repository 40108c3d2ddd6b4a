// Frame, byte and drop counters of one port of the data path, written by its thread, read by anyone.
package dev.tapover.datapath;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/** Single-writer counters (the data path thread); readers see a consistent-enough snapshot. */
public final class PortCounters {
    private static final DropReason[] REASONS = DropReason.values();

    private final AtomicLongArray counts = new AtomicLongArray(4 + REASONS.length);

    private static final int RX_FRAMES = 0;
    private static final int RX_BYTES = 1;
    private static final int TX_FRAMES = 2;
    private static final int TX_BYTES = 3;

    /** Called once with the arrival time of the next unicast frame for the master; null when nobody asks. */
    private final AtomicReference<LongConsumer> unicastWatch = new AtomicReference<>();

    /**
     * Calls {@code watch} once, on the data path thread, with {@link System#nanoTime()} when this port next
     * delivers a frame addressed to the master's own MAC (unicast, not broadcast or multicast) to the TAP;
     * replaces a watch set before. The announcer learns from it that the path to the master is proven.
     */
    public void watchNextUnicastToMaster(LongConsumer watch) {
        unicastWatch.set(watch);
    }

    /** Data path thread: this port just delivered a frame unicast to the master's MAC. */
    void unicastToMasterDelivered() {
        LongConsumer watch = unicastWatch.get();
        if (watch != null && unicastWatch.compareAndSet(watch, null)) {
            watch.accept(System.nanoTime());
        }
    }

    void received(int bytes) {
        counts.lazySet(RX_FRAMES, counts.get(RX_FRAMES) + 1);
        counts.lazySet(RX_BYTES, counts.get(RX_BYTES) + bytes);
    }

    /** {@code frames} frames of {@code bytes} bytes in all (one update per batch). */
    void received(int frames, long bytes) {
        counts.lazySet(RX_FRAMES, counts.get(RX_FRAMES) + frames);
        counts.lazySet(RX_BYTES, counts.get(RX_BYTES) + bytes);
    }

    void transmitted(int frames, long bytes) {
        counts.lazySet(TX_FRAMES, counts.get(TX_FRAMES) + frames);
        counts.lazySet(TX_BYTES, counts.get(TX_BYTES) + bytes);
    }

    void transmitted(int bytes) {
        counts.lazySet(TX_FRAMES, counts.get(TX_FRAMES) + 1);
        counts.lazySet(TX_BYTES, counts.get(TX_BYTES) + bytes);
    }

    void dropped(DropReason reason) {
        dropped(reason, 1);
    }

    void dropped(DropReason reason, long count) {
        int i = 4 + reason.ordinal();
        counts.lazySet(i, counts.get(i) + count);
    }

    /** Adds a predecessor's totals (live update), so the counters continue instead of restarting at 0. */
    public void carryOver(long rxFrames, long rxBytes, long txFrames, long txBytes, Map<String, Long> drops) {
        counts.addAndGet(RX_FRAMES, rxFrames);
        counts.addAndGet(RX_BYTES, rxBytes);
        counts.addAndGet(TX_FRAMES, txFrames);
        counts.addAndGet(TX_BYTES, txBytes);
        for (DropReason reason : REASONS) {
            Long n = drops == null ? null : drops.get(reason.wireName());
            if (n != null) {
                counts.addAndGet(4 + reason.ordinal(), n);
            }
        }
    }

    public long rxFrames() {
        return counts.get(RX_FRAMES);
    }

    public long rxBytes() {
        return counts.get(RX_BYTES);
    }

    public long txFrames() {
        return counts.get(TX_FRAMES);
    }

    public long txBytes() {
        return counts.get(TX_BYTES);
    }

    public long drops(DropReason reason) {
        return counts.get(4 + reason.ordinal());
    }

    public long totalDrops() {
        long sum = 0;
        for (DropReason reason : REASONS) {
            sum += drops(reason);
        }
        return sum;
    }

    /** Non-zero drop counters by reason name. */
    public Map<String, Long> dropsByReason() {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (DropReason reason : REASONS) {
            long n = drops(reason);
            if (n != 0) {
                out.put(reason.wireName(), n);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "rx=" + rxFrames() + "/" + rxBytes() + "B tx=" + txFrames() + "/" + txBytes() + "B drops="
                + dropsByReason();
    }
}
