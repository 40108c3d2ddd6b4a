// The single exception type for a failed native call: names the call, the object and the errno.
package dev.tapover.natives;

import java.io.IOException;

/**
 * A failed system call, e.g. {@code ioctl(TUNSETIFF) on /dev/net/tun for "fo0" failed: EBUSY (Device or resource busy)}.
 */
public final class NativeException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    NativeException(String call, String object, int errno, String description) {
        super(call + (object == null || object.isEmpty() ? "" : " on " + object) + " failed: "
                + Errno.name(errno) + " (" + description + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The call as written in the message, e.g. {@code ioctl(TUNSETIFF)}. */
    public String call() {
        return call;
    }

    /** The raw errno value. */
    public int errno() {
        return errno;
    }

    /** The symbolic errno name, e.g. {@code EBUSY}. */
    public String errnoName() {
        return Errno.name(errno);
    }
}
