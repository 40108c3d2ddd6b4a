// Real-kernel tests of RouteClient: address add/remove with acks and clear errors, link and address dumps.
package dev.tapover.netlink;

import static dev.tapover.netlink.TestNamespace.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.tapover.natives.Errno;

class RouteClientIT {
    @BeforeAll
    static void inThrowawayNamespace() {
        TestNamespace.requireThrowawayNamespace();
    }

    @BeforeEach
    void createVeth() {
        ip("link", "add", "tovrc0", "type", "veth", "peer", "name", "tovrc1");
    }

    @AfterEach
    void deleteVeth() {
        TestNamespace.deleteQuietly("tovrc0");
    }

    @Test
    void addsAndDeletesIpv4AndIpv6Addresses() throws Exception {
        int index = TestNamespace.ifindex("tovrc0");
        InetAddress v4 = InetAddress.getByName("192.0.2.1");
        InetAddress v6 = InetAddress.getByName("2001:db8::1");
        try (RouteClient client = RouteClient.open()) {
            client.addAddress(index, v4, 24);
            client.addAddress(index, v6, 64, Rtnl.IFA_F_NODAD);
            String shown = ip("-o", "address", "show", "dev", "tovrc0");
            assertTrue(shown.contains("inet 192.0.2.1/24"), shown);
            assertTrue(shown.contains("inet6 2001:db8::1/64"), shown);

            List<IfAddress> dumped = client.dumpAddresses();
            assertTrue(dumped.stream().anyMatch(a -> a.ifindex() == index && a.address().equals(v4)
                    && a.prefixLength() == 24 && a.family() == Rtnl.AF_INET), dumped.toString());
            assertTrue(dumped.stream().anyMatch(a -> a.ifindex() == index && a.address().equals(v6)
                    && a.prefixLength() == 64 && (a.flags() & Rtnl.IFA_F_NODAD) != 0), dumped.toString());

            client.deleteAddress(index, v4, 24);
            client.deleteAddress(index, v6, 64);
            shown = ip("-o", "address", "show", "dev", "tovrc0");
            assertFalse(shown.contains("192.0.2.1"), shown);
            assertFalse(shown.contains("2001:db8::1"), shown);
        }
    }

    @Test
    void refusalsNameTheRequestAndTheErrno() throws Exception {
        int index = TestNamespace.ifindex("tovrc0");
        InetAddress v4 = InetAddress.getByName("192.0.2.7");
        try (RouteClient client = RouteClient.open()) {
            client.addAddress(index, v4, 24);
            NetlinkException twice = assertThrows(NetlinkException.class, () -> client.addAddress(index, v4, 24));
            assertEquals(Errno.EEXIST, twice.errno());
            assertTrue(twice.getMessage().startsWith("RTM_NEWADDR 192.0.2.7/24 on ifindex " + index
                    + " failed: EEXIST (File exists)"), twice.getMessage());

            client.deleteAddress(index, v4, 24);
            NetlinkException gone = assertThrows(NetlinkException.class, () -> client.deleteAddress(index, v4, 24));
            assertEquals(Errno.EADDRNOTAVAIL, gone.errno());
            assertTrue(gone.getMessage().startsWith("RTM_DELADDR 192.0.2.7/24 on ifindex " + index
                    + " failed: EADDRNOTAVAIL (Cannot assign requested address)"), gone.getMessage());

            NetlinkException noLink = assertThrows(NetlinkException.class,
                    () -> client.addAddress(999_999, v4, 24));
            assertEquals(Errno.ENODEV, noLink.errno(), noLink.getMessage());
        }
    }

    @Test
    void dumpsLinksWithNamesIndexesAndState() throws Exception {
        ip("link", "set", "tovrc1", "up");
        ip("link", "set", "tovrc0", "address", "02:00:00:00:aa:01", "mtu", "1400", "up");
        try (RouteClient client = RouteClient.open()) {
            List<LinkInfo> links = client.dumpLinks();
            LinkInfo lo = links.stream().filter(l -> l.name().equals("lo")).findFirst().orElseThrow();
            assertEquals(1, lo.ifindex());
            LinkInfo veth = links.stream().filter(l -> l.name().equals("tovrc0")).findFirst().orElseThrow();
            assertEquals(TestNamespace.ifindex("tovrc0"), veth.ifindex());
            assertEquals(HardwareAddress.parse("02:00:00:00:aa:01"), veth.address());
            assertEquals(1400, veth.mtu());
            assertTrue(veth.adminUp());
            assertTrue(veth.carrier(), veth.toString());
            assertEquals(0, client.malformedMessages());
        }
    }
}
