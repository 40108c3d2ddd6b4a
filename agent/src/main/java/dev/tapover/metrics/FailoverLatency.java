// Times each failover from detection to switch to first announcement frame, from events and announcement counters.
package dev.tapover.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * Three stages, each observed in seconds:
 * <pre>
 *   carrier event ------ detect_to_switch ------ active-changed ---- switch_to_announcement ---- first frame
 *        |________________________________ detect_to_announcement _____________________________|
 * </pre>
 * Detection is when the agent handled the trigger link's carrier change (a {@code carrier} event); the switch is
 * the {@code active-changed} event (the data path already moved); both events carry those times
 * ({@code monotonicNanos}), since the agent publishes them after the first frame; without one the time the event
 * is seen counts. The first frame: the {@code active-changed} event's {@code firstFrameNanos} when the decision
 * thread sent it itself, else when the group's count of announcement frames sent first grows after the switch,
 * which {@link #poll} finds (the announcer counts a frame once it is on the wire). A switch without a carrier
 * event before it (a manual switch) has no detection stage.
 *
 * <p>Thread-safe: events come from the agent's conductor thread, {@link #poll} from the metrics thread.
 */
final class FailoverLatency {
    /** A detection older than this is not the cause of a switch. */
    static final long DETECTION_HORIZON_NANOS = 60_000_000_000L;
    /** A switch whose first frame has not been seen by then is given up (no announcement was sent). */
    static final long ANNOUNCEMENT_HORIZON_NANOS = 5_000_000_000L;

    /** Receives one observation. */
    interface Sink {
        void observe(String group, String reason, String stage, double seconds);
    }

    private record Watch(String group, String reason, long switchNanos, long detectNanos, long sentBefore) {
    }

    private final LongSupplier nanoTime;
    private final ToLongFunction<String> framesSent;
    private final Sink sink;
    /** group + "\0" + link -> when its carrier change was handled. */
    private final Map<String, Long> detections = new HashMap<>();
    private final List<Watch> watches = new ArrayList<>();

    /**
     * @param framesSent announcement frames sent so far by a group (by name), or a negative number if unknown
     */
    FailoverLatency(LongSupplier nanoTime, ToLongFunction<String> framesSent, Sink sink) {
        this.nanoTime = nanoTime;
        this.framesSent = framesSent;
        this.sink = sink;
    }

    /** The agent handled a carrier change of {@code link}. */
    synchronized void carrierChanged(String group, String link) {
        carrierChanged(group, link, -1);
    }

    /** As above, handled at {@code atNanos} (-1: now). */
    synchronized void carrierChanged(String group, String link, long atNanos) {
        detections.put(group + "\0" + link, atNanos >= 0 ? atNanos : nanoTime.getAsLong());
    }

    /** The active link changed to {@code to} (null: none) for {@code reason}, caused by {@code trigger}. */
    void activeChanged(String group, String to, String reason, String trigger) {
        activeChanged(group, to, reason, trigger, -1, -1);
    }

    /**
     * As above, switched at {@code switchNanos} (-1: now), the first frame sent at {@code firstFrameNanos}
     * (-1: not yet, watch the frame count).
     */
    void activeChanged(String group, String to, String reason, String trigger, long switchNanos,
                       long firstFrameNanos) {
        long now = switchNanos >= 0 ? switchNanos : nanoTime.getAsLong();
        long detect = -1;
        synchronized (this) {
            Long seen = trigger == null ? null : detections.remove(group + "\0" + trigger);
            if (seen != null && now - seen <= DETECTION_HORIZON_NANOS) {
                detect = seen;
            }
        }
        if (detect >= 0) {
            sink.observe(group, reason, "detect_to_switch", seconds(now - detect));
        }
        if (to == null) {
            return;
        }
        if (firstFrameNanos >= 0) {
            sink.observe(group, reason, "switch_to_announcement", seconds(firstFrameNanos - now));
            if (detect >= 0) {
                sink.observe(group, reason, "detect_to_announcement", seconds(firstFrameNanos - detect));
            }
            return;
        }
        // The announcer's own thread sends the first round (the decision thread could not): count from here. Should
        // it already have gone out, the next round is what gets timed (an overestimate, never an underestimate).
        long before = framesSent.applyAsLong(group);
        if (before < 0) {
            return;
        }
        synchronized (this) {
            watches.add(new Watch(group, reason, now, detect, before));
            notifyAll();
        }
    }

    /** Checks the pending switches once; returns how many are still waiting for their first frame. */
    int poll() {
        List<Watch> pending;
        synchronized (this) {
            if (watches.isEmpty()) {
                return 0;
            }
            pending = new ArrayList<>(watches);
        }
        List<Watch> done = new ArrayList<>();
        for (Watch w : pending) {
            long sent = framesSent.applyAsLong(w.group());
            long now = nanoTime.getAsLong();
            if (sent > w.sentBefore()) {
                sink.observe(w.group(), w.reason(), "switch_to_announcement", seconds(now - w.switchNanos()));
                if (w.detectNanos() >= 0) {
                    sink.observe(w.group(), w.reason(), "detect_to_announcement", seconds(now - w.detectNanos()));
                }
                done.add(w);
            } else if (now - w.switchNanos() > ANNOUNCEMENT_HORIZON_NANOS) {
                done.add(w);
            }
        }
        synchronized (this) {
            for (Iterator<Watch> it = watches.iterator(); it.hasNext(); ) {
                if (done.contains(it.next())) {
                    it.remove();
                }
            }
            return watches.size();
        }
    }

    /** Blocks until a switch is waiting for its first frame or {@code millis} pass. */
    synchronized void awaitWatch(long millis) throws InterruptedException {
        if (watches.isEmpty()) {
            wait(millis);
        }
    }

    /** The switch time of the oldest waiting switch, or -1. */
    synchronized long oldestSwitchNanos() {
        return watches.isEmpty() ? -1 : watches.get(0).switchNanos();
    }

    private static double seconds(long nanos) {
        return Math.max(0, nanos) / 1e9;
    }
}
