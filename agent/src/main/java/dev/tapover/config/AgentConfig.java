// The whole agent's validated settings: its failover groups plus control socket, metrics endpoint, log level and real-time scheduling.
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
 * @param realtime      real-time scheduling of the failover path's threads and memory locking
 */
public record AgentConfig(
        List<GroupConfig> groups,
        Path controlSocket,
        OptionalInt controlGid,
        InetSocketAddress metrics,
        String logLevel,
        Path file,
        Realtime realtime) {

    /**
     * @param priority   SCHED_RR priority (1..99) of the threads on the failover path (link monitor, decision
     *                   thread, announcer); 0 leaves them under the normal scheduler
     * @param lockMemory mlockall(MCL_CURRENT | MCL_FUTURE) at start
     */
    public record Realtime(int priority, boolean lockMemory) {
        /** The default: priority 10, memory not locked. */
        public static final int DEFAULT_PRIORITY = 10;
        public static final Realtime DEFAULT = new Realtime(DEFAULT_PRIORITY, false);
        public static final Realtime OFF = new Realtime(0, false);

        public Realtime {
            if (priority < 0 || priority > 99) {
                throw new IllegalArgumentException("real-time priority must be 0..99, got " + priority);
            }
        }
    }

    public AgentConfig {
        groups = List.copyOf(groups);
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("an agent needs at least one group");
        }
        java.util.Objects.requireNonNull(realtime, "realtime");
    }

    /** An agent of one group built in code (tests, the pre-file command line): root-only control, no metrics. */
    public static AgentConfig of(GroupConfig group) {
        return new AgentConfig(List.of(group), group.controlSocket(), OptionalInt.empty(), null, "info", null,
                Realtime.DEFAULT);
    }

    /** The first (today: the only) group. */
    public GroupConfig group() {
        return groups.get(0);
    }
}
