// Unit tests of strict address/prefix parsing.
package dev.tapover.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CidrTest {
    @Test
    void parsesIpv4AndIpv6() {
        Cidr v4 = Cidr.parse("192.0.2.1/24");
        assertTrue(v4.isIpv4());
        assertEquals(24, v4.prefixLength());
        assertEquals("192.0.2.1/24", v4.toString());
        Cidr v6 = Cidr.parse("2001:db8::1/64");
        assertFalse(v6.isIpv4());
        assertEquals("2001:db8::1/64", v6.toString());
        assertEquals("fe80::1:0:0:1/64", Cidr.parse("fe80:0:0:0:1:0:0:1/64").toString());
        assertEquals("2001:db8:0:1::/64", Cidr.parse("2001:db8:0:1:0:0:0:0/64").toString());
        assertEquals("::/0", Cidr.parse("::/0").toString());
        assertEquals("2001:db8::1:0:0:1/128", Cidr.parse("2001:db8:0:0:1:0:0:1/128").toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "192.0.2.1|address \"192.0.2.1\" needs a prefix length, like 192.0.2.1/24 or 2001:db8::1/64",
        "192.0.2.1/33|address \"192.0.2.1/33\" has a prefix length outside 0..32",
        "2001:db8::1/129|address \"2001:db8::1/129\" has a prefix length outside 0..128",
        "192.0.2.1/x|address \"192.0.2.1/x\" has a prefix length outside 0..32",
        "example.com/24|address \"example.com/24\" is not an IPv4 or IPv6 literal, like 192.0.2.1/24 or 2001:db8::1/64",
        "192.0.2.300/24|address \"192.0.2.300/24\" is not an IPv4 or IPv6 literal, like 192.0.2.1/24 or 2001:db8::1/64",
    })
    void refusesBadInputWithOneSentence(String input, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> Cidr.parse(input)).getMessage());
    }
}
