// A frame budget for one link: a token bucket refilled continuously, holding at most one second of frames.
package dev.tapover.announce;

/**
 * Pure logic, time passed in. Holds {@code perSecond} tokens when full (one second's worth), starts full,
 * and refills {@code perSecond} tokens per second, continuously. A budget of 0 means no limit. Not
 * thread-safe: one per link, used by whoever sends on that link.
 */
public final class TokenBucket {
    private static final long SCALE = 1_000_000_000L; // token units per frame: refill is perSecond units per ns

    private int perSecond;
    private long units;
    private long unitsAt;
    private boolean started;

    public TokenBucket(int perSecond) {
        if (perSecond < 0) {
            throw new IllegalArgumentException("budget " + perSecond + " frames per second must not be negative");
        }
        this.perSecond = perSecond;
        this.units = perSecond * SCALE;
    }

    /** Takes up to {@code cost} tokens at {@code nowNanos}; returns how many frames may go out (0..cost). */
    public int take(int cost, long nowNanos) {
        if (perSecond == 0 || cost <= 0) {
            return Math.max(cost, 0);
        }
        refill(nowNanos);
        int allowed = (int) Math.min(cost, units / SCALE);
        units -= allowed * SCALE;
        return allowed;
    }

    /** Whole frames that would fit now, without taking them. */
    public long available(long nowNanos) {
        if (perSecond == 0) {
            return Long.MAX_VALUE;
        }
        refill(nowNanos);
        return units / SCALE;
    }

    /** A new rate from now on; the tokens held are kept up to the new capacity (an unlimited bucket starts full). */
    public void resize(int newPerSecond) {
        if (newPerSecond < 0) {
            throw new IllegalArgumentException("budget " + newPerSecond + " frames per second must not be negative");
        }
        units = perSecond == 0 ? newPerSecond * SCALE : Math.min(units, newPerSecond * SCALE);
        perSecond = newPerSecond;
    }

    public int perSecond() {
        return perSecond;
    }

    private void refill(long nowNanos) {
        if (!started) {
            started = true;
            unitsAt = nowNanos;
            return;
        }
        long elapsed = Math.min(Math.max(nowNanos - unitsAt, 0), SCALE); // one second refills the bucket
        units = Math.min(perSecond * SCALE, units + elapsed * perSecond);
        unitsAt = nowNanos;
    }
}
