// An interface address with its prefix length, e.g. 192.0.2.1/24 or 2001:db8::1/64, parsed strictly.
package dev.tapover.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** A parsed {@code ADDRESS/PREFIX}; parsing never resolves names. */
public record Cidr(InetAddress address, int prefixLength) {

    /** Parses {@code text}; the exception message says what is wrong in one sentence. */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("address \"" + text + "\" needs a prefix length, like 192.0.2.1/24 or 2001:db8::1/64");
        }
        String host = text.substring(0, slash);
        boolean v6 = host.contains(":");
        if (!v6 && !host.matches("\\d{1,3}(\\.\\d{1,3}){3}") || v6 && !host.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("address \"" + text + "\" is not an IPv4 or IPv6 literal, like 192.0.2.1/24 or 2001:db8::1/64");
        }
        if (!v6) {
            for (String octet : host.split("\\.")) {
                if (Integer.parseInt(octet) > 255) { // never let getByName fall back to a DNS lookup
                    throw new IllegalArgumentException("address \"" + text + "\" is not an IPv4 or IPv6 literal, like 192.0.2.1/24 or 2001:db8::1/64");
                }
            }
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address \"" + text + "\" is not an IPv4 or IPv6 literal, like 192.0.2.1/24 or 2001:db8::1/64");
        }
        int max = address instanceof Inet4Address ? 32 : 128;
        int prefix;
        try {
            prefix = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            prefix = -1;
        }
        if (prefix < 0 || prefix > max) {
            throw new IllegalArgumentException("address \"" + text + "\" has a prefix length outside 0.." + max);
        }
        return new Cidr(address, prefix);
    }

    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    @Override
    public String toString() {
        return format(address) + "/" + prefixLength;
    }

    /** The address in its usual text form: RFC 5952 compressed for IPv6 (2001:db8::1). */
    public static String format(InetAddress address) {
        return dev.tapover.netlink.IfAddress.format(address);
    }
}
