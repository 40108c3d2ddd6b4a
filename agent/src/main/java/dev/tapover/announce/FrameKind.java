// The kinds of frame the announcer actually puts on the wire, one counter each.
package dev.tapover.announce;

/** One kind of announcement frame; {@link ArpForm#ALTERNATE} resolves to the request or reply kind. */
public enum FrameKind {
    ARP_REQUEST("arp-request"),
    ARP_REQUEST_BROADCAST("arp-request-broadcast"),
    ARP_REPLY("arp-reply"),
    RARP("rarp"),
    NEIGHBOR_ADVERTISEMENT("na");

    private final String cliName;

    FrameKind(String cliName) {
        this.cliName = cliName;
    }

    /** The kebab-case name used in logs and JSON counters. */
    public String cliName() {
        return cliName;
    }

    /** The frame kind of a single-frame ARP form ({@link ArpForm#ALTERNATE} is not one). */
    static FrameKind of(ArpForm form) {
        switch (form) {
            case REQUEST:
                return ARP_REQUEST;
            case REQUEST_BROADCAST:
                return ARP_REQUEST_BROADCAST;
            case REPLY:
                return ARP_REPLY;
            case RARP:
                return RARP;
            default:
                throw new IllegalArgumentException(form + " is not a single-frame form");
        }
    }

    @Override
    public String toString() {
        return cliName;
    }
}
