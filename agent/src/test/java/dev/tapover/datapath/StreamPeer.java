// A bounded TCP byte source/sink run in the lab's peer namespace (ip netns exec ... java), for byte-exact checks.
package dev.tapover.datapath;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/**
 * {@code sink PORT SECONDS}: accepts one connection on PORT, reads to EOF, prints {@code bytes=N sha256=HEX}.
 * {@code source HOST PORT BYTES SEED SECONDS}: connects, sends BYTES pseudo-random bytes of SEED (see
 * {@link #fill}), closes, prints the same line. Every wait is bounded by SECONDS; exit 1 on any failure.
 */
public final class StreamPeer {
    private StreamPeer() {
    }

    public static void main(String[] args) throws Exception {
        try {
            if (args[0].equals("sink")) {
                int seconds = Integer.parseInt(args[2]);
                try (ServerSocket server = new ServerSocket()) {
                    server.bind(new InetSocketAddress(Integer.parseInt(args[1])));
                    server.setSoTimeout(seconds * 1000);
                    System.out.println("listening");
                    System.out.flush();
                    try (Socket socket = server.accept()) {
                        socket.setSoTimeout(seconds * 1000);
                        System.out.println(drain(socket.getInputStream()));
                    }
                }
            } else {
                int seconds = Integer.parseInt(args[5]);
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(args[1], Integer.parseInt(args[2])), seconds * 1000);
                    socket.setSoTimeout(seconds * 1000);
                    System.out.println(send(socket.getOutputStream(), Long.parseLong(args[3]), Long.parseLong(args[4])));
                }
            }
        } catch (Exception e) {
            System.out.println("failed: " + e);
            System.exit(1);
        }
    }

    /** Reads to EOF; "bytes=N sha256=HEX". */
    static String drain(InputStream in) throws Exception {
        return drain(in, Long.MAX_VALUE, null);
    }

    /** Reads to EOF, running {@code action} once {@code at} bytes have arrived. */
    static String drain(InputStream in, long at, Runnable action) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            sha.update(buf, 0, n);
            total += n;
            if (action != null && total >= at) {
                action.run();
                action = null;
            }
        }
        return "bytes=" + total + " sha256=" + HexFormat.of().formatHex(sha.digest());
    }

    /** Writes {@code bytes} bytes of {@link #fill}; "bytes=N sha256=HEX". */
    static String send(OutputStream out, long bytes, long seed) throws Exception {
        return send(out, bytes, seed, Long.MAX_VALUE, null);
    }

    /** As {@link #send(OutputStream, long, long)}, running {@code action} once {@code at} bytes are written. */
    static String send(OutputStream out, long bytes, long seed, long at, Runnable action) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(seed);
        byte[] buf = new byte[1 << 16];
        long left = bytes;
        while (left > 0) {
            int n = (int) Math.min(buf.length, left);
            fill(random, buf, n);
            out.write(buf, 0, n);
            sha.update(buf, 0, n);
            left -= n;
            if (action != null && bytes - left >= at) {
                action.run();
                action = null;
            }
        }
        out.flush();
        return "bytes=" + bytes + " sha256=" + HexFormat.of().formatHex(sha.digest());
    }

    static void fill(Random random, byte[] buf, int n) {
        for (int i = 0; i < n; i += 8) {
            long v = random.nextLong();
            for (int j = 0; j < 8 && i + j < n; j++) {
                buf[i + j] = (byte) (v >>> (8 * j));
            }
        }
    }
}
