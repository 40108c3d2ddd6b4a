// The debounced state of one lower link, modelled on bonding's UP / BACK / FAIL / DOWN link states.
package dev.tapover.failover;

import java.util.Locale;

public enum LinkState {
    /** Not usable: no carrier, or administratively down. */
    DOWN(false),
    /** Admin up with carrier, but not yet for up-delay: not usable yet (bonding's BACK). */
    GOING_UP(false),
    /** Usable. */
    UP(true),
    /** Carrier lost less than down-delay ago: still usable, a carrier return cancels (bonding's FAIL). */
    GOING_DOWN(true);

    private final boolean usable;

    LinkState(boolean usable) {
        this.usable = usable;
    }

    public boolean isUsable() {
        return usable;
    }

    /** Kebab-case name for status documents: {@code down}, {@code going-up}, {@code up}, {@code going-down}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
