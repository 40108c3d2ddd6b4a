// Unit tests of MAC parsing, formatting and the name-derived MAC.
package dev.tapover.datapath;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MasterTest {
    @Test
    void derivedMacIsStableLocallyAdministeredUnicast() {
        byte[] mac = Master.derivedMac("fo0");
        assertArrayEquals(mac, Master.derivedMac("fo0"));
        assertEquals(0x02, mac[0] & 0x03, "locally administered bit set, multicast bit clear");
        assertNotEquals(Master.formatMac(mac), Master.formatMac(Master.derivedMac("fo1")));
    }

    @Test
    void parsesAndFormatsMacs() {
        assertEquals("02:00:5e:00:53:0a", Master.formatMac(Master.parseMac("02:00:5E:00:53:0A")));
        assertEquals("02:00:5e:00:53:0a", Master.formatMac(Master.parseMac("02-00-5e-00-53-0a")));
    }

    @Test
    void refusesBadMacsWithOneSentence() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Master.parseMac("02:00:5e"));
        assertEquals("MAC address \"02:00:5e\" must be six hex bytes like 02:00:5e:00:53:01", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Master.parseMac("02:00:5e:00:53:zz"));
        IllegalArgumentException multicast = assertThrows(IllegalArgumentException.class,
                () -> Master.parseMac("01:00:5e:00:53:01"));
        assertEquals("MAC address \"01:00:5e:00:53:01\" is a multicast address; a master needs a unicast MAC",
                multicast.getMessage());
    }
}
