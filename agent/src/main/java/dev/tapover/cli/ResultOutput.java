// Prints the answer of a one-shot control command: a sentence and the result's keys, or the result as JSON.
package dev.tapover.cli;

import java.io.PrintWriter;
import java.util.Map;

import dev.tapover.control.ControlProtocol;

/** Shared by switch, notify-peers and upgrade. */
final class ResultOutput {
    private ResultOutput() {
    }

    static void print(PrintWriter out, boolean json, Map<String, Object> result, String summary) {
        if (json) {
            out.print(ControlProtocol.pretty(result) + "\n");
        } else {
            Object message = result.get("message");
            out.print((message instanceof String text ? text : summary) + "\n");
            out.print(StatusTable.keyValues(withoutMessage(result), "  "));
        }
        out.flush();
    }

    private static Map<String, Object> withoutMessage(Map<String, Object> result) {
        if (!result.containsKey("message")) {
            return result;
        }
        Map<String, Object> rest = new java.util.LinkedHashMap<>(result);
        rest.remove("message");
        return rest;
    }
}
