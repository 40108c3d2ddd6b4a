// An owned file descriptor with an idempotent close: the base of every typed handle.
package dev.tapover.natives;

import java.io.Closeable;

/** Owns one fd; {@link #close()} closes it once, {@link #release()} gives it away without closing. */
public abstract class FileHandle implements Closeable {
    private volatile int fd;
    private final String description;

    protected FileHandle(int fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    /** The raw descriptor; -1 once closed or released. */
    public final int fd() {
        return fd;
    }

    /** What this handle is, for error messages, e.g. {@code TAP "fo0"}. */
    public final String description() {
        return description;
    }

    public final boolean isOpen() {
        return fd >= 0;
    }

    /** Stops owning the fd (it is not closed) and returns it, e.g. after handing it to a successor. */
    public final int release() {
        int old = fd;
        fd = -1;
        return old;
    }

    protected final int requireOpen() throws NativeException {
        int current = fd;
        if (current < 0) {
            throw Errors.failure("use", description, Errno.EBADF);
        }
        return current;
    }

    /** Switches O_NONBLOCK on or off on the open file (shared by every fd that refers to it). */
    public final void setNonBlocking(boolean nonBlocking) throws NativeException {
        int current = requireOpen();
        int flags = Errors.check(Native.LIBC.fcntl(current, Linux.F_GETFL, 0), "fcntl(F_GETFL)", description);
        int wanted = nonBlocking ? flags | Linux.O_NONBLOCK : flags & ~Linux.O_NONBLOCK;
        if (wanted != flags) {
            Errors.check(Native.LIBC.fcntl(current, Linux.F_SETFL, wanted), "fcntl(F_SETFL)", description);
        }
    }

    @Override
    public void close() {
        int old = release();
        if (old >= 0) {
            Native.LIBC.close(old);
        }
    }

    @Override
    public String toString() {
        return description + " (fd " + fd + ")";
    }
}
