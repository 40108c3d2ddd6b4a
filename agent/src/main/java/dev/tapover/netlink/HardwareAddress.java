// An immutable link-layer address (usually a 6-byte MAC) with value equality and the usual aa:bb:.. text.
package dev.tapover.netlink;

import java.util.Arrays;
import java.util.HexFormat;

/** A link-layer address as IFLA_ADDRESS / IFLA_PERM_ADDRESS carry it (any length). */
public final class HardwareAddress {
    private final byte[] bytes;

    private HardwareAddress(byte[] bytes) {
        this.bytes = bytes;
    }

    public static HardwareAddress of(byte[] bytes) {
        return new HardwareAddress(bytes.clone());
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff}. */
    public static HardwareAddress parse(String text) {
        String[] parts = text.split(":");
        byte[] bytes = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) {
            bytes[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return new HardwareAddress(bytes);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HardwareAddress && Arrays.equals(bytes, ((HardwareAddress) o).bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return HexFormat.ofDelimiter(":").formatHex(bytes);
    }
}
