// The tapover process: validates, creates what it owns, wires monitor, policy, data path, announcer and control.
package dev.tapover.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.cli.CommandFailure;
import dev.tapover.cli.ExitCode;
import dev.tapover.cli.Main;
import dev.tapover.cli.RunCommand;
import dev.tapover.config.AgentConfig;
import dev.tapover.config.Cidr;
import dev.tapover.config.ConfigChanges;
import dev.tapover.config.ConfigException;
import dev.tapover.config.ConfigSource;
import dev.tapover.config.GroupConfig;
import dev.tapover.control.ControlAccess;
import dev.tapover.control.ControlException;
import dev.tapover.control.ControlServer;
import dev.tapover.control.ControlSocketException;
import dev.tapover.datapath.Master;
import dev.tapover.metrics.AgentMetrics;
import dev.tapover.metrics.MetricsServer;
import dev.tapover.natives.Native;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.NetDevice;
import sun.misc.Signal;

/**
 * Start-up validates first and changes nothing until everything checks out; then each thing created is
 * pushed on an undo stack, so a failure half-way (or SIGTERM) removes exactly what was made, in reverse.
 */
public final class Agent {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

    private final GroupConfig config;
    private final EventLog events = new EventLog();
    private final Conductor conductor = new Conductor(System::nanoTime);
    private final Deque<AutoCloseable> undo = new ArrayDeque<>();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final List<Cidr> masterAddresses = new ArrayList<>();
    private final java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
    private final boolean handleSignals;
    private GroupRuntime runtime;
    /** The configuration in force (replaced by each successful reload) and where it was read from (null: code). */
    private volatile AgentConfig agentConfig;
    private final ConfigSource source;
    private final SdNotify sdNotify;
    private AgentMetrics metrics;
    private PcapAnnouncements pcapAnnouncements;
    /** Real-time scheduling of the failover path's threads (realtime.priority) and memory locking. */
    private final RealtimeThreads realtime;
    private volatile MetricsServer metricsServer;
    /** Set when the agent must stop with an error (e.g. its master was deleted); run() then throws it. */
    private volatile CommandFailure fatal;
    private final AgentLiveUpdate liveUpdate;
    /** Set when this agent takes over from a running one (run --takeover). */
    private dev.tapover.liveupdate.Successor successor;
    private boolean announceAfterUpdate;
    /** The TAP fd systemd passed back (a restart after a crash), or -1. */
    private int passedTap = -1;
    /** Opens when the control socket's request path is warm (see ControlServer.warmUp). */
    private java.util.concurrent.CountDownLatch controlWarm = new java.util.concurrent.CountDownLatch(0);

    public Agent(GroupConfig config) {
        this(config, true);
    }

    /** {@code handleSignals = false} lets tests run an agent inside their JVM and stop it with {@link #requestStop}. */
    public Agent(GroupConfig config, boolean handleSignals) {
        this(AgentConfig.of(config), null, handleSignals);
    }

    /**
     * An agent of {@code config}, which {@code source} (null: none) can read again on reload. Only an agent that
     * owns its process ({@code handleSignals}) reports to systemd through $NOTIFY_SOCKET.
     */
    public Agent(AgentConfig config, ConfigSource source, boolean handleSignals) {
        this(config, source, handleSignals, handleSignals ? SdNotify.fromEnvironment() : SdNotify.from(name -> null));
    }

    /** As above, with systemd's notification socket chosen by the caller (tests). */
    public Agent(AgentConfig config, ConfigSource source, boolean handleSignals, SdNotify sdNotify) {
        this.config = config.group();
        this.agentConfig = config;
        this.source = source;
        this.handleSignals = handleSignals;
        this.sdNotify = sdNotify;
        this.realtime = RealtimeThreads.of(config.realtime());
        this.liveUpdate = new AgentLiveUpdate(this.config, conductor, events, () -> requestStop("handed over"));
    }

    /** The {@code run} arguments this agent was started with; a live update gives them to the successor. */
    public Agent runArguments(List<String> args) {
        liveUpdate.runArguments(args);
        return this;
    }

    /**
     * Makes this agent the successor of a running one: it receives the master and the link sockets from
     * {@code from} instead of creating them; {@code announce} sends an announcement burst once it serves.
     */
    public Agent takeover(dev.tapover.liveupdate.Successor from, boolean announce) {
        this.successor = from;
        this.announceAfterUpdate = announce;
        return this;
    }

    /** Waits until start-up is complete; false on timeout. */
    public boolean awaitReady(java.time.Duration timeout) throws InterruptedException {
        return ready.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Runs until SIGTERM/SIGINT; returns the exit code. */
    public int run() throws CommandFailure {
        if (successor == null) {
            passedTap = liveUpdate.passedTap();
        }
        preflight();
        try {
            startUp();
            if (handleSignals) {
                installSignalHandlers();
            }
            // READY promises a control socket that answers promptly: give the warm-up a moment (bounded)
            controlWarm.await(1, java.util.concurrent.TimeUnit.SECONDS);
            LOG.info("event=ready group={} master={} mac={} links={} version={}", config.master(), config.master(),
                    Master.formatMac(config.mac()), config.links(), Main.version());
            events.publish("ready", GroupRuntime.fields("group", config.master()));
            ready.countDown();
            sdNotify.ready("serving " + config.master() + " over " + String.join(", ", config.links()));
            realtime.lockMemory(); // when configured (realtime.lock-memory); a warning if refused
            realtime.promoteCurrentThread("conductor"); // this thread decides and sends the first announcement
            conductor.run(new Conductor.Timers() {
                @Override
                public long nextDeadlineNanos() {
                    return runtime.nextDeadlineNanos();
                }

                @Override
                public void onTimer() {
                    runtime.onTimer();
                }
            });
            if (fatal != null) {
                throw fatal;
            }
            return ExitCode.OK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.SOFTWARE;
        } finally {
            shutdown();
        }
    }

    /** Checks that need no change to the system: permissions and the links' existence. */
    private void preflight() throws CommandFailure {
        if (!Native.isRoot()) {
            throw new CommandFailure(ExitCode.NOPERM,
                    "tapover run needs root (CAP_NET_ADMIN) to create the TAP master; run it with sudo");
        }
        if (!java.nio.file.Files.exists(java.nio.file.Path.of("/dev/net/tun"))) {
            throw new CommandFailure(ExitCode.UNAVAILABLE,
                    "/dev/net/tun is missing; load the tun module (modprobe tun) and try again");
        }
        try {
            org.pcap4j.core.Pcaps.libVersion();
        } catch (LinkageError e) {
            String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new CommandFailure(ExitCode.UNAVAILABLE, "libpcap cannot be loaded (" + why
                    + "); install libpcap0.8 (apt-get install libpcap0.8)");
        }
        for (String link : config.links()) {
            try {
                NetDevice.indexOf(link);
            } catch (NativeException e) {
                if (!config.allowMissingLinks()) {
                    throw new CommandFailure(ExitCode.UNAVAILABLE, "link \"" + link
                            + "\" does not exist; check the name with `ip link`, or pass --allow-missing-links to wait for it");
                }
            }
        }
        if (successor != null || passedTap >= 0) {
            return; // the master exists and is handed to this agent (live update, or systemd's fd store)
        }
        try {
            NetDevice.indexOf(config.master());
            throw new CommandFailure(ExitCode.UNAVAILABLE, "interface \"" + config.master()
                    + "\" already exists; choose another --master name or delete it first");
        } catch (NativeException expected) {
            // the name is free
        }
    }

    private void startUp() throws CommandFailure {
        if (successor != null) {
            startUpTakeover();
            return;
        }
        startMetrics();
        Master master;
        try {
            master = passedTap >= 0 ? liveUpdate.adoptPassed(passedTap)
                    : Master.create(config.master(), config.mac(), config.vnetHeader());
        } catch (Master.MasterExistsException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, e.getMessage());
        } catch (NativeException e) {
            if (e.errno() == dev.tapover.natives.Errno.EPERM || e.errno() == dev.tapover.natives.Errno.EACCES) {
                throw new CommandFailure(ExitCode.NOPERM, "the kernel refused to create the TAP master ("
                        + e.getMessage() + "); tapover run needs CAP_NET_ADMIN: run it as root with that capability");
            }
            throw new CommandFailure(ExitCode.UNAVAILABLE, "cannot create the TAP master: " + e.getMessage());
        }
        undo.push(master);
        if (passedTap < 0) {
            liveUpdate.sizeNewMaster(master);
        }
        runtime = new GroupRuntime(config, System::nanoTime, events);
        runtime.setRealtime(realtime);
        try {
            runtime.open(master);
        } catch (NativeException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, "cannot start the data path: " + e.getMessage());
        }
        undo.push(runtime);
        startAnnouncer();
        if (passedTap >= 0) {
            liveUpdate.addMissingAddresses(master, masterAddresses);
            runtime.addressesChanged(masterAddresses);
            runtime.holdCarrier(true); // the adopted master keeps its carrier until the policy has decided
        } else {
            addAddresses(master);
        }
        LinkWatch watch = LinkWatch.start(config, runtime, conductor, events, masterAddresses);
        undo.push(watch);
        runtime.holdCarrier(false);
        watchMaster(watch);
        checkLinksStillThere();
        liveUpdate.wire(runtime, watch, masterAddresses);
        startControl();
        startLiveUpdate(master);
    }

    private void watchMaster(LinkWatch watch) {
        watch.onMasterRemoved(() -> fail(new CommandFailure(ExitCode.UNAVAILABLE, "the master " + config.master()
                + " was deleted by someone else (ip link del); tapover stopped and restored the links, start it again"
                + " to re-create the master")));
    }

    /**
     * Live update, successor side: the master and link sockets come from the running agent. What binds a
     * name the predecessor holds (control socket, metrics port) starts once it has let go (after FINISH).
     */
    private void startUpTakeover() throws CommandFailure {
        runtime = new GroupRuntime(config, System::nanoTime, events);
        runtime.setRealtime(realtime);
        undo.push(runtime);
        startAnnouncer(); // pcap handles are opened before the freeze: they are not handed over
        liveUpdate.prepare(successor, runtime, masterAddresses, undo);
        AgentLiveUpdate.Restored restored = liveUpdate.takeOver(successor, runtime, masterAddresses, undo);
        watchMaster(restored.watch());
        liveUpdate.wire(runtime, restored.watch(), masterAddresses);
        startMetrics();
        startControl();
        startLiveUpdate(restored.master());
        if (announceAfterUpdate) {
            runtime.notifyPeers("live-update");
        }
    }

    /** Opens the takeover socket and parks the master in systemd's fd store (when run under systemd). */
    private void startLiveUpdate(Master master) throws CommandFailure {
        liveUpdate.startListener();
        undo.push(liveUpdate.listenerCloser());
        undo.push(liveUpdate.storeInFdStore(master));
    }

    /** A link that passed the preflight but vanished before it was registered (deleted during start-up). */
    private void checkLinksStillThere() throws CommandFailure {
        if (config.allowMissingLinks()) {
            return;
        }
        for (int rank = 0; rank < config.links().size(); rank++) {
            final int r = rank;
            if (runtime.policy().links().stream().noneMatch(l -> l.rank() == r)) {
                throw new CommandFailure(ExitCode.UNAVAILABLE, "link \"" + config.links().get(rank)
                        + "\" disappeared during start-up; check it with `ip link` and start again, or pass"
                        + " --allow-missing-links to wait for it");
            }
        }
    }

    private void addAddresses(Master master) throws CommandFailure {
        try (AddressSetter setter = AddressSetter.open()) {
            int ifindex = master.tap().ifindex();
            for (Cidr cidr : config.addresses()) {
                setter.add(ifindex, cidr);
                masterAddresses.add(cidr);
                LOG.info("event=address-added group={} address={}", config.master(), cidr);
            }
        } catch (AddressSetter.AddressException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, e.getMessage());
        } catch (NativeException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, "the master vanished during start-up: " + e.getMessage());
        }
        runtime.addressesChanged(masterAddresses);
    }

    private void startAnnouncer() throws CommandFailure {
        try {
            PcapAnnouncements announcements = PcapAnnouncements.start(config, realtime.threadStart("announce"));
            pcapAnnouncements = announcements;
            runtime.setAnnouncements(announcements); // addAddresses() hands it the addresses
        } catch (IOException e) {
            // libpcap itself was checked in preflight(); this is a handle or the --pcap file.
            throw new CommandFailure(ExitCode.UNAVAILABLE, "cannot start announcements: " + e.getMessage());
        }
    }

    private void startControl() throws CommandFailure {
        AgentControl handler = new AgentControl(conductor, runtime, events, this::status, this::reload);
        handler.liveUpdate(liveUpdate);
        ControlAccess access = agentConfig.controlGid().isPresent()
                ? ControlAccess.rootAndGroup(agentConfig.controlGid().getAsInt()) : ControlAccess.rootOnly();
        try {
            // a successor binds once its predecessor has let go of the path
            ControlServer server = successor == null ? ControlServer.start(config.controlSocket(), handler, access)
                    : AgentLiveUpdate.retryWhileInUse(() -> ControlServer.start(config.controlSocket(), handler, access),
                            java.time.Duration.ofSeconds(5));
            undo.push(server);
            liveUpdate.releaseOnHandoff(server);
            controlWarm = server.warmUp();
        } catch (ControlSocketException e) {
            int code = switch (e.reason()) {
                case NOT_PERMITTED -> ExitCode.NOPERM;
                case BAD_PATH -> ExitCode.CONFIG;
                default -> ExitCode.UNAVAILABLE;
            };
            throw new CommandFailure(code, e.getMessage());
        } catch (java.io.IOException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, "cannot open the control socket " + config.controlSocket()
                    + ": " + e.getMessage());
        }
        LOG.info("event=control-listening socket={}", config.controlSocket());
    }

    private void installSignalHandlers() {
        Signal.handle(new Signal("TERM"), s -> requestStop("SIGTERM"));
        Signal.handle(new Signal("INT"), s -> requestStop("SIGINT"));
        if (Signal.handle(new Signal("HUP"), s -> reloadOnSignal()) == sun.misc.SignalHandler.SIG_IGN) {
            // The JVM keeps a SIGHUP its parent ignored (nohup) ignored, and installs nothing.
            LOG.warn("event=sighup-ignored hint=\"the agent was started with SIGHUP ignored (nohup?): SIGHUP will "
                    + "not reload; use tapover reload, or start it without nohup\"");
        }
        Signal.handle(new Signal("USR1"), s -> conductor.post(() -> runtime.notifyPeers("signal"))); // as notify-peers
    }

    /** Stops the agent with an error: {@link #run()} undoes what it made, then throws {@code failure}. */
    void fail(CommandFailure failure) {
        if (fatal == null) {
            fatal = failure;
        }
        requestStop("fatal: " + failure.getMessage());
    }

    /** Asks the conductor to stop; start-up state is undone by {@link #shutdown()}. */
    public void requestStop(String why) {
        if (stopping.compareAndSet(false, true)) {
            LOG.info("event=stopping group={} why={}", config.master(), why);
            conductor.stop();
        }
    }

    private void shutdown() {
        if (!liveUpdate.handedOver()) {
            sdNotify.stopping(); // after a handoff the service goes on, in the successor
        }
        while (!undo.isEmpty()) {
            AutoCloseable item = undo.pop();
            try {
                item.close();
            } catch (Exception e) {
                LOG.warn("event=cleanup-failed item={} error=\"{}\"", item, e.toString());
            }
        }
        LOG.info("event=stopped group={}", config.master());
    }

    /** Serves Prometheus metrics if configured; first of all, so the first events are counted. */
    private void startMetrics() throws CommandFailure {
        if (agentConfig.metrics() == null) {
            return;
        }
        metrics = new AgentMetrics(() -> {
            try {
                return conductor.call(this::status, 2000);
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }, group -> {
            PcapAnnouncements a = pcapAnnouncements;
            return a == null ? -1 : a.sentTotal(); // on the failover path: no status map
        }, System::nanoTime);
        AutoCloseable subscription = events.subscribe(metrics::onEvent);
        try {
            // a successor binds the port once its predecessor has let go of it
            metricsServer = successor == null ? MetricsServer.start(agentConfig.metrics(), metrics)
                    : AgentLiveUpdate.retryWhileBound(() -> MetricsServer.start(agentConfig.metrics(), metrics),
                            java.time.Duration.ofSeconds(5));
        } catch (IOException | RuntimeException e) {
            closeQuietly(subscription);
            throw new CommandFailure(ExitCode.UNAVAILABLE, "cannot serve metrics on "
                    + MetricsServer.format(agentConfig.metrics()) + " (" + e.getMessage()
                    + "); choose a free port with --metrics or metrics.listen");
        }
        undo.push(subscription);
        undo.push(metricsServer);
        liveUpdate.releaseOnHandoff(metricsServer);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("event=close-failed item={} error=\"{}\"", c, e.toString());
        }
    }

    /** The metrics endpoint's bound address, or null when metrics are off. */
    public java.net.InetSocketAddress metricsAddress() {
        MetricsServer server = metricsServer;
        return server == null ? null : server.address();
    }

    /** The configuration in force. */
    public AgentConfig currentConfig() {
        return agentConfig;
    }

    /**
     * Re-reads the configuration file and applies what can change live (ConfigChanges); refuses the whole reload,
     * changing nothing, if the file is invalid or changes a setting that cannot change live.
     */
    public synchronized Map<String, Object> reload() throws ControlException {
        if (source == null || source.file().isEmpty()) {
            throw new ControlException("refused", "reload needs a configuration file (run --config FILE), and this "
                    + "agent was started from flags; restart it to change its settings");
        }
        sdNotify.reloading();
        try {
            AgentConfig next;
            try {
                next = source.load();
            } catch (ConfigException e) {
                LOG.warn("event=reload-refused group={} error=\"{}\"", config.master(), e.getMessage());
                throw new ControlException("refused", e.getMessage() + " (nothing was applied)");
            }
            ConfigChanges changes = ConfigChanges.between(agentConfig, next);
            Path file = source.file().get();
            if (!changes.refused().isEmpty()) {
                String message = changes.refusalMessage(file);
                LOG.warn("event=reload-refused group={} error=\"{}\"", config.master(), message);
                throw new ControlException("refused", message);
            }
            try {
                conductor.call(() -> {
                    runtime.reconfigure(next.group());
                    return null;
                }, 2000);
            } catch (Exception e) {
                throw new ControlException("unavailable", "the agent did not apply the reload (" + e.getMessage()
                        + "); retry");
            }
            RunCommand.setLogLevel(next.logLevel());
            agentConfig = next;
            LOG.info("event=reloaded group={} file={} changed={}", config.master(), file, changes.live());
            events.publish("reloaded", GroupRuntime.fields("group", config.master(), "file", file.toString(),
                    "changed", changes.live()));
            return GroupRuntime.fields("file", file.toString(), "changed", changes.live(), "message",
                    changes.live().isEmpty() ? "reloaded " + file + ": nothing changed"
                            : "reloaded " + file + ": " + String.join(", ", changes.live()));
        } finally {
            sdNotify.ready("serving " + config.master() + " over " + String.join(", ", config.links()));
        }
    }

    /** SIGHUP: reload on a thread of its own and log the outcome (the signal thread must not wait on the agent). */
    private void reloadOnSignal() {
        Thread t = new Thread(() -> {
            try {
                reload();
            } catch (ControlException e) {
                LOG.warn("event=sighup-reload-refused group={} error=\"{}\"", config.master(), e.getMessage());
            }
        }, "tapover-reload");
        t.setDaemon(true);
        t.start();
    }

    /** The last events (at most 256), oldest first. */
    public List<Map<String, Object>> recentEvents() {
        return events.recent();
    }

    /** The status document (schema 1), built on the conductor thread. */
    public Map<String, Object> status() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("schema", 1);
        doc.put("version", Main.version());
        doc.put("groups", List.of(runtime.status(masterAddresses)));
        doc.put("liveUpdate", liveUpdate.status());
        doc.put("realtime", realtime.status());
        return doc;
    }
}
