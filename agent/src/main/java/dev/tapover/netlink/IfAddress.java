// One IPv4 or IPv6 address on an interface, as RTM_NEWADDR / RTM_DELADDR describe it.
package dev.tapover.netlink;

import java.net.InetAddress;

/**
 * An interface address. {@link #address()} is IFA_LOCAL when present (IPv4, point-to-point) else IFA_ADDRESS.
 *
 * @param ifindex      interface index (ifa_index)
 * @param family       AF_INET or AF_INET6
 * @param address      the interface's own address
 * @param prefixLength ifa_prefixlen
 * @param scope        ifa_scope (RT_SCOPE_*)
 * @param flags        IFA_FLAGS when present (32 bits), else ifa_flags (IFA_F_TENTATIVE, IFA_F_NODAD, ...)
 * @param label        IFA_LABEL (IPv4 only), or null
 */
public record IfAddress(int ifindex, int family, InetAddress address, int prefixLength, int scope, int flags,
        String label) {

    /** What identifies an address on a link: index, address and prefix length. */
    public record Key(int ifindex, InetAddress address, int prefixLength) {
    }

    public Key key() {
        return new Key(ifindex, address, prefixLength);
    }

    /** IFA_F_TENTATIVE: IPv6 duplicate address detection has not finished. */
    public boolean tentative() {
        return (flags & Rtnl.IFA_F_TENTATIVE) != 0;
    }

    /** The address in CIDR form, e.g. {@code 192.0.2.1/24} or {@code 2001:db8::1/64}. */
    public String cidr() {
        return format(address) + "/" + prefixLength;
    }

    /** Dotted quad, or IPv6 in RFC 5952 form ({@code 2001:db8::1}, as ip(8) prints it). */
    public static String format(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length != 16) {
            return address.getHostAddress();
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is not shortened
        for (int i = 0; i < 8;) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return cidr() + " on ifindex " + ifindex + " scope " + scope + " flags 0x" + Integer.toHexString(flags);
    }
}
