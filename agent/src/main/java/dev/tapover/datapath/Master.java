// The failover master: the TAP device tapover creates and owns, where the host's addresses live.
package dev.tapover.datapath;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.tapover.natives.Linux;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.NetDevice;
import dev.tapover.natives.TapDevice;

/**
 * Creates the TAP with carrier off (nothing can carry traffic yet), gives it its MAC and brings it up. The
 * carrier then mirrors the group: on while some lower link is usable, as net_failover's master does.
 * Closing the last fd of the (non-persistent) TAP removes it.
 */
public final class Master implements AutoCloseable {
    private final TapDevice tap;
    private final byte[] mac;
    private volatile boolean carrier;

    private Master(TapDevice tap, byte[] mac) {
        this.tap = tap;
        this.mac = mac.clone();
    }

    /** The offloads a master with a vnet header takes from the host: checksums, TSO (with ECN) and USO. */
    static final int OFFLOADS = Linux.TUN_F_CSUM | Linux.TUN_F_TSO4 | Linux.TUN_F_TSO6 | Linux.TUN_F_TSO_ECN
            | Linux.TUN_F_USO4 | Linux.TUN_F_USO6;
    /** The same without UDP segmentation, for kernels older than 6.2 (TUNSETOFFLOAD answers EINVAL). */
    static final int OFFLOADS_WITHOUT_USO = Linux.TUN_F_CSUM | Linux.TUN_F_TSO4 | Linux.TUN_F_TSO6
            | Linux.TUN_F_TSO_ECN;

    /**
     * Creates master {@code name}; refuses a name that already exists, so tapover never takes over a device
     * it did not create.
     *
     * <p>With {@code vnetHeader}, every frame between the agent and the TAP carries a 10-byte virtio_net_hdr
     * (IFF_VNET_HDR, TUNSETVNETHDRSZ 10, the same layout as PACKET_VNET_HDR on the links), and the TAP
     * offers checksum, TSO and USO offloads (TUNSETOFFLOAD), so the host's stack hands over 64 KiB TCP
     * super-frames with partial checksums instead of segmenting and summing every 1500 bytes itself; the
     * links' kernels (or NICs) finish the work on the way out.
     */
    public static Master create(String name, byte[] mac, boolean vnetHeader) throws NativeException,
            MasterExistsException {
        if (interfaceExists(name)) {
            throw new MasterExistsException(name);
        }
        TapDevice tap = TapDevice.open(name, vnetHeader);
        try {
            if (vnetHeader) {
                tap.setVnetHeaderSize(Linux.VIRTIO_NET_HDR_LEN);
                enableOffloads(tap);
            }
            tap.setCarrier(false);
            tap.setMac(mac);
            tap.setUp(true);
            return new Master(tap, mac);
        } catch (NativeException | RuntimeException e) {
            tap.close();
            throw e;
        }
    }

    private static void enableOffloads(TapDevice tap) throws NativeException {
        try {
            tap.setOffload(OFFLOADS);
        } catch (NativeException e) {
            tap.setOffload(OFFLOADS_WITHOUT_USO);
        }
    }

    /** Wraps a TAP received from a predecessor (live update): nothing is changed on it. */
    public static Master adopt(TapDevice tap, boolean carrier) throws NativeException {
        Master master = new Master(tap, tap.mac());
        master.carrier = carrier;
        return master;
    }

    /**
     * Takes {@code carrier} as the TAP's carrier without setting it: a live update's successor adopts the
     * master before the freeze and learns at the freeze what its predecessor last set.
     */
    public void assumeCarrier(boolean carrier) {
        this.carrier = carrier;
    }

    private static boolean interfaceExists(String name) {
        try {
            NetDevice.indexOf(name);
            return true;
        } catch (NativeException e) {
            return false;
        }
    }

    /**
     * A stable, locally administered unicast MAC derived from the master's name (same name, same MAC on
     * every host and restart), like systemd-networkd's MACAddressPolicy=persistent.
     */
    public static byte[] derivedMac(String name) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(("tapover:" + name)
                    .getBytes(StandardCharsets.UTF_8));
            byte[] mac = java.util.Arrays.copyOf(digest, 6);
            mac[0] = (byte) ((mac[0] & 0xfc) | 0x02);
            return mac;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    public TapDevice tap() {
        return tap;
    }

    public String name() {
        return tap.name();
    }

    public byte[] mac() {
        return mac.clone();
    }

    public boolean carrier() {
        return carrier;
    }

    /**
     * Sets the TAP's carrier if it differs from what it is. Turning it on waits (at most 50 ms) until the
     * kernel has applied it: linkwatch re-activates the TAP's qdisc a little after TUNSETCARRIER, and a
     * packet the host sends before that (typically the ARP request for the first reply) is dropped, which
     * stalls that neighbour for its 1 s retransmit. linkwatch sets operstate just before it activates the
     * qdisc, so this waits for operstate to leave down/lowerlayerdown.
     */
    public void setCarrier(boolean on) throws NativeException {
        if (on != carrier) {
            tap.setCarrier(on);
            carrier = on;
            if (on) {
                awaitKernelCarrier(tap.name(), TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    /** Waits until /sys/class/net/NAME/operstate no longer says down; false on timeout. */
    static boolean awaitKernelCarrier(String name, long timeoutNanos) {
        Path operstate = Path.of("/sys/class/net", name, "operstate");
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            String state;
            try {
                state = Files.readString(operstate).trim();
            } catch (IOException e) {
                return false; // not readable (renamed, gone): nothing to wait for
            }
            if (!state.equals("down") && !state.equals("lowerlayerdown")) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(100_000);
        }
    }

    /** Closes the TAP; a TAP this agent created vanishes with it. */
    @Override
    public void close() {
        tap.close();
    }

    /** The master's name is taken by an interface tapover did not create. */
    public static final class MasterExistsException extends Exception {
        private static final long serialVersionUID = 1L;

        public MasterExistsException(String name) {
            super("interface \"" + name + "\" already exists; choose another --master name or delete it first");
        }
    }

    /** Formats a MAC as aa:bb:cc:dd:ee:ff. */
    public static String formatMac(byte[] mac) {
        StringBuilder out = new StringBuilder(17);
        for (int i = 0; i < mac.length; i++) {
            if (i > 0) {
                out.append(':');
            }
            out.append(String.format("%02x", mac[i] & 0xff));
        }
        return out.toString();
    }

    /** Parses a unicast aa:bb:cc:dd:ee:ff; a clear IllegalArgumentException otherwise. */
    public static byte[] parseMac(String text) {
        byte[] mac = parseMacAllowingGroup(text);
        if ((mac[0] & 0x01) != 0) {
            throw new IllegalArgumentException("MAC address \"" + text + "\" is a multicast address; a master needs a unicast MAC");
        }
        return mac;
    }

    /** Parses any aa:bb:cc:dd:ee:ff, group addresses included. */
    public static byte[] parseMacAllowingGroup(String text) {
        String[] parts = text.split("[:-]");
        if (parts.length != 6) {
            throw new IllegalArgumentException("MAC address \"" + text + "\" must be six hex bytes like 02:00:5e:00:53:01");
        }
        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++) {
            if (!parts[i].matches("[0-9a-fA-F]{1,2}")) {
                throw new IllegalArgumentException("MAC address \"" + text + "\" must be six hex bytes like 02:00:5e:00:53:01");
            }
            mac[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return mac;
    }
}
