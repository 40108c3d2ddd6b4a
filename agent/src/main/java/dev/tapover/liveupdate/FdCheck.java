// Checks each fd a successor received against the manifest: TUNGETIFF for TAPs, the socket binding for packet sockets, fstat for both.
package dev.tapover.liveupdate;

import java.util.ArrayList;
import java.util.List;

import dev.tapover.natives.FileStat;
import dev.tapover.natives.Linux;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.PacketSocket;
import dev.tapover.natives.TapDevice;

/**
 * {@link #probe} asks the kernel what an fd is (native); {@link #verify} compares those facts with the
 * manifest (pure). An fd passes when it is the very open file the predecessor described: same st_dev/st_ino,
 * and for a TAP the same interface name, TUN flags and vnet header size on /dev/net/tun (10:200); for a
 * packet socket an AF_PACKET SOCK_RAW socket bound to the same ifindex.
 */
public final class FdCheck {
    /** The misc device /dev/net/tun. */
    static final int TUN_MAJOR = 10;
    static final int TUN_MINOR = 200;

    private FdCheck() {
    }

    /**
     * What the kernel says about one received fd; fields that do not apply (or could not be read) are
     * null/-1, with {@code error} saying why.
     */
    public record Observed(long dev, long ino, int fileType, int rdevMajor, int rdevMinor, String tunName,
                           int tunFlags, int vnetHeaderSize, int domain, int socketType, int ifindex, String error) {
    }

    /** Reads the facts of {@code fd}; never throws (errors are recorded in the result). */
    public static Observed probe(int fd) {
        FileStat st;
        try {
            st = FileStat.of(fd);
        } catch (NativeException e) {
            return new Observed(-1, -1, -1, -1, -1, null, -1, -1, -1, -1, -1, e.getMessage());
        }
        String tunName = null;
        int tunFlags = -1;
        int vnet = -1;
        int domain = -1;
        int type = -1;
        int ifindex = -1;
        String error = null;
        try {
            if (st.isCharacterDevice()) {
                TapDevice.Info info = TapDevice.describe(fd);
                tunName = info.name();
                tunFlags = info.tunFlags();
                vnet = TapDevice.vnetHeaderSize(fd);
            } else if (st.isSocket()) {
                PacketSocket.Binding b = PacketSocket.binding(fd);
                domain = b.domain();
                type = b.type();
                ifindex = b.ifindex();
            }
        } catch (NativeException e) {
            error = e.getMessage();
        }
        return new Observed(st.dev(), st.ino(), st.type(), st.rdevMajor(), st.rdevMinor(), tunName, tunFlags, vnet,
                domain, type, ifindex, error);
    }

    /**
     * Compares the received fds with the manifest, in order. Every mismatch is listed in one message, e.g.
     * {@code fd "tap/fo0" is TAP "fo1", not "fo0"}.
     */
    public static void verify(List<FdEntry> entries, List<Observed> observed, boolean truncated)
            throws LiveUpdateException {
        if (truncated) {
            throw new LiveUpdateException("the handoff message arrived truncated (MSG_CTRUNC): some fds were lost; "
                    + "raise the open-files limit of the successor");
        }
        if (observed.size() != entries.size()) {
            throw new LiveUpdateException("the handoff carried " + observed.size() + " fds but the manifest lists "
                    + entries.size());
        }
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            FdEntry e = entries.get(i);
            Observed o = observed.get(i);
            String what = "fd \"" + e.token() + "\"";
            if (o.error() != null && o.fileType() == -1) {
                problems.add(what + " cannot be examined (" + o.error() + ")");
                continue;
            }
            if (o.dev() != e.dev() || o.ino() != e.ino()) {
                problems.add(what + " is not the file the predecessor described (dev/ino " + o.dev() + "/" + o.ino()
                        + ", expected " + e.dev() + "/" + e.ino() + ")");
            }
            switch (e.kind()) {
                case TAP -> checkTap(e, o, what, problems);
                case PACKET -> checkPacket(e, o, what, problems);
                default -> problems.add(what + " has a kind this check does not know");
            }
        }
        if (!problems.isEmpty()) {
            throw new LiveUpdateException(String.join("; ", problems));
        }
    }

    private static void checkTap(FdEntry e, Observed o, String what, List<String> problems) {
        if (o.fileType() != Linux.S_IFCHR || o.rdevMajor() != TUN_MAJOR || o.rdevMinor() != TUN_MINOR) {
            problems.add(what + " is not an open /dev/net/tun (file type 0x" + Integer.toHexString(Math.max(0, o.fileType()))
                    + ", device " + o.rdevMajor() + ":" + o.rdevMinor() + ")");
            return;
        }
        if (o.tunName() == null) {
            problems.add(what + " is not attached to a TAP (" + o.error() + ")");
            return;
        }
        if (!o.tunName().equals(e.name())) {
            problems.add(what + " is TAP \"" + o.tunName() + "\", not \"" + e.name() + "\"");
        }
        if (o.tunFlags() != e.flags()) {
            problems.add(what + " has TUN flags 0x" + Integer.toHexString(o.tunFlags()) + ", not 0x"
                    + Integer.toHexString(e.flags()));
        }
        if (o.vnetHeaderSize() != e.vnetHeaderSize()) {
            problems.add(what + " has a " + o.vnetHeaderSize() + "-byte vnet header, not " + e.vnetHeaderSize());
        }
    }

    private static void checkPacket(FdEntry e, Observed o, String what, List<String> problems) {
        if (o.fileType() != Linux.S_IFSOCK || o.domain() != Linux.AF_PACKET || o.socketType() != Linux.SOCK_RAW) {
            problems.add(what + " is not an AF_PACKET SOCK_RAW socket (domain " + o.domain() + ", type " + o.socketType() + ")");
            return;
        }
        if (o.ifindex() != e.ifindex()) {
            problems.add(what + " is bound to ifindex " + o.ifindex() + ", not " + e.ifindex());
        }
    }
}
