// What the control socket asks of a running agent: the seam between the protocol and the failover groups.
package dev.tapover.control;

import java.util.Map;
import java.util.function.Consumer;

/**
 * Implemented by the running agent, called by the control server. Results are JSON-ready maps (strings,
 * numbers, booleans, lists, maps). A refused request throws {@link ControlException} with a code and a
 * one-sentence message.
 */
public interface ControlHandler {
    /** The versioned status document ({@code "schema": 1}), see docs/control.md. */
    Map<String, Object> status();

    /** Switches the group's active link to {@code target} (primary, standby or a link name). */
    Map<String, Object> switchTo(String group, String target) throws ControlException;

    /** Sends a peer announcement burst now, as netif_notify_peers() would. */
    Map<String, Object> notifyPeers(String group) throws ControlException;

    /** Re-reads the configuration file and applies what can change live. */
    Map<String, Object> reload() throws ControlException;

    /** Starts a live update to the installed build. */
    Map<String, Object> upgrade() throws ControlException;

    /** Streams events (each a map with at least seq, time and type) until the returned handle is closed. */
    AutoCloseable subscribe(Consumer<Map<String, Object>> listener);
}
