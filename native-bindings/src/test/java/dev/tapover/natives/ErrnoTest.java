// Unit tests of errno naming and the one-line native error message.
package dev.tapover.natives;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ErrnoTest {
    @Test
    void namesKnownAndUnknownErrnos() {
        assertEquals("EBUSY", Errno.name(16));
        assertEquals("ENOBUFS", Errno.name(105));
        assertEquals("errno 4095", Errno.name(4095));
    }

    @Test
    void messageNamesCallObjectAndErrno() {
        NativeException e = Errors.failure("ioctl(TUNSETIFF)", "/dev/net/tun for \"fo0\"", Errno.EBUSY);
        assertEquals("ioctl(TUNSETIFF) on /dev/net/tun for \"fo0\" failed: EBUSY (Device or resource busy)",
                e.getMessage());
        assertEquals("ioctl(TUNSETIFF)", e.call());
        assertEquals("EBUSY", e.errnoName());
    }

    @Test
    void messageWithoutObjectHasNoDanglingOn() {
        assertEquals("eventfd failed: EMFILE (Too many open files)", Errors.failure("eventfd", "", Errno.EMFILE).getMessage());
    }
}
