// The shapes of IPv4 announcement an operator can choose, named as on the command line (kebab-case).
package dev.tapover.announce;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which ARP frame tells the network where an address lives.
 *
 * <pre>
 * form               op  ethertype  target MAC          sender IP = target IP   seen in
 * request            1   0x0806     00:00:00:00:00:00   yes                     Linux kernel (default)
 * request-broadcast  1   0x0806     ff:ff:ff:ff:ff:ff   yes                     keepalived, arping -U
 * reply              2   0x0806     master MAC          yes                     arping -A
 * alternate          request on even rounds, reply on odd rounds
 * rarp               3   0x8035     master MAC          0.0.0.0 (no address)    QEMU announce-self
 * </pre>
 */
public enum ArpForm {
    REQUEST("request"),
    REQUEST_BROADCAST("request-broadcast"),
    REPLY("reply"),
    ALTERNATE("alternate"),
    RARP("rarp");

    private final String cliName;

    ArpForm(String cliName) {
        this.cliName = cliName;
    }

    /** The kebab-case name used in configuration, on the command line and in logs. */
    public String cliName() {
        return cliName;
    }

    /** The single-frame form sent in round {@code round} (0-based): only {@link #ALTERNATE} varies. */
    public ArpForm forRound(int round) {
        if (this != ALTERNATE) {
            return this;
        }
        return round % 2 == 0 ? REQUEST : REPLY;
    }

    /** Parses a kebab-case name (case-insensitive); the message lists the valid names. */
    public static ArpForm parse(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (ArpForm form : values()) {
            if (form.cliName.equals(wanted)) {
                return form;
            }
        }
        throw new IllegalArgumentException("unknown ARP form \"" + name + "\": use one of "
                + Arrays.stream(values()).map(ArpForm::cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
