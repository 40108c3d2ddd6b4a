// Shared result handling for non-blocking reads and writes on direct buffers.
package dev.tapover.natives;

import java.nio.ByteBuffer;

final class Io {
    private Io() {
    }

    /** Advances {@code buf} by {@code n}; EAGAIN (nothing now) becomes 0, other errors an exception. */
    static int advance(ByteBuffer buf, long n, String call, String object) throws NativeException {
        if (n < 0) {
            int errno = Errors.lastErrno();
            if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
                return 0;
            }
            throw Errors.failure(call, object, errno);
        }
        buf.position(buf.position() + (int) Math.min(n, buf.remaining()));
        return (int) n;
    }

    static void requireDirect(ByteBuffer buf) {
        if (!buf.isDirect()) {
            throw new IllegalArgumentException("native I/O needs a direct ByteBuffer");
        }
    }
}
