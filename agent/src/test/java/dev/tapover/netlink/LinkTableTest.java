// Pure tests of the known-state table: real kernel messages in, exactly the expected events out.
package dev.tapover.netlink;

import static dev.tapover.netlink.Events.show;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.tapover.netlink.CarrierProbe.Reading;
import dev.tapover.netlink.LinkEvent.Source;

class LinkTableTest {
    private long now = 1_000;

    private List<String> load(LinkTable table, String fixture) {
        List<LinkInfo> links = Fixtures.linkMessages(fixture).stream().map(LinkMessage::link).toList();
        return show(table.resync(links, List.of(), now));
    }

    /** Applies every link and address message of a fixture in order (each {@code copies} times). */
    private List<String> replay(LinkTable table, String fixture, int copies) {
        List<LinkEvent> out = new ArrayList<>();
        NlMsg msg = new NlMsg();
        RtAttr attr = new RtAttr();
        for (byte[] d : Fixtures.datagrams(fixture)) {
            msg.wrap(Fixtures.direct(d), 0, d.length);
            try {
                while (msg.next()) {
                    for (int i = 0; i < copies; i++) {
                        now += 10;
                        int t = msg.type();
                        if (t == Rtnl.RTM_NEWLINK || t == Rtnl.RTM_DELLINK) {
                            out.addAll(table.apply(RtnlCodec.decodeLink(msg, attr), Source.NETLINK, now));
                        } else if (t == Rtnl.RTM_NEWADDR || t == Rtnl.RTM_DELADDR) {
                            out.addAll(table.apply(RtnlCodec.decodeAddress(msg, attr), Source.NETLINK, now));
                        }
                    }
                }
            } catch (MalformedMessageException e) {
                throw new AssertionError(e);
            }
        }
        return show(out);
    }

    private static final List<List<String>> STORY = List.of(
            List.of("admin tovfx1 down NETLINK", "carrier tovfx1 down NETLINK", "carrier tovfx0 down NETLINK",
                    "admin tovfx1 up NETLINK", "carrier tovfx1 up NETLINK", "carrier tovfx0 up NETLINK"),
            List.of("admin tovfx0 down NETLINK", "carrier tovfx0 down NETLINK", "carrier tovfx1 down NETLINK",
                    "renamed 3 tovfx0->tovfx9 NETLINK", "renamed 3 tovfx9->tovfx0 NETLINK",
                    "admin tovfx0 up NETLINK", "carrier tovfx0 up NETLINK", "carrier tovfx1 up NETLINK"),
            List.of("mac tovfx0 02:00:00:00:f0:0a NETLINK"),
            List.of("addr+ tovfx0 192.0.2.1/24 NETLINK", "addr+ tovfx0 2001:db8::1/64 NETLINK",
                    "addr- tovfx0 192.0.2.1/24 NETLINK", "addr- tovfx0 2001:db8::1/64 NETLINK"),
            List.of("addr+ tovfx0 198.51.100.1/24 NETLINK",
                    "admin tovfx0 down NETLINK", "carrier tovfx0 down NETLINK",
                    "admin tovfx1 down NETLINK", "carrier tovfx1 down NETLINK",
                    "addr- tovfx0 198.51.100.1/24 NETLINK", "removed 3 tovfx0 NETLINK", "removed 2 tovfx1 NETLINK",
                    "added 4 tovfx1 NETLINK", "added 5 tovfx0 NETLINK"));
    private static final List<String> STORY_FIXTURES = List.of("veth-carrier.hex", "rename.hex", "mac-change.hex",
            "address-add-remove.hex", "delete-readd.hex");

    @Test
    void kernelStoryProducesExactlyTheTransitions() {
        LinkTable table = new LinkTable();
        assertEquals(List.of("added 1 lo DUMP", "added 2 tovfx1 DUMP", "added 3 tovfx0 DUMP"),
                load(table, "link-dump.hex"));
        for (int i = 0; i < STORY.size(); i++) {
            assertEquals(STORY.get(i), replay(table, STORY_FIXTURES.get(i), 1), STORY_FIXTURES.get(i));
        }
        assertEquals(List.of("lo", "tovfx1", "tovfx0"), table.links().values().stream().map(LinkInfo::name).toList());
        assertEquals(List.of(1, 4, 5), List.copyOf(table.links().keySet()));
        assertTrue(table.addresses().isEmpty());
    }

    @Test
    void duplicatedMessagesProduceNoDuplicateEvents() {
        LinkTable table = new LinkTable();
        load(table, "link-dump.hex");
        for (int i = 0; i < STORY.size(); i++) {
            assertEquals(STORY.get(i), replay(table, STORY_FIXTURES.get(i), 3), STORY_FIXTURES.get(i));
        }
        assertEquals(List.of(1, 4, 5), List.copyOf(table.links().keySet()));
    }

    @Test
    void replayedDumpIsSilent() {
        LinkTable table = new LinkTable();
        load(table, "link-dump.hex");
        assertEquals(List.of(), load(table, "link-dump.hex"));
    }

    @Test
    void watchFollowsRenames() {
        LinkTable table = new LinkTable();
        load(table, "link-dump.hex");
        table.watch("tovfx0");
        table.watch("later0");
        assertEquals(List.of("tovfx0"), table.watchedLinks().stream().map(LinkInfo::name).toList());
        List<LinkMessage> rename = Fixtures.linkMessages("rename.hex");
        for (LinkMessage m : rename.subList(0, 3)) {
            table.apply(m, Source.NETLINK, now);
        }
        assertEquals("tovfx9", table.link(3).name());
        assertEquals(List.of("tovfx9"), table.watchedLinks().stream().map(LinkInfo::name).toList());
        assertTrue(table.watchedNames().contains("later0"), "a name not present yet stays watched");
        table.unwatch("tovfx9");
        assertEquals(List.of(), table.watchedLinks());
    }

    @Test
    void sysfsPollSeesCarrierFirstAndNetlinkOnlyConfirms() {
        LinkTable table = new LinkTable(name -> Reading.DOWN);
        load(table, "link-dump.hex");
        table.watch("tovfx0");
        assertEquals(List.of("carrier tovfx0 down SYSFS_POLL"), show(table.apply(3, Reading.DOWN, 5_000)));
        assertEquals(List.of(), table.apply(3, Reading.DOWN, 5_010), "same reading again");
        assertEquals(Source.SYSFS_POLL, table.carrierSource(3));
        assertEquals(5_000, table.carrierSince(3));
        List<LinkMessage> veth = Fixtures.linkMessages("veth-carrier.hex");
        assertEquals(List.of("admin tovfx1 down NETLINK", "carrier tovfx1 down NETLINK"),
                show(table.apply(veth.get(0), Source.NETLINK, 6_000)));
        assertEquals(List.of(), table.apply(veth.get(1), Source.NETLINK, 6_100), "netlink confirms: no event");
        assertEquals(Source.SYSFS_POLL, table.carrierSource(3), "the first source is kept");
        assertFalse(table.link(3).carrier());
        assertEquals(Rtnl.IF_OPER_LOWERLAYERDOWN, table.link(3).operstate(), "netlink's other fields applied");
    }

    @Test
    void absentOrUnreadableSysfsChangesNothing() {
        LinkTable table = new LinkTable();
        load(table, "link-dump.hex");
        assertEquals(List.of(), table.apply(3, Reading.ABSENT, now));
        assertEquals(List.of(), table.apply(3, Reading.UNREADABLE, now));
        assertEquals(List.of(), table.apply(3, Reading.UP, now), "already up");
        assertEquals(List.of(), table.apply(99, Reading.DOWN, now), "unknown link");
        assertTrue(table.link(3).carrier());
    }

    @Test
    void netlinkMessageOlderThanThePollIsOverruledByTheProbe() {
        Reading[] probe = {Reading.DOWN};
        LinkTable table = new LinkTable(name -> probe[0]);
        load(table, "link-dump.hex");
        LinkInfo upAgain = table.link(3);
        table.watch("tovfx0");
        table.apply(3, Reading.DOWN, 5_000);
        // a message queued before the poll's read still says carrier up; sysfs still says down
        LinkMessage stale = new LinkMessage(Rtnl.RTM_NEWLINK, Rtnl.AF_UNSPEC, upAgain, Rtnl.IFLA_EVENT_NONE);
        assertEquals(List.of(), table.apply(stale, Source.NETLINK, 5_100));
        assertEquals(1, table.staleCarrierMessages());
        assertFalse(table.link(3).carrier());
        // once sysfs agrees with netlink, the message is taken
        probe[0] = Reading.UP;
        assertEquals(List.of("carrier tovfx0 up NETLINK"), show(table.apply(stale, Source.NETLINK, 5_200)));
    }

    @Test
    void probeIsNotAskedOnceNetlinkConfirmed() {
        LinkTable table = new LinkTable(name -> {
            throw new AssertionError("probe asked for " + name);
        });
        load(table, "link-dump.hex");
        table.watch("tovfx0");
        List<LinkMessage> veth = Fixtures.linkMessages("veth-carrier.hex");
        table.apply(3, Reading.DOWN, 5_000);
        table.apply(veth.get(1), Source.NETLINK, 5_100); // confirms down
        assertEquals(List.of("carrier tovfx0 up NETLINK"), show(table.apply(veth.get(4), Source.NETLINK, 5_200)));
    }

    @Test
    void resyncReportsEveryDifference() throws Exception {
        LinkTable table = new LinkTable();
        load(table, "link-dump.hex");
        InetAddress gone = InetAddress.getByName("203.0.113.5");
        InetAddress kept = InetAddress.getByName("192.0.2.9");
        InetAddress onRemoved = InetAddress.getByName("198.51.100.2");
        table.apply(new AddressMessage(Rtnl.RTM_NEWADDR, new IfAddress(3, Rtnl.AF_INET, gone, 24, 0, 0x80, null)),
                Source.NETLINK, now);
        table.apply(new AddressMessage(Rtnl.RTM_NEWADDR, new IfAddress(3, Rtnl.AF_INET, kept, 24, 0, 0x80, null)),
                Source.NETLINK, now);
        table.apply(new AddressMessage(Rtnl.RTM_NEWADDR,
                new IfAddress(2, Rtnl.AF_INET, onRemoved, 24, 0, 0x80, null)), Source.NETLINK, now);

        // what a dump after lost messages shows: tovfx1 gone, tovfx0 down with a new MAC, a new link
        LinkInfo fx0 = table.link(3);
        LinkInfo fx0Now = new LinkInfo(3, "tovfx0", 1, 0x1003, HardwareAddress.parse("02:00:00:00:f0:0b"), null,
                1400, Rtnl.IF_OPER_LOWERLAYERDOWN, 0, fx0.carrierChanges() + 1);
        LinkInfo newcomer = new LinkInfo(9, "tovnew", 1, 0x1002, HardwareAddress.parse("02:00:00:00:f0:09"), null,
                1500, Rtnl.IF_OPER_DOWN, 0, 0);
        InetAddress added = InetAddress.getByName("2001:db8::9");
        List<String> events = show(table.resync(List.of(table.link(1), fx0Now, newcomer),
                List.of(new IfAddress(3, Rtnl.AF_INET, kept, 24, 0, 0x80, null),
                        new IfAddress(9, Rtnl.AF_INET6, added, 64, 0, 0x82, null)), 9_000));
        assertEquals(List.of("addr- tovfx1 198.51.100.2/24 DUMP", "removed 2 tovfx1 DUMP",
                "addr- tovfx0 203.0.113.5/24 DUMP", "carrier tovfx0 down DUMP", "mac tovfx0 02:00:00:00:f0:0b DUMP",
                "added 9 tovnew DUMP", "addr+ tovnew 2001:db8::9/64 DUMP"), events);
        assertEquals(List.of(), table.resync(List.of(table.link(1), fx0Now, newcomer),
                List.of(new IfAddress(3, Rtnl.AF_INET, kept, 24, 0, 0x80, null),
                        new IfAddress(9, Rtnl.AF_INET6, added, 64, 0, 0x82, null)), 9_100), "idempotent");
    }

    @Test
    void removalReportsLeftoverAddressesFirst() throws Exception {
        LinkTable table = new LinkTable();
        load(table, "link-dump.hex");
        InetAddress a = InetAddress.getByName("192.0.2.3");
        table.apply(new AddressMessage(Rtnl.RTM_NEWADDR, new IfAddress(3, Rtnl.AF_INET, a, 24, 0, 0, null)),
                Source.NETLINK, now);
        LinkMessage del = new LinkMessage(Rtnl.RTM_DELLINK, Rtnl.AF_UNSPEC, table.link(3), 0);
        assertEquals(List.of("addr- tovfx0 192.0.2.3/24 NETLINK", "removed 3 tovfx0 NETLINK"),
                show(table.apply(del, Source.NETLINK, now)));
        assertNull(table.link(3));
        assertEquals(List.of(), table.apply(del, Source.NETLINK, now), "second DELLINK is silent");
    }

    @Test
    void bridgePortMessagesAreIgnored() {
        LinkTable table = new LinkTable();
        load(table, "link-dump.hex");
        LinkMessage port = new LinkMessage(Rtnl.RTM_DELLINK, Rtnl.AF_BRIDGE, table.link(3), 0);
        assertEquals(List.of(), table.apply(port, Source.NETLINK, now));
        assertTrue(table.link(3) != null);
    }

    @Test
    void notifyPeersIsAnEventEveryTime() {
        LinkTable table = new LinkTable();
        load(table, "link-dump.hex");
        List<LinkMessage> m = Fixtures.linkMessages("notify-peers.hex");
        assertEquals(List.of("admin tovfx1 down NETLINK", "carrier tovfx1 down NETLINK", "notify tovfx1 NETLINK"),
                show(table.apply(m.get(0), Source.NETLINK, now)));
        assertEquals(List.of("notify tovfx1 NETLINK"), show(table.apply(m.get(0), Source.NETLINK, now)),
                "each request is reported, state diff or not");
    }

    @Test
    void tapCarrierOffFromTunsetcarrier() {
        LinkTable table = new LinkTable();
        LinkInfo off = Fixtures.linkMessages("tap-carrier-off.hex").get(0).link();
        LinkInfo before = new LinkInfo(off.ifindex(), off.name(), off.arphrdType(),
                off.flags() | Rtnl.IFF_LOWER_UP | Rtnl.IFF_RUNNING, off.address(), off.permAddress(), off.mtu(),
                Rtnl.IF_OPER_UNKNOWN, 1, off.carrierChanges() - 1);
        assertEquals(List.of("added 6 tovfxtap DUMP"), show(table.resync(List.of(before), List.of(), now)));
        assertEquals(List.of("carrier tovfxtap down NETLINK"), show(table.apply(
                new LinkMessage(Rtnl.RTM_NEWLINK, Rtnl.AF_UNSPEC, off, 0), Source.NETLINK, now)));
    }

    @Test
    void addressFlagUpdatesAreSilentButKept() throws Exception {
        LinkTable table = new LinkTable();
        InetAddress a = InetAddress.getByName("2001:db8::5");
        IfAddress tentative = new IfAddress(3, Rtnl.AF_INET6, a, 64, 0, Rtnl.IFA_F_TENTATIVE, null);
        IfAddress done = new IfAddress(3, Rtnl.AF_INET6, a, 64, 0, Rtnl.IFA_F_PERMANENT, null);
        assertEquals(1, table.apply(new AddressMessage(Rtnl.RTM_NEWADDR, tentative), Source.NETLINK, now).size());
        assertEquals(List.of(), table.apply(new AddressMessage(Rtnl.RTM_NEWADDR, done), Source.NETLINK, now));
        assertFalse(table.addresses().get(0).tentative());
    }
}
