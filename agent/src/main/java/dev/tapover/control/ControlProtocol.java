// The control socket's wire format in one place: version, commands, error codes, and the JSON lines themselves.
package dev.tapover.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One JSON object per line, UTF-8, terminated by {@code \n}:
 *
 * <pre>
 *   request   {"v":1,"id":"7","cmd":"switch","group":"fo0","to":"standby"}
 *   success   {"v":1,"id":"7","ok":true,"result":{...}}
 *   failure   {"v":1,"id":"7","ok":false,"error":{"code":"refused","message":"one sentence"}}
 *   event     {"v":1,"id":"7","event":{"seq":1,"time":"...","type":"..."}}   (after an "events" request)
 * </pre>
 *
 * {@code id} is echoed as sent (any JSON value, {@code null} when the request could not be read); {@code group}
 * is optional and means "the agent's only group" when absent.
 */
public final class ControlProtocol {
    /** The protocol version this build speaks, the {@code "v"} of every line. */
    public static final int VERSION = 1;
    /** The longest request line accepted, without its newline. */
    public static final int MAX_REQUEST_BYTES = 64 * 1024;

    public static final String STATUS = "status";
    public static final String SWITCH = "switch";
    public static final String NOTIFY_PEERS = "notify-peers";
    public static final String EVENTS = "events";
    public static final String RELOAD = "reload";
    public static final String UPGRADE = "upgrade";
    public static final List<String> COMMANDS = List.of(STATUS, SWITCH, NOTIFY_PEERS, EVENTS, RELOAD, UPGRADE);

    /** The request could not be read or lacks a field; the client should fix it. */
    public static final String BAD_REQUEST = "bad-request";
    /** {@code cmd} names no command this agent knows. */
    public static final String UNKNOWN_COMMAND = "unknown-command";
    /** {@code group} names no failover group of this agent. */
    public static final String UNKNOWN_GROUP = "unknown-group";
    /** The agent understood and declined (e.g. switching to a link without carrier). */
    public static final String REFUSED = "refused";
    /** The agent cannot serve the request now (e.g. shutting down). */
    public static final String UNAVAILABLE = "unavailable";
    /** The connecting process is neither root nor in the control group. */
    public static final String NOT_PERMITTED = "not-permitted";
    /** A bug in the agent; its log has the details. */
    public static final String INTERNAL = "internal";

    /** The directory of the default control sockets. */
    public static final Path RUN_DIRECTORY = Path.of("/run/tapover");

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ControlProtocol() {
    }

    /** {@code /run/tapover/<master>.sock}. */
    public static Path defaultSocket(String master) {
        return RUN_DIRECTORY.resolve(master + ".sock");
    }

    /** A request map ready for {@link ControlClient}; null group and target are left out. */
    public static Map<String, Object> request(String id, String cmd, String group, String to) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("v", VERSION);
        request.put("id", id);
        request.put("cmd", cmd);
        if (group != null) {
            request.put("group", group);
        }
        if (to != null) {
            request.put("to", to);
        }
        return request;
    }

    static ObjectNode success(JsonNode id, Object result) {
        ObjectNode line = envelope(id);
        line.put("ok", true);
        line.set("result", JSON.valueToTree(result == null ? Map.of() : result));
        return line;
    }

    static ObjectNode failure(JsonNode id, String code, String message) {
        ObjectNode line = envelope(id);
        line.put("ok", false);
        ObjectNode error = line.putObject("error");
        error.put("code", code);
        error.put("message", oneLine(message));
        return line;
    }

    /**
     * Messages quote what the client sent (a command, a group or link name), which may hold a newline or
     * another control character after JSON unescaping; those are shown escaped ({@code \n}, {@code \u0007})
     * so that an error stays one line where a client prints it (the CLI's own errors use it too).
     */
    public static String oneLine(String message) {
        if (message == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(message.length());
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    static ObjectNode event(JsonNode id, Object event) {
        ObjectNode line = envelope(id);
        line.set("event", JSON.valueToTree(event));
        return line;
    }

    private static ObjectNode envelope(JsonNode id) {
        ObjectNode line = JSON.createObjectNode();
        line.put("v", VERSION);
        line.set("id", id == null ? JSON.nullNode() : id);
        return line;
    }

    /** Serializes one line, newline included. */
    static byte[] toLine(Object value) {
        try {
            byte[] json = JSON.writeValueAsBytes(value);
            byte[] line = new byte[json.length + 1];
            System.arraycopy(json, 0, line, 0, json.length);
            line[json.length] = '\n';
            return line;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Indented JSON for people: two spaces, {@code "key": value}, one array element per line. */
    public static String pretty(Object value) {
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER));
        printer.indentObjectsWith(indenter);
        printer.indentArraysWith(indenter);
        try {
            return JSON.writer(printer).writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Compact one-line JSON. */
    public static String compact(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
