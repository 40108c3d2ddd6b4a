// Reads the fds systemd passes at start ($LISTEN_PID, $LISTEN_FDS, $LISTEN_FDNAMES, from fd 3) by name.
package dev.tapover.liveupdate;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * sd_listen_fds_with_names(3) in Java: the fds are 3, 4, ... and only meant for this process if $LISTEN_PID
 * is its pid. A restarted agent looks for {@code tap/<master>} here and adopts that TAP instead of creating
 * one, so the master never lost its carrier.
 */
public final class ListenFds {
    public static final int FIRST_FD = 3;

    private ListenFds() {
    }

    /**
     * The passed fds by name (an unnamed fd is called "unknown", as systemd does); empty when the variables
     * are absent, malformed, or meant for another pid.
     */
    public static Map<String, Integer> parse(Map<String, String> env, long pid) {
        Map<String, Integer> out = new LinkedHashMap<>();
        String listenPid = env.get("LISTEN_PID");
        String count = env.get("LISTEN_FDS");
        if (listenPid == null || count == null) {
            return out;
        }
        int n;
        try {
            if (Long.parseLong(listenPid.trim()) != pid) {
                return out;
            }
            n = Integer.parseInt(count.trim());
        } catch (NumberFormatException e) {
            return out;
        }
        if (n <= 0 || n > 4096) {
            return out;
        }
        String[] names = env.getOrDefault("LISTEN_FDNAMES", "").split(":", -1);
        for (int i = 0; i < n; i++) {
            String name = i < names.length && !names[i].isEmpty() ? names[i] : "unknown";
            out.putIfAbsent(name, FIRST_FD + i);
        }
        return out;
    }
}
