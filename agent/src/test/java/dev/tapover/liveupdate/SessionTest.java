// The live-update session: tokens, validation of duplicates and unknown kinds, and its JSON form.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

class SessionTest {
    @Test
    void tokensAreKindSlashName() {
        assertEquals("tap/fo0", FdEntry.tokenFor(FdKind.TAP, "fo0"));
        assertEquals("packet/eth1", FdEntry.tokenFor(FdKind.PACKET, "eth1"));
    }

    @Test
    void aDuplicateTokenIsRefusedWithAClearMessage() throws LiveUpdateException {
        Session.Builder b = new Session.Builder("fo0", 0).add(Samples.tap(), 3);
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> b.add(Samples.tap(), 4));
        assertEquals("the session already holds an fd under token \"tap/fo0\"; each fd needs its own token", e.getMessage());
    }

    @Test
    void aTokenThatContradictsItsEntryIsRefused() {
        FdEntry odd = new FdEntry("tap/fo1", FdKind.TAP, "fo0", 7, 0x1002, 10, false, true, 1, 2);
        LiveUpdateException e = assertThrows(LiveUpdateException.class,
                () -> new Session.Builder("fo0", 0).add(odd, 3));
        assertEquals("fd token \"tap/fo1\" does not match its kind and name (expected \"tap/fo0\")", e.getMessage());
    }

    @Test
    void aSessionWithoutTheMastersTapIsRefused() throws LiveUpdateException {
        Session.Builder b = new Session.Builder("fo0", 0).add(Samples.packet("eth1", 2, 1), 3);
        LiveUpdateException e = assertThrows(LiveUpdateException.class, b::build);
        assertEquals("the session holds no fd under token \"tap/fo0\"; the master's TAP is what a live update hands over",
                e.getMessage());
    }

    @Test
    void jsonRoundTripKeepsEverythingButTheFdNumbers() throws LiveUpdateException {
        Session s = Samples.session();
        assertArrayEquals(Samples.FDS, s.fds());
        Session back = Session.fromJson(Message.JSON.valueToTree(s.toJson()));
        assertEquals(s.master(), back.master());
        assertEquals(s.generation(), back.generation());
        assertEquals(s.argv(), back.argv());
        assertEquals(s.entries(), back.entries());
        assertEquals(0, back.fds().length, "the numbers are the predecessor's; the successor gets its own");
        assertEquals(Samples.tap(), back.entry("tap/fo0"));
        assertNull(back.entry("tap/fo9"));
    }

    @Test
    void anUnknownFdKindIsRefusedByName() {
        ObjectNode json = Samples.session().toJson();
        ((ObjectNode) json.get("fds").get(1)).put("kind", "netlink");
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> Session.fromJson(json));
        assertEquals("fd \"packet/eth1\" has kind \"netlink\", which this build cannot adopt (it knows tap and packet); "
                + "upgrade to a build that does", e.getMessage());
    }

    @Test
    void aDuplicateTokenInAReceivedSessionIsRefused() {
        ObjectNode json = Samples.session().toJson();
        ((com.fasterxml.jackson.databind.node.ArrayNode) json.get("fds")).add(json.get("fds").get(0).deepCopy());
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> Session.fromJson(json));
        assertEquals("the session already holds an fd under token \"tap/fo0\"; each fd needs its own token", e.getMessage());
    }

    @Test
    void anEntryWithoutItsTokenIsRefused() {
        ObjectNode json = Samples.session().toJson();
        ((ObjectNode) json.get("fds").get(0)).remove("token");
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> Session.fromJson(json));
        assertEquals(0, e.getMessage().indexOf("an fd entry of the manifest lacks its token, kind or name"));
    }

    @Test
    void somethingThatIsNotASessionIsRefused() {
        assertThrows(LiveUpdateException.class, () -> Session.fromJson(null));
        assertThrows(LiveUpdateException.class, () -> Session.fromJson(Message.JSON.createArrayNode()));
    }

    @Test
    void argvIsCopied() throws LiveUpdateException {
        java.util.ArrayList<String> args = new java.util.ArrayList<>(List.of("--primary", "eth1"));
        Session s = new Session.Builder("fo0", 2).argv(args).add(Samples.tap(), 3).build();
        args.add("--standby");
        assertEquals(List.of("--primary", "eth1"), s.argv());
        assertEquals(2, s.generation());
    }

    @Test
    void changedSinceListsNewTokensAndTokensNamingAnotherFileWithTheirFds() throws LiveUpdateException {
        Session before = Samples.session();
        assertEquals(List.of(), before.changedSince(before).entries(), "nothing changed");
        assertArrayEquals(new int[0], before.changedSince(before).fds());
        Session after = new Session.Builder("fo0", 0).argv(before.argv())
                .add(before.entries().get(0), 30) // the same TAP under another fd number: the same file
                .add(Samples.packet("eth1", 2, 7777), 31) // eth1's socket opened again: another inode
                .add(before.entries().get(2), 32)
                .add(Samples.packet("eth3", 4, 9003), 33) // a link that appeared
                .build();
        Session changed = after.changedSince(before);
        assertEquals(List.of("packet/eth1", "packet/eth3"), changed.entries().stream().map(FdEntry::token).toList());
        assertArrayEquals(new int[] {31, 33}, changed.fds());
        assertEquals(4, after.changedSince(null).entries().size(), "without an earlier session every fd travels");
    }
}
