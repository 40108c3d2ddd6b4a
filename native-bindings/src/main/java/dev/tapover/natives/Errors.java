// The one path from a failed native call to a NativeException that names call, object and errno.
package dev.tapover.natives;

/** Reads the saved errno of the last call on this thread and turns it into an exception. */
final class Errors {
    private Errors() {
    }

    /** The errno saved by the last JNR call on this thread. */
    static int lastErrno() {
        return Native.RUNTIME.getLastError();
    }

    /** An exception for the last failed call. */
    static NativeException failure(String call, String object) {
        return failure(call, object, lastErrno());
    }

    static NativeException failure(String call, String object, int errno) {
        String description = Native.LIBC.strerror(errno);
        return new NativeException(call, object, errno, description == null ? "unknown error" : description);
    }

    /** Returns {@code rc} unless it is negative, in which case the call failed. */
    static int check(int rc, String call, String object) throws NativeException {
        if (rc < 0) {
            throw failure(call, object);
        }
        return rc;
    }

    static long check(long rc, String call, String object) throws NativeException {
        if (rc < 0) {
            throw failure(call, object);
        }
        return rc;
    }
}
