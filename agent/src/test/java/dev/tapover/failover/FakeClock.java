// A hand-driven nanosecond clock for tests: time moves only when the test says so.
package dev.tapover.failover;

import java.time.Duration;
import java.util.function.LongSupplier;

final class FakeClock implements LongSupplier {
    private long nowNanos;

    FakeClock(long startNanos) {
        this.nowNanos = startNanos;
    }

    @Override
    public long getAsLong() {
        return nowNanos;
    }

    void advance(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("time does not go backwards: " + duration);
        }
        nowNanos += duration.toNanos();
    }

    void advanceMillis(long millis) {
        advance(Duration.ofMillis(millis));
    }

    void setNanos(long nanos) {
        if (nanos < nowNanos) {
            throw new IllegalArgumentException("time does not go backwards: " + nanos + " < " + nowNanos);
        }
        nowNanos = nanos;
    }
}
