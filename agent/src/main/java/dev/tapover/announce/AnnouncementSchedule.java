// Decides when announcement rounds go out: bursts per trigger, coalescing, NA spacing, frame budget (pure logic).
package dev.tapover.announce;

import java.util.ArrayList;
import java.util.List;

/**
 * The timing of announcements, with time passed in (nanoseconds from any fixed origin, e.g.
 * {@link System#nanoTime()}); no clock, no threads, no I/O.
 *
 * <pre>
 * trigger ──► ARP round 0 at once ─ gap(0) ─► round 1 ─ gap(1) ─► ... round arpCount-1
 *         └─► NA round 0 at once*  ─ ≥ naInterval ─► round 1 ─ ... round naCount-1
 *             * or naInterval after the last NA round of an earlier burst, whichever is later
 * </pre>
 *
 * A trigger while a burst runs restarts it (coalesced): there is never more than one burst. A token bucket
 * of {@code budgetPerSecond} frames caps flap storms; frames over the budget are counted as suppressed.
 * The next round of a stream is timed from when the previous one was actually due-polled, so a late
 * caller never gets a pile of catch-up rounds.
 */
public final class AnnouncementSchedule {
    /** {@link #nextDeadlineNanos()} when no burst runs. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    private static final long SCALE = 1_000_000_000L; // token units per frame: refill is budget units per ns

    /** The two independent round streams of a burst. */
    public enum Stream {
        ARP, NA
    }

    /**
     * One round to send now: {@code frames} of its frames fit the budget, the other {@code suppressed} do not.
     *
     * @param index 0-based round number within the burst (selects request or reply in the alternate form)
     */
    public record Round(Stream stream, int index, Reason reason, int frames, int suppressed) {
    }

    private AnnouncementConfig config;

    private Reason reason;
    private int arpNext;
    private long arpDue;
    private boolean arpPending;
    private int naNext;
    private long naDue;
    private boolean naPending;
    private boolean naEverSent;
    private long lastNaNanos;

    private long tokens;
    private long tokensAt;
    private boolean tokensStarted;

    private long bursts;
    private long coalesced;
    private long roundsSuppressed;
    private long framesSuppressed;
    private Reason lastReason;
    private long lastTriggerNanos;

    public AnnouncementSchedule(AnnouncementConfig config) {
        this.config = config;
        this.tokens = (long) config.budgetPerSecond() * SCALE;
    }

    /**
     * Follows {@code newConfig} from now on: the rest of a running burst uses its counts and gaps (rounds already
     * sent count against the new totals), and the budget keeps its tokens up to the new capacity.
     */
    public void reconfigure(AnnouncementConfig newConfig) {
        boolean wasUnlimited = config.budgetPerSecond() == 0;
        config = java.util.Objects.requireNonNull(newConfig, "config");
        long capacity = (long) newConfig.budgetPerSecond() * SCALE;
        tokens = wasUnlimited ? capacity : Math.min(tokens, capacity);
        arpPending = arpPending && arpNext < newConfig.arpCount();
        naPending = naPending && naNext < newConfig.naCount();
    }

    /** Starts a burst, or restarts the running one, for {@code reason}. */
    public void onTrigger(Reason reason, long nowNanos) {
        if (active()) {
            coalesced++;
        }
        bursts++;
        this.reason = reason;
        lastReason = reason;
        lastTriggerNanos = nowNanos;
        arpNext = 0;
        arpDue = nowNanos;
        arpPending = config.arpCount() > 0;
        naNext = 0;
        long spaced = lastNaNanos + config.naInterval().toNanos();
        naDue = naEverSent && spaced - nowNanos > 0 ? spaced : nowNanos;
        naPending = config.naCount() > 0;
    }

    /** Whether a burst is running. */
    public boolean active() {
        return arpPending || naPending;
    }

    /** When {@link #due} next has something, or {@link #NO_DEADLINE}. */
    public long nextDeadlineNanos() {
        if (arpPending && naPending) {
            return arpDue - naDue <= 0 ? arpDue : naDue;
        }
        if (arpPending) {
            return arpDue;
        }
        return naPending ? naDue : NO_DEADLINE;
    }

    /**
     * The rounds due at {@code nowNanos} (at most one per stream), given how many frames one round of each
     * stream holds now. A stream whose round holds no frame (e.g. no IPv6 address) advances silently.
     */
    public List<Round> due(long nowNanos, int arpFramesPerRound, int naFramesPerRound) {
        List<Round> rounds = new ArrayList<>(2);
        if (!active()) {
            return rounds;
        }
        refill(nowNanos);
        if (arpPending && nowNanos - arpDue >= 0) {
            int index = arpNext++;
            emit(rounds, Stream.ARP, index, arpFramesPerRound);
            arpPending = arpNext < config.arpCount();
            arpDue = nowNanos + config.arpGapNanos(index);
        }
        if (naPending && nowNanos - naDue >= 0) {
            int index = naNext++;
            if (emit(rounds, Stream.NA, index, naFramesPerRound)) {
                naEverSent = true;
                lastNaNanos = nowNanos;
            }
            naPending = naNext < config.naCount();
            naDue = nowNanos + config.naInterval().toNanos();
        }
        return rounds;
    }

    /** Adds the round unless it holds no frame; returns whether it was added. */
    private boolean emit(List<Round> rounds, Stream stream, int index, int cost) {
        if (cost <= 0) {
            return false;
        }
        int allowed = take(cost);
        int suppressed = cost - allowed;
        if (suppressed > 0) {
            framesSuppressed += suppressed;
            if (allowed == 0) {
                roundsSuppressed++;
            }
        }
        rounds.add(new Round(stream, index, reason, allowed, suppressed));
        return true;
    }

    private void refill(long nowNanos) {
        if (config.budgetPerSecond() == 0) {
            return;
        }
        if (!tokensStarted) {
            tokensStarted = true;
            tokensAt = nowNanos;
            return;
        }
        long elapsed = Math.min(Math.max(nowNanos - tokensAt, 0), SCALE); // one second refills the bucket
        long capacity = config.budgetPerSecond() * SCALE;
        tokens = Math.min(capacity, tokens + elapsed * config.budgetPerSecond());
        tokensAt = nowNanos;
    }

    private int take(int cost) {
        if (config.budgetPerSecond() == 0) {
            return cost;
        }
        int allowed = (int) Math.min(cost, tokens / SCALE);
        tokens -= allowed * SCALE;
        return allowed;
    }

    /** Bursts started, restarts included. */
    public long bursts() {
        return bursts;
    }

    /** Triggers that arrived while a burst ran and restarted it. */
    public long coalesced() {
        return coalesced;
    }

    /** Rounds of which no frame fit the budget. */
    public long roundsSuppressed() {
        return roundsSuppressed;
    }

    /** Frames that did not fit the budget. */
    public long framesSuppressed() {
        return framesSuppressed;
    }

    /** The reason of the last trigger, or null before the first. */
    public Reason lastReason() {
        return lastReason;
    }

    /** When the last trigger came, on the caller's clock; meaningless before the first. */
    public long lastTriggerNanos() {
        return lastTriggerNanos;
    }

    /** The running burst's reason, or null when idle. */
    public Reason currentReason() {
        return active() ? reason : null;
    }

    public AnnouncementConfig config() {
        return config;
    }
}
