// struct ifreq: the 40-byte request block of the SIOC* and TUN* ioctls.
package dev.tapover.natives;

import java.nio.charset.StandardCharsets;

import jnr.ffi.Pointer;

/**
 * Layout (x86_64/arm64):
 * <pre>
 *  0                16                                      40
 *  +----------------+---------------------------------------+
 *  | ifr_name[16]   | union: ifr_flags (short) | ifr_mtu    |
 *  |  NUL-padded    |   | ifr_hwaddr (sa_family u16 + data)  |
 *  +----------------+---------------------------------------+
 * </pre>
 */
final class IfReq {
    static final int SIZE = 40;
    static final int UNION = 16;

    private IfReq() {
    }

    /** A zeroed ifreq carrying {@code name}; the name is checked against IFNAMSIZ first. */
    static Pointer forName(String name) {
        byte[] bytes = checkName(name);
        Pointer req = Native.allocate(SIZE);
        req.put(0, bytes, 0, bytes.length);
        return req;
    }

    static byte[] checkName(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length == 0 || bytes.length >= Linux.IFNAMSIZ) {
            throw new IllegalArgumentException("interface name \"" + name + "\" must be 1 to "
                    + (Linux.IFNAMSIZ - 1) + " bytes long (IFNAMSIZ)");
        }
        return bytes;
    }

    static String name(Pointer req) {
        return req.getString(0, Linux.IFNAMSIZ, StandardCharsets.US_ASCII);
    }
}
