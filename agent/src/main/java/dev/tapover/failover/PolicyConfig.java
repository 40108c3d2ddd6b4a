// The tunable knobs of the failover policy: debounce delays, failback delay and failback policy, validated once.
package dev.tapover.failover;

import java.time.Duration;
import java.util.Objects;

/**
 * @param upDelay       how long a link must stay admin up with carrier before it becomes usable (bonding updelay)
 * @param downDelay     how long a usable link must stay without carrier before it becomes unusable (bonding
 *                      downdelay); admin-down and removal do not wait
 * @param failbackDelay how long a higher-ranked link must have been usable before the group fails back to it
 * @param failback      when to leave a healthy active link for a higher-ranked one
 */
public record PolicyConfig(Duration upDelay, Duration downDelay, Duration failbackDelay, FailbackPolicy failback) {

    /** Upper bound for every delay; it keeps deadline arithmetic far from overflow and catches unit mistakes. */
    public static final Duration MAX_DELAY = Duration.ofHours(1);

    public PolicyConfig {
        requireDelay("up-delay", upDelay);
        requireDelay("down-delay", downDelay);
        requireDelay("failback-delay", failbackDelay);
        Objects.requireNonNull(failback, "failback policy must not be null");
    }

    /** No debouncing, no failback delay, failback {@code always}: the kernel's defaults for bonding and teamd. */
    public static PolicyConfig defaults() {
        return new PolicyConfig(Duration.ZERO, Duration.ZERO, Duration.ZERO, FailbackPolicy.ALWAYS);
    }

    public PolicyConfig withUpDelay(Duration delay) {
        return new PolicyConfig(delay, downDelay, failbackDelay, failback);
    }

    public PolicyConfig withDownDelay(Duration delay) {
        return new PolicyConfig(upDelay, delay, failbackDelay, failback);
    }

    public PolicyConfig withFailbackDelay(Duration delay) {
        return new PolicyConfig(upDelay, downDelay, delay, failback);
    }

    public PolicyConfig withFailback(FailbackPolicy policy) {
        return new PolicyConfig(upDelay, downDelay, failbackDelay, policy);
    }

    public long upDelayNanos() {
        return upDelay.toNanos();
    }

    public long downDelayNanos() {
        return downDelay.toNanos();
    }

    public long failbackDelayNanos() {
        return failbackDelay.toNanos();
    }

    private static void requireDelay(String name, Duration delay) {
        if (delay == null) {
            throw new IllegalArgumentException(name + " is missing: give a duration such as 0ms or 200ms");
        }
        if (delay.isNegative() || delay.compareTo(MAX_DELAY) > 0) {
            throw new IllegalArgumentException(name + " must be between 0 ms and " + MAX_DELAY.toMillis()
                    + " ms, got " + delay.toMillis() + " ms");
        }
    }
}
