// Sizes the master's transmit queue for a freeze: the frames the host sends while nobody reads the TAP must fit.
package dev.tapover.liveupdate;

import java.time.Duration;

/**
 * While frozen, what the host sends on the master waits in the TAP's queue, which holds txqueuelen frames
 * (500 for a new TAP); beyond that the kernel drops. A freeze of {@code gap} at {@code rate} frames/s needs
 * {@code rate × gap} slots; the plan asks for twice that, rounded up to a multiple of 256, and never shrinks
 * the queue. Changing txqueuelen emits an RTM_NEWLINK for the master (not a carrier change), so the agent
 * only does it when the estimate says frames would otherwise be dropped.
 */
public final class TxQueuePlan {
    public static final int MAX_LENGTH = 65536;

    private TxQueuePlan() {
    }

    /** The txqueuelen to set, or {@code current} when it already suffices. */
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
