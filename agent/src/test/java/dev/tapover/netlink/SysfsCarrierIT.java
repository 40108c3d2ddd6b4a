// Real-kernel checks of the sysfs carrier probe: up, down, admin-down (EINVAL) and a missing link.
package dev.tapover.netlink;

import static dev.tapover.netlink.TestNamespace.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.tapover.netlink.CarrierProbe.Reading;

class SysfsCarrierIT {
    @BeforeAll
    static void inThrowawayNamespace() {
        TestNamespace.requireThrowawayNamespace();
    }

    @AfterEach
    void tearDown() {
        TestNamespace.deleteQuietly("tovs0");
    }

    @Test
    void readsCarrierAndTreatsAdminDownAsDown() {
        SysfsCarrier probe = new SysfsCarrier();
        ip("link", "add", "tovs0", "type", "veth", "peer", "name", "tovs1");
        assertEquals(Reading.DOWN, probe.read("tovs0"), "admin-down: the kernel answers EINVAL");
        ip("link", "set", "tovs0", "up");
        assertEquals(Reading.DOWN, probe.read("tovs0"), "peer down: no carrier");
        ip("link", "set", "tovs1", "up");
        assertEquals(Reading.UP, probe.read("tovs0"));
        assertEquals(Reading.ABSENT, probe.read("tovsnone"));
        assertEquals(Reading.ABSENT, probe.read("../tovs0"));
    }
}
