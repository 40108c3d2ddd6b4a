// The role a lower link plays in a failover group: the preferred primary, or one of the ordered standbys.
package dev.tapover.failover;

import java.util.Locale;

public enum LinkRole {
    /** The preferred link: rank 0, the one the group fails back to. */
    PRIMARY,
    /** A fallback link; standbys are preferred in their configured order (rank 1, 2, ...). */
    STANDBY;

    /** Lower-case name used in status documents and on the command line: {@code primary}, {@code standby}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
