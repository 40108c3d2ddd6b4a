// A failure the CLI reports as one sentence on stderr, exiting with a sysexits code.
package dev.tapover.cli;

/** Thrown anywhere in a command; {@link Main} prints the message and exits with {@link #exitCode()}. */
public final class CommandFailure extends Exception {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    public CommandFailure(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CommandFailure(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
