// Why the control server could not take its socket path, with a one-sentence message for the operator.
package dev.tapover.control;

import java.io.IOException;

/**
 * Thrown by {@link ControlServer#start}. Suggested exit codes: {@code IN_USE} and {@code FAILED} 69,
 * {@code NOT_PERMITTED} 77, {@code BAD_PATH} 78.
 */
public final class ControlSocketException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What went wrong with the socket path. */
    public enum Reason {
        /** Another agent answers on the path. */
        IN_USE,
        /** The path is taken by something that is not a socket, or is too long for a UNIX socket. */
        BAD_PATH,
        /** The directory or socket cannot be created or changed by this user. */
        NOT_PERMITTED,
        /** Anything else: no epoll, a failed bind or chmod. */
        FAILED
    }

    private final Reason reason;

    ControlSocketException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    ControlSocketException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
