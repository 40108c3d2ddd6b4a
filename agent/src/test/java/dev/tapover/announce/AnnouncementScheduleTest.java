// Schedule tests on a fake clock: burst timing, backoff, coalescing, NA limit and spacing, budget.
package dev.tapover.announce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.tapover.announce.AnnouncementSchedule.Round;
import dev.tapover.announce.AnnouncementSchedule.Stream;
import org.junit.jupiter.api.Test;

class AnnouncementScheduleTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    /** An arbitrary, negative origin: nanoTime values need not be positive. */
    private static final long T0 = -5 * S;

    /** The settings before QEMU-style backoff became the default: three ARP rounds one second apart. */
    private static final AnnouncementConfig ONE_SECOND_APART = AnnouncementConfig.builder()
            .intervalMode(IntervalMode.FIXED).arpCount(3).build();

    /** A sent round and when. */
    private record Sent(long at, Round round) {
    }

    /**
     * Polls the schedule like the announcer thread does: jumps the fake clock to each deadline, until
     * {@code until} (relative to T0), and returns what went out. Bounded by a poll count.
     */
    private static List<Sent> run(AnnouncementSchedule schedule, long from, long until, int arpCost, int naCost) {
        List<Sent> sent = new ArrayList<>();
        long now = from;
        for (int polls = 0; polls < 10_000; polls++) {
            for (Round round : schedule.due(now, arpCost, naCost)) {
                sent.add(new Sent(now - T0, round));
            }
            long next = schedule.nextDeadlineNanos();
            if (next == AnnouncementSchedule.NO_DEADLINE || next - (T0 + until) > 0) {
                return sent;
            }
            now = next;
        }
        throw new AssertionError("schedule did not settle");
    }

    private static List<Long> times(List<Sent> sent, Stream stream) {
        List<Long> out = new ArrayList<>();
        for (Sent s : sent) {
            if (s.round().stream() == stream) {
                out.add(s.at() / MS);
            }
        }
        return out;
    }

    @Test
    void defaultBurstIsFiveArpRoundsWithQemuGapsAndThreeNaRoundsOneSecondApart() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.defaults());
        schedule.onTrigger(Reason.FAILOVER, T0);
        assertEquals(T0, schedule.nextDeadlineNanos(), "first round is immediate");
        List<Sent> sent = run(schedule, T0, 60 * S, 1, 1);
        assertEquals(List.of(0L, 50L, 200L, 450L, 800L), times(sent, Stream.ARP));
        assertEquals(List.of(0L, 1000L, 2000L), times(sent, Stream.NA));
        assertFalse(schedule.active());
        assertEquals(AnnouncementSchedule.NO_DEADLINE, schedule.nextDeadlineNanos(), "no refresh by default");
    }

    @Test
    void oneSecondApartBurstIsThreeArpAndThreeNaRoundsFirstAtOnce() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(ONE_SECOND_APART);
        assertEquals(AnnouncementSchedule.NO_DEADLINE, schedule.nextDeadlineNanos());
        schedule.onTrigger(Reason.FAILOVER, T0);
        assertEquals(T0, schedule.nextDeadlineNanos(), "first round is immediate");
        List<Round> first = schedule.due(T0, 1, 1);
        assertEquals(List.of(new Round(Stream.ARP, 0, Reason.FAILOVER, 1, 0), new Round(Stream.NA, 0, Reason.FAILOVER, 1, 0)),
                first);
        assertEquals(T0 + S, schedule.nextDeadlineNanos());
        assertEquals(List.of(), schedule.due(T0 + S - 1, 1, 1), "nothing before the gap has passed");
        List<Sent> rest = run(schedule, T0 + S, 60 * S, 1, 1);
        assertEquals(List.of(1000L, 2000L), times(rest, Stream.ARP));
        assertEquals(List.of(1000L, 2000L), times(rest, Stream.NA));
        assertEquals(2, rest.get(rest.size() - 1).round().index());
        assertFalse(schedule.active());
        assertEquals(AnnouncementSchedule.NO_DEADLINE, schedule.nextDeadlineNanos());
        assertEquals(1, schedule.bursts());
        assertEquals(0, schedule.coalesced());
        assertEquals(Reason.FAILOVER, schedule.lastReason());
        assertEquals(T0, schedule.lastTriggerNanos());
        assertNull(schedule.currentReason());
    }

    @Test
    void backoffModeFollowsQemuAnnounceSelf() {
        AnnouncementConfig config = AnnouncementConfig.builder().intervalMode(IntervalMode.BACKOFF).arpCount(8)
                .naCount(0).build();
        AnnouncementSchedule schedule = new AnnouncementSchedule(config);
        schedule.onTrigger(Reason.MIGRATION, T0);
        List<Sent> sent = run(schedule, T0, 60 * S, 1, 1);
        // Gaps 50, 150, 250, 350, 450, 550, 550 ms (initial 50, step 100, max 550).
        assertEquals(List.of(0L, 50L, 200L, 450L, 800L, 1250L, 1800L, 2350L), times(sent, Stream.ARP));
        assertEquals(List.of(), times(sent, Stream.NA));
    }

    @Test
    void exponentialModeDoublesUpToMax() {
        AnnouncementConfig config = AnnouncementConfig.builder().intervalMode(IntervalMode.EXPONENTIAL).arpCount(7)
                .build();
        AnnouncementSchedule schedule = new AnnouncementSchedule(config);
        schedule.onTrigger(Reason.RESTART, T0);
        List<Sent> sent = run(schedule, T0, 60 * S, 2, 0);
        // Gaps 50, 100, 200, 400, 550, 550 ms.
        assertEquals(List.of(0L, 50L, 150L, 350L, 750L, 1300L, 1850L), times(sent, Stream.ARP));
    }

    @Test
    void aLateCallerGetsOneRoundNotAPileOfCatchUps() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(ONE_SECOND_APART);
        schedule.onTrigger(Reason.FAILOVER, T0);
        schedule.due(T0, 1, 1);
        List<Round> late = schedule.due(T0 + 5 * S, 1, 1);
        assertEquals(2, late.size(), "one ARP and one NA round, not two of each");
        assertEquals(T0 + 6 * S, schedule.nextDeadlineNanos(), "the next gap counts from the late round");
    }

    @Test
    void aTriggerDuringABurstRestartsItInsteadOfOverlapping() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(ONE_SECOND_APART);
        schedule.onTrigger(Reason.FAILOVER, T0);
        List<Sent> sent = new ArrayList<>(run(schedule, T0, 500 * MS, 1, 1));
        schedule.onTrigger(Reason.FAILBACK, T0 + 500 * MS);
        assertTrue(schedule.active());
        sent.addAll(run(schedule, T0 + 500 * MS, 60 * S, 1, 1));
        // ARP: the first burst's round 0, then the restarted burst's three rounds; the old rounds are gone.
        assertEquals(List.of(0L, 500L, 1500L, 2500L), times(sent, Stream.ARP));
        // NA: never closer than 1 s, so the restarted burst's first NA waits until 1000 ms.
        assertEquals(List.of(0L, 1000L, 2000L, 3000L), times(sent, Stream.NA));
        assertEquals(Reason.FAILBACK, sent.get(sent.size() - 1).round().reason());
        assertEquals(2, schedule.bursts());
        assertEquals(1, schedule.coalesced());
        assertEquals(Reason.FAILBACK, schedule.lastReason());
        assertEquals(T0 + 500 * MS, schedule.lastTriggerNanos());
    }

    @Test
    void neighbourAdvertisementsStopAtThreePerEventSpacedAtLeastOneSecond() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.builder().arpCount(10)
                .interval(Duration.ofMillis(100)).build());
        schedule.onTrigger(Reason.MANUAL, T0);
        List<Long> na = new ArrayList<>();
        for (long t = 0; t <= 10 * S; t += 10 * MS) { // poll every 10 ms for 10 s
            for (Round round : schedule.due(T0 + t, 1, 1)) {
                if (round.stream() == Stream.NA) {
                    na.add(t / MS);
                }
            }
        }
        assertEquals(List.of(0L, 1000L, 2000L), na);
        assertEquals(AnnouncementConfig.RFC4861_MAX_NEIGHBOR_ADVERTISEMENT, na.size());
    }

    @Test
    void neighbourAdvertisementSpacingHoldsThroughATriggerStorm() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.defaults());
        List<Long> na = new ArrayList<>();
        for (long t = 0; t <= 10 * S; t += 10 * MS) {
            if (t % (100 * MS) == 0 && t <= 5 * S) {
                schedule.onTrigger(Reason.FAILOVER, T0 + t); // a flap every 100 ms for 5 s
            }
            for (Round round : schedule.due(T0 + t, 1, 1)) {
                if (round.stream() == Stream.NA) {
                    na.add(t);
                }
            }
        }
        for (int i = 1; i < na.size(); i++) {
            assertTrue(na.get(i) - na.get(i - 1) >= S, "NA rounds " + na.get(i - 1) + " and " + na.get(i) + " ns");
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L),
                na.stream().map(t -> t / S).collect(java.util.stream.Collectors.toList()),
                "one NA per second while it flaps, then the last burst's remaining two");
        assertEquals(51, schedule.bursts());
        assertEquals(50, schedule.coalesced());
    }

    @Test
    void naCountAndIntervalCanBeConfiguredBeyondRfc4861() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.builder().arpCount(0).naCount(5)
                .naInterval(Duration.ofMillis(200)).build());
        schedule.onTrigger(Reason.MANUAL, T0);
        assertEquals(List.of(0L, 200L, 400L, 600L, 800L), times(run(schedule, T0, 60 * S, 1, 1), Stream.NA));
    }

    @Test
    void budgetSuppressesFramesBeyondItAndCountsThem() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.builder().budgetPerSecond(10)
                .naCount(0).build());
        List<Round> rounds = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // four flaps at the same instant, 4 frames per round
            schedule.onTrigger(Reason.FAILOVER, T0);
            rounds.addAll(schedule.due(T0, 4, 0));
        }
        assertEquals(List.of(4, 4, 2, 0), rounds.stream().map(Round::frames).collect(java.util.stream.Collectors.toList()));
        assertEquals(List.of(0, 0, 2, 4), rounds.stream().map(Round::suppressed).collect(java.util.stream.Collectors.toList()));
        assertEquals(6, schedule.framesSuppressed());
        assertEquals(1, schedule.roundsSuppressed());
        // Half a second refills five frames; a full second refills the whole bucket, never more.
        schedule.onTrigger(Reason.FAILOVER, T0 + 500 * MS);
        assertEquals(4, schedule.due(T0 + 500 * MS, 4, 0).get(0).frames());
        schedule.onTrigger(Reason.FAILOVER, T0 + 500 * MS);
        Round partial = schedule.due(T0 + 500 * MS, 4, 0).get(0);
        assertEquals(1, partial.frames());
        assertEquals(3, partial.suppressed());
        schedule.onTrigger(Reason.FAILOVER, T0 + 100 * S);
        assertEquals(4, schedule.due(T0 + 100 * S, 4, 0).get(0).frames());
        schedule.onTrigger(Reason.FAILOVER, T0 + 100 * S);
        assertEquals(4, schedule.due(T0 + 100 * S, 4, 0).get(0).frames());
        schedule.onTrigger(Reason.FAILOVER, T0 + 100 * S);
        assertEquals(2, schedule.due(T0 + 100 * S, 4, 0).get(0).frames(), "bucket holds 10, not 100 s worth");
    }

    @Test
    void zeroBudgetMeansNoLimit() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.builder().budgetPerSecond(0).build());
        for (int i = 0; i < 100; i++) {
            schedule.onTrigger(Reason.FAILOVER, T0);
            for (Round round : schedule.due(T0, 1000, 1000)) {
                if (round.stream() == Stream.ARP) {
                    assertEquals(1000, round.frames());
                }
            }
        }
        assertEquals(0, schedule.framesSuppressed());
    }

    @Test
    void roundsWithoutFramesPassSilently() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(ONE_SECOND_APART);
        schedule.onTrigger(Reason.FAILOVER, T0);
        List<Sent> sent = run(schedule, T0, 60 * S, 1, 0); // no IPv6 address
        assertEquals(3, sent.size());
        assertTrue(sent.stream().allMatch(s -> s.round().stream() == Stream.ARP));
        assertFalse(schedule.active());
        // With no NA ever sent, a new trigger's first NA is not held back by spacing.
        schedule.onTrigger(Reason.MANUAL, T0 + 3 * S);
        assertEquals(2, schedule.due(T0 + 3 * S, 1, 1).size());
    }

    @Test
    void idleScheduleHasNothingDue() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.defaults());
        assertEquals(List.of(), schedule.due(T0, 1, 1));
        assertNull(schedule.lastReason());
        assertEquals(0, schedule.bursts());
    }

    @Test
    void zeroCountsDisableAStream() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.builder().arpCount(0).naCount(0)
                .build());
        schedule.onTrigger(Reason.MANUAL, T0);
        assertFalse(schedule.active());
        assertEquals(List.of(), schedule.due(T0, 1, 1));
    }

    @Test
    void configIsValidated() {
        assertThrows(IllegalArgumentException.class, () -> AnnouncementConfig.builder().arpCount(-1).build());
        assertThrows(IllegalArgumentException.class, () -> AnnouncementConfig.builder().naCount(1001).build());
        assertThrows(IllegalArgumentException.class,
                () -> AnnouncementConfig.builder().interval(Duration.ofMillis(-1)).build());
        assertThrows(IllegalArgumentException.class, () -> AnnouncementConfig.builder()
                .backoff(Duration.ofMillis(500), Duration.ofMillis(1), Duration.ofMillis(100)).build());
        assertThrows(IllegalArgumentException.class, () -> AnnouncementConfig.builder().budgetPerSecond(-1).build());
        assertEquals(IntervalMode.BACKOFF, IntervalMode.parse("backoff"));
        AnnouncementConfig changed = AnnouncementConfig.defaults().toBuilder().arpForm(ArpForm.RARP).build();
        assertEquals(ArpForm.RARP, changed.arpForm());
        assertEquals(5, changed.arpCount());
        assertEquals(IntervalMode.BACKOFF, changed.intervalMode());
        assertThrows(IllegalArgumentException.class,
                () -> AnnouncementConfig.builder().refresh(Duration.ofMillis(10)).build(), "a refresh that fast is a storm");
    }

    @Test
    void untilProvenStopsEachStreamAfterItsFirstRound() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.builder().untilProven(true).build());
        schedule.onTrigger(Reason.FAILOVER, T0);
        List<Sent> sent = new ArrayList<>(run(schedule, T0, 10 * MS, 1, 1));
        assertEquals(3 * MS, schedule.onProven(T0 + 3 * MS, T0 + 4 * MS), "latency from trigger to proof");
        sent.addAll(run(schedule, T0 + 4 * MS, 60 * S, 1, 1));
        assertEquals(List.of(0L), times(sent, Stream.ARP));
        assertEquals(List.of(0L), times(sent, Stream.NA));
        assertFalse(schedule.active());
        assertEquals(1, schedule.proofs());
        assertEquals(1, schedule.stoppedEarly());
        assertEquals(3 * MS, schedule.lastProofLatencyNanos());
    }

    @Test
    void aProofBeforeTheFirstRoundStillLetsTheFirstRoundOut() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.builder().untilProven(true).build());
        schedule.onTrigger(Reason.FAILOVER, T0);
        schedule.onProven(T0, T0); // e.g. flooded unicast that was already on its way
        List<Sent> sent = run(schedule, T0, 60 * S, 1, 1);
        assertEquals(List.of(0L), times(sent, Stream.ARP));
        assertEquals(List.of(0L), times(sent, Stream.NA));
        assertEquals(1, schedule.stoppedEarly());
    }

    @Test
    void aFirstNaRoundHeldBackBySpacingStillGoesOutAfterTheProof() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.builder().untilProven(true).build());
        schedule.onTrigger(Reason.FAILOVER, T0);
        run(schedule, T0, 0, 1, 1);
        schedule.onTrigger(Reason.FAILBACK, T0 + 100 * MS); // its NA round 0 waits until 1000 ms
        List<Sent> sent = new ArrayList<>(run(schedule, T0 + 100 * MS, 100 * MS, 1, 1));
        schedule.onProven(T0 + 120 * MS, T0 + 120 * MS);
        sent.addAll(run(schedule, T0 + 120 * MS, 60 * S, 1, 1));
        assertEquals(List.of(100L), times(sent, Stream.ARP));
        assertEquals(List.of(1000L), times(sent, Stream.NA));
    }

    @Test
    void withoutUntilProvenTheProofIsRecordedAndTheBurstRunsToItsEnd() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.defaults());
        schedule.onTrigger(Reason.MIGRATION, T0);
        List<Sent> sent = new ArrayList<>(run(schedule, T0, 0, 1, 0));
        assertEquals(7 * MS, schedule.onProven(T0 + 7 * MS, T0 + 8 * MS));
        sent.addAll(run(schedule, T0 + 8 * MS, 60 * S, 1, 0));
        assertEquals(5, times(sent, Stream.ARP).size());
        assertEquals(0, schedule.stoppedEarly());
    }

    @Test
    void aProofCountsOncePerTriggerAndNeverFromBeforeIt() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.defaults());
        assertEquals(-1, schedule.onProven(T0, T0), "nothing to prove before any trigger");
        schedule.onTrigger(Reason.FAILOVER, T0 + S);
        assertTrue(schedule.awaitingProof());
        assertEquals(-1, schedule.onProven(T0 + S - 1, T0 + S), "a frame from before the trigger proves nothing");
        assertEquals(2 * MS, schedule.onProven(T0 + S + 2 * MS, T0 + S + 2 * MS));
        assertFalse(schedule.awaitingProof());
        assertEquals(-1, schedule.onProven(T0 + S + 3 * MS, T0 + S + 3 * MS), "the second frame is no news");
        schedule.onTrigger(Reason.FAILBACK, T0 + 2 * S);
        assertEquals(MS, schedule.onProven(T0 + 2 * S + MS, T0 + 2 * S + MS));
        assertEquals(2, schedule.proofs());
    }

    @Test
    void refreshSendsOneRoundPerPeriodAfterTheBurstUntilTheNextTrigger() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.builder().intervalMode(IntervalMode.FIXED)
                .arpCount(2).naCount(1).refresh(Duration.ofSeconds(60)).build());
        schedule.onTrigger(Reason.FAILOVER, T0);
        List<Sent> sent = run(schedule, T0, 200 * S, 1, 1);
        assertEquals(List.of(0L, 1000L, 61_000L, 121_000L, 181_000L), times(sent, Stream.ARP));
        assertEquals(List.of(0L, 61_000L, 121_000L, 181_000L), times(sent, Stream.NA));
        assertEquals(List.of(Reason.FAILOVER, Reason.FAILOVER, Reason.REFRESH, Reason.REFRESH),
                sent.stream().filter(x -> x.round().stream() == Stream.ARP).limit(4).map(x -> x.round().reason())
                        .collect(java.util.stream.Collectors.toList()));
        assertEquals(3, schedule.refreshRounds());
        assertEquals(1, schedule.bursts(), "refresh rounds are not bursts");
        assertFalse(schedule.active());
        schedule.onTrigger(Reason.MANUAL, T0 + 200 * S);
        assertEquals(T0 + 200 * S, schedule.nextDeadlineNanos(), "the trigger's burst replaces the pending refresh");
        List<Sent> after = run(schedule, T0 + 200 * S, 261 * S + 500 * MS, 1, 1);
        assertEquals(List.of(200_000L, 201_000L, 261_000L), times(after, Stream.ARP));
    }

    @Test
    void refreshRoundsPayFromTheBudget() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.builder().arpCount(1).naCount(0)
                .budgetPerSecond(3).refresh(Duration.ofMillis(100)).build());
        schedule.onTrigger(Reason.FAILOVER, T0);
        List<Sent> sent = run(schedule, T0, 350 * MS, 2, 0);
        assertEquals(List.of(2, 1, 0, 0), sent.stream().map(x -> x.round().frames())
                .collect(java.util.stream.Collectors.toList()), "2 + 1 spend the bucket of 3; 100 ms refill 0.3 frame each");
        assertTrue(schedule.framesSuppressed() >= 5);
    }

    @Test
    void eachLinkHasItsOwnBucket() {
        AnnouncementSchedule schedule = new AnnouncementSchedule(AnnouncementConfig.builder().budgetPerSecond(2)
                .arpCount(1).naCount(0).build());
        TokenBucket primary = new TokenBucket(2);
        TokenBucket standby = new TokenBucket(2);
        int onPrimary = 0;
        int onStandby = 0;
        for (int flap = 0; flap < 10; flap++) { // ten failovers between the two links at one instant
            TokenBucket link = flap % 2 == 0 ? standby : primary;
            schedule.onTrigger(Reason.FAILOVER, T0);
            int frames = schedule.due(T0, 1, 0, link).get(0).frames();
            if (link == primary) {
                onPrimary += frames;
            } else {
                onStandby += frames;
            }
        }
        assertEquals(2, onPrimary, "the primary's budget caps its frames");
        assertEquals(2, onStandby, "and the standby's, independently");
        assertEquals(6, schedule.framesSuppressed());
    }

    @Test
    void tokenBucketStartsFullRefillsContinuouslyAndHoldsOneSecond() {
        TokenBucket bucket = new TokenBucket(10);
        assertEquals(10, bucket.take(25, T0));
        assertEquals(0, bucket.take(1, T0 + 50 * MS), "half a frame refilled is no frame");
        assertEquals(1, bucket.take(1, T0 + 100 * MS));
        assertEquals(10, bucket.available(T0 + 100 * S), "never more than one second's worth");
        assertEquals(7, new TokenBucket(0).take(7, T0), "0 is no limit");
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(-1));
    }
}
