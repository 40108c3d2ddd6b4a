// A control request the agent refuses, with a machine-readable code and a one-sentence message.
package dev.tapover.control;

/**
 * Codes: bad-request, unknown-command, unknown-group, refused, unavailable, not-permitted, internal (see
 * {@link ControlProtocol} and docs/control.md for what the CLI makes of each).
 */
public final class ControlException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String code;

    public ControlException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
