// The versioned state snapshot: JSON round trip, timers moved to the successor's clock, schema checks.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.tapover.failover.LinkSnapshot;
import dev.tapover.failover.LinkState;

class StateSnapshotTest {
    private static final long MS = Samples.MS;

    @Test
    void roundTripThroughJson() throws Exception {
        StateSnapshot s = Samples.snapshot();
        StateSnapshot back = StateSnapshot.fromJson(Message.JSON.readTree(Message.JSON.writeValueAsBytes(toNode(s))));
        assertEquals(s, back);
    }

    private static ObjectNode toNode(StateSnapshot s) {
        return (ObjectNode) s.toJson();
    }

    @Test
    void timersAreStoredRelativeAndResumeOnTheSuccessorsClock() throws LiveUpdateException {
        long predecessorNow = 1_000_000 * MS;
        StateSnapshot s = Samples.snapshot(predecessorNow);
        assertEquals(400 * MS, s.policy().links().get(1).deadlineInNanos(), "eth2's up-delay had 400 ms left");
        assertEquals(90_000 * MS, s.policy().links().get(0).usableForNanos(), "eth1 had been usable for 90 s");

        long successorNow = 7 * MS; // another clock origin entirely
        List<LinkSnapshot> links = StateSnapshot.fromJson(s.toJson()).linksAt(successorNow);
        assertEquals(LinkState.UP, links.get(0).state());
        assertEquals(successorNow - 90_000 * MS, links.get(0).usableSinceNanos());
        assertEquals(LinkSnapshot.NO_DEADLINE, links.get(0).deadlineNanos());
        assertEquals(LinkState.GOING_UP, links.get(1).state());
        assertEquals(successorNow + 400 * MS, links.get(1).deadlineNanos(), "the time spent frozen does not count");
        assertEquals(LinkSnapshot.NOT_USABLE, links.get(1).usableSinceNanos());
        assertEquals(2, s.activeIfindex().getAsInt());
    }

    @Test
    void anotherSchemaIsRefused() {
        ObjectNode json = toNode(Samples.snapshot());
        json.put("schema", 2);
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> StateSnapshot.fromJson(json));
        assertEquals("the predecessor's state snapshot has schema 2, this build reads schema 1; upgrade through a build "
                + "that reads both", e.getMessage());
        json.remove("schema");
        e = assertThrows(LiveUpdateException.class, () -> StateSnapshot.fromJson(json));
        assertTrue(e.getMessage().contains("has schema -1"), e.getMessage());
    }

    @Test
    void fieldsANewerPredecessorAddsAreIgnored() throws LiveUpdateException {
        ObjectNode json = toNode(Samples.snapshot());
        json.put("vlanState", "whatever comes next");
        ((ObjectNode) json.get("policy")).put("futureKnob", 3);
        assertEquals(Samples.snapshot(), StateSnapshot.fromJson(json));
    }

    @Test
    void aMissingPartIsRefused() {
        ObjectNode json = toNode(Samples.snapshot());
        json.remove("policy");
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> StateSnapshot.fromJson(json));
        assertEquals("the predecessor's state snapshot lacks its master, policy or counters part", e.getMessage());
        assertThrows(LiveUpdateException.class, () -> StateSnapshot.fromJson(null));
    }

    @Test
    void anUnknownLinkStateIsRefusedByName() throws LiveUpdateException {
        ObjectNode json = toNode(Samples.snapshot());
        ((ObjectNode) json.get("policy").get("links").get(1)).put("state", "flapping");
        StateSnapshot s = StateSnapshot.fromJson(json);
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> s.linksAt(0));
        assertEquals("the snapshot gives link eth2 the unknown state \"flapping\"", e.getMessage());
    }

    @Test
    void anInconsistentLinkIsRefused() throws LiveUpdateException {
        ObjectNode json = toNode(Samples.snapshot());
        ((ObjectNode) json.get("policy").get("links").get(0)).put("state", "down"); // DOWN needs a down cause
        StateSnapshot s = StateSnapshot.fromJson(json);
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> s.linksAt(0));
        assertTrue(e.getMessage().startsWith("the snapshot's state of link eth1 is inconsistent"), e.getMessage());
    }
}
