// Adds the configured addresses to the master through rtnetlink (RTM_NEWADDR with an ack).
package dev.tapover.agent;

import java.io.IOException;

import dev.tapover.config.Cidr;
import dev.tapover.netlink.RouteClient;

/** A short-lived RouteClient for start-up configuration. */
final class AddressSetter implements AutoCloseable {
    /** IFA_F_NODAD: the master's IPv6 address is usable at once (the address is ours by configuration). */
    private static final int IFA_F_NODAD = 0x02;

    private final RouteClient client;

    private AddressSetter(RouteClient client) {
        this.client = client;
    }

    static AddressSetter open() throws AddressException {
        try {
            return new AddressSetter(RouteClient.open());
        } catch (IOException e) {
            throw new AddressException("cannot open rtnetlink to configure addresses: " + e.getMessage());
        }
    }

    void add(int ifindex, Cidr cidr) throws AddressException {
        try {
            client.addAddress(ifindex, cidr.address(), cidr.prefixLength(), cidr.isIpv4() ? 0 : IFA_F_NODAD);
        } catch (IOException e) {
            throw new AddressException("cannot add " + cidr + " to the master: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        client.close();
    }

    static final class AddressException extends Exception {
        private static final long serialVersionUID = 1L;

        AddressException(String message) {
            super(message);
        }
    }
}
