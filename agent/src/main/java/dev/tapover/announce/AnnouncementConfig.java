// The knobs of announcement bursts: ARP form, round counts and spacing, NA limits, refresh, proof, frame budget.
package dev.tapover.announce;

import java.time.Duration;
import java.util.Objects;

/**
 * Immutable announcement settings. Defaults: form {@code request}; 5 ARP rounds, the first at once, then
 * gaps growing as QEMU's announce-self does (50, 150, 250, 350 ms: rounds at 0, 50, 200, 450, 800 ms);
 * 3 NA rounds at least 1 s apart (RFC 4861 MAX_NEIGHBOR_ADVERTISEMENT and RetransTimer); no periodic
 * refresh; bursts run to the end even once the path is proven; a budget of 100 frames per second per
 * link; and a RARP frame for any VLAN that carries no address.
 *
 * @param arpForm           which ARP frame announces IPv4 addresses
 * @param arpCount          ARP rounds per burst, 0 to send none
 * @param intervalMode      how the gap between ARP rounds grows
 * @param interval          the ARP gap in {@link IntervalMode#FIXED} mode
 * @param backoffInitial    the first gap in the backoff and exponential modes
 * @param backoffStep       added to the gap each round in {@link IntervalMode#BACKOFF} mode
 * @param backoffMax        the largest gap in the backoff and exponential modes
 * @param naCount           neighbour advertisement rounds per burst, 0 to send none
 * @param naInterval        the least time between two NA rounds, also across bursts
 * @param budgetPerSecond   the most frames sent on one link in any second (a token bucket per link), 0 for
 *                          no limit
 * @param rarpWhenNoAddress send one RARP on a VLAN (or untagged) segment that has no address
 * @param refresh           after a burst, send one round again every {@code refresh} (keeps switch FDB
 *                          entries younger than their ageing time); zero for none
 * @param untilProven       stop a burst early, after its first round, once a frame addressed to the
 *                          master arrives on the active link (the path is proven)
 */
public record AnnouncementConfig(
        ArpForm arpForm,
        int arpCount,
        IntervalMode intervalMode,
        Duration interval,
        Duration backoffInitial,
        Duration backoffStep,
        Duration backoffMax,
        int naCount,
        Duration naInterval,
        int budgetPerSecond,
        boolean rarpWhenNoAddress,
        Duration refresh,
        boolean untilProven) {

    /** RFC 4861 section 10: MAX_NEIGHBOR_ADVERTISEMENT. */
    public static final int RFC4861_MAX_NEIGHBOR_ADVERTISEMENT = 3;
    /** RFC 4861 section 10: RETRANS_TIMER. */
    public static final Duration RFC4861_RETRANS_TIMER = Duration.ofSeconds(1);

    private static final int MAX_ROUNDS = 1000;
    private static final Duration MAX_GAP = Duration.ofHours(1);
    private static final Duration MIN_REFRESH = Duration.ofMillis(100);

    public AnnouncementConfig {
        Objects.requireNonNull(arpForm, "arpForm");
        Objects.requireNonNull(intervalMode, "intervalMode");
        checkCount("arp count", arpCount);
        checkCount("na count", naCount);
        checkGap("interval", interval);
        checkGap("backoff initial", backoffInitial);
        checkGap("backoff step", backoffStep);
        checkGap("backoff max", backoffMax);
        checkGap("na interval", naInterval);
        checkGap("refresh", refresh);
        if (!refresh.isZero() && refresh.compareTo(MIN_REFRESH) < 0) {
            throw new IllegalArgumentException("refresh " + refresh.toMillis() + " ms is below " + MIN_REFRESH.toMillis()
                    + " ms: a refresh keeps FDB entries fresh over minutes, use e.g. 60s (or 0 for none)");
        }
        if (backoffMax.compareTo(backoffInitial) < 0) {
            throw new IllegalArgumentException("backoff max " + backoffMax.toMillis() + " ms is below backoff initial "
                    + backoffInitial.toMillis() + " ms: raise max or lower initial");
        }
        if (budgetPerSecond < 0 || budgetPerSecond > 1_000_000) {
            throw new IllegalArgumentException("budget " + budgetPerSecond
                    + " frames per second is outside 0..1000000 (0 means no limit)");
        }
    }

    /** The defaults described above. */
    public static AnnouncementConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The gap after ARP round {@code round} (0-based) and before the next one, in nanoseconds. */
    long arpGapNanos(int round) {
        switch (intervalMode) {
            case FIXED:
                return interval.toNanos();
            case BACKOFF:
                return Math.min(backoffInitial.toNanos() + (long) round * backoffStep.toNanos(), backoffMax.toNanos());
            case EXPONENTIAL:
                long gap = backoffInitial.toNanos();
                for (int i = 0; i < round && gap < backoffMax.toNanos(); i++) {
                    gap *= 2;
                }
                return Math.min(gap, backoffMax.toNanos());
            default:
                throw new IllegalStateException(intervalMode.toString());
        }
    }

    private static void checkCount(String what, int count) {
        if (count < 0 || count > MAX_ROUNDS) {
            throw new IllegalArgumentException(what + " " + count + " is outside 0.." + MAX_ROUNDS);
        }
    }

    private static void checkGap(String what, Duration gap) {
        Objects.requireNonNull(gap, what);
        if (gap.isNegative() || gap.compareTo(MAX_GAP) > 0) {
            throw new IllegalArgumentException(what + " " + gap + " is outside 0 s..1 h");
        }
    }

    /** Builds a config from the defaults, changing only what is set. */
    public static final class Builder {
        private ArpForm arpForm = ArpForm.REQUEST;
        private int arpCount = 5;
        private IntervalMode intervalMode = IntervalMode.BACKOFF;
        private Duration interval = Duration.ofSeconds(1);
        private Duration backoffInitial = Duration.ofMillis(50);
        private Duration backoffStep = Duration.ofMillis(100);
        private Duration backoffMax = Duration.ofMillis(550);
        private int naCount = RFC4861_MAX_NEIGHBOR_ADVERTISEMENT;
        private Duration naInterval = RFC4861_RETRANS_TIMER;
        private int budgetPerSecond = 100;
        private boolean rarpWhenNoAddress = true;
        private Duration refresh = Duration.ZERO;
        private boolean untilProven;

        private Builder() {
        }

        private Builder(AnnouncementConfig c) {
            arpForm = c.arpForm;
            arpCount = c.arpCount;
            intervalMode = c.intervalMode;
            interval = c.interval;
            backoffInitial = c.backoffInitial;
            backoffStep = c.backoffStep;
            backoffMax = c.backoffMax;
            naCount = c.naCount;
            naInterval = c.naInterval;
            budgetPerSecond = c.budgetPerSecond;
            rarpWhenNoAddress = c.rarpWhenNoAddress;
            refresh = c.refresh;
            untilProven = c.untilProven;
        }

        public Builder arpForm(ArpForm value) {
            arpForm = value;
            return this;
        }

        public Builder arpCount(int value) {
            arpCount = value;
            return this;
        }

        public Builder intervalMode(IntervalMode value) {
            intervalMode = value;
            return this;
        }

        public Builder interval(Duration value) {
            interval = value;
            return this;
        }

        /** The backoff and exponential modes' first gap, step and largest gap. */
        public Builder backoff(Duration initial, Duration step, Duration max) {
            backoffInitial = initial;
            backoffStep = step;
            backoffMax = max;
            return this;
        }

        public Builder naCount(int value) {
            naCount = value;
            return this;
        }

        public Builder naInterval(Duration value) {
            naInterval = value;
            return this;
        }

        /** Frames per second per link (token bucket holding one second's worth); 0 for no limit. */
        public Builder budgetPerSecond(int value) {
            budgetPerSecond = value;
            return this;
        }

        public Builder rarpWhenNoAddress(boolean value) {
            rarpWhenNoAddress = value;
            return this;
        }

        /** One round again every {@code value} after a burst; zero for none. */
        public Builder refresh(Duration value) {
            refresh = value;
            return this;
        }

        public Builder untilProven(boolean value) {
            untilProven = value;
            return this;
        }

        public AnnouncementConfig build() {
            return new AnnouncementConfig(arpForm, arpCount, intervalMode, interval, backoffInitial, backoffStep,
                    backoffMax, naCount, naInterval, budgetPerSecond, rarpWhenNoAddress, refresh, untilProven);
        }
    }
}
