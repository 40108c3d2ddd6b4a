// Decides when announcement rounds go out: bursts per trigger, coalescing, NA spacing, proof, refresh, budget (pure logic).
package dev.tapover.announce;

import java.util.ArrayList;
import java.util.List;

/**
 * The timing of announcements, with time passed in (nanoseconds from any fixed origin, e.g.
 * {@link System#nanoTime()}); no clock, no threads, no I/O.
 *
 * <pre>
 * trigger ──► ARP round 0 at once ─ gap(0) ─► round 1 ─ gap(1) ─► ... round arpCount-1 ─┐
 *         └─► NA round 0 at once*  ─ ≥ naInterval ─► round 1 ─ ... round naCount-1 ────┴─► refresh ─► refresh ...
 *             * or naInterval after the last NA round of an earlier burst, whichever is later
 * </pre>
 *
 * A trigger while a burst runs restarts it (coalesced): there is never more than one burst. When the path
 * is proven ({@link #onProven}: a frame addressed to the master came in on the active link) with
 * {@code untilProven} set, each stream stops after its first round. After a burst, with {@code refresh}
 * set, one ARP round (and one NA round, if spacing allows) goes out every {@code refresh} until the next
 * trigger. Frames are paid from a {@link TokenBucket} per link, passed in by the caller; frames over the
 * budget are counted as suppressed. The next round of a stream is timed from when the previous one was
 * actually due-polled, so a late caller never gets a pile of catch-up rounds.
 */
public final class AnnouncementSchedule {
    /** {@link #nextDeadlineNanos()} when nothing is scheduled. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    /** The two independent round streams of a burst. */
    public enum Stream {
        ARP, NA
    }

    /**
     * One round to send now: {@code frames} of its frames fit the budget, the other {@code suppressed} do not.
     *
     * @param index  0-based round number within the burst (selects request or reply in the alternate form);
     *               refresh rounds count on from 0 in their own sequence
     * @param reason the burst's reason, or {@link Reason#REFRESH} for a refresh round
     */
    public record Round(Stream stream, int index, Reason reason, int frames, int suppressed) {
    }

    private AnnouncementConfig config;
    private final TokenBucket singleLinkBudget;

    private Reason reason;
    private long triggerNanos;
    private int arpNext;
    private long arpDue;
    private boolean arpPending;
    private int naNext;
    private long naDue;
    private boolean naPending;
    private boolean naEverSent;
    private long lastNaNanos;

    private boolean awaitingProof;
    private boolean proven;
    private boolean cutThisBurst;

    private boolean refreshArmed;
    private long refreshDue;
    private int refreshNext;

    private long bursts;
    private long coalesced;
    private long roundsSuppressed;
    private long framesSuppressed;
    private long refreshRounds;
    private long proofs;
    private long stoppedEarly;
    private long lastProofLatencyNanos = -1;
    private Reason lastReason;
    private long lastTriggerNanos;

    public AnnouncementSchedule(AnnouncementConfig config) {
        this.config = config;
        this.singleLinkBudget = new TokenBucket(config.budgetPerSecond());
    }

    /**
     * Follows {@code newConfig} from now on: the rest of a running burst uses its counts and gaps (rounds already
     * sent count against the new totals), and the budgets keep their tokens up to the new capacity. A new
     * refresh period applies from the next burst; a refresh of zero cancels a pending one.
     */
    public void reconfigure(AnnouncementConfig newConfig) {
        config = java.util.Objects.requireNonNull(newConfig, "config");
        singleLinkBudget.resize(newConfig.budgetPerSecond());
        arpPending = arpPending && arpNext < newConfig.arpCount();
        naPending = naPending && naNext < newConfig.naCount();
        if (newConfig.refresh().isZero()) {
            refreshArmed = false;
        }
    }

    /** Starts a burst, or restarts the running one, for {@code reason}; a pending refresh waits for its end. */
    public void onTrigger(Reason reason, long nowNanos) {
        if (active()) {
            coalesced++;
        }
        bursts++;
        this.reason = reason;
        lastReason = reason;
        lastTriggerNanos = nowNanos;
        triggerNanos = nowNanos;
        arpNext = 0;
        arpDue = nowNanos;
        arpPending = config.arpCount() > 0;
        naNext = 0;
        long spaced = lastNaNanos + config.naInterval().toNanos();
        naDue = naEverSent && spaced - nowNanos > 0 ? spaced : nowNanos;
        naPending = config.naCount() > 0;
        awaitingProof = true;
        proven = false;
        cutThisBurst = false;
        refreshArmed = false;
        if (!active()) {
            armRefresh(nowNanos);
        }
    }

    /**
     * A frame addressed to the master arrived on the active link at {@code provenNanos}: the path works.
     * Counts once per trigger, and only for a frame that came after the trigger. With {@code untilProven}
     * each stream stops after its first round (a first round not yet sent still goes out).
     *
     * @return the time from the last trigger to the proof in nanoseconds, or -1 when this proof does not count
     */
    public long onProven(long provenNanos, long nowNanos) {
        if (!awaitingProof || provenNanos - triggerNanos < 0) {
            return -1;
        }
        awaitingProof = false;
        proofs++;
        lastProofLatencyNanos = provenNanos - triggerNanos;
        if (config.untilProven() && active()) {
            proven = true;
            if (arpPending && arpNext > 0) {
                arpPending = false;
                cut();
            }
            if (naPending && naNext > 0) {
                naPending = false;
                cut();
            }
            if (!active()) {
                armRefresh(nowNanos);
            }
        }
        return lastProofLatencyNanos;
    }

    /** Whether a burst is running (refresh rounds are not a burst). */
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
        if (naPending) {
            return naDue;
        }
        return refreshArmed ? refreshDue : NO_DEADLINE;
    }

    /** {@link #due(long, int, int, TokenBucket)} with one budget for everything (all rounds on one link). */
    public List<Round> due(long nowNanos, int arpFramesPerRound, int naFramesPerRound) {
        return due(nowNanos, arpFramesPerRound, naFramesPerRound, singleLinkBudget);
    }

    /**
     * The rounds due at {@code nowNanos} (at most one per stream), given how many frames one round of each
     * stream holds now, paid from {@code budget} (the bucket of the link they go out on). A stream whose
     * round holds no frame (e.g. no IPv6 address) advances silently.
     */
    public List<Round> due(long nowNanos, int arpFramesPerRound, int naFramesPerRound, TokenBucket budget) {
        List<Round> rounds = new ArrayList<>(2);
        if (active()) {
            if (arpPending && nowNanos - arpDue >= 0) {
                int index = arpNext++;
                emit(rounds, Stream.ARP, index, reason, arpFramesPerRound, budget, nowNanos);
                arpPending = arpNext < config.arpCount() && !cutByProof();
                arpDue = nowNanos + config.arpGapNanos(index);
            }
            if (naPending && nowNanos - naDue >= 0) {
                int index = naNext++;
                if (emit(rounds, Stream.NA, index, reason, naFramesPerRound, budget, nowNanos)) {
                    naEverSent = true;
                    lastNaNanos = nowNanos;
                }
                naPending = naNext < config.naCount() && !cutByProof();
                naDue = nowNanos + config.naInterval().toNanos();
            }
            if (!active()) {
                armRefresh(nowNanos);
            }
        } else if (refreshArmed && nowNanos - refreshDue >= 0) {
            int index = refreshNext++;
            refreshRounds++;
            emit(rounds, Stream.ARP, index, Reason.REFRESH, arpFramesPerRound, budget, nowNanos);
            boolean naSpaced = !naEverSent || nowNanos - lastNaNanos >= config.naInterval().toNanos();
            if (config.naCount() > 0 && naSpaced
                    && emit(rounds, Stream.NA, index, Reason.REFRESH, naFramesPerRound, budget, nowNanos)) {
                naEverSent = true;
                lastNaNanos = nowNanos;
            }
            refreshDue = nowNanos + config.refresh().toNanos();
        }
        return rounds;
    }

    /** After a round: whether the proof ends the stream here (and count the burst as cut once). */
    private boolean cutByProof() {
        if (proven) {
            cut();
            return true;
        }
        return false;
    }

    private void cut() {
        if (!cutThisBurst) {
            cutThisBurst = true;
            stoppedEarly++;
        }
    }

    private void armRefresh(long nowNanos) {
        if (!config.refresh().isZero()) {
            refreshArmed = true;
            refreshDue = nowNanos + config.refresh().toNanos();
        }
    }

    /** Adds the round unless it holds no frame; returns whether it was added. */
    private boolean emit(List<Round> rounds, Stream stream, int index, Reason why, int cost, TokenBucket budget,
            long nowNanos) {
        if (cost <= 0) {
            return false;
        }
        int allowed = budget.take(cost, nowNanos);
        int suppressed = cost - allowed;
        if (suppressed > 0) {
            framesSuppressed += suppressed;
            if (allowed == 0) {
                roundsSuppressed++;
            }
        }
        rounds.add(new Round(stream, index, why, allowed, suppressed));
        return true;
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

    /** Refresh rounds due so far (whether or not their frames fit the budget). */
    public long refreshRounds() {
        return refreshRounds;
    }

    /** Triggers whose path was proven. */
    public long proofs() {
        return proofs;
    }

    /** Bursts that dropped rounds because the path was proven ({@code untilProven}). */
    public long stoppedEarly() {
        return stoppedEarly;
    }

    /** Nanoseconds from the last proven trigger to its proof, -1 before the first proof. */
    public long lastProofLatencyNanos() {
        return lastProofLatencyNanos;
    }

    /** Whether the last trigger still waits for its proof. */
    public boolean awaitingProof() {
        return awaitingProof;
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
