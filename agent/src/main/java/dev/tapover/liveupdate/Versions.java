// The live-update protocol version and the rule that decides whether two builds can hand over to each other.
package dev.tapover.liveupdate;

/**
 * A successor announces the range of protocol versions it speaks; the predecessor speaks exactly one and
 * accepts if it is inside the range. Bump {@link #PROTOCOL} when a message changes incompatibly, and keep
 * {@link #MIN_PROTOCOL} at the oldest version this build can still take over from.
 */
public final class Versions {
    /** 2: the fds travel with SESSION, FREEZE is answered by HANDOFF, no READY/COMMIT (1 had them). */
    public static final int PROTOCOL = 2;
    public static final int MIN_PROTOCOL = 2;

    private Versions() {
    }

    /** Null if a successor speaking {@code min..max} can take over from this build, else why not. */
    public static String incompatibility(int min, int max) {
        if (min > max) {
            return "the successor announced an empty protocol range " + min + ".." + max;
        }
        if (PROTOCOL < min || PROTOCOL > max) {
            return "the successor speaks live-update protocol " + min + ".." + max + " and this agent speaks " + PROTOCOL
                    + "; upgrade through a build that speaks both";
        }
        return null;
    }
}
