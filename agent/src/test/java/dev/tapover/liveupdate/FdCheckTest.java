// Comparing what the kernel says about received fds with the manifest: every mismatch is named.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.tapover.natives.Linux;

class FdCheckTest {
    private static FdCheck.Observed tap(String name, int flags, int vnet, long ino) {
        return new FdCheck.Observed(5, ino, Linux.S_IFCHR, 10, 200, name, flags, vnet, -1, -1, -1, null);
    }

    private static FdCheck.Observed packet(int ifindex, long ino) {
        return new FdCheck.Observed(8, ino, Linux.S_IFSOCK, 0, 0, null, -1, -1, Linux.AF_PACKET, Linux.SOCK_RAW, ifindex,
                null);
    }

    private static final List<FdEntry> ENTRIES = List.of(Samples.tap(), Samples.packet("eth1", 2, 9001));

    @Test
    void matchingFdsPass() throws LiveUpdateException {
        FdCheck.verify(ENTRIES, List.of(tap("fo0", Samples.IFF_TAP_NO_PI, 10, 118), packet(2, 9001)), false);
    }

    @Test
    void aTapOfAnotherNameFlagsOrHeaderIsNamed() {
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> FdCheck.verify(ENTRIES,
                List.of(tap("fo1", Samples.IFF_TAP_NO_PI | Linux.IFF_VNET_HDR, 12, 118), packet(2, 9001)), false));
        assertEquals("fd \"tap/fo0\" is TAP \"fo1\", not \"fo0\"; fd \"tap/fo0\" has TUN flags 0x5002, not 0x1002; "
                + "fd \"tap/fo0\" has a 12-byte vnet header, not 10", e.getMessage());
    }

    @Test
    void anotherOpenFileIsCaughtByItsInode() {
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> FdCheck.verify(ENTRIES,
                List.of(tap("fo0", Samples.IFF_TAP_NO_PI, 10, 118), packet(2, 7777)), false));
        assertEquals("fd \"packet/eth1\" is not the file the predecessor described (dev/ino 8/7777, expected 8/9001)",
                e.getMessage());
    }

    @Test
    void aSocketWhereATapBelongsIsNamed() {
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> FdCheck.verify(ENTRIES,
                List.of(packet(2, 118), packet(2, 9001)), false));
        assertTrue(e.getMessage().contains("fd \"tap/fo0\" is not an open /dev/net/tun"), e.getMessage());
    }

    @Test
    void aPacketSocketOnAnotherLinkOrOfAnotherKindIsNamed() {
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> FdCheck.verify(ENTRIES,
                List.of(tap("fo0", Samples.IFF_TAP_NO_PI, 10, 118), packet(3, 9001)), false));
        assertEquals("fd \"packet/eth1\" is bound to ifindex 3, not 2", e.getMessage());
        FdCheck.Observed unix = new FdCheck.Observed(8, 9001, Linux.S_IFSOCK, 0, 0, null, -1, -1, Linux.AF_UNIX,
                Linux.SOCK_SEQPACKET, -1, null);
        e = assertThrows(LiveUpdateException.class, () -> FdCheck.verify(ENTRIES,
                List.of(tap("fo0", Samples.IFF_TAP_NO_PI, 10, 118), unix), false));
        assertEquals("fd \"packet/eth1\" is not an AF_PACKET SOCK_RAW socket (domain 1, type 5)", e.getMessage());
    }

    @Test
    void aTunFdNotAttachedToATapIsNamed() {
        FdCheck.Observed detached = new FdCheck.Observed(5, 118, Linux.S_IFCHR, 10, 200, null, -1, -1, -1, -1, -1,
                "ioctl(TUNGETIFF) on fd 9 failed: EBADFD (File descriptor in bad state)");
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> FdCheck.verify(List.of(Samples.tap()),
                List.of(detached), false));
        assertTrue(e.getMessage().startsWith("fd \"tap/fo0\" is not attached to a TAP (ioctl(TUNGETIFF)"), e.getMessage());
    }

    @Test
    void missingOrTruncatedFdsAreRefused() {
        LiveUpdateException e = assertThrows(LiveUpdateException.class,
                () -> FdCheck.verify(ENTRIES, List.of(tap("fo0", Samples.IFF_TAP_NO_PI, 10, 118)), false));
        assertEquals("the handoff carried 1 fds but the manifest lists 2", e.getMessage());
        e = assertThrows(LiveUpdateException.class, () -> FdCheck.verify(ENTRIES,
                List.of(tap("fo0", Samples.IFF_TAP_NO_PI, 10, 118), packet(2, 9001)), true));
        assertTrue(e.getMessage().contains("MSG_CTRUNC"), e.getMessage());
    }

    @Test
    void anFdThatCannotBeExaminedIsNamed() {
        FdCheck.Observed bad = new FdCheck.Observed(-1, -1, -1, -1, -1, null, -1, -1, -1, -1, -1,
                "fstat on fd 9 failed: EBADF (Bad file descriptor)");
        LiveUpdateException e = assertThrows(LiveUpdateException.class,
                () -> FdCheck.verify(List.of(Samples.tap()), List.of(bad), false));
        assertEquals("fd \"tap/fo0\" cannot be examined (fstat on fd 9 failed: EBADF (Bad file descriptor))", e.getMessage());
    }
}
