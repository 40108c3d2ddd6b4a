// Why a control client could not get an answer from the agent, with a one-sentence message.
package dev.tapover.control;

import java.io.IOException;

/** Thrown by {@link ControlClient}; the CLI turns {@link #reason()} into an exit code. */
public final class ControlClientException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What kept the client from an answer. */
    public enum Reason {
        /** Nothing listens on the path: no file, or a stale socket file (connection refused). */
        NO_AGENT,
        /** The socket file exists but this user may not connect to it. */
        NOT_PERMITTED,
        /** The path exists and is not a socket. */
        NOT_A_SOCKET,
        /** The agent did not answer in time. */
        TIMEOUT,
        /** The agent closed the connection (before answering, or ending a stream). */
        CLOSED,
        /** The agent sent something that is not a protocol line. */
        PROTOCOL,
        /** Any other I/O failure. */
        IO
    }

    private final Reason reason;

    public ControlClientException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ControlClientException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
