// One message of the live-update protocol: a type and a JSON body, carried in one SOCK_SEQPACKET datagram.
package dev.tapover.liveupdate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Wire form: one UTF-8 JSON object per datagram, {@code {"type":"hello", ...fields}}. SEQPACKET keeps the
 * boundaries, so no framing is needed; the HANDOFF message also carries the fds (SCM_RIGHTS) in the same
 * datagram.
 *
 * @param type one of the constants below
 * @param body the whole object, {@code type} included
 */
public record Message(String type, ObjectNode body) {
    public static final ObjectMapper JSON = new ObjectMapper();

    /** Successor → predecessor: protocol range, build, pid. Predecessor → successor: the chosen protocol. */
    public static final String HELLO = "hello";
    /** Predecessor → successor: HELLO not accepted (incompatible protocol, another update running). */
    public static final String REFUSE = "refuse";
    /** Successor → predecessor: build the session. */
    public static final String PRESERVE = "preserve";
    /** Predecessor → successor: the session (run arguments, generation, the fd tokens and their metadata) + the fds. */
    public static final String SESSION = "session";
    /** Successor → predecessor: stop reading, pause timers and hand over. */
    public static final String FREEZE = "freeze";
    /** Predecessor → successor, frozen: the manifest at the freeze + snapshot + the fds not sent with SESSION. */
    public static final String HANDOFF = "handoff";
    /** Successor → predecessor: a check or a restore step failed; roll back. */
    public static final String FAIL = "fail";
    /** Successor → predecessor: reading (with the restore report); the predecessor can go. */
    public static final String SERVING = "serving";
    /** Predecessor → successor: control socket released, copies closed, exiting. */
    public static final String FINISH = "finish";
    /** Either way: giving up, with a reason. */
    public static final String ABORT = "abort";

    /** A new message of {@code type} with no other field yet. */
    public static Message of(String type) {
        ObjectNode body = JSON.createObjectNode();
        body.put("type", type);
        return new Message(type, body);
    }

    /** A message of {@code type} whose only field is {@code reason}. */
    public static Message withReason(String type, String reason) {
        Message m = of(type);
        m.body().put("reason", reason);
        return m;
    }

    public String text(String field) {
        JsonNode n = body.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    public byte[] encode() {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a live-update message: " + e.getMessage(), e);
        }
    }

    /** Parses one datagram; a clear exception for anything that is not a JSON object with a string type. */
    public static Message decode(byte[] bytes, int length) throws LiveUpdateException {
        JsonNode node;
        try {
            node = JSON.readTree(new String(bytes, 0, length, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new LiveUpdateException("the peer sent a live-update message that is not JSON ("
                    + e.getMessage().lines().findFirst().orElse("") + "); are both sides tapover?");
        }
        if (node == null || !node.isObject() || !node.path("type").isTextual()) {
            throw new LiveUpdateException("the peer sent a live-update message without a \"type\"; are both sides tapover?");
        }
        return new Message(node.get("type").asText(), (ObjectNode) node);
    }

    @Override
    public String toString() {
        return type;
    }
}
