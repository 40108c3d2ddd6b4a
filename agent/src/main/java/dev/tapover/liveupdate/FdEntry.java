// One handed-over fd as the manifest describes it: token, kind, interface, flags and the fstat identity.
package dev.tapover.liveupdate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * @param token          caller-chosen, unique in the session: {@code <kind>/<interface name>}
 * @param kind           what the fd is
 * @param name           the interface (TUNGETIFF name of a TAP, the link of a packet socket)
 * @param ifindex        the interface's index when the session was built
 * @param flags          the TUN flags (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR...) of a TAP, 0 for a socket
 * @param vnetHeaderSize TUNGETVNETHDRSZ of a TAP, 0 for a socket
 * @param promiscuous    whether a packet socket holds a promiscuous membership
 * @param carrier        the TAP's carrier as the predecessor set it (kept as is: no flap)
 * @param dev            fstat st_dev of the fd
 * @param ino            fstat st_ino of the fd (a socket's inode is unique: the strongest identity check)
 * @param ring           a packet socket's PACKET_RX_RING, which comes with it and is mapped again, or null
 */
public record FdEntry(String token, FdKind kind, String name, int ifindex, int flags, int vnetHeaderSize,
                      boolean promiscuous, boolean carrier, long dev, long ino, Ring ring) {

    /**
     * A receive ring's geometry and where its consumer stands: the successor maps the same ring and reads on
     * from {@code position}, so the frames that arrived while frozen come out in order.
     */
    public record Ring(int frameSize, int frames, int position) {
    }

    /** An entry without a receive ring. */
    public FdEntry(String token, FdKind kind, String name, int ifindex, int flags, int vnetHeaderSize,
                   boolean promiscuous, boolean carrier, long dev, long ino) {
        this(token, kind, name, ifindex, flags, vnetHeaderSize, promiscuous, carrier, dev, ino, null);
    }

    /** The token of an fd of {@code kind} on interface {@code name}. */
    public static String tokenFor(FdKind kind, String name) {
        return kind.wireName() + "/" + name;
    }

    public ObjectNode toJson() {
        ObjectNode n = Message.JSON.createObjectNode();
        n.put("token", token);
        n.put("kind", kind.wireName());
        n.put("name", name);
        n.put("ifindex", ifindex);
        n.put("flags", flags);
        n.put("vnetHeaderSize", vnetHeaderSize);
        n.put("promiscuous", promiscuous);
        n.put("carrier", carrier);
        n.put("dev", dev);
        n.put("ino", ino);
        if (ring != null) {
            ObjectNode r = n.putObject("ring");
            r.put("frameSize", ring.frameSize());
            r.put("frames", ring.frames());
            r.put("position", ring.position());
        }
        return n;
    }

    public static FdEntry fromJson(JsonNode n) throws LiveUpdateException {
        if (n == null || !n.isObject() || !n.path("token").isTextual() || !n.path("kind").isTextual()
                || !n.path("name").isTextual()) {
            throw new LiveUpdateException("an fd entry of the manifest lacks its token, kind or name: " + n);
        }
        String token = n.get("token").asText();
        JsonNode r = n.get("ring");
        Ring ring = null;
        if (r != null && r.isObject()) {
            ring = new Ring(r.path("frameSize").asInt(), r.path("frames").asInt(), r.path("position").asInt());
            if (ring.frameSize() <= 0 || ring.frames() <= 0 || ring.position() < 0 || ring.position() >= ring.frames()) {
                throw new LiveUpdateException("fd \"" + token + "\" describes an impossible receive ring " + ring);
            }
        }
        return new FdEntry(token, FdKind.parse(n.get("kind").asText(), token), n.get("name").asText(),
                n.path("ifindex").asInt(), n.path("flags").asInt(), n.path("vnetHeaderSize").asInt(),
                n.path("promiscuous").asBoolean(), n.path("carrier").asBoolean(), n.path("dev").asLong(),
                n.path("ino").asLong(), ring);
    }
}
