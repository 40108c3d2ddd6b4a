// A live update step that failed: the message is one sentence that names the step's problem and what to do.
package dev.tapover.liveupdate;

/** Thrown by the protocol, the session builder, the fd checks and the restore steps. */
public final class LiveUpdateException extends Exception {
    private static final long serialVersionUID = 1L;

    public LiveUpdateException(String message) {
        super(message);
    }

    public LiveUpdateException(String message, Throwable cause) {
        super(message, cause);
    }
}
