// Compact text for link events, so tests can compare whole event sequences at a glance.
package dev.tapover.netlink;

import java.util.List;

import dev.tapover.netlink.LinkEvent.AddressAdded;
import dev.tapover.netlink.LinkEvent.AddressRemoved;
import dev.tapover.netlink.LinkEvent.AdminChanged;
import dev.tapover.netlink.LinkEvent.CarrierChanged;
import dev.tapover.netlink.LinkEvent.LinkAdded;
import dev.tapover.netlink.LinkEvent.LinkRemoved;
import dev.tapover.netlink.LinkEvent.LinkRenamed;
import dev.tapover.netlink.LinkEvent.MacChanged;
import dev.tapover.netlink.LinkEvent.NotifyPeersRequested;

final class Events {
    private Events() {
    }

    /** e.g. {@code carrier tovfx0 down NETLINK}, {@code addr+ tovfx0 192.0.2.1/24 NETLINK}. */
    static String show(LinkEvent e) {
        String s;
        if (e instanceof LinkAdded) {
            s = "added " + e.ifindex() + " " + e.name();
        } else if (e instanceof LinkRemoved) {
            s = "removed " + e.ifindex() + " " + e.name();
        } else if (e instanceof LinkRenamed) {
            s = "renamed " + e.ifindex() + " " + ((LinkRenamed) e).oldName() + "->" + e.name();
        } else if (e instanceof CarrierChanged) {
            s = "carrier " + e.name() + (((CarrierChanged) e).up() ? " up" : " down");
        } else if (e instanceof AdminChanged) {
            s = "admin " + e.name() + (((AdminChanged) e).up() ? " up" : " down");
        } else if (e instanceof MacChanged) {
            s = "mac " + e.name() + " " + ((MacChanged) e).address();
        } else if (e instanceof AddressAdded) {
            s = "addr+ " + e.name() + " " + ((AddressAdded) e).address().cidr();
        } else if (e instanceof AddressRemoved) {
            s = "addr- " + e.name() + " " + ((AddressRemoved) e).address().cidr();
        } else if (e instanceof NotifyPeersRequested) {
            s = "notify " + e.name();
        } else {
            s = e.toString();
        }
        return s + " " + e.source();
    }

    static List<String> show(List<LinkEvent> events) {
        return events.stream().map(Events::show).toList();
    }
}
