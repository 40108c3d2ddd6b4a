// Thrown by the rtnetlink codec when bytes do not form a valid message; the monitor counts and skips them.
package dev.tapover.netlink;

/** A bad or truncated netlink message; {@link #offset()} is where in the buffer the problem was found. */
public final class MalformedMessageException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int offset;

    public MalformedMessageException(String message, int offset) {
        super(message + " at offset " + offset, null, false, false); // no stack trace: the offset says where
        this.offset = offset;
    }

    public int offset() {
        return offset;
    }
}
