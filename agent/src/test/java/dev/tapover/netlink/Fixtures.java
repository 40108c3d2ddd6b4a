// Loads the rtnetlink golden fixtures (hex, one datagram a line) from src/test/resources/netlink.
package dev.tapover.netlink;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

final class Fixtures {
    private Fixtures() {
    }

    /** The datagrams of a fixture, each as raw bytes. */
    static List<byte[]> datagrams(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/netlink/" + name)) {
            if (in == null) {
                throw new AssertionError("no fixture " + name);
            }
            List<byte[]> out = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                String t = line.trim();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    out.add(HexFormat.of().parseHex(t));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A direct, native-order buffer holding {@code bytes} from 0 (as the receive path sees a datagram). */
    static ByteBuffer direct(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(bytes.length, 1)).order(ByteOrder.nativeOrder());
        buf.put(bytes).flip();
        return buf;
    }

    /** Every link message of a fixture, decoded (fails on a bad one). */
    static List<LinkMessage> linkMessages(String name) {
        List<LinkMessage> out = new ArrayList<>();
        NlMsg msg = new NlMsg();
        RtAttr attr = new RtAttr();
        for (byte[] d : datagrams(name)) {
            msg.wrap(direct(d), 0, d.length);
            try {
                while (msg.next()) {
                    if (msg.type() == Rtnl.RTM_NEWLINK || msg.type() == Rtnl.RTM_DELLINK) {
                        out.add(RtnlCodec.decodeLink(msg, attr));
                    }
                }
            } catch (MalformedMessageException e) {
                throw new AssertionError(name, e);
            }
        }
        return out;
    }

    /** Every address message of a fixture, decoded. */
    static List<AddressMessage> addressMessages(String name) {
        List<AddressMessage> out = new ArrayList<>();
        NlMsg msg = new NlMsg();
        RtAttr attr = new RtAttr();
        for (byte[] d : datagrams(name)) {
            msg.wrap(direct(d), 0, d.length);
            try {
                while (msg.next()) {
                    if (msg.type() == Rtnl.RTM_NEWADDR || msg.type() == Rtnl.RTM_DELADDR) {
                        out.add(RtnlCodec.decodeAddress(msg, attr));
                    }
                }
            } catch (MalformedMessageException e) {
                throw new AssertionError(name, e);
            }
        }
        return out;
    }
}
