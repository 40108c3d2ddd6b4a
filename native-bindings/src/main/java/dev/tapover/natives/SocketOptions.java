// setsockopt/getsockopt helpers for int-valued and struct-valued socket options.
package dev.tapover.natives;

import jnr.ffi.Pointer;

final class SocketOptions {
    private SocketOptions() {
    }

    static void setInt(int fd, int level, int option, int value, String optionName, String object)
            throws NativeException {
        Pointer p = Native.allocate(4);
        p.putInt(0, value);
        Errors.check(Native.LIBC.setsockopt(fd, level, option, p, 4), "setsockopt(" + optionName + ")", object);
    }

    static int getInt(int fd, int level, int option, String optionName, String object) throws NativeException {
        Pointer p = Native.allocate(4);
        Pointer len = Native.allocate(4);
        len.putInt(0, 4);
        Errors.check(Native.LIBC.getsockopt(fd, level, option, p, len), "getsockopt(" + optionName + ")", object);
        return p.getInt(0);
    }

    /** Sets a receive buffer beyond rmem_max with SO_RCVBUFFORCE when allowed, else SO_RCVBUF. */
    static void setReceiveBuffer(int fd, int bytes, String object) throws NativeException {
        Pointer p = Native.allocate(4);
        p.putInt(0, bytes);
        if (Native.LIBC.setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_RCVBUFFORCE, p, 4) < 0) {
            Errors.check(Native.LIBC.setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_RCVBUF, p, 4),
                    "setsockopt(SO_RCVBUF)", object);
        }
    }

    static void setSendBuffer(int fd, int bytes, String object) throws NativeException {
        Pointer p = Native.allocate(4);
        p.putInt(0, bytes);
        if (Native.LIBC.setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_SNDBUFFORCE, p, 4) < 0) {
            Errors.check(Native.LIBC.setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_SNDBUF, p, 4),
                    "setsockopt(SO_SNDBUF)", object);
        }
    }
}
