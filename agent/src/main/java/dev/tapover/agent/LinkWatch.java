// Feeds link-monitor events to a group on the conductor thread: hotplug, carrier, renames, master addresses.
package dev.tapover.agent;

import java.io.IOException;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.cli.CommandFailure;
import dev.tapover.cli.ExitCode;
import dev.tapover.config.Cidr;
import dev.tapover.config.GroupConfig;
import dev.tapover.netlink.LinkEvent;
import dev.tapover.netlink.LinkInfo;
import dev.tapover.netlink.LinkMonitor;

/**
 * The monitor's thread only posts; the conductor applies. Links are matched by configured name (or the
 * primary's permanent MAC) when they appear, and followed by ifindex afterwards, as net/core/failover.c does.
 */
final class LinkWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LinkWatch.class);

    private static final Runnable NO_REPORT = () -> { };

    private final GroupConfig config;
    private final GroupRuntime runtime;
    private final EventLog events;
    private final List<Cidr> masterAddresses;
    private LinkMonitor monitor;
    private int masterIfindex;
    private Runnable masterRemoved = () -> { };
    /** Live update: events held while the agent is frozen, replayed on a rollback, dropped after a handoff. */
    private final List<LinkEvent> held = new java.util.ArrayList<>();
    private boolean holding;
    /** Set by {@link #begin}: link changes are posted from then on. */
    private volatile boolean begun;

    private LinkWatch(GroupConfig config, GroupRuntime runtime, EventLog events, List<Cidr> masterAddresses) {
        this.config = config;
        this.runtime = runtime;
        this.events = events;
        this.masterAddresses = masterAddresses;
    }

    /**
     * Opens the monitor (which dumps links and addresses), registers the links present now, starts the
     * policy, then follows events.
     */
    static LinkWatch start(GroupConfig config, GroupRuntime runtime, Conductor conductor, EventLog events,
                           List<Cidr> masterAddresses) throws CommandFailure {
        return start(config, runtime, conductor, events, masterAddresses, runtime::start);
    }

    /** As above, with {@code startPolicy} taking the first decision (a live update resumes the predecessor's). */
    static LinkWatch start(GroupConfig config, GroupRuntime runtime, Conductor conductor, EventLog events,
                           List<Cidr> masterAddresses, Runnable startPolicy) throws CommandFailure {
        LinkWatch watch = open(config, runtime, conductor, events, masterAddresses);
        watch.begin(startPolicy);
        FailoverWarmup.run(config, watch, masterAddresses); // before the monitor thread: nothing races it
        watch.follow();
        return watch;
    }

    /**
     * Opens the monitor (subscribed first, then the dump) without registering anything yet; needs no master.
     * A live update's successor opens it before the freeze: what changes meanwhile waits in the socket and
     * updates the monitor's table in {@link #begin}.
     */
    static LinkWatch open(GroupConfig config, GroupRuntime runtime, Conductor conductor, EventLog events,
                          List<Cidr> masterAddresses) throws CommandFailure {
        LinkWatch watch = new LinkWatch(config, runtime, events, masterAddresses);
        try {
            LinkMonitor.Options options = LinkMonitor.Options.defaults()
                    .withCarrierPollInterval(config.carrierPoll())
                    .withThreadStart(runtime.realtime().threadStart("link-monitor"));
            // Test hook: a tiny receive buffer forces netlink overruns (ENOBUFS) under an event flood.
            int receiveBuffer = Integer.getInteger("tapover.netlink.receiveBuffer", 0);
            if (receiveBuffer > 0) {
                options = options.withReceiveBufferSize(receiveBuffer);
            }
            watch.monitor = LinkMonitor.open(event -> {
                long posted = System.nanoTime(); // for the failover-path timing: the monitor is done with it
                // before begin() the table is the truth and begin() observes it whole: link changes are
                // not posted twice (a stale one applied after begin() would undo a newer state)
                if (watch.begun || !isLinkState(event)) {
                    conductor.post(() -> watch.onEvent(event, posted));
                }
            }, options);
            for (String name : config.links()) {
                watch.monitor.watch(name);
            }
            return watch;
        } catch (IOException e) {
            watch.close();
            throw new CommandFailure(ExitCode.UNAVAILABLE, "cannot watch links through rtnetlink: " + e.getMessage());
        }
    }

    /**
     * Takes in what changed since {@link #open}, registers the links present now and starts the policy. Runs
     * on the thread that starts the agent; events wait in the monitor's socket until {@link #follow}.
     */
    void begin(Runnable startPolicy) throws CommandFailure {
        try {
            masterIfindex = runtime.master().tap().ifindex();
            monitor.doWork(0); // the notifications queued since the dump, applied to the table
            begun = true;
            // Register what exists now, synchronously, so the first decision sees every present link.
            for (LinkInfo link : monitor.links().values()) {
                observe(link);
            }
            startPolicy.run();
        } catch (IOException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, "cannot watch links through rtnetlink: " + e.getMessage());
        }
    }

    /** Follows events on the monitor's thread (a live update's successor: once it reads, outside the gap). */
    void follow() {
        monitor.start();
    }

    private static boolean isLinkState(LinkEvent e) {
        return e instanceof LinkEvent.LinkAdded || e instanceof LinkEvent.LinkRemoved
                || e instanceof LinkEvent.LinkRenamed || e instanceof LinkEvent.CarrierChanged
                || e instanceof LinkEvent.AdminChanged;
    }

    /** Holds link events from now on (conductor thread). */
    void hold() {
        holding = true;
    }

    /** Stops holding; {@code replay} applies the held events in order, else they are dropped (conductor thread). */
    void release(boolean replay) {
        holding = false;
        List<LinkEvent> events = new java.util.ArrayList<>(held);
        held.clear();
        if (replay) {
            events.forEach(e -> onEvent(e, System.nanoTime()));
        }
    }

    /** What to do when the master itself is deleted by someone else (runs on the conductor thread). */
    void onMasterRemoved(Runnable action) {
        this.masterRemoved = action;
    }

    private void observe(LinkInfo link) {
        if (link.ifindex() == masterIfindex) {
            return;
        }
        byte[] perm = link.permAddress() == null ? null : link.permAddress().bytes();
        if (runtime.policy().isRegistered(link.ifindex()) || runtime.wants(link.name(), perm)) {
            if (!runtime.policy().isRegistered(link.ifindex())) {
                monitor.watch(link.ifindex());
            }
            runtime.linkObserved(link.name(), link.ifindex(), link.adminUp(), link.carrier(), perm);
        }
    }

    /** Runs on the conductor thread. */
    private void onEvent(LinkEvent event, long posted) {
        long taken = System.nanoTime();
        if (holding) {
            held.add(event);
            return;
        }
        if (event instanceof LinkEvent.LinkAdded added) {
            observe(added.link());
        } else if (event instanceof LinkEvent.LinkRemoved removed && removed.ifindex() == masterIfindex) {
            LOG.error("event=master-removed group={} master={} ifindex={}", runtime.name(), removed.name(),
                    removed.ifindex());
            events.publish("master-removed", GroupRuntime.fields("group", runtime.name(), "master", removed.name(),
                    "ifindex", removed.ifindex()));
            masterRemoved.run();
        } else if (event instanceof LinkEvent.LinkRemoved removed) {
            runtime.linkRemoved(removed.ifindex());
        } else if (event instanceof LinkEvent.LinkRenamed renamed) {
            runtime.linkRenamed(renamed.ifindex(), renamed.name());
            LinkInfo link = monitor.links().get(renamed.ifindex());
            if (link != null) {
                observe(link);
            }
        } else if (event instanceof LinkEvent.CarrierChanged || event instanceof LinkEvent.AdminChanged) {
            linkStateChanged(event, posted, taken, true);
        } else if (event instanceof LinkEvent.AddressAdded added && added.ifindex() == masterIfindex) {
            Cidr cidr = new Cidr(added.address().address(), added.address().prefixLength());
            if (!masterAddresses.contains(cidr)) {
                masterAddresses.add(cidr);
            }
            runtime.addressesChanged(masterAddresses);
        } else if (event instanceof LinkEvent.AddressRemoved removed && removed.ifindex() == masterIfindex) {
            masterAddresses.remove(new Cidr(removed.address().address(), removed.address().prefixLength()));
            runtime.addressesChanged(masterAddresses);
        } else if (event instanceof LinkEvent.NotifyPeersRequested notify && notify.ifindex() == masterIfindex) {
            runtime.notifyPeers("kernel-notify-peers");
        }
    }

    /**
     * A carrier or admin change of a link: the policy applies it (a failover sends its first frame on this
     * thread). With {@code report}, a carrier change of a group link is logged and published once that is done.
     */
    private void linkStateChanged(LinkEvent event, long posted, long taken, boolean report) {
        LinkInfo link = monitor.links().get(event.ifindex());
        if (link == null) {
            return;
        }
        if (event instanceof LinkEvent.CarrierChanged carrier) {
            link = link.withCarrier(carrier.up());
            String source = event.source().name().toLowerCase();
            Runnable reporter = NO_REPORT;
            if (runtime.policy().isRegistered(event.ifindex())) {
                // Logged and published once the failover it causes has sent its first frame (the runtime
                // runs it then, still before its own active-changed event). Made in the warm-up too, which
                // does not run it: the first use of a lambda costs ~1 ms (its class is spun then).
                reporter = () -> {
                    LOG.info("event=carrier group={} link={} carrier={} source={}", runtime.name(), event.name(),
                            carrier.up() ? "up" : "down", source);
                    events.publish("carrier", GroupRuntime.fields("group", runtime.name(), "link", event.name(),
                            "carrier", carrier.up(), "source", source, "monotonicNanos", taken));
                };
            }
            runtime.carrierChangeTaken(event.nanos(), posted, taken, source, report ? reporter : NO_REPORT);
        }
        try {
            observe(link);
        } finally {
            runtime.carrierChangeApplied();
        }
    }

    /**
     * Start-up warm-up, before the monitor thread runs: hands each group link's current carrier to the policy
     * {@code rounds} times, as if the monitor had reported it. Nothing changes (the state is the one just
     * registered), nothing is logged or published, but the code a carrier change runs on this thread is
     * compiled before the first real one. Returns how many were applied.
     */
    int warmUp(int rounds) {
        int applied = 0;
        java.util.Collection<LinkInfo> links = monitor.links().values();
        for (int i = 0; i < rounds; i++) {
            for (LinkInfo link : links) {
                if (link.ifindex() != masterIfindex && runtime.policy().isRegistered(link.ifindex())) {
                    long now = System.nanoTime();
                    linkStateChanged(new LinkEvent.CarrierChanged(now, LinkEvent.Source.NETLINK, link.ifindex(),
                            link.name(), link.carrier()), now, now, false);
                    applied++;
                }
            }
        }
        return applied;
    }

    long overruns() {
        return monitor == null ? 0 : monitor.overruns();
    }

    @Override
    public void close() {
        if (monitor != null) {
            monitor.close();
        }
    }
}
