// One running failover group: master TAP, ports, policy state machine and data path, driven by one thread.
package dev.tapover.agent;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.config.Cidr;
import dev.tapover.config.GroupConfig;
import dev.tapover.datapath.DataPath;
import dev.tapover.datapath.LowerPort;
import dev.tapover.datapath.Master;
import dev.tapover.datapath.PortCounters;
import dev.tapover.failover.FailbackPolicy;
import dev.tapover.failover.FailoverEvent;
import dev.tapover.failover.FailoverGroup;
import dev.tapover.failover.LinkRef;
import dev.tapover.failover.LinkSnapshot;
import dev.tapover.failover.PolicyConfig;
import dev.tapover.failover.SwitchOutcome;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.PacketSocket;

/**
 * Not thread-safe: every method runs on the agent's conductor thread. Inputs are link observations (from
 * the link monitor), timer ticks and requests; outputs are data-path activations, the master's carrier,
 * announcement triggers and events.
 */
public final class GroupRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupRuntime.class);

    private GroupConfig config;
    private final LongSupplier nanoTime;
    private final EventLog events;
    private final FailoverGroup group;
    private final PortCounters[] counters;
    /** Per rank: the port was opened while its link was admin-down and must be re-opened when it comes up. */
    private final boolean[] openedWhileDown;
    private final LowerLinkSilencer silencer = new LowerLinkSilencer();
    private final List<Runnable> announceListeners = new ArrayList<>();
    private Master master;
    private DataPath dataPath;
    private Announcements announcements = Announcements.NONE;
    private RealtimeThreads realtime = RealtimeThreads.OFF;
    private long failovers;
    private java.time.Instant lastFailoverTime;
    /** Migration watch: when the active link lost carrier (0 = not lost), and which link it was. */
    private long carrierLostAtNanos;
    private int carrierLostIfindex;
    private long eventsAtLoss;
    /** The carrier change being applied: when the link monitor read it and this thread took it (-1: none). */
    private long pathReceivedNanos = -1;
    private long pathPostedNanos;
    private long pathTakenNanos;
    private String pathSource;
    /** Logs and publishes the carrier change being applied; run after the first frame, or when it is applied. */
    private Runnable carrierReport;
    /** Live update: timers paused and ports unread while handing over (predecessor) or until it reads (successor). */
    private boolean frozen;
    /** Live update: a successor leaves the shared TAP's carrier alone until it reads. */
    private boolean carrierHeld;
    /** Live update: the predecessor handed the master over, so the links stay silenced for the successor. */
    private boolean handedOver;
    /** Live update: packet sockets received from the predecessor, by ifindex, until their link registers. */
    private final Map<Integer, LowerPort.Handed> inheritedSockets = new java.util.HashMap<>();
    /** Live update: the predecessor's last failover, shown until this process has one of its own. */
    private Map<String, Object> inheritedLastFailover;

    public GroupRuntime(GroupConfig config, LongSupplier nanoTime, EventLog events) {
        this.config = config;
        this.nanoTime = nanoTime;
        this.events = events;
        PolicyConfig policy = new PolicyConfig(config.upDelay(), effectiveDownDelay(config), config.failbackDelay(),
                FailbackPolicy.parse(config.failback()));
        this.group = new FailoverGroup(config.links(), policy, nanoTime);
        this.counters = new PortCounters[config.links().size()];
        this.openedWhileDown = new boolean[config.links().size()];
        for (int i = 0; i < counters.length; i++) {
            counters[i] = new PortCounters();
        }
    }

    /** Creates the master (carrier off) and starts the data path; nothing is active yet. */
    public void open(Master createdMaster) throws NativeException {
        this.master = createdMaster;
        this.dataPath = new DataPath(master.tap(), master.mac(), master.tap().hasVnetHeader(),
                config.links().size());
        dataPath.start();
    }

    /** How the threads on the failover path are scheduled (the link monitor's asks it when it starts). */
    public void setRealtime(RealtimeThreads realtime) {
        this.realtime = realtime;
    }

    public RealtimeThreads realtime() {
        return realtime;
    }

    /** Plugs in what turns "announce" requests into frames (the announce package). */
    public void setAnnouncements(Announcements announcements) {
        this.announcements = announcements;
        announcements.publishProofsTo(events);
    }

    /** hold-on-flap waits the migration window out before failing over: a down-delay of at least the window. */
    static java.time.Duration effectiveDownDelay(GroupConfig config) {
        java.time.Duration window = config.announce().migrationWindow();
        return config.announce().holdOnFlap() && window.compareTo(config.downDelay()) > 0 ? window : config.downDelay();
    }

    /** Closes the loop: the next frame unicast to the master that comes in on {@code link} proves the path. */
    private void watchForProof(LinkRef link) {
        Announcements target = announcements;
        snapshot(link.ifindex()).ifPresent(s -> counters[s.rank()].watchNextUnicastToMaster(
                nanos -> target.pathProven(link.name(), nanos)));
    }

    public String name() {
        return config.master();
    }

    public GroupConfig config() {
        return config;
    }

    public Master master() {
        return master;
    }

    public DataPath dataPath() {
        return dataPath;
    }

    public FailoverGroup policy() {
        return group;
    }

    /** Whether {@code ifname} (or a link with this permanent MAC) is one this group wants. */
    public boolean wants(String ifname, byte[] permanentMac) {
        return group.acceptsLink(ifname) || primaryByMac(permanentMac) && group.acceptsLink(config.links().get(0));
    }

    private boolean primaryByMac(byte[] permanentMac) {
        return config.primaryMac() != null && permanentMac != null
                && java.util.Arrays.equals(config.primaryMac(), permanentMac);
    }

    /**
     * The next {@link #linkObserved} applies a carrier change that the link monitor read at {@code receivedNanos}
     * (from {@code source}) and posted at {@code postedNanos}, and this thread took at {@code takenNanos}: a failover it causes logs its timing
     * ({@code event=failover-path}). {@code report} logs and publishes the change: it runs once a failover
     * it causes has sent its first frame (the wire first), else in {@link #carrierChangeApplied}, which ends it.
     */
    void carrierChangeTaken(long receivedNanos, long postedNanos, long takenNanos, String source, Runnable report) {
        pathReceivedNanos = receivedNanos;
        pathPostedNanos = postedNanos;
        pathTakenNanos = takenNanos;
        pathSource = source;
        carrierReport = report;
    }

    void carrierChangeApplied() {
        pathReceivedNanos = -1;
        reportCarrierChange();
    }

    private void reportCarrierChange() {
        Runnable report = carrierReport;
        carrierReport = null;
        if (report != null) {
            report.run();
        }
    }

    /** A link exists with this state: register it, or update it if known. */
    public void linkObserved(String ifname, int ifindex, boolean adminUp, boolean carrier, byte[] permanentMac) {
        if (group.isRegistered(ifindex)) {
            Optional<LinkSnapshot> known = snapshot(ifindex);
            if (known.isPresent() && !known.get().name().equals(ifname)) {
                linkRenamed(ifindex, ifname);
            }
            boolean hadCarrier = known.map(LinkSnapshot::carrier).orElse(false);
            if (adminUp && known.isPresent() && openedWhileDown[known.get().rank()]) {
                // A packet socket bound while its link was down was measured to stay unhooked (no frames
                // received, /proc/net/packet R=0) after the link came up: open it again now that it is up.
                reopenPort(known.get().rank(), ifname, ifindex);
            }
            boolean wasActive = group.activeLink().map(a -> a.ifindex() == ifindex).orElse(false);
            if (wasActive && hadCarrier && !carrier) {
                carrierLostAtNanos = nanoTime.getAsLong();
                carrierLostIfindex = ifindex;
                eventsAtLoss = group.eventCount();
            }
            apply(group.linkChanged(ifindex, adminUp, carrier));
            if (!hadCarrier && carrier && migrationReturn(ifindex) && group.eventCount() == eventsAtLoss) {
                // The active link came back within the window and nothing failed over (down-delay held it):
                // the host may have moved (live migration), so tell the network, as netif_notify_peers() does.
                carrierLostAtNanos = 0;
                notifyPeers("migration");
            }
            return;
        }
        String configuredName;
        if (group.acceptsLink(ifname)) {
            configuredName = ifname;
        } else if (primaryByMac(permanentMac) && group.acceptsLink(config.links().get(0))) {
            configuredName = config.links().get(0);
        } else {
            return;
        }
        int rank = config.links().indexOf(configuredName);
        try {
            silencer.silence(ifname);
            LowerPort.Handed inherited = inheritedSockets.remove(ifindex);
            if (inherited != null) {
                dataPath.attach(rank + 1, LowerPort.adopt(role(rank), inherited, counters[rank]));
            } else {
                openPort(rank, ifname, ifindex);
            }
            openedWhileDown[rank] = !adminUp;
        } catch (NativeException e) {
            LOG.warn("event=link-open-failed group={} link={} ifindex={} error=\"{}\"", name(), ifname, ifindex,
                    e.getMessage());
            events.publish("link-error", fields("group", name(), "link", ifname, "error", e.getMessage()));
            return;
        }
        Optional<FailoverEvent> event = group.linkAppeared(configuredName, ifindex, adminUp, carrier);
        if (!configuredName.equals(ifname)) {
            group.linkRenamed(ifindex, ifname);
        }
        LOG.info("event=link-registered group={} link={} ifindex={} role={} admin={} carrier={}", name(), ifname,
                ifindex, rank == 0 ? "primary" : "standby", adminUp ? "up" : "down", carrier ? "up" : "down");
        events.publish("link-registered", fields("group", name(), "link", ifname, "ifindex", ifindex,
                "role", rank == 0 ? "primary" : "standby", "carrier", carrier));
        apply(event);
    }

    public void linkRenamed(int ifindex, String newName) {
        Optional<LinkSnapshot> known = snapshot(ifindex);
        if (known.isPresent() && group.linkRenamed(ifindex, newName)) {
            silencer.renamed(known.get().name(), newName);
            LOG.info("event=link-renamed group={} ifindex={} from={} to={}", name(), ifindex, known.get().name(),
                    newName);
            events.publish("link-renamed", fields("group", name(), "ifindex", ifindex, "from", known.get().name(),
                    "to", newName));
        }
    }

    public void linkRemoved(int ifindex) {
        Optional<LinkSnapshot> known = snapshot(ifindex);
        if (known.isEmpty()) {
            return;
        }
        Optional<FailoverEvent> event = group.linkRemoved(ifindex);
        dataPath.detach(known.get().rank() + 1);
        LOG.info("event=link-removed group={} link={} ifindex={}", name(), known.get().name(), ifindex);
        events.publish("link-removed", fields("group", name(), "link", known.get().name(), "ifindex", ifindex));
        apply(event);
    }

    /** Starts the policy: the first decision picks the active link among those registered. */
    public void start() {
        apply(group.start());
        syncCarrier();
    }

    public long nextDeadlineNanos() {
        return frozen ? Long.MAX_VALUE : group.nextDeadlineNanos();
    }

    public void onTimer() {
        if (frozen) {
            return;
        }
        apply(group.onTimer());
    }

    public SwitchOutcome requestSwitch(String target) {
        SwitchOutcome outcome = group.requestSwitch(target);
        LOG.info("event=switch-request group={} target={} accepted={} message=\"{}\"", name(), target,
                outcome.accepted(), outcome.message());
        outcome.event().ifPresent(e -> apply(Optional.of(e)));
        return outcome;
    }

    /**
     * Applies a reloaded configuration's live settings: policy (may fail back at once), announcements and the
     * migration window. The caller has checked that nothing else changed (ConfigChanges).
     */
    public void reconfigure(GroupConfig next) {
        this.config = next;
        announcements.reconfigure(next);
        apply(group.setConfig(new PolicyConfig(next.upDelay(), effectiveDownDelay(next), next.failbackDelay(),
                FailbackPolicy.parse(next.failback()))));
    }

    /** An explicit or migration-driven request to tell the network where the master lives. */
    public void notifyPeers(String reason) {
        Optional<LinkRef> active = group.activeLink();
        LOG.info("event=notify-peers group={} reason={} link={}", name(), reason,
                active.map(LinkRef::name).orElse("none"));
        events.publish("notify-peers", fields("group", name(), "reason", reason,
                "link", active.map(LinkRef::name).orElse(null)));
        active.ifPresent(link -> {
            announcements.announce(link.name(), link.ifindex(), reason);
            watchForProof(link);
        });
    }

    /** Opens the link's packet socket and puts it in the data path's slot for its rank (replacing any old one). */
    private void openPort(int rank, String ifname, int ifindex) throws NativeException {
        dataPath.attach(rank + 1, LowerPort.open(role(rank), ifname, ifindex, counters[rank]));
    }

    private static String role(int rank) {
        return rank == 0 ? "primary" : "standby";
    }

    /** Opens a fresh port for a registered link and swaps it in (the data path closes the old one). */
    private void reopenPort(int rank, String ifname, int ifindex) {
        try {
            openPort(rank, ifname, ifindex);
            openedWhileDown[rank] = false;
            LOG.info("event=port-reopened group={} link={} ifindex={} why=\"opened while the link was down\"",
                    name(), ifname, ifindex);
        } catch (NativeException e) {
            LOG.warn("event=port-reopen-failed group={} link={} error=\"{}\"", name(), ifname, e.getMessage());
        }
    }

    private boolean migrationReturn(int ifindex) {
        return carrierLostAtNanos != 0 && carrierLostIfindex == ifindex
                && nanoTime.getAsLong() - carrierLostAtNanos <= config.announce().migrationWindow().toNanos();
    }

    /** The master's addresses changed (configured at start or `ip addr` later): announce the new set. */
    public void addressesChanged(List<Cidr> addresses) {
        announcements.updateAddresses(List.copyOf(addresses));
    }

    private Optional<LinkSnapshot> snapshot(int ifindex) {
        for (LinkSnapshot link : group.links()) { // a loop, not a stream: this runs on the failover path
            if (link.ifindex() == ifindex) {
                return Optional.of(link);
            }
        }
        return Optional.empty();
    }

    private void apply(Optional<FailoverEvent> maybe) {
        if (maybe.isEmpty()) {
            syncCarrier();
            return;
        }
        FailoverEvent e = maybe.get();
        int slot = 0;
        if (e.newActive() != null) {
            Optional<LinkSnapshot> link = snapshot(e.newActive().ifindex());
            slot = link.isPresent() ? link.get().rank() + 1 : 0; // no lambda: its first use costs ~1 ms
        }
        if (slot != 0) {
            syncCarrier(); // carrier on (applied by the kernel) before frames flow: see Master.setCarrier
            dataPath.activate(slot);
        } else {
            dataPath.activate(slot);
            syncCarrier();
        }
        failovers++;
        long announceNanos = 0;
        long firstFrameNanos = -1;
        if (e.announce()) { // the wire first: the events and log lines after (they carry the times)
            String reason = e.reason().wireName();
            if (e.oldActive() == null && migrationReturn(e.newActive().ifindex())) {
                // Every link went down and the old active one returned within the window: a migration.
                reason = "migration";
                carrierLostAtNanos = 0;
            }
            announceNanos = nanoTime.getAsLong();
            firstFrameNanos = announcements.announce(e.newActive().name(), e.newActive().ifindex(), reason);
            watchForProof(e.newActive());
        }
        lastFailoverTime = java.time.Instant.now();
        reportCarrierChange(); // the carrier event that caused this one comes first
        events.publish("active-changed", fields("group", name(),
                "from", e.oldActive() == null ? null : e.oldActive().name(),
                "to", e.newActive() == null ? null : e.newActive().name(),
                "reason", e.reason().wireName(),
                "trigger", e.trigger() == null ? null : e.trigger().name(),
                "monotonicNanos", e.timestampNanos(),
                "firstFrameNanos", firstFrameNanos >= 0 ? firstFrameNanos : null));
        long latencyMicros = (nanoTime.getAsLong() - e.timestampNanos()) / 1000;
        LOG.info("event=active-changed group={} from={} to={} reason={} trigger={} decision_us={}", name(),
                e.oldActive() == null ? "none" : e.oldActive().name(),
                e.newActive() == null ? "none" : e.newActive().name(), e.reason().wireName(),
                e.trigger() == null ? "none" : e.trigger().name(), latencyMicros);
        if (e.announce() && pathReceivedNanos >= 0) {
            logPath(e, announceNanos, firstFrameNanos);
        }
    }

    /**
     * One line per failover caused by a carrier change, with the time each stage of the path took (ns): the
     * monitor read the change (received, on the wall clock, to line it up with a capture), decoded and posted
     * it (parse), this thread took it (queue), the policy decided (decide), the master's carrier and the data
     * path were switched (switch), the first frame went to the link (send; "-" when the announcer's thread
     * sent it). Logged after everything else, off the path.
     */
    private void logPath(FailoverEvent e, long announceNanos, long firstFrameNanos) {
        java.time.Instant wall = java.time.Instant.now();
        long wallOffset = wall.getEpochSecond() * 1_000_000_000L + wall.getNano() - nanoTime.getAsLong();
        boolean inline = firstFrameNanos >= 0;
        LOG.info("event=failover-path group={} to={} source={} received_epoch_ns={} parse_ns={} queue_ns={} "
                + "decide_ns={} switch_ns={} send_ns={} total_ns={}", name(), e.newActive().name(), pathSource,
                pathReceivedNanos + wallOffset, pathPostedNanos - pathReceivedNanos, pathTakenNanos - pathPostedNanos,
                e.timestampNanos() - pathTakenNanos, announceNanos - e.timestampNanos(),
                inline ? Long.toString(firstFrameNanos - announceNanos) : "-",
                inline ? Long.toString(firstFrameNanos - pathReceivedNanos) : "-");
    }

    private void syncCarrier() {
        if (carrierHeld) {
            return;
        }
        boolean wanted = group.hasUsableLink();
        if (master.carrier() != wanted) {
            try {
                master.setCarrier(wanted);
                LOG.info("event=master-carrier group={} carrier={}", name(), wanted ? "on" : "off");
                events.publish("master-carrier", fields("group", name(), "carrier", wanted));
            } catch (NativeException e) {
                LOG.error("event=master-carrier-failed group={} error=\"{}\"", name(), e.getMessage());
            }
        }
    }

    /** The group's part of the status document (schema 1). */
    public Map<String, Object> status(List<Cidr> addresses) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name());
        m.put("mac", Master.formatMac(master.mac()));
        m.put("ifindex", masterIfindex());
        m.put("carrier", master.carrier());
        List<String> addr = new ArrayList<>();
        for (Cidr c : addresses) {
            addr.add(c.toString());
        }
        m.put("addresses", addr);
        m.put("counters", counterMap(dataPath.masterCounters()));
        out.put("master", m);
        out.put("active", group.activeLink().map(LinkRef::name).orElse(null));
        out.put("manual", group.isManualOverride());
        out.put("policy", fields("failback", group.config().failback().toString().toLowerCase(),
                "upDelayMs", group.config().upDelay().toMillis(), "downDelayMs", group.config().downDelay().toMillis(),
                "failbackDelayMs", group.config().failbackDelay().toMillis()));
        List<Map<String, Object>> links = new ArrayList<>();
        List<LinkSnapshot> registered = group.links();
        for (int rank = 0; rank < config.links().size(); rank++) {
            final int r = rank;
            Optional<LinkSnapshot> s = registered.stream().filter(l -> l.rank() == r).findFirst();
            Map<String, Object> link = new LinkedHashMap<>();
            link.put("name", s.map(LinkSnapshot::name).orElse(config.links().get(rank)));
            link.put("configuredName", config.links().get(rank));
            link.put("role", rank == 0 ? "primary" : "standby");
            link.put("rank", rank);
            link.put("present", s.isPresent());
            link.put("ifindex", s.map(LinkSnapshot::ifindex).orElse(null));
            link.put("adminUp", s.map(LinkSnapshot::adminUp).orElse(false));
            link.put("carrier", s.map(LinkSnapshot::carrier).orElse(false));
            link.put("usable", s.map(LinkSnapshot::usable).orElse(false));
            link.put("state", s.map(l -> l.state().wireName()).orElse("absent"));
            link.put("counters", counterMap(counters[rank]));
            links.add(link);
        }
        out.put("links", links);
        out.put("failovers", failovers);
        group.lastEvent().ifPresent(e -> out.put("lastFailover", fields("reason", e.reason().wireName(),
                "from", e.oldActive() == null ? null : e.oldActive().name(),
                "to", e.newActive() == null ? null : e.newActive().name(),
                "time", lastFailoverTime == null ? null : lastFailoverTime.toString(),
                "monotonicNanos", e.timestampNanos())));
        if (group.lastEvent().isEmpty() && inheritedLastFailover != null) {
            out.put("lastFailover", inheritedLastFailover);
        }
        out.put("announcements", announcements.status());
        return out;
    }

    private Object masterIfindex() {
        try {
            return master.tap().ifindex();
        } catch (NativeException e) {
            return null;
        }
    }

    private static Map<String, Object> counterMap(PortCounters c) {
        return fields("rxFrames", c.rxFrames(), "rxBytes", c.rxBytes(), "txFrames", c.txFrames(),
                "txBytes", c.txBytes(), "drops", c.dropsByReason());
    }

    static Map<String, Object> fields(Object... keyValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            out.put((String) keyValues[i], keyValues[i + 1]);
        }
        return out;
    }

    /** Stops the data path (closing the ports drops their promiscuous memberships) and restores the links. */
    @Override
    public void close() {
        announcements.close();
        if (dataPath != null) {
            try {
                dataPath.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!handedOver) {
            silencer.restoreAll();
        }
    }

    // ---- live update ---------------------------------------------------------------------------------------------

    /**
     * Creates the data path frozen (a successor inside the handoff): it reads nothing until {@link #thaw()}.
     * {@code buffers}, allocated before the freeze, are used if they fit the master.
     */
    public void openFrozen(Master adoptedMaster, DataPath.Buffers buffers) throws NativeException {
        this.master = adoptedMaster;
        boolean vnet = master.tap().hasVnetHeader();
        this.dataPath = new DataPath(master.tap(), master.mac(), vnet, config.links().size(),
                buffers != null && buffers.fits(vnet) ? buffers : DataPath.Buffers.allocate(vnet));
        frozen = true;
        dataPath.startFrozen();
    }

    /** Stops reading the TAP and the links and pauses the policy's timers; returns once nothing reads. */
    public void freeze() throws InterruptedException {
        frozen = true;
        dataPath.freeze(true);
        if (!dataPath.sync(() -> { })) {
            throw new IllegalStateException("the data path did not stop reading within 1 s");
        }
    }

    /** Reads again and resumes the timers. */
    public void thaw() {
        frozen = false;
        dataPath.freeze(false);
    }

    public boolean frozen() {
        return frozen;
    }

    /** While held, the master's carrier is left as it is; releasing it applies the policy's view at once. */
    public void holdCarrier(boolean hold) {
        carrierHeld = hold;
        if (!hold) {
            syncCarrier();
        }
    }

    /** A packet socket from the predecessor for the link with {@code ifindex}, used when that link registers. */
    public void inheritSocket(int ifindex, LowerPort.Handed socket) {
        LowerPort.Handed old = inheritedSockets.put(ifindex, socket);
        if (old != null) {
            old.socket().close();
        }
    }

    /** Closes inherited sockets whose link did not register (it vanished during the handoff). */
    public void closeUnusedInheritedSockets() {
        inheritedSockets.values().forEach(h -> h.socket().close());
        inheritedSockets.clear();
    }

    /**
     * Starts the policy from the predecessor's state instead of {@link #start()}: same active link (activated
     * in the data path), timers where they were, then the links' current state applied as changes.
     */
    public void resume(List<dev.tapover.failover.LinkSnapshot> saved, java.util.OptionalInt active, boolean pinned,
                       boolean everActive, long eventCount) {
        Optional<FailoverEvent> event = group.resume(saved, active, pinned, everActive, eventCount);
        group.activeLink().flatMap(a -> snapshot(a.ifindex())).ifPresent(l -> dataPath.activate(l.rank() + 1));
        apply(event);
    }

    /** Continues the predecessor's failover count, last failover and silenced links. */
    public void inherit(long previousFailovers, Map<String, Object> lastFailover,
                        Map<String, Map<String, String>> silenced) {
        failovers += previousFailovers;
        inheritedLastFailover = lastFailover;
        silencer.adopt(silenced);
    }

    /** The lower links silenced by this agent, with the values to restore. */
    public Map<String, Map<String, String>> silencedLinks() {
        return silencer.saved();
    }

    /** The counters of the link of {@code rank}. */
    public PortCounters linkCounters(int rank) {
        return counters[rank];
    }

    /** The master was handed to a successor: closing leaves the lower links silenced (the successor restores them). */
    public void handedOver() {
        handedOver = true;
    }

    /** Turns announce requests into frames; implemented by the announce package. */
    public interface Announcements extends AutoCloseable {
        Announcements NONE = new Announcements() {
            @Override
            public long announce(String ifname, int ifindex, String reason) {
                LOG.info("event=announce-skipped link={} reason={} why=\"no announcer configured\"", ifname, reason);
                return -1;
            }

            @Override
            public void updateAddresses(List<Cidr> addresses) {
            }

            @Override
            public Map<String, Object> status() {
                return Map.of();
            }

            @Override
            public void close() {
            }
        };

        /** New announcement settings from a reload; the default ignores them. */
        default void reconfigure(GroupConfig config) {
        }

        /**
         * Sends a burst on {@code ifname} (now active) for {@code reason}. Returns when (System.nanoTime) its
         * first frame was handed to the link on the calling thread, or -1 when that happens later on another.
         */
        long announce(String ifname, int ifindex, String reason);

        /** The addresses to announce from now on. */
        void updateAddresses(List<Cidr> addresses);

        /** A frame unicast to the master came in on {@code ifname} at {@code nanos}; any thread, never blocks. */
        default void pathProven(String ifname, long nanos) {
        }

        /** Where "path-proven" events go. */
        default void publishProofsTo(EventLog events) {
        }

        Map<String, Object> status();

        @Override
        void close();
    }
}
