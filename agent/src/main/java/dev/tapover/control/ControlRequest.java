// One parsed and validated control request, or the reason it is not one.
package dev.tapover.control;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

/** A request line after validation: {@code cmd} is one of {@link ControlProtocol#COMMANDS}. */
record ControlRequest(JsonNode id, String cmd, String group, String to) {

    /** A request that failed validation; {@code id} is what could be read of it, for the error reply. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        final transient JsonNode id;
        final String code;

        Invalid(JsonNode id, String code, String message) {
            super(message);
            this.id = id;
            this.code = code;
        }
    }

    /** Parses one line (without its newline). */
    static ControlRequest parse(byte[] line) throws Invalid {
        JsonNode tree;
        try {
            tree = ControlProtocol.JSON.readTree(line);
        } catch (IOException e) {
            throw new Invalid(NullNode.instance, ControlProtocol.BAD_REQUEST,
                    "the request is not valid JSON; send one JSON object per line");
        }
        if (tree == null || !tree.isObject()) {
            throw new Invalid(NullNode.instance, ControlProtocol.BAD_REQUEST,
                    "the request must be one JSON object per line, like {\"v\":1,\"id\":\"1\",\"cmd\":\"status\"}");
        }
        JsonNode id = tree.has("id") ? tree.get("id") : NullNode.instance;

        JsonNode version = tree.get("v");
        if (version == null) {
            throw new Invalid(id, ControlProtocol.BAD_REQUEST,
                    "the request has no \"v\"; send \"v\":" + ControlProtocol.VERSION);
        }
        if (!version.isIntegralNumber() || version.asLong() != ControlProtocol.VERSION) {
            throw new Invalid(id, ControlProtocol.BAD_REQUEST, "protocol version " + version
                    + " is not supported; this agent speaks \"v\":" + ControlProtocol.VERSION);
        }

        JsonNode cmd = tree.get("cmd");
        if (cmd == null || !cmd.isTextual()) {
            throw new Invalid(id, ControlProtocol.BAD_REQUEST,
                    "the request has no \"cmd\" string; send one of " + commandList());
        }
        if (!ControlProtocol.COMMANDS.contains(cmd.textValue())) {
            throw new Invalid(id, ControlProtocol.UNKNOWN_COMMAND,
                    "unknown command \"" + cmd.textValue() + "\"; use one of " + commandList());
        }

        String group = optionalText(tree, "group", id);
        String to = optionalText(tree, "to", id);
        if (cmd.textValue().equals(ControlProtocol.SWITCH) && (to == null || to.isEmpty())) {
            throw new Invalid(id, ControlProtocol.BAD_REQUEST,
                    "switch needs \"to\": primary, standby or a link name");
        }
        return new ControlRequest(id, cmd.textValue(), group, to);
    }

    private static String optionalText(JsonNode tree, String field, JsonNode id) throws Invalid {
        JsonNode value = tree.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new Invalid(id, ControlProtocol.BAD_REQUEST, "\"" + field + "\" must be a string");
        }
        return value.textValue();
    }

    private static String commandList() {
        return String.join(", ", ControlProtocol.COMMANDS);
    }
}
