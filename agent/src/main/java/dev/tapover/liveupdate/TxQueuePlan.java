// Sizes the master's transmit queue for a freeze: the frames the host sends while nobody reads the TAP must fit.
package dev.tapover.liveupdate;

import java.time.Duration;

/**
 * While frozen, what the host sends on the master waits in the TAP's queue, which holds txqueuelen frames
 * (1000 for a new TAP on current kernels); beyond that the kernel drops. A freeze of {@code gap} at
 * {@code rate} frames/s needs {@code rate × gap} slots; the plan asks for twice that, rounded up to a
 * multiple of 256.
 *
 * <p>Measured on this project's machines: changing txqueuelen while frames flow loses frames (1 of 10,000
 * at 1 k/s, 901 of 100,000 at 10 k/s, at the moment of the change) and emits an RTM_NEWLINK for the master.
 * So the agent gives a master it creates {@link #INITIAL_LENGTH} slots before any traffic, and at a freeze
 * only checks the plan, warning if the queue is short, instead of resizing it then.
 */
public final class TxQueuePlan {
    public static final int MAX_LENGTH = 65536;
    /** The txqueuelen a new master gets: 10 k frames/s for 400 ms of freeze. */
    public static final int INITIAL_LENGTH = 8192;

    private TxQueuePlan() {
    }

    /** The txqueuelen a freeze of {@code gap} at {@code framesPerSecond} needs, or {@code current} if that suffices. */
    public static int required(double framesPerSecond, Duration gap, int current) {
        if (framesPerSecond <= 0 || gap.isNegative() || gap.isZero()) {
            return current;
        }
        double needed = framesPerSecond * gap.toNanos() / 1e9 * 2;
        if (needed <= current) {
            return current;
        }
        long rounded = ((long) Math.ceil(needed) + 255) / 256 * 256;
        return (int) Math.min(MAX_LENGTH, Math.max(current, rounded));
    }
}
