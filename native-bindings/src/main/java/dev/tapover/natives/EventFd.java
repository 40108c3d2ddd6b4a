// An eventfd(2) counter used to wake a thread blocked in poll().
package dev.tapover.natives;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** A non-blocking eventfd; {@link #signal()} is safe from any thread. */
public final class EventFd extends FileHandle {
    private final ThreadLocal<ByteBuffer> scratch =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()));

    private EventFd(int fd) {
        super(fd, "eventfd");
    }

    public static EventFd open() throws NativeException {
        return new EventFd(Errors.check(Native.LIBC.eventfd(0, Linux.EFD_NONBLOCK | Linux.EFD_CLOEXEC),
                "eventfd", ""));
    }

    /** Adds one to the counter, making the fd readable. */
    public void signal() throws NativeException {
        ByteBuffer buf = scratch.get();
        buf.clear();
        buf.putLong(0, 1L);
        Errors.check(Native.LIBC.write(requireOpen(), buf, 8), "write", description());
    }

    /** Reads and resets the counter; returns 0 when it was not signalled. */
    public long drain() throws NativeException {
        ByteBuffer buf = scratch.get();
        buf.clear();
        int n = Io.advance(buf, Native.LIBC.read(requireOpen(), buf, 8), "read", description());
        return n == 8 ? buf.getLong(0) : 0;
    }
}
