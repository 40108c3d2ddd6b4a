// Test hook: TAPOVER_TEST_PAUSE=<point> makes a successor stop at that protocol point so a test can kill it there.
package dev.tapover.liveupdate;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Points, in protocol order: {@code connect} (connected, HELLO not sent), {@code hello}, {@code preserve}
 * (session and fds received and checked), {@code prepared} (data path and link monitor built on them, FREEZE
 * not sent), {@code handoff} (the running agent is frozen; HANDOFF received and checked), {@code restore}
 * (restored, not reading yet). At the point the successor logs
 * {@code event=test-pause point=P pid=N} and sleeps up to 60 s, then exits; the test kills it meanwhile.
 * Without the variable nothing happens.
 */
public final class FaultInjection {
    public static final String VARIABLE = "TAPOVER_TEST_PAUSE";
    public static final List<String> POINTS = List.of("connect", "hello", "preserve", "prepared", "handoff",
            "restore");
    private static final Logger LOG = LoggerFactory.getLogger(FaultInjection.class);

    private FaultInjection() {
    }

    /** Pauses here if the test asked for {@code point}. */
    public static void pauseIf(String point) {
        String wanted = System.getenv(VARIABLE);
        if (wanted == null || !wanted.equals(point)) {
            return;
        }
        LOG.warn("event=test-pause point={} pid={}", point, ProcessHandle.current().pid());
        System.err.flush();
        try {
            Thread.sleep(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.error("event=test-pause-expired point={}: nobody killed this successor within 60 s", point);
        Runtime.getRuntime().halt(70);
    }
}
