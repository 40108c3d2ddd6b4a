// Keeps a lower link's own IPv6 stack quiet while it serves, and restores what it changed on exit.
package dev.tapover.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lower link's own stack may emit frames (router solicitations, DAD) that the switch would learn; those
 * carry the link's own MAC, not the master's, but they still chatter on the wire. tapover sets
 * {@code disable_ipv6=1} on each lower link it serves and puts the old value back when it stops.
 */
final class LowerLinkSilencer {
    private static final Logger LOG = LoggerFactory.getLogger(LowerLinkSilencer.class);

    private final Map<String, String> saved = new LinkedHashMap<>();

    private static Path sysctl(String ifname) {
        return Path.of("/proc/sys/net/ipv6/conf", ifname, "disable_ipv6");
    }

    void silence(String ifname) {
        Path path = sysctl(ifname);
        try {
            String old = Files.readString(path).trim();
            if (!"1".equals(old)) {
                Files.writeString(path, "1");
                saved.putIfAbsent(ifname, old);
            }
        } catch (IOException e) {
            LOG.debug("event=silence-skipped link={} error=\"{}\"", ifname, e.toString());
        }
    }

    /** Follows a rename so the restore finds the link. */
    void renamed(String oldName, String newName) {
        String old = saved.remove(oldName);
        if (old != null) {
            saved.put(newName, old);
        }
    }

    void restoreAll() {
        saved.forEach((ifname, old) -> {
            try {
                Files.writeString(sysctl(ifname), old);
            } catch (IOException e) {
                LOG.debug("event=restore-skipped link={} error=\"{}\"", ifname, e.toString());
            }
        });
        saved.clear();
    }
}
