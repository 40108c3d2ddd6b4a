// The answer to a manual switch request: accepted or refused, a one-sentence message, and the event if any.
package dev.tapover.failover;

import java.util.Objects;
import java.util.Optional;

public final class SwitchOutcome {
    private final boolean accepted;
    private final String message;
    private final FailoverEvent event;

    private SwitchOutcome(boolean accepted, String message, FailoverEvent event) {
        this.accepted = accepted;
        this.message = Objects.requireNonNull(message, "message");
        this.event = event;
    }

    static SwitchOutcome refused(String message) {
        return new SwitchOutcome(false, message, null);
    }

    static SwitchOutcome accepted(String message, FailoverEvent event) {
        return new SwitchOutcome(true, message, event);
    }

    /** True if the request is now in force (also when the target was already active). */
    public boolean accepted() {
        return accepted;
    }

    /** What happened or, if refused, what was wrong and what to do, in one sentence. */
    public String message() {
        return message;
    }

    /** The change of active link, empty when refused or when the target was already active. */
    public Optional<FailoverEvent> event() {
        return Optional.ofNullable(event);
    }

    @Override
    public String toString() {
        return (accepted ? "accepted: " : "refused: ") + message;
    }
}
