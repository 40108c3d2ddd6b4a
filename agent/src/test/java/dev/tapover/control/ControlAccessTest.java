// Unit tests of who may use the control socket.
package dev.tapover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ControlAccessTest {
    @Test
    void rootOnlyLetsInRootAndNobodyElse() {
        ControlAccess access = ControlAccess.rootOnly();
        assertTrue(access.permits(new PeerIdentity(1, 0, 0)));
        assertFalse(access.permits(new PeerIdentity(1, 1000, 0)));
        assertTrue(access.group().isEmpty());
    }

    @Test
    void aGroupLetsInItsPrimaryAndSupplementaryMembers() {
        ControlAccess access = ControlAccess.of(Set.of(0), OptionalInt.of(500),
                pid -> pid == 77 ? Set.of(10, 500) : Set.of());
        assertTrue(access.permits(new PeerIdentity(1, 1000, 500)));
        assertTrue(access.permits(new PeerIdentity(77, 1000, 1000)));
        assertFalse(access.permits(new PeerIdentity(78, 1000, 1000)));
        assertEquals("uid 1000 may not use this control socket; run the command as root or a member of group 500",
                access.refusal(new PeerIdentity(78, 1000, 1000)));
    }

    @Test
    void groupsAreReadFromTheProcStatusGroupsLine() {
        String status = "Name:\tbash\nUid:\t1000\t1000\t1000\t1000\nGroups:\t4 24 27 1000 \nNgid:\t0\n";
        assertEquals(Set.of(4, 24, 27, 1000), ControlAccess.parseGroups(status));
        assertEquals(Set.of(), ControlAccess.parseGroups("Groups:\t\n"));
        assertEquals(Set.of(), ControlAccess.groupsOfProcess(-1));
    }

    @Test
    void groupsOfThisProcessAreReadable() {
        // /proc/self/status exists on Linux; the set may be empty (root in a container) but must not fail.
        ControlAccess.groupsOfProcess((int) ProcessHandle.current().pid());
    }
}
