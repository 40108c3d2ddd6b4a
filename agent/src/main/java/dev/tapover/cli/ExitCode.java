// Process exit codes, following sysexits(3) as the command-line contract promises.
package dev.tapover.cli;

/** sysexits.h values used by tapover. */
public final class ExitCode {
    public static final int OK = 0;
    /** EX_USAGE: the command was used incorrectly. */
    public static final int USAGE = 64;
    /** EX_UNAVAILABLE: an interface or service is unavailable. */
    public static final int UNAVAILABLE = 69;
    /** EX_SOFTWARE: internal error. */
    public static final int SOFTWARE = 70;
    /** EX_NOPERM: not root or a capability is missing. */
    public static final int NOPERM = 77;
    /** EX_CONFIG: configuration error. */
    public static final int CONFIG = 78;

    private ExitCode() {
    }
}
