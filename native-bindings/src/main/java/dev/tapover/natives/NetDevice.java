// Reads and changes a network interface's index, name, flags, MAC, MTU and queue length via ioctls.
package dev.tapover.natives;

import java.nio.charset.StandardCharsets;

import jnr.ffi.Pointer;

/** Interface-level operations on any netdev of this network namespace, addressed by name. */
public final class NetDevice {
    private NetDevice() {
    }

    /** if_nametoindex(3); fails with ENODEV when there is no such interface. */
    public static int indexOf(String name) throws NativeException {
        IfReq.checkName(name);
        int index = Native.LIBC.if_nametoindex(name);
        if (index == 0) {
            throw Errors.failure("if_nametoindex", "\"" + name + "\"");
        }
        return index;
    }

    /** if_indextoname(3); fails with ENXIO when the index is unknown. */
    public static String nameOf(int index) throws NativeException {
        Pointer buf = Native.allocate(Linux.IFNAMSIZ);
        Pointer result = Native.LIBC.if_indextoname(index, buf);
        if (result == null) {
            throw Errors.failure("if_indextoname", "ifindex " + index);
        }
        return buf.getString(0, Linux.IFNAMSIZ, StandardCharsets.US_ASCII);
    }

    /** The ifr_flags word (IFF_UP, IFF_PROMISC, ...). */
    public static int flags(String name) throws NativeException {
        Pointer req = IfReq.forName(name);
        ioctl(Linux.SIOCGIFFLAGS, "SIOCGIFFLAGS", name, req);
        return req.getShort(IfReq.UNION) & 0xffff;
    }

    /** Sets or clears IFF_UP. */
    public static void setUp(String name, boolean up) throws NativeException {
        changeFlags(name, Linux.IFF_UP, up);
    }

    public static boolean isUp(String name) throws NativeException {
        return (flags(name) & Linux.IFF_UP) != 0;
    }

    private static void changeFlags(String name, int mask, boolean on) throws NativeException {
        Pointer req = IfReq.forName(name);
        ioctl(Linux.SIOCGIFFLAGS, "SIOCGIFFLAGS", name, req);
        int flags = req.getShort(IfReq.UNION) & 0xffff;
        int wanted = on ? flags | mask : flags & ~mask;
        if (wanted != flags) {
            req.putShort(IfReq.UNION, (short) wanted);
            ioctl(Linux.SIOCSIFFLAGS, "SIOCSIFFLAGS", name, req);
        }
    }

    /** The 6-byte hardware address. */
    public static byte[] mac(String name) throws NativeException {
        Pointer req = IfReq.forName(name);
        ioctl(Linux.SIOCGIFHWADDR, "SIOCGIFHWADDR", name, req);
        byte[] mac = new byte[6];
        req.get(IfReq.UNION + 2, mac, 0, 6);
        return mac;
    }

    /** Sets the hardware address (the interface may need to be down for some drivers). */
    public static void setMac(String name, byte[] mac) throws NativeException {
        if (mac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, got " + mac.length);
        }
        Pointer req = IfReq.forName(name);
        req.putShort(IfReq.UNION, (short) Linux.ARPHRD_ETHER);
        req.put(IfReq.UNION + 2, mac, 0, 6);
        ioctl(Linux.SIOCSIFHWADDR, "SIOCSIFHWADDR", name, req);
    }

    public static int mtu(String name) throws NativeException {
        Pointer req = IfReq.forName(name);
        ioctl(Linux.SIOCGIFMTU, "SIOCGIFMTU", name, req);
        return req.getInt(IfReq.UNION);
    }

    public static void setMtu(String name, int mtu) throws NativeException {
        Pointer req = IfReq.forName(name);
        req.putInt(IfReq.UNION, mtu);
        ioctl(Linux.SIOCSIFMTU, "SIOCSIFMTU", name, req);
    }

    public static int txQueueLength(String name) throws NativeException {
        Pointer req = IfReq.forName(name);
        ioctl(Linux.SIOCGIFTXQLEN, "SIOCGIFTXQLEN", name, req);
        return req.getInt(IfReq.UNION);
    }

    public static void setTxQueueLength(String name, int length) throws NativeException {
        Pointer req = IfReq.forName(name);
        req.putInt(IfReq.UNION, length);
        ioctl(Linux.SIOCSIFTXQLEN, "SIOCSIFTXQLEN", name, req);
    }

    /** Interface ioctls go through a throwaway AF_INET datagram socket, as ip(8) and ifconfig do. */
    private static void ioctl(int request, String requestName, String ifname, Pointer req) throws NativeException {
        int sock = Errors.check(Native.LIBC.socket(Linux.AF_INET, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0),
                "socket(AF_INET, SOCK_DGRAM)", "control socket");
        try {
            Errors.check(Native.LIBC.ioctl(sock, request, req), "ioctl(" + requestName + ")",
                    "\"" + ifname + "\"");
        } finally {
            Native.LIBC.close(sock);
        }
    }
}
