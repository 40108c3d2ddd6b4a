// The agent's answers to control requests: each one runs on the conductor thread, next to the policy.
package dev.tapover.agent;

import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.tapover.control.ControlException;
import dev.tapover.control.ControlHandler;
import dev.tapover.failover.SwitchOutcome;

/** Bridges the control server's thread to the conductor; every request waits at most two seconds. */
final class AgentControl implements ControlHandler {
    private static final long TIMEOUT_MS = 2000;

    private final Conductor conductor;
    private final GroupRuntime runtime;
    private final EventLog events;
    private final Supplier<Map<String, Object>> status;
    private final Reloader reloader;
    private volatile AgentLiveUpdate liveUpdate;

    /** Re-reads the configuration and applies it; runs on the control thread, not the conductor. */
    @FunctionalInterface
    interface Reloader {
        Map<String, Object> reload() throws ControlException;
    }

    AgentControl(Conductor conductor, GroupRuntime runtime, EventLog events, Supplier<Map<String, Object>> status) {
        this(conductor, runtime, events, status, () -> {
            throw new ControlException("refused", "reload needs a configuration file (run --config FILE), and this agent was started from flags");
        });
    }

    AgentControl(Conductor conductor, GroupRuntime runtime, EventLog events, Supplier<Map<String, Object>> status,
                 Reloader reloader) {
        this.conductor = conductor;
        this.runtime = runtime;
        this.events = events;
        this.status = status;
        this.reloader = reloader;
    }

    /** Connects the live update (the upgrade request, and the freeze that holds switches back). */
    void liveUpdate(AgentLiveUpdate update) {
        this.liveUpdate = update;
    }

    /** During a handoff the state is frozen in the snapshot: a change now would be lost. */
    private void refuseWhileFrozen() throws ControlException {
        AgentLiveUpdate update = liveUpdate;
        if (update != null && (update.frozen() || update.handedOver())) {
            throw new ControlException("unavailable", "a live update is handing the master over right now; retry in a second");
        }
    }

    private <T> T onConductor(java.util.concurrent.Callable<T> task) throws ControlException {
        try {
            return conductor.call(task, TIMEOUT_MS);
        } catch (ControlException e) {
            throw e;
        } catch (Exception e) {
            throw new ControlException("unavailable", e.getMessage());
        }
    }

    private void checkGroup(String group) throws ControlException {
        if (group != null && !group.isEmpty() && !group.equals(runtime.name())) {
            throw new ControlException("unknown-group", "this agent runs group \"" + runtime.name()
                    + "\", not \"" + group + "\"");
        }
    }

    @Override
    public Map<String, Object> status() {
        try {
            return onConductor(status::get);
        } catch (ControlException e) {
            throw new IllegalStateException(e.getMessage());
        }
    }

    @Override
    public Map<String, Object> switchTo(String group, String target) throws ControlException {
        checkGroup(group);
        refuseWhileFrozen();
        SwitchOutcome outcome = onConductor(() -> runtime.requestSwitch(target));
        if (!outcome.accepted()) {
            throw new ControlException("refused", outcome.message());
        }
        return GroupRuntime.fields("group", runtime.name(), "active", target, "message", outcome.message(),
                "changed", outcome.event().isPresent());
    }

    @Override
    public Map<String, Object> notifyPeers(String group) throws ControlException {
        checkGroup(group);
        refuseWhileFrozen();
        return onConductor(() -> {
            if (runtime.policy().activeLink().isEmpty()) {
                throw new ControlException("refused", "group " + runtime.name()
                        + " has no active link to announce on; plug a cable in first");
            }
            runtime.notifyPeers("manual");
            return GroupRuntime.fields("group", runtime.name(), "link",
                    runtime.policy().activeLink().get().name());
        });
    }

    @Override
    public Map<String, Object> reload() throws ControlException {
        return reloader.reload();
    }

    @Override
    public Map<String, Object> upgrade() throws ControlException {
        AgentLiveUpdate update = liveUpdate;
        if (update == null) {
            throw new ControlException("unavailable", "live update is not ready yet (the agent is starting); retry in a moment");
        }
        return update.upgrade();
    }

    @Override
    public AutoCloseable subscribe(Consumer<Map<String, Object>> listener) {
        return events.subscribe(listener);
    }
}
