// How long each live-update step may take before the side waiting for it gives up (and the predecessor rolls back).
package dev.tapover.liveupdate;

import java.time.Duration;

/**
 * @param connect  from {@code tapover upgrade} starting the successor to its connection (a JVM start)
 * @param step     an answer to a request: HELLO, PRESERVE, FREEZE, HANDOFF, SERVING, FINISH
 * @param prepare  from SESSION to FREEZE: the successor prepares what needs no fd (nothing is frozen yet)
 * @param restore  from the handoff to READY: the successor's checks and restore steps
 */
public record Deadlines(Duration connect, Duration step, Duration prepare, Duration restore) {
    public static Deadlines defaults() {
        return new Deadlines(Duration.ofSeconds(20), Duration.ofSeconds(3), Duration.ofSeconds(15), Duration.ofSeconds(5));
    }

    public long prepareNanos() {
        return prepare.toNanos();
    }

    public long stepNanos() {
        return step.toNanos();
    }

    public long restoreNanos() {
        return restore.toNanos();
    }
}
