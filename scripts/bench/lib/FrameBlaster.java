// Benchmark load generator: blasts identical 64-byte Ethernet frames (60 bytes + FCS on a wire) out of one
// interface through an AF_PACKET socket, with sendmmsg batches, for a bounded time, and says how many left.
import java.nio.ByteBuffer;

import dev.tapover.natives.FrameBatch;
import dev.tapover.natives.NetDevice;
import dev.tapover.natives.PacketSocket;

/**
 * Usage: FrameBlaster IFNAME DST_MAC SRC_IP DST_IP SECONDS
 *        FrameBlaster sink PORT SECONDS
 *
 * <p>Each frame is IPv4/UDP (port 9, discard) with an 18-byte payload: 14 + 20 + 8 + 18 = 60 bytes, i.e. a
 * minimum-size 64-byte Ethernet frame once the NIC adds the FCS. The source MAC is the interface's own.
 * Prints one line: {@code sent=N seconds=T rate=R refused=F} (refused: the kernel said its queue was full).
 * Runs at most SECONDS (1..60); needs root (a packet socket).
 *
 * <p>{@code sink} binds a UDP socket to 0.0.0.0:PORT with the smallest receive buffer and never reads it, for
 * SECONDS (1..900): frames reach a socket (UDP InDatagrams + RcvbufErrors count them) at the least cost.
 */
public final class FrameBlaster {
    private static final int FRAME = 60;
    private static final int BATCH = 64;

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("sink")) {
            sink(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            return;
        }
        if (args.length != 5) {
            System.err.println("usage: FrameBlaster IFNAME DST_MAC SRC_IP DST_IP SECONDS");
            System.exit(64);
        }
        String ifname = args[0];
        byte[] dst = mac(args[1]);
        byte[] srcIp = ip(args[2]);
        byte[] dstIp = ip(args[3]);
        double seconds = Double.parseDouble(args[4]);
        if (!(seconds > 0 && seconds <= 60)) {
            throw new IllegalArgumentException("SECONDS must be in (0, 60]");
        }
        byte[] src = NetDevice.mac(ifname);
        FrameBatch batch = new FrameBatch(BATCH, 128);
        ByteBuffer frames = batch.frames();
        for (int i = 0; i < BATCH; i++) {
            int at = batch.offset(i);
            frames.put(at, dst).put(at + 6, src).putShort(at + 12, (short) 0x0800);
            int ip = at + 14;
            frames.put(ip, (byte) 0x45).putShort(ip + 2, (short) (FRAME - 14)).putShort(ip + 4, (short) i)
                    .put(ip + 8, (byte) 64).put(ip + 9, (byte) 17).put(ip + 12, srcIp).put(ip + 16, dstIp);
            long sum = 0;
            for (int j = 0; j < 20; j += 2) {
                sum += frames.getShort(ip + j) & 0xffff;
            }
            while ((sum >>> 16) != 0) {
                sum = (sum & 0xffff) + (sum >>> 16);
            }
            frames.putShort(ip + 10, (short) ~sum);
            int udp = ip + 20;
            frames.putShort(udp, (short) 40000).putShort(udp + 2, (short) 9).putShort(udp + 4, (short) (FRAME - 34));
            // UDP checksum 0: none (allowed for IPv4)
            batch.setLength(i, FRAME);
        }
        long sent = 0;
        long refused = 0;
        try (PacketSocket socket = PacketSocket.open(ifname)) {
            socket.setSendBufferSize(4 << 20);
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long now = start;
            while (now < end) {
                for (int k = 0; k < 16; k++) {
                    int n = socket.send(batch, 0, BATCH);
                    if (n == 0) {
                        refused++;
                    }
                    sent += n;
                }
                now = System.nanoTime();
            }
            double elapsed = (now - start) / 1e9;
            System.out.printf("sent=%d seconds=%.3f rate=%.0f refused=%d%n", sent, elapsed, sent / elapsed, refused);
        }
    }

    private static void sink(int port, int seconds) throws Exception {
        if (seconds < 1 || seconds > 900) {
            throw new IllegalArgumentException("SECONDS must be in 1..900");
        }
        try (java.nio.channels.DatagramChannel channel = java.nio.channels.DatagramChannel.open()) {
            channel.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1);
            channel.bind(new java.net.InetSocketAddress(port));
            System.out.println("sink listening on udp port " + port);
            System.out.flush();
            Thread.sleep(seconds * 1000L);
        }
    }

    private static byte[] mac(String text) {
        String[] parts = text.split(":");
        byte[] out = new byte[6];
        for (int i = 0; i < 6; i++) {
            out[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return out;
    }

    private static byte[] ip(String text) {
        String[] parts = text.split("\\.");
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            out[i] = (byte) Integer.parseInt(parts[i]);
        }
        return out;
    }
}
