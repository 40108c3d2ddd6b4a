// One failover group's settings: the master, its links in preference order, addresses, policy, announcements.
package dev.tapover.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Validated settings of one group. Built from the command line or a configuration file; {@link #validate()}
 * names the bad setting, its value and what is allowed, in one sentence.
 */
public record GroupConfig(
        String master,
        byte[] mac,
        List<String> links,
        byte[] primaryMac,
        List<Cidr> addresses,
        String failback,
        Duration upDelay,
        Duration downDelay,
        Duration failbackDelay,
        Duration carrierPoll,
        boolean allowMissingLinks,
        boolean vnetHeader,
        AnnounceConfig announce,
        Path controlSocket,
        Path pcap) {

    /** How the group tells the network it moved. */
    public record AnnounceConfig(String arpForm, int count, Duration interval, Duration migrationWindow,
                                 List<Integer> vlans) {
    }

    /** Checks what the types cannot; throws IllegalArgumentException with a one-sentence message. */
    public GroupConfig validate() {
        if (master == null || master.isEmpty() || master.getBytes(java.nio.charset.StandardCharsets.US_ASCII).length > 15
                || !master.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("master name \"" + master + "\" must be 1 to 15 letters, digits, '.', '-' or '_'");
        }
        if (links.isEmpty()) {
            throw new IllegalArgumentException("a group needs a primary link (--primary IF)");
        }
        for (String link : links) {
            if (link == null || link.isEmpty() || link.length() > 15 || link.contains("/") || link.contains(" ")) {
                throw new IllegalArgumentException("link name \"" + link + "\" is not a valid interface name (1 to 15 bytes, no '/' or spaces)");
            }
            if (link.equals(master)) {
                throw new IllegalArgumentException("link \"" + link + "\" cannot be the master itself");
            }
        }
        if (links.stream().distinct().count() != links.size()) {
            throw new IllegalArgumentException("links " + links + " name the same interface twice; primary and standby must differ");
        }
        if (!List.of("always", "better", "never").contains(failback)) {
            throw new IllegalArgumentException("failback \"" + failback + "\" must be always, better or never");
        }
        for (Duration d : List.of(upDelay, downDelay, failbackDelay, carrierPoll)) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("delays and intervals must not be negative, got " + d);
            }
        }
        // What the policy and the announcer accept at start-up: refuse it here, before anything is created.
        checkAtMostAnHour("up delay", upDelay);
        checkAtMostAnHour("down delay", downDelay);
        checkAtMostAnHour("failback delay", failbackDelay);
        checkAtMostAnHour("carrier poll interval", carrierPoll);
        if (announce != null) {
            checkAtMostAnHour("announce interval", announce.interval());
            checkAtMostAnHour("migration window", announce.migrationWindow());
        }
        return this;
    }

    private static void checkAtMostAnHour(String what, Duration d) {
        if (d == null || d.isNegative() || d.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException(what + " " + (d == null ? "(missing)" : Durations.format(d))
                    + " must be between 0ms and 1h (60m)");
        }
    }
}
