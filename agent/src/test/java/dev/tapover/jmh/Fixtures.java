// Loads the rtnetlink golden fixtures for the benchmarks: one datagram per hex line, '#' lines are comments.
package dev.tapover.jmh;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** The same files the codec tests use (agent/src/test/resources/netlink), read the same way. */
final class Fixtures {
    private Fixtures() {
    }

    /** The datagrams of {@code name}, in capture order. */
    static List<byte[]> datagrams(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/netlink/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no fixture /netlink/" + name + " on the class path");
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

    /** A direct, native-order buffer holding {@code bytes} from 0, as the monitor's receive buffer does. */
    static ByteBuffer direct(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.allocateDirect(bytes.length).order(ByteOrder.nativeOrder());
        buf.put(bytes).flip();
        return buf;
    }
}
