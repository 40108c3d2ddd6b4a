// A snapshot of the announcer's counters for status, metrics and tests.
package dev.tapover.announce;

import java.time.Instant;
import java.util.Map;

/**
 * Announcement counters at one instant.
 *
 * @param sent             frames put on the wire, per kind
 * @param framesSuppressed frames the budget held back
 * @param roundsSuppressed rounds of which the budget let no frame out
 * @param sendErrors       frames that failed to go out (no active link, link gone, send error)
 * @param openErrors       failed attempts to open a link
 * @param reopens          handles reopened because the link's ifindex changed or a send failed
 * @param bursts           bursts started, restarts included
 * @param coalesced        triggers that restarted a running burst
 * @param lastReason       the last trigger's reason, null before the first
 * @param lastTrigger      the last trigger's wall-clock time, null before the first
 * @param activeLink       the link announcements go out on, null when none is set
 * @param burstRunning     whether a burst is in progress
 * @param refreshRounds    periodic refresh rounds so far
 * @param proofs           triggers whose path was proven (a frame for the master came in on the active link)
 * @param stoppedEarly     bursts cut short by their proof ({@code untilProven})
 * @param lastProofMicros  from the last proven trigger to its proof, -1 before the first
 * @param lastProofLink    the link the last proof came in on, null before the first
 * @param awaitingProof    whether the last trigger is still unproven
 */
public record AnnouncementCounters(
        Map<FrameKind, Long> sent,
        long framesSuppressed,
        long roundsSuppressed,
        long sendErrors,
        long openErrors,
        long reopens,
        long bursts,
        long coalesced,
        Reason lastReason,
        Instant lastTrigger,
        String activeLink,
        boolean burstRunning,
        long refreshRounds,
        long proofs,
        long stoppedEarly,
        long lastProofMicros,
        String lastProofLink,
        boolean awaitingProof) {

    public AnnouncementCounters {
        sent = Map.copyOf(sent);
    }

    /** Frames of {@code kind} sent so far. */
    public long sent(FrameKind kind) {
        return sent.getOrDefault(kind, 0L);
    }

    /** All frames sent so far. */
    public long sentTotal() {
        return sent.values().stream().mapToLong(Long::longValue).sum();
    }
}
