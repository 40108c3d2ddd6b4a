// The failover state machine: turns link observations, timer ticks and switch requests into active-link events.
package dev.tapover.failover;

import static dev.tapover.failover.LinkSnapshot.NO_DEADLINE;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.LongSupplier;

/**
 * One failover group: a master (the TAP) served by one of an ordered list of lower links, primary first.
 *
 * <p>Pure logic: no I/O, no threads, no sleeping. Time comes from the injected {@code nanoTime} clock, read once
 * per call. The owner feeds it link observations, calls {@link #onTimer()} when {@link #nextDeadlineNanos()} is
 * reached (a late call is fine: it decides on the state at the time of the call), and acts on the returned
 * events: move the data path, request announcements, set the master's carrier to {@link #hasUsableLink()}.
 * Each call returns at most one event, because each call changes at most one thing the selection depends on.
 *
 * <p>Identity: a link is its ifindex. It claims the slot whose configured name it appears with; a rename keeps
 * the link (and its slot); removal frees the slot for whatever link next appears with the configured name.
 *
 * <p>Startup: before {@link #start()}, links are registered and updated at face value (no up-delay: their
 * history is unknown, not flapping). {@code start()} takes the first decision. From then on, every observation
 * is debounced, including links that appear later.
 *
 * <p>Not thread-safe: call it from one thread (the agent's event loop).
 */
public final class FailoverGroup {
    private final List<String> configuredNames;
    private PolicyConfig config;
    private final LongSupplier nanoTime;
    /** Indexed by rank; null where the configured link is not present. */
    private final LowerLink[] slots;

    private boolean started;
    private LinkRef active;
    /** The active link was chosen by a switch request; policy leaves it alone until it fails. */
    private boolean activePinned;
    private boolean everActive;
    private long reevaluateAtNanos = NO_DEADLINE;
    private FailoverEvent lastEvent;
    private long eventCount;

    /**
     * @param linkNames the configured interface names in preference order: the primary, then the standbys
     * @param config    the policy
     * @param nanoTime  the clock, e.g. {@code System::nanoTime}; tests pass a fake one
     */
    public FailoverGroup(List<String> linkNames, PolicyConfig config, LongSupplier nanoTime) {
        Objects.requireNonNull(linkNames, "linkNames");
        if (linkNames.isEmpty()) {
            throw new IllegalArgumentException("a failover group needs at least a primary link name");
        }
        if (new HashSet<>(linkNames).size() != linkNames.size()) {
            throw new IllegalArgumentException("link names must be distinct, got " + linkNames);
        }
        for (String name : linkNames) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("link names must not be blank, got " + linkNames);
            }
        }
        this.configuredNames = List.copyOf(linkNames);
        this.config = Objects.requireNonNull(config, "config");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.slots = new LowerLink[linkNames.size()];
    }

    // ---- inputs ------------------------------------------------------------------------------------------------

    /** Takes the first decision (reason {@code initial} if some link can serve) and enables all later ones. */
    public Optional<FailoverEvent> start() {
        if (started) {
            throw new IllegalStateException("the failover group is already started");
        }
        started = true;
        return reselect(nanoTime.getAsLong());
    }

    /**
     * Starts the group where a predecessor left it (live update), instead of {@link #start()}. Each registered
     * link whose ifindex is in {@code saved} takes its saved debounced state (times already moved to this
     * clock); the saved active link stays active, pinned if it was; then each link's current observation is
     * applied as a normal debounced change, so whatever changed during the handoff is handled like any other
     * change. Links not in {@code saved} keep their face-value state, as at {@link #start()}.
     *
     * @param saved         the predecessor's link snapshots, deadlines and usable-since times on this clock
     * @param activeIfindex the predecessor's active link, or empty if none was active
     * @param pinned        whether that link was chosen by a switch request still in force
     * @param everActive    whether the predecessor ever had an active link (the next choice is then not "initial")
     * @param eventCount    the predecessor's count of active-link changes, continued here
     */
    public Optional<FailoverEvent> resume(List<LinkSnapshot> saved, OptionalInt activeIfindex, boolean pinned,
                                          boolean everActive, long eventCount) {
        if (started) {
            throw new IllegalStateException("the failover group is already started");
        }
        long now = nanoTime.getAsLong();
        List<LowerLink> restored = new ArrayList<>();
        List<boolean[]> current = new ArrayList<>();
        for (LowerLink link : slots) {
            if (link == null) {
                continue;
            }
            for (LinkSnapshot s : saved) {
                if (s.ifindex() == link.ifindex()) {
                    LinkSnapshot now0 = link.snapshot();
                    current.add(new boolean[] {now0.adminUp(), now0.carrier()});
                    link.restore(s);
                    restored.add(link);
                    break;
                }
            }
        }
        started = true;
        this.everActive = everActive;
        this.eventCount = eventCount;
        LowerLink wasActive = activeIfindex.isPresent() ? find(activeIfindex.getAsInt()) : null;
        if (wasActive != null && wasActive.state().isUsable()) {
            active = wasActive.ref();
            activePinned = pinned;
        }
        for (int i = 0; i < restored.size(); i++) {
            restored.get(i).observe(current.get(i)[0], current.get(i)[1], now, config);
        }
        return reselect(now);
    }

    /** {@link #linkAppeared(String, int, boolean, boolean, int)} with an unknown speed. */
    public Optional<FailoverEvent> linkAppeared(String name, int ifindex, boolean adminUp, boolean carrier) {
        return linkAppeared(name, ifindex, adminUp, carrier, LinkSnapshot.SPEED_UNKNOWN);
    }

    /**
     * Registers a link that appeared with a configured name (check {@link #acceptsLink(String)} first).
     *
     * @throws IllegalArgumentException if the name is not configured, its slot is held, or the ifindex is known
     */
    public Optional<FailoverEvent> linkAppeared(String name, int ifindex, boolean adminUp, boolean carrier,
                                                int speedMbps) {
        if (ifindex <= 0) {
            throw new IllegalArgumentException("ifindex must be positive, got " + ifindex);
        }
        LowerLink known = find(ifindex);
        if (known != null) {
            throw new IllegalArgumentException("ifindex " + ifindex + " is already registered as " + known.name()
                    + "; report its changes with linkChanged");
        }
        int rank = configuredNames.indexOf(name);
        if (rank < 0) {
            throw new IllegalArgumentException(name + " is not a link of this group; expected one of "
                    + configuredNames);
        }
        if (slots[rank] != null) {
            throw new IllegalArgumentException("the " + name + " slot is already held by ifindex "
                    + slots[rank].ifindex() + " (now named " + slots[rank].name() + ")");
        }
        long now = nanoTime.getAsLong();
        LowerLink link = new LowerLink(ifindex, name, rank, speedMbps);
        if (started) {
            link.observe(adminUp, carrier, now, config);
        } else {
            link.settle(adminUp, carrier, now);
        }
        slots[rank] = link;
        return reselect(now);
    }

    /** {@link #linkChanged(int, boolean, boolean, int)} keeping the last known speed. */
    public Optional<FailoverEvent> linkChanged(int ifindex, boolean adminUp, boolean carrier) {
        LowerLink link = find(ifindex);
        return link == null ? Optional.empty() : apply(link, adminUp, carrier);
    }

    /** A new observation of a registered link; an unknown ifindex is ignored (not one of this group's links). */
    public Optional<FailoverEvent> linkChanged(int ifindex, boolean adminUp, boolean carrier, int speedMbps) {
        LowerLink link = find(ifindex);
        if (link == null) {
            return Optional.empty();
        }
        link.speed(speedMbps);
        return apply(link, adminUp, carrier);
    }

    /** Records a new name for a registered link; its state, role and slot are kept. Returns false if unknown. */
    public boolean linkRenamed(int ifindex, String newName) {
        if (newName == null || newName.isBlank()) {
            throw new IllegalArgumentException("a link's new name must not be blank");
        }
        LowerLink link = find(ifindex);
        if (link == null) {
            return false;
        }
        link.rename(newName);
        if (active != null && active.ifindex() == ifindex) {
            active = link.ref();
        }
        return true;
    }

    /** Forgets a link that disappeared; if it was active, fails over (reason {@code removed}). Unknown: ignored. */
    public Optional<FailoverEvent> linkRemoved(int ifindex) {
        LowerLink link = find(ifindex);
        if (link == null) {
            return Optional.empty();
        }
        slots[link.rank()] = null;
        return reselect(nanoTime.getAsLong());
    }

    /**
     * Completes every debounce transition that is due and takes any failback whose delay has passed. Call it at
     * {@link #nextDeadlineNanos()}; calling it early does nothing, calling it late is safe.
     */
    public Optional<FailoverEvent> onTimer() {
        long now = nanoTime.getAsLong();
        for (LowerLink link : slots) {
            if (link != null) {
                link.expire(now);
            }
        }
        return reselect(now);
    }

    /**
     * An operator's request: {@code primary}, {@code standby} (the active standby, else the best-ranked UP one) or
     * a link's current name. The target must be UP; it then stays active, whatever the failback policy says,
     * until it fails (reason {@code manual-target-failed}), after which normal policy resumes.
     */
    public SwitchOutcome requestSwitch(String target) {
        if (!started) {
            return SwitchOutcome.refused("the failover group has not started yet; retry once its links are known");
        }
        if (target == null || target.isBlank()) {
            return SwitchOutcome.refused("no switch target given; use primary, standby or a link name");
        }
        long now = nanoTime.getAsLong();
        LowerLink chosen;
        if (target.equals("primary")) {
            chosen = slots[0];
            if (chosen == null) {
                return SwitchOutcome.refused("the primary link " + configuredNames.get(0)
                        + " is not present; wait for it to appear or choose another link");
            }
        } else if (target.equals("standby")) {
            chosen = chooseStandby();
            if (chosen == null) {
                return SwitchOutcome.refused("no standby link is usable (" + describeStandbys(now)
                        + "); bring one up or choose another link");
            }
        } else {
            chosen = findByName(target);
            if (chosen == null) {
                return SwitchOutcome.refused("no link named " + target + " in this group; use primary, standby or"
                        + " one of " + currentNames());
            }
        }
        if (chosen.state() != LinkState.UP) {
            return SwitchOutcome.refused(chosen.name() + " " + whyNotUsable(chosen.snapshot(), now)
                    + "; fix it or choose another link");
        }
        if (active != null && active.ifindex() == chosen.ifindex()) {
            activePinned = true;
            return SwitchOutcome.accepted(chosen.name() + " is already active and now stays active until it fails",
                    null);
        }
        LinkRef previous = active;
        FailoverEvent event = change(now, chosen.ref(), Reason.MANUAL, chosen.ref());
        activePinned = true;
        reevaluateAtNanos = NO_DEADLINE;
        return SwitchOutcome.accepted("switched from " + (previous == null ? "no link" : previous.name()) + " to "
                + chosen.name() + ", which stays active until it fails", event);
    }

    /**
     * Replaces the policy, as a reload does. The failback policy and failback-delay apply at once (so this may
     * fail back now: the event is returned); a new up-delay or down-delay applies to transitions that start from
     * now on, while a link already coming up or going down keeps its deadline.
     */
    public Optional<FailoverEvent> setConfig(PolicyConfig newConfig) {
        config = Objects.requireNonNull(newConfig, "config");
        return reselect(nanoTime.getAsLong());
    }

    // ---- outputs and queries -----------------------------------------------------------------------------------

    /** The earliest time {@link #onTimer()} has work to do, {@link Long#MAX_VALUE} if none. */
    public long nextDeadlineNanos() {
        long next = reevaluateAtNanos;
        for (LowerLink link : slots) {
            if (link != null) {
                next = Math.min(next, link.deadlineNanos());
            }
        }
        return next;
    }

    /**
     * Whether the master has a link to the network: the TAP master's carrier should mirror this, as
     * net_failover's master carrier is on iff some lower link is running with carrier.
     */
    public boolean hasUsableLink() {
        return active != null;
    }

    public Optional<LinkRef> activeLink() {
        return Optional.ofNullable(active);
    }

    /** Whether the active link was chosen by a switch request that is still in force. */
    public boolean isManualOverride() {
        return activePinned;
    }

    public boolean isStarted() {
        return started;
    }

    /** Whether {@code name} is configured and its slot is free, i.e. {@link #linkAppeared} would accept it. */
    public boolean acceptsLink(String name) {
        int rank = configuredNames.indexOf(name);
        return rank >= 0 && slots[rank] == null;
    }

    public boolean isRegistered(int ifindex) {
        return find(ifindex) != null;
    }

    /** The configured names, primary first. */
    public List<String> configuredLinkNames() {
        return configuredNames;
    }

    /** The registered links in rank order. */
    public List<LinkSnapshot> links() {
        List<LinkSnapshot> present = new ArrayList<>(slots.length);
        for (LowerLink link : slots) {
            if (link != null) {
                present.add(link.snapshot());
            }
        }
        return present;
    }

    public PolicyConfig config() {
        return config;
    }

    public Optional<FailoverEvent> lastEvent() {
        return Optional.ofNullable(lastEvent);
    }

    /** How many times the active link changed since construction. */
    public long eventCount() {
        return eventCount;
    }

    // ---- internals ---------------------------------------------------------------------------------------------

    private Optional<FailoverEvent> apply(LowerLink link, boolean adminUp, boolean carrier) {
        long now = nanoTime.getAsLong();
        if (started) {
            link.observe(adminUp, carrier, now, config);
        } else {
            link.settle(adminUp, carrier, now);
        }
        return reselect(now);
    }

    private Optional<FailoverEvent> reselect(long now) {
        if (!started) {
            return Optional.empty();
        }
        ActiveLinkSelector.Decision decision = decide(now);
        if (!decision.changesActive()) {
            reevaluateAtNanos = decision.reevaluateAtNanos();
            return Optional.empty();
        }
        FailoverEvent event = change(now, decision.newActive(), decision.reason(), decision.trigger());
        // Ask again only to learn when time alone could change the answer; a further change (not expected) is
        // left for the next call, which is made due at once.
        ActiveLinkSelector.Decision after = decide(now);
        reevaluateAtNanos = after.changesActive() ? now : after.reevaluateAtNanos();
        return Optional.of(event);
    }

    private ActiveLinkSelector.Decision decide(long now) {
        return ActiveLinkSelector.decide(links(), active, activePinned, !everActive, config, now);
    }

    private FailoverEvent change(long now, LinkRef newActive, Reason reason, LinkRef trigger) {
        FailoverEvent event = FailoverEvent.of(now, active, newActive, reason, trigger);
        active = newActive;
        activePinned = false;
        everActive |= newActive != null;
        lastEvent = event;
        eventCount++;
        return event;
    }

    private LowerLink chooseStandby() {
        LowerLink current = active == null ? null : find(active.ifindex());
        if (current != null && current.rank() > 0 && current.state() == LinkState.UP) {
            return current;
        }
        for (int rank = 1; rank < slots.length; rank++) {
            if (slots[rank] != null && slots[rank].state() == LinkState.UP) {
                return slots[rank];
            }
        }
        return null;
    }

    private String describeStandbys(long now) {
        if (slots.length == 1) {
            return "none is configured";
        }
        List<String> parts = new ArrayList<>();
        for (int rank = 1; rank < slots.length; rank++) {
            parts.add(slots[rank] == null
                    ? configuredNames.get(rank) + " is not present"
                    : slots[rank].name() + " " + whyNotUsable(slots[rank].snapshot(), now));
        }
        return String.join(", ", parts);
    }

    private static String whyNotUsable(LinkSnapshot link, long now) {
        switch (link.state()) {
            case DOWN:
                return link.downCause() == Reason.ADMIN_DOWN ? "is administratively down" : "has no carrier";
            case GOING_UP:
                return "is coming up (its up-delay ends in " + millisUntil(link.deadlineNanos(), now) + " ms)";
            case GOING_DOWN:
                return "lost carrier (its down-delay ends in " + millisUntil(link.deadlineNanos(), now) + " ms)";
            default:
                return "is usable";
        }
    }

    private static long millisUntil(long deadlineNanos, long now) {
        return Math.max(0, (deadlineNanos - now + 999_999) / 1_000_000);
    }

    private List<String> currentNames() {
        List<String> names = new ArrayList<>();
        for (LowerLink link : slots) {
            if (link != null) {
                names.add(link.name());
            }
        }
        return names;
    }

    private LowerLink find(int ifindex) {
        for (LowerLink link : slots) {
            if (link != null && link.ifindex() == ifindex) {
                return link;
            }
        }
        return null;
    }

    private LowerLink findByName(String name) {
        for (LowerLink link : slots) {
            if (link != null && link.name().equals(name)) {
                return link;
            }
        }
        return null;
    }
}
