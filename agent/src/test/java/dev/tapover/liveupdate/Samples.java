// Sample sessions, fd entries and state snapshots shared by the live-update unit tests.
package dev.tapover.liveupdate;

import java.util.List;
import java.util.Map;

import dev.tapover.failover.LinkRole;
import dev.tapover.failover.LinkSnapshot;
import dev.tapover.failover.LinkState;
import dev.tapover.failover.Reason;

final class Samples {
    static final int[] FDS = {10, 11, 12};
    static final int IFF_TAP_NO_PI = 0x1002;
    static final long MS = 1_000_000L;

    private Samples() {
    }

    static FdEntry tap() {
        return new FdEntry("tap/fo0", FdKind.TAP, "fo0", 7, IFF_TAP_NO_PI, 10, false, true, 5, 118);
    }

    static FdEntry packet(String link, int ifindex, long ino) {
        return new FdEntry("packet/" + link, FdKind.PACKET, link, ifindex, 0, 0, true, false, 8, ino);
    }

    static Session session() {
        try {
            return new Session.Builder("fo0", 0).argv(List.of("--master", "fo0", "--primary", "eth1"))
                    .add(tap(), FDS[0]).add(packet("eth1", 2, 9001), FDS[1]).add(packet("eth2", 3, 9002), FDS[2]).build();
        } catch (LiveUpdateException e) {
            throw new AssertionError(e);
        }
    }

    /** eth1 (primary) up and active, eth2 coming up with 400 ms of up-delay left, taken at {@code now}. */
    static StateSnapshot snapshot(long now) {
        LinkSnapshot eth1 = new LinkSnapshot(2, "eth1", "eth1", LinkRole.PRIMARY, 0, true, true, 1000, LinkState.UP,
                now - 90_000 * MS, LinkSnapshot.NO_DEADLINE, null);
        LinkSnapshot eth2 = new LinkSnapshot(3, "eth2", "eth2", LinkRole.STANDBY, 1, true, true, -1, LinkState.GOING_UP,
                LinkSnapshot.NOT_USABLE, now + 400 * MS, null);
        StateSnapshot.PolicyState policy = new StateSnapshot.PolicyState(2, "eth1", false, true, 3, 3,
                Map.of("reason", Reason.PRIMARY_RETURNED.wireName(), "from", "eth2", "to", "eth1"),
                List.of(StateSnapshot.SavedLink.of(eth1, now), StateSnapshot.SavedLink.of(eth2, now)));
        StateSnapshot.CounterValues master = new StateSnapshot.CounterValues(100, 6000, 90, 5400, Map.of("no-active-link", 2L));
        StateSnapshot.CounterValues link = new StateSnapshot.CounterValues(90, 5400, 100, 6000, Map.of());
        return new StateSnapshot(StateSnapshot.SCHEMA, new StateSnapshot.MasterState("fo0", true,
                List.of("192.0.2.1/24", "2001:db8::1/64")), policy,
                new StateSnapshot.CounterState(master, List.of(link, link)), Map.of("sentTotal", 12),
                Map.of("eth1", Map.of("ipv6/conf/%s/disable_ipv6", "0"), "eth2", Map.of("ipv4/conf/%s/arp_ignore", "0")));
    }

    static StateSnapshot snapshot() {
        return snapshot(1_000_000 * MS);
    }
}
