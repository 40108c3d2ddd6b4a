// A failed rtnetlink request: names the request and the kernel's errno, e.g. "... failed: EEXIST (File exists)".
package dev.tapover.netlink;

import java.io.IOException;
import java.util.Map;

import dev.tapover.natives.Errno;

/**
 * The kernel refused a request (NLMSG_ERROR with a negative errno), did not answer in time, or answered
 * with something unreadable. Message form:
 * {@code RTM_NEWADDR 192.0.2.1/24 on ifindex 7 failed: EEXIST (File exists)}.
 */
public final class NetlinkException extends IOException {
    private static final long serialVersionUID = 1L;

    /** strerror(3) texts (glibc, C locale) for the errnos rtnetlink requests commonly return. */
    private static final Map<Integer, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry(Errno.EPERM, "Operation not permitted"), Map.entry(Errno.ENOENT, "No such file or directory"),
            Map.entry(Errno.EINTR, "Interrupted system call"), Map.entry(Errno.ENOMEM, "Cannot allocate memory"),
            Map.entry(Errno.EACCES, "Permission denied"), Map.entry(Errno.EBUSY, "Device or resource busy"),
            Map.entry(Errno.EEXIST, "File exists"), Map.entry(Errno.ENODEV, "No such device"),
            Map.entry(Errno.EINVAL, "Invalid argument"), Map.entry(Errno.ENOSPC, "No space left on device"),
            Map.entry(Errno.ERANGE, "Numerical result out of range"),
            Map.entry(Errno.EMSGSIZE, "Message too long"),
            Map.entry(Errno.EOPNOTSUPP, "Operation not supported"),
            Map.entry(Errno.EAFNOSUPPORT, "Address family not supported by protocol"),
            Map.entry(Errno.EADDRINUSE, "Address already in use"),
            Map.entry(Errno.EADDRNOTAVAIL, "Cannot assign requested address"),
            Map.entry(Errno.ENETDOWN, "Network is down"), Map.entry(Errno.ENOBUFS, "No buffer space available"),
            Map.entry(Errno.ENXIO, "No such device or address"), Map.entry(Errno.EAGAIN, "Resource temporarily unavailable"));

    private final String request;
    private final int errno;

    private NetlinkException(String request, int errno, String message) {
        super(message);
        this.request = request;
        this.errno = errno;
    }

    /** The kernel answered {@code -errno} to {@code request}. */
    public static NetlinkException refused(String request, int errno, String extAck) {
        return new NetlinkException(request, errno, request + " failed: " + Errno.name(errno) + " ("
                + describe(errno) + ")" + (extAck == null || extAck.isEmpty() ? "" : ": " + extAck));
    }

    /** No answer within the timeout. */
    public static NetlinkException timedOut(String request, long timeoutMillis) {
        return new NetlinkException(request, 0, request + " failed: no answer from the kernel within "
                + timeoutMillis + " ms");
    }

    /** The answer could not be read. */
    public static NetlinkException malformed(String request, String what) {
        return new NetlinkException(request, 0, request + " failed: unreadable answer (" + what + ")");
    }

    /** The request as written in the message, e.g. {@code RTM_NEWADDR 192.0.2.1/24 on ifindex 7}. */
    public String request() {
        return request;
    }

    /** The kernel's errno, or 0 for a timeout or an unreadable answer. */
    public int errno() {
        return errno;
    }

    /** strerror-like text for an errno. */
    public static String describe(int errno) {
        return DESCRIPTIONS.getOrDefault(errno, "errno " + errno);
    }
}
