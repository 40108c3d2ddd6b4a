// Puts the threads on the failover path under real-time scheduling and locks memory, as configured; a warning when not permitted.
package dev.tapover.agent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.config.AgentConfig;
import dev.tapover.natives.Scheduling;

/**
 * A carrier change reaches the wire through three threads: the link monitor reads it, the decision thread
 * (the conductor) switches and sends the first announcement round, the announcer sends the later rounds.
 * On a busy host a thread under the normal scheduler can wait milliseconds to run after it is woken; under
 * SCHED_RR it runs at once. Each of those threads calls {@link #promoteCurrentThread} when it starts (Linux
 * sets the policy per thread; threads it creates start normal again). Without the privilege (no
 * CAP_SYS_NICE, an RLIMIT_RTPRIO too low, a cgroup without real-time budget) the agent logs one warning per
 * thread and runs on normally: scheduling is an optimisation, never a reason not to fail over.
 */
public final class RealtimeThreads {
    private static final Logger LOG = LoggerFactory.getLogger(RealtimeThreads.class);
    private static final String HINT = "run as root or with CAP_SYS_NICE (systemd: AmbientCapabilities=CAP_SYS_NICE), "
            + "or set realtime.priority: 0 (--realtime-priority 0) to not ask";

    /** The system calls, replaceable in tests. */
    interface Natives {
        void setRealtime(int priority) throws IOException;

        void lockAllMemory() throws IOException;
    }

    private static final Natives SYSTEM = new Natives() {
        @Override
        public void setRealtime(int priority) throws IOException {
            Scheduling.setRealtime(Scheduling.SCHED_RR, priority);
        }

        @Override
        public void lockAllMemory() throws IOException {
            Scheduling.lockAllMemory();
        }
    };

    /** Asks for nothing. */
    public static final RealtimeThreads OFF = new RealtimeThreads(AgentConfig.Realtime.OFF, SYSTEM);

    private final AgentConfig.Realtime settings;
    private final Natives natives;
    private final List<String> promoted = new ArrayList<>();
    private final List<String> refused = new ArrayList<>();
    private boolean memoryLocked;

    RealtimeThreads(AgentConfig.Realtime settings, Natives natives) {
        this.settings = settings;
        this.natives = natives;
    }

    /** With the real system calls. */
    public static RealtimeThreads of(AgentConfig.Realtime settings) {
        return new RealtimeThreads(settings, SYSTEM);
    }

    /**
     * Puts the calling thread under SCHED_RR at the configured priority (nothing when it is 0). Returns whether
     * it now runs real-time; on refusal logs a warning naming {@code role} and the error, and returns false.
     */
    public boolean promoteCurrentThread(String role) {
        if (settings.priority() == 0) {
            return false;
        }
        try {
            natives.setRealtime(settings.priority());
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                refused.add(role);
            }
            LOG.warn("event=realtime-unavailable thread={} priority={} error=\"{}\" hint=\"{}\"", role,
                    settings.priority(), e.getMessage(), HINT);
            return false;
        }
        synchronized (this) {
            promoted.add(role);
        }
        LOG.info("event=realtime thread={} policy=rr priority={}", role, settings.priority());
        return true;
    }

    /** What a thread runs first to be promoted. */
    public Runnable threadStart(String role) {
        return () -> promoteCurrentThread(role);
    }

    /** mlockall when configured; returns whether memory is now locked (a warning when refused). */
    public boolean lockMemory() {
        if (!settings.lockMemory()) {
            return false;
        }
        try {
            natives.lockAllMemory();
        } catch (IOException | RuntimeException e) {
            LOG.warn("event=lock-memory-unavailable error=\"{}\" hint=\"run as root or with CAP_IPC_LOCK (systemd: "
                    + "AmbientCapabilities=CAP_IPC_LOCK, LimitMEMLOCK=infinity), or set realtime.lock-memory: false\"",
                    e.getMessage());
            return false;
        }
        synchronized (this) {
            memoryLocked = true;
        }
        LOG.info("event=memory-locked");
        return true;
    }

    /** For the status document: the priority asked for, the threads that got it and those refused. */
    public synchronized Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("priority", settings.priority());
        out.put("threads", List.copyOf(promoted));
        out.put("refused", List.copyOf(refused));
        out.put("memoryLocked", memoryLocked);
        return out;
    }
}
