// The whole agent's validated settings: its failover groups plus control socket, metrics endpoint and log level.
package dev.tapover.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * What {@link ConfigSource#load()} returns. Each group carries the control socket too ({@link
 * GroupConfig#controlSocket()}), so code that runs one group needs nothing else.
 *
 * @param groups        one entry per failover master, at least one
 * @param controlSocket the control socket's path
 * @param controlGid    a group whose members may use the control socket besides root, if any
 * @param metrics       the loopback address of the Prometheus endpoint, or null when it is off
 * @param logLevel      error, warn, info, debug or trace
 * @param file          the configuration file read, or null when everything came from flags
 */
public record AgentConfig(
        List<GroupConfig> groups,
        Path controlSocket,
        OptionalInt controlGid,
        InetSocketAddress metrics,
        String logLevel,
        Path file) {

    public AgentConfig {
        groups = List.copyOf(groups);
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("an agent needs at least one group");
        }
    }

    /** An agent of one group built in code (tests, the pre-file command line): root-only control, no metrics. */
    public static AgentConfig of(GroupConfig group) {
        return new AgentConfig(List.of(group), group.controlSocket(), OptionalInt.empty(), null, "info", null);
    }

    /** The first (today: the only) group. */
    public GroupConfig group() {
        return groups.get(0);
    }
}
