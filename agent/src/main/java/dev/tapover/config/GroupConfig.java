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

    /**
     * How the group tells the network it moved (see docs/announcements.md; the announce package validates).
     *
     * @param arpForm         request, request-broadcast, reply, alternate or rarp
     * @param count           ARP rounds per event, the first at once
     * @param interval        the gap between ARP rounds in the fixed interval mode
     * @param migrationWindow a carrier loss of the active link shorter than this is a migration
     * @param vlans           VLAN ids that get 802.1Q-tagged announcements (the keys of vlanAddresses)
     * @param intervalMode    fixed, backoff (QEMU announce-self) or exponential
     * @param backoffInitial  first gap in the backoff and exponential modes
     * @param backoffStep     added to the gap each round in the backoff mode
     * @param backoffMax      the largest gap in the backoff and exponential modes
     * @param refresh         one round again every refresh after a burst (keeps switch FDBs fresh); zero for none
     * @param untilProven     stop a burst after its first round once a frame for the master came in on the link
     * @param budgetPerSecond announcement frames per second per link, 0 for no limit
     * @param naCount         unsolicited NA rounds per event
     * @param naInterval      the least time between two NA rounds
     * @param holdOnFlap      wait the migration window out before failing over when the active link loses carrier
     * @param vlanAddresses   per VLAN id, the addresses that live on it (empty: the MAC alone, by RARP)
     */
    public record AnnounceConfig(String arpForm, int count, Duration interval, Duration migrationWindow,
                                 List<Integer> vlans, String intervalMode, Duration backoffInitial,
                                 Duration backoffStep, Duration backoffMax, Duration refresh, boolean untilProven,
                                 int budgetPerSecond, int naCount, Duration naInterval, boolean holdOnFlap,
                                 java.util.Map<Integer, List<Cidr>> vlanAddresses) {

        /** The original five settings, fixed gaps of {@code interval}, everything else at its default. */
        public AnnounceConfig(String arpForm, int count, Duration interval, Duration migrationWindow,
                              List<Integer> vlans) {
            this(arpForm, count, interval, migrationWindow, vlans, "fixed", Duration.ofMillis(50),
                    Duration.ofMillis(100), Duration.ofMillis(550), Duration.ZERO, false, 100, 3, Duration.ofSeconds(1),
                    false, addresslessVlans(vlans));
        }

        /**
         * The defaults: form request; 5 ARP rounds with QEMU's backoff gaps (50 ms, +100 ms, at most 550 ms); 3 NA
         * rounds at least 1 s apart; 100 frames per second per link; no refresh, no until-proven, no hold-on-flap;
         * migration window 2 s; no VLAN.
         */
        public static AnnounceConfig defaults() {
            return new AnnounceConfig("request", 5, Duration.ofSeconds(1), Duration.ofSeconds(2), List.of(), "backoff",
                    Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(550), Duration.ZERO, false, 100, 3,
                    Duration.ofSeconds(1), false, java.util.Map.of());
        }

        private static java.util.Map<Integer, List<Cidr>> addresslessVlans(List<Integer> vlans) {
            java.util.Map<Integer, List<Cidr>> out = new java.util.TreeMap<>();
            for (Integer vlan : vlans) {
                out.put(vlan, List.of());
            }
            return out;
        }
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
