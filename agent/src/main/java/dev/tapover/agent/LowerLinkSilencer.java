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
 * A lower link's own stack may emit frames (router solicitations, DAD) and, with Linux's default
 * {@code arp_ignore=0}, even answer ARP requests for the master's addresses with the link's own MAC (ARP
 * flux: the peer gets three answers for 192.0.2.1). tapover sets {@code disable_ipv6=1} and
 * {@code arp_ignore=1} on each lower link it serves and puts the old values back when it stops.
 */
final class LowerLinkSilencer {
    private static final Logger LOG = LoggerFactory.getLogger(LowerLinkSilencer.class);

    /** The per-link sysctls and the value each must have while the link serves. */
    private static final Map<String, String> QUIET = Map.of("ipv6/conf/%s/disable_ipv6", "1",
            "ipv4/conf/%s/arp_ignore", "1");

    /** Old values by link name, then by sysctl pattern. */
    private final Map<String, Map<String, String>> saved = new LinkedHashMap<>();

    private static Path sysctl(String pattern, String ifname) {
        return Path.of("/proc/sys/net", String.format(pattern, ifname));
    }

    void silence(String ifname) {
        QUIET.forEach((pattern, wanted) -> {
            Path path = sysctl(pattern, ifname);
            try {
                String old = Files.readString(path).trim();
                if (!wanted.equals(old)) {
                    Files.writeString(path, wanted);
                    saved.computeIfAbsent(ifname, k -> new LinkedHashMap<>()).putIfAbsent(pattern, old);
                }
            } catch (IOException e) {
                LOG.debug("event=silence-skipped link={} sysctl={} error=\"{}\"", ifname, path, e.toString());
            }
        });
    }

    /** Follows a rename so the restore finds the link. */
    void renamed(String oldName, String newName) {
        Map<String, String> old = saved.remove(oldName);
        if (old != null) {
            saved.put(newName, old);
        }
    }

    /** The links silenced, each with its sysctls' values to restore (a live update hands these on). */
    Map<String, Map<String, String>> saved() {
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        saved.forEach((ifname, values) -> copy.put(ifname, new LinkedHashMap<>(values)));
        return copy;
    }

    /** Takes over a predecessor's saved values, so this agent restores them when it stops. */
    void adopt(Map<String, Map<String, String>> values) {
        if (values != null) {
            values.forEach((ifname, old) -> saved.computeIfAbsent(ifname, k -> new LinkedHashMap<>()).putAll(old));
        }
    }

    void restoreAll() {
        saved.forEach((ifname, values) -> values.forEach((pattern, old) -> {
            try {
                Files.writeString(sysctl(pattern, ifname), old);
            } catch (IOException e) {
                LOG.debug("event=restore-skipped link={} error=\"{}\"", ifname, e.toString());
            }
        }));
        saved.clear();
    }
}
