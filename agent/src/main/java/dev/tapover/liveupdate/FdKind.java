// The kinds of file descriptor a live update hands over, named as in the tokens ("tap/fo0", "packet/eth1").
package dev.tapover.liveupdate;

import java.util.Locale;

/** What the successor knows how to check and adopt; anything else in a manifest is refused by name. */
public enum FdKind {
    /** The master's TAP queue (/dev/net/tun). Cannot be re-created: a second attach gets EBUSY. */
    TAP,
    /** A lower link's AF_PACKET socket: handed over so the frames queued in it during the freeze survive. */
    PACKET;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind named {@code text}; a one-sentence error for an unknown kind. */
    public static FdKind parse(String text, String token) throws LiveUpdateException {
        for (FdKind kind : values()) {
            if (kind.wireName().equals(text)) {
                return kind;
            }
        }
        throw new LiveUpdateException("fd \"" + token + "\" has kind \"" + text
                + "\", which this build cannot adopt (it knows tap and packet); upgrade to a build that does");
    }
}
