// The agent's part in a live update: the predecessor's host, the upgrade request, the successor's restore and the fd store.
package dev.tapover.agent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.cli.CommandFailure;
import dev.tapover.cli.ExitCode;
import dev.tapover.cli.Main;
import dev.tapover.config.Cidr;
import dev.tapover.config.GroupConfig;
import dev.tapover.control.ControlException;
import dev.tapover.control.ControlServer;
import dev.tapover.datapath.DataPath;
import dev.tapover.datapath.LowerPort;
import dev.tapover.datapath.Master;
import dev.tapover.datapath.PortCounters;
import dev.tapover.failover.FailoverGroup;
import dev.tapover.failover.LinkSnapshot;
import dev.tapover.liveupdate.Deadlines;
import dev.tapover.liveupdate.FdEntry;
import dev.tapover.liveupdate.FdKind;
import dev.tapover.liveupdate.FdStore;
import dev.tapover.liveupdate.FaultInjection;
import dev.tapover.liveupdate.Handoff;
import dev.tapover.liveupdate.ListenFds;
import dev.tapover.liveupdate.LiveUpdateException;
import dev.tapover.liveupdate.PredecessorProtocol;
import dev.tapover.liveupdate.RestorePlan;
import dev.tapover.liveupdate.Session;
import dev.tapover.liveupdate.StateSnapshot;
import dev.tapover.liveupdate.Successor;
import dev.tapover.liveupdate.SuccessorLauncher;
import dev.tapover.liveupdate.TakeoverListener;
import dev.tapover.liveupdate.TxQueuePlan;
import dev.tapover.natives.FileStat;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.NetDevice;
import dev.tapover.natives.PacketSocket;
import dev.tapover.natives.TapDevice;
import dev.tapover.natives.UnixSocket;

/**
 * Predecessor side: {@link #startListener} opens the takeover socket; each session gets a {@link SessionHost}
 * (preserve, freeze, unfreeze, stop the successor, finish); {@link #upgrade} starts the installed build as a
 * successor and waits for the outcome. Successor side: {@link #takeOver} runs the restore plan on what the
 * predecessor handed over. Under systemd: {@link #storeInFdStore} and {@link #passedTap}.
 */
final class AgentLiveUpdate {
    private static final Logger LOG = LoggerFactory.getLogger(AgentLiveUpdate.class);
    /** The upgrade request waits this long for the outcome (the CLI gives up after 30 s). */
    private static final long UPGRADE_WAIT_MS = 25_000;
    /** A freeze is sized for at least this gap when the TAP's queue is checked. */
    private static final Duration MIN_GAP_BUDGET = Duration.ofMillis(500);
    /** What one queued frame costs a packet socket's receive buffer, at most (skb truesize of a small frame). */
    private static final int FRAME_TRUESIZE = 1280;
    /** The receive buffer LowerPort gives each packet socket. */
    private static final int PORT_RCVBUF = 4 << 20;
    /**
     * The nice value of the threads that work inside the handoff gap (both sides), from just before the
     * freeze until the successor reads: on a busy machine they get the CPU first (CFS weight ~9× nice 0).
     */
    static final int HANDOFF_NICE = -10;

    private final GroupConfig config;
    private final Conductor conductor;
    private final EventLog events;
    private final Runnable stopAgent;
    private final Deadlines deadlines = Deadlines.defaults();
    private final Optional<FdStore> fdStore = FdStore.fromEnvironment(System.getenv());

    private GroupRuntime runtime;
    private LinkWatch watch;
    private List<Cidr> addresses;
    /** What binds names the successor needs (control socket, metrics port): released before FINISH. */
    private final List<AutoCloseable> releaseOnHandoff = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile TakeoverListener listener;
    private List<String> runArguments;
    private volatile long generation;
    private volatile long predecessorPid;
    private volatile boolean handedOver;
    private volatile boolean frozen;
    private volatile Map<String, Object> lastUpdate;
    /** The successful outcome's event went out from finish(), while subscribers were still connected. */
    private volatile boolean donePublished;
    private volatile Pending pending;
    private volatile double lastGapMs;
    /** Successor: made before the freeze by {@link #prepare}, used by the restore. */
    private LinkWatch preparedWatch;
    private final Map<String, LowerPort.Handed> preparedSockets = new LinkedHashMap<>();
    private int mainNiceBefore = Integer.MIN_VALUE;
    private int dataPathNiceBefore = Integer.MIN_VALUE;

    /** An upgrade request waiting for its successor's outcome. */
    private record Pending(long pid, CompletableFuture<PredecessorProtocol.Outcome> outcome, CountDownLatch answered) {
    }

    AgentLiveUpdate(GroupConfig config, Conductor conductor, EventLog events, Runnable stopAgent) {
        this.config = config;
        this.conductor = conductor;
        this.events = events;
        this.stopAgent = stopAgent;
    }

    /** What a takeover startup or a normal one built, for the predecessor role later. */
    void wire(GroupRuntime groupRuntime, LinkWatch linkWatch, List<Cidr> masterAddresses) {
        this.runtime = groupRuntime;
        this.watch = linkWatch;
        this.addresses = masterAddresses;
    }

    /** {@code item} holds a name the successor binds (a socket path, a port): it is closed before FINISH. */
    void releaseOnHandoff(AutoCloseable item) {
        releaseOnHandoff.add(item);
    }

    /** The {@code run} arguments a successor started by {@code upgrade} gets in the session. */
    void runArguments(List<String> args) {
        this.runArguments = args == null ? null : List.copyOf(args);
    }

    boolean handedOver() {
        return handedOver;
    }

    boolean frozen() {
        return frozen;
    }

    // ---- predecessor -----------------------------------------------------------------------------------------

    /** Opens the takeover socket next to the control socket. */
    void startListener() throws CommandFailure {
        Path path = TakeoverListener.pathFor(config.controlSocket());
        try {
            listener = TakeoverListener.start(path, SessionHost::new, this::onOutcome, deadlines);
        } catch (LiveUpdateException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, e.getMessage());
        }
        LOG.info("event=takeover-listening socket={}", path);
    }

    /** Closes the takeover socket (an in-progress session is rolled back). */
    AutoCloseable listenerCloser() {
        return () -> {
            TakeoverListener l = listener;
            if (l != null) {
                l.close();
            }
        };
    }

    /** The control request: start the installed build with run --takeover and wait for the outcome. */
    Map<String, Object> upgrade() throws ControlException {
        TakeoverListener l = listener;
        if (l == null || handedOver) {
            throw new ControlException("unavailable", "this agent is not accepting live updates (it is starting, stopping or already handed over); retry in a moment");
        }
        if (l.busy() || pending != null) {
            throw new ControlException("refused", "a live update is already in progress; wait for it to finish and retry");
        }
        List<String> command = SuccessorLauncher.forThisProcess(l.path());
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
        } catch (IOException e) {
            throw new ControlException("unavailable", "cannot start the successor (" + e.getMessage()
                    + "); check the installed build or set " + SuccessorLauncher.OVERRIDE);
        }
        Pending p = new Pending(process.pid(), new CompletableFuture<>(), new CountDownLatch(1));
        pending = p;
        LOG.info("event=upgrade-started successor_pid={} command=\"{}\"", process.pid(), String.join(" ", command));
        events.publish("upgrade-started", GroupRuntime.fields("group", config.master(), "successorPid", process.pid()));
        try {
            PredecessorProtocol.Outcome outcome = awaitOutcome(p, process);
            if (outcome.done()) {
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("message", String.format("live update done: pid %d (build %s) serves %s; handoff gap %.1f ms",
                        process.pid(), outcome.successor(), config.master(), outcome.gapNanos() / 1e6));
                result.put("pid", process.pid());
                result.put("build", outcome.successor());
                result.put("gapMs", Math.round(outcome.gapNanos() / 1e3) / 1e3);
                result.put("frozenMs", Math.round(outcome.frozenNanos() / 1e3) / 1e3);
                result.put("generation", generation + 1);
                return result;
            }
            String code = PredecessorProtocol.Outcome.REFUSED.equals(outcome.result()) ? "refused" : "unavailable";
            throw new ControlException(code, "live update " + outcome.result() + " at " + outcome.step() + ": "
                    + outcome.reason() + "; this agent keeps serving");
        } finally {
            pending = null;
            p.answered().countDown();
        }
    }

    private PredecessorProtocol.Outcome awaitOutcome(Pending p, Process process) throws ControlException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(UPGRADE_WAIT_MS);
        try {
            while (System.nanoTime() < deadline) {
                try {
                    return p.outcome().get(100, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    if (!process.isAlive() && !listenerBusy()) {
                        // its session may have just ended: its outcome is about to be delivered
                        try {
                            return p.outcome().get(1, TimeUnit.SECONDS);
                        } catch (java.util.concurrent.TimeoutException gone) {
                            // it never connected
                        }
                        throw new ControlException("unavailable", "the successor (pid " + process.pid() + ") exited with code "
                                + process.exitValue() + " before taking over; see the log above; this agent keeps serving");
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new ControlException("internal", "the live update failed: " + e.getCause());
        }
        if (!listenerBusy()) {
            process.destroyForcibly();
        }
        throw new ControlException("unavailable", "the successor (pid " + process.pid() + ") did not take over within "
                + UPGRADE_WAIT_MS / 1000 + " s; this agent keeps serving");
    }

    private boolean listenerBusy() {
        TakeoverListener l = listener;
        return l != null && l.busy();
    }

    private void onOutcome(PredecessorProtocol.Outcome outcome) {
        Map<String, Object> doc = outcomeDoc(outcome);
        lastUpdate = doc;
        if (outcome.done()) {
            LOG.info("event=live-update result=done successor_pid={} successor_version={} gap_ms={} frozen_ms={}",
                    outcome.successorPid(), outcome.successor(), String.format("%.3f", outcome.gapNanos() / 1e6),
                    String.format("%.3f", outcome.frozenNanos() / 1e6));
        } else {
            LOG.warn("event=live-update result={} step={} successor_pid={} reason=\"{}\" frozen_ms={}", outcome.result(),
                    outcome.step(), outcome.successorPid(), outcome.reason(),
                    outcome.gapNanos() < 0 ? "-" : String.format("%.3f", outcome.gapNanos() / 1e6));
        }
        if (!(outcome.done() && donePublished)) {
            events.publish("live-update", doc);
        }
        Pending p = pending;
        if (p != null && (p.pid() == outcome.successorPid() || outcome.successorPid() == 0)) {
            p.outcome().complete(outcome);
        }
    }

    private Map<String, Object> outcomeDoc(PredecessorProtocol.Outcome o) {
        return GroupRuntime.fields("group", config.master(), "result", o.result(), "step", o.step(),
                "reason", o.reason(), "gapMs", o.gapNanos() < 0 ? null : Math.round(o.gapNanos() / 1e3) / 1e3,
                "frozenMs", o.frozenNanos() < 0 ? null : Math.round(o.frozenNanos() / 1e3) / 1e3,
                "successorPid", o.successorPid(), "successorVersion", o.successor(),
                "time", java.time.Instant.now().toString());
    }

    /** The live-update part of the status document. */
    Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pid", ProcessHandle.current().pid());
        out.put("generation", generation);
        out.put("predecessorPid", predecessorPid == 0 ? null : predecessorPid);
        TakeoverListener l = listener;
        out.put("takeoverSocket", l == null ? null : l.path().toString());
        out.put("inProgress", l != null && l.busy());
        out.put("last", lastUpdate);
        return out;
    }

    /** The predecessor's side of one session, for the successor {@code peer}. */
    private final class SessionHost implements PredecessorProtocol.Host {
        private final UnixSocket.Credentials peer;
        private long rxAtPreserve;
        private long nanosAtPreserve;
        private final Map<Integer, Long> portRxAtPreserve = new java.util.HashMap<>();
        /** The threads raised for the gap (session, conductor, data path) and their nice values before. */
        private final int[] niceBefore = {Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE};

        SessionHost(UnixSocket.Credentials peer) {
            this.peer = peer;
        }

        /** Raises (or, {@code raise} false, puts back) the threads the freeze runs on: this one, the conductor, the data path. */
        private void handoffPriority(boolean raise) {
            try {
                niceBefore[0] = renice(niceBefore[0], raise);
                niceBefore[1] = conductor.call(() -> renice(niceBefore[1], raise), 1000);
                int[] dp = {niceBefore[2]};
                if (runtime.dataPath().sync(() -> dp[0] = renice(dp[0], raise))) {
                    niceBefore[2] = dp[0];
                }
            } catch (Exception e) {
                LOG.debug("event=handoff-priority-failed error=\"{}\"", e.toString());
            }
        }

        @Override
        public String version() {
            return Main.version();
        }

        @Override
        public long pid() {
            return ProcessHandle.current().pid();
        }

        @Override
        public PredecessorProtocol.Preserved preserve() throws LiveUpdateException {
            if (runArguments == null) {
                throw new LiveUpdateException("this agent was started without its run arguments (in-process), so a successor could not run the same group; start it with tapover run");
            }
            rxAtPreserve = runtime.dataPath().masterCounters().rxFrames();
            for (int rank = 0; rank < config.links().size(); rank++) {
                portRxAtPreserve.put(rank, runtime.linkCounters(rank).rxFrames());
            }
            nanosAtPreserve = System.nanoTime();
            handoffPriority(true);
            Session s = buildSession();
            StateSnapshot preview;
            try {
                preview = conductor.call(() -> snapshot(System.nanoTime()), 2000);
            } catch (Exception e) {
                throw new LiveUpdateException("cannot take the state snapshot: " + e.getMessage());
            }
            LOG.info("event=live-update-preserve successor_pid={} fds={}", peer.pid(),
                    s.entries().stream().map(FdEntry::token).toList());
            return new PredecessorProtocol.Preserved(s, preview);
        }

        @Override
        public PredecessorProtocol.Frozen freeze() throws LiveUpdateException {
            sizeTxQueue();
            long stopping = System.nanoTime(); // reading stops inside the call below: the gap starts here
            StateSnapshot snapshot;
            try {
                snapshot = conductor.call(() -> {
                    watch.hold();
                    runtime.freeze();
                    frozen = true;
                    return snapshot(System.nanoTime());
                }, 2000);
            } catch (Exception e) {
                throw new LiveUpdateException("cannot freeze the agent: " + e.getMessage());
            }
            Session session = buildSession();
            LOG.info("event=live-update-frozen successor_pid={}", peer.pid());
            return new PredecessorProtocol.Frozen(session, snapshot, stopping);
        }

        @Override
        public void unfreeze() {
            try {
                conductor.call(() -> {
                    runtime.thaw();
                    watch.release(true);
                    return null;
                }, 1000);
            } catch (Exception e) {
                LOG.warn("event=unfreeze-on-conductor-failed error=\"{}\" (unfreezing directly)", e.getMessage());
                runtime.thaw();
            }
            frozen = false;
            LOG.info("event=live-update-unfrozen successor_pid={}", peer.pid());
        }

        @Override
        public void stopSuccessor(boolean mayBeReading) {
            Optional<ProcessHandle> successor = ProcessHandle.of(peer.pid());
            if (successor.isEmpty() || peer.pid() == ProcessHandle.current().pid()) {
                return;
            }
            ProcessHandle p = successor.get();
            try {
                if (!mayBeReading) {
                    // it read nothing and was told to go; give it a moment to exit by itself
                    p.onExit().get(1, TimeUnit.SECONDS);
                    return;
                }
            } catch (Exception e) {
                // still there
            }
            p.destroyForcibly();
            try {
                p.onExit().get(3, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.error("event=successor-not-stopped pid={} error=\"{}\"", peer.pid(), e.toString());
            }
            LOG.info("event=successor-stopped pid={}", peer.pid());
        }

        @Override
        public void rolledBack() {
            handoffPriority(false);
        }

        @Override
        public void finish(PredecessorProtocol.Outcome outcome) {
            handedOver = true;
            runtime.handedOver();
            fdStore.ifPresent(store -> {
                try {
                    store.mainPid(outcome.successorPid());
                } catch (IOException e) {
                    LOG.warn("event=sd-notify-failed message=MAINPID error=\"{}\"", e.getMessage());
                }
            });
            lastGapMs = outcome.gapNanos() / 1e6;
            Pending p = pending;
            if (p != null && p.pid() == outcome.successorPid()) {
                p.outcome().complete(outcome);
                try {
                    // let the upgrade request's answer leave before the control socket closes: the handler
                    // returned, and the control thread went back to waiting, so the answer is with Netty
                    p.answered().await(2, TimeUnit.SECONDS);
                    awaitIdle(t -> t.getName().startsWith("tapover-control-") && !t.getName().contains("-io-"),
                            Duration.ofSeconds(2));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            // tell event subscribers before their connections close with the control socket below
            events.publish("live-update", outcomeDoc(outcome));
            donePublished = true;
            for (AutoCloseable item : releaseOnHandoff) {
                try {
                    item.close();
                } catch (Exception e) {
                    LOG.warn("event=release-failed item={} error=\"{}\"", item, e.toString());
                }
            }
            TakeoverListener l = listener;
            if (l != null) {
                l.close();
            }
            LOG.info("event=handed-over successor_pid={} gap_ms={}", outcome.successorPid(),
                    String.format("%.3f", outcome.gapNanos() / 1e6));
            stopAgent.run();
        }

        /**
         * Makes room for what arrives while frozen: grows each link socket's receive buffer if its rate times
         * the expected gap needs it, and checks the master's txqueuelen likewise (warning, not resizing).
         */
        private void sizeTxQueue() {
            double seconds = (System.nanoTime() - nanosAtPreserve) / 1e9;
            Duration budget = Duration.ofNanos((long) Math.max(MIN_GAP_BUDGET.toNanos(), 4 * lastGapMs * 1e6));
            try {
                for (LowerPort port : runtime.dataPath().attachedPorts()) {
                    Long before = null;
                    for (int rank = 0; rank < config.links().size(); rank++) {
                        if (runtime.linkCounters(rank) == port.counters()) {
                            before = portRxAtPreserve.get(rank);
                        }
                    }
                    double rate = seconds > 0.05 && before != null
                            ? (port.counters().rxFrames() - before) / seconds : 0;
                    long bytes = (long) (rate * budget.toNanos() / 1e9 * 2 * FRAME_TRUESIZE);
                    if (bytes > PORT_RCVBUF) {
                        port.ensureReceiveBuffer((int) Math.min(bytes, 256L << 20));
                        LOG.info("event=rcvbuf-raised link={} bytes={} rate_fps={}", port.ifname(), bytes, Math.round(rate));
                    }
                }
            } catch (NativeException | InterruptedException | RuntimeException e) {
                LOG.warn("event=rcvbuf-check-failed error=\"{}\"", e.getMessage());
            }
            try {
                long frames = runtime.dataPath().masterCounters().rxFrames() - rxAtPreserve;
                double rate = seconds > 0.05 ? frames / seconds : 0;
                int current = NetDevice.txQueueLength(config.master());
                if (rate * budget.toNanos() / 1e9 > current) { // short even without the plan's 2x margin
                    // resizing now would drop frames in flight and emit an RTM_NEWLINK: warn instead
                    LOG.warn("event=txqueue-short master={} txqueuelen={} wanted={} rate_fps={} budget_ms={} why=\"frames "
                            + "the host sends are dropped if the handoff takes longer than {} ms; set a larger txqueuelen "
                            + "before traffic flows\"", config.master(), current, TxQueuePlan.required(rate, budget, current),
                            Math.round(rate), budget.toMillis(), Math.round(current / Math.max(1, rate) * 1000));
                }
            } catch (NativeException | RuntimeException e) {
                LOG.warn("event=txqueuelen-check-failed error=\"{}\"", e.getMessage());
            }
        }
    }

    /**
     * Raises the calling thread to {@link #HANDOFF_NICE} and returns its nice value before, or (raise false)
     * puts back {@code before} and returns {@link Integer#MIN_VALUE}; a refusal (no CAP_SYS_NICE) changes nothing.
     */
    static int renice(int before, boolean raise) {
        if (raise) {
            return before != Integer.MIN_VALUE ? before : dev.tapover.natives.ThreadNice.set(HANDOFF_NICE);
        }
        if (before != Integer.MIN_VALUE) {
            dev.tapover.natives.ThreadNice.set(before);
        }
        return Integer.MIN_VALUE;
    }

    /** The fds as they are now: the master's TAP, then each attached port's packet socket. */
    private Session buildSession() throws LiveUpdateException {
        Session.Builder b = new Session.Builder(config.master(), generation).argv(runArguments);
        Master master = runtime.master();
        TapDevice tap = master.tap();
        try {
            FileStat st = FileStat.of(tap.fd());
            TapDevice.Info info = TapDevice.describe(tap.fd());
            b.add(new FdEntry(FdEntry.tokenFor(FdKind.TAP, info.name()), FdKind.TAP, info.name(), tap.ifindex(),
                    info.tunFlags(), tap.vnetHeaderSize(), false, master.carrier(), st.dev(), st.ino()), tap.fd());
            for (LowerPort port : runtime.dataPath().attachedPorts()) {
                FileStat ps = FileStat.of(port.fd());
                FdEntry.Ring ring = port.ringFrameSize() == 0 ? null
                        : new FdEntry.Ring(port.ringFrameSize(), port.ringFrames(), port.ringPosition());
                b.add(new FdEntry(FdEntry.tokenFor(FdKind.PACKET, port.ifname()), FdKind.PACKET, port.ifname(),
                        port.ifindex(), 0, 0, port.promiscuous(), false, ps.dev(), ps.ino(), ring), port.fd());
            }
        } catch (NativeException e) {
            throw new LiveUpdateException("cannot describe the fds to hand over: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LiveUpdateException("interrupted while listing the ports");
        }
        return b.build();
    }

    /** The state at the freeze; runs on the conductor thread. */
    private StateSnapshot snapshot(long nowNanos) {
        FailoverGroup group = runtime.policy();
        Map<String, Object> status = runtime.status(addresses);
        List<StateSnapshot.SavedLink> links = new ArrayList<>();
        for (LinkSnapshot l : group.links()) {
            links.add(StateSnapshot.SavedLink.of(l, nowNanos));
        }
        Integer active = group.activeLink().map(a -> a.ifindex()).orElse(null);
        @SuppressWarnings("unchecked")
        Map<String, Object> last = (Map<String, Object>) status.get("lastFailover");
        StateSnapshot.PolicyState policy = new StateSnapshot.PolicyState(active,
                group.activeLink().map(a -> a.name()).orElse(null), group.isManualOverride(),
                active != null || group.eventCount() > 0, group.eventCount(),
                ((Number) status.getOrDefault("failovers", 0L)).longValue(), last, links);
        List<StateSnapshot.CounterValues> linkCounters = new ArrayList<>();
        for (int rank = 0; rank < config.links().size(); rank++) {
            linkCounters.add(values(runtime.linkCounters(rank)));
        }
        List<String> cidrs = addresses.stream().map(Cidr::toString).toList();
        @SuppressWarnings("unchecked")
        Map<String, Object> announcements = (Map<String, Object>) status.get("announcements");
        return new StateSnapshot(StateSnapshot.SCHEMA,
                new StateSnapshot.MasterState(config.master(), runtime.master().carrier(), cidrs), policy,
                new StateSnapshot.CounterState(values(runtime.dataPath().masterCounters()), linkCounters),
                announcements, runtime.silencedLinks());
    }

    private static StateSnapshot.CounterValues values(PortCounters c) {
        return new StateSnapshot.CounterValues(c.rxFrames(), c.rxBytes(), c.txFrames(), c.txBytes(), c.dropsByReason());
    }

    private static void carryOver(PortCounters c, StateSnapshot.CounterValues v) {
        if (v != null) {
            c.carryOver(v.rxFrames(), v.rxBytes(), v.txFrames(), v.txBytes(), v.drops());
        }
    }

    // ---- successor -------------------------------------------------------------------------------------------

    /**
     * Before the freeze, on the fds that came with SESSION (checked): adopts the master and builds the data
     * path on it, frozen (it reads nothing until the handoff; the frame buffers, ~8 MiB, are zeroed now); maps
     * each link socket's receive ring; opens the link monitor (subscribed, then dumped: every change that
     * follows waits in its socket until the restore takes it in); the addresses from the preview; a warm-up.
     * What is made is pushed on {@code undo}. A failure here fails the update before anything is frozen.
     */
    void prepare(Successor successor, GroupRuntime groupRuntime, List<Cidr> masterAddresses, Deque<AutoCloseable> undo)
            throws CommandFailure {
        this.runtime = groupRuntime;
        for (String cidr : successor.preview().master().addresses()) {
            Cidr c = Cidr.parse(cidr);
            if (!masterAddresses.contains(c)) {
                masterAddresses.add(c);
            }
        }
        groupRuntime.addressesChanged(masterAddresses);
        Handoff early = successor.early();
        Session session = successor.session();
        undo.push(early::closeUntaken);
        // sockets not yet given to the group runtime (a failure before the restore took them)
        undo.push(() -> {
            preparedSockets.values().forEach(h -> h.socket().close());
            preparedSockets.clear();
        });
        try {
            FdEntry tapEntry = session.entry(session.tapToken());
            int fd = early.take(session.tapToken());
            if (tapEntry == null || fd < 0) {
                throw new LiveUpdateException("the session carries no fd for " + session.tapToken());
            }
            TapDevice tap;
            try {
                tap = TapDevice.adopt(fd);
            } catch (NativeException | RuntimeException e) {
                dev.tapover.liveupdate.Transport.closeAll(new int[] {fd});
                throw e;
            }
            Master master = Master.adopt(tap, tapEntry.carrier());
            // closed after the group runtime (whose data path reads it), as in a normal start
            undo.remove(groupRuntime);
            undo.push(master);
            undo.push(groupRuntime);
            if (!java.util.Arrays.equals(master.mac(), config.mac())) {
                LOG.warn("event=master-mac-kept master={} mac={} configured={} why=\"changing it live would disturb the peers\"",
                        config.master(), Master.formatMac(master.mac()), Master.formatMac(config.mac()));
            }
            groupRuntime.holdCarrier(true); // until reading: the master's carrier is the predecessor's
            groupRuntime.openFrozen(master, DataPath.Buffers.allocate(tap.hasVnetHeader()));
            for (FdEntry entry : session.entries()) {
                if (entry.kind() != FdKind.PACKET) {
                    continue;
                }
                int pfd = early.take(entry.token());
                PacketSocket socket;
                try {
                    socket = PacketSocket.adopt(pfd, entry.name(), entry.promiscuous());
                } catch (NativeException | RuntimeException e) {
                    dev.tapover.liveupdate.Transport.closeAll(new int[] {pfd});
                    throw e;
                }
                FdEntry.Ring ring = entry.ring();
                LowerPort.Handed handed = new LowerPort.Handed(socket, ring == null ? 0 : ring.frameSize(),
                        ring == null ? 0 : ring.frames(), 0);
                preparedSockets.put(entry.token(), handed); // closed by the undo item above if mapping fails
                preparedSockets.put(entry.token(), handed.premapped());
            }
        } catch (LiveUpdateException | NativeException | RuntimeException e) {
            String why = "cannot build on the handed-over fds: " + e.getMessage();
            successor.fail(why);
            throw new CommandFailure(ExitCode.UNAVAILABLE, "live update failed: " + why + "; the running agent keeps serving");
        }
        try {
            preparedWatch = LinkWatch.open(config, groupRuntime, conductor, events, masterAddresses);
            undo.push(preparedWatch);
        } catch (CommandFailure e) {
            // the restore opens it then, inside the freeze
            LOG.warn("event=takeover-prepare-failed error=\"{}\"", e.getMessage());
        }
        warmUp();
        awaitIdle(t -> t.getName().equals("tapover-announce"), Duration.ofSeconds(2)); // its pcap handles open in the background
        System.gc(); // start-up garbage goes now, not in a collection while the master is frozen
        // this thread restores, the data path drains what queued up: both first on a busy CPU until SERVING
        mainNiceBefore = renice(Integer.MIN_VALUE, true);
        try {
            int[] dp = {Integer.MIN_VALUE};
            if (groupRuntime.dataPath().sync(() -> dp[0] = renice(Integer.MIN_VALUE, true))) {
                dataPathNiceBefore = dp[0];
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        FaultInjection.pauseIf("prepared");
    }

    /** Classes the restore needs, loaded and initialised before the freeze rather than inside it. */
    private static final List<String> RESTORE_CLASSES = List.of("dev.tapover.datapath.DataPath",
            "dev.tapover.datapath.FrameFilter", "dev.tapover.datapath.LowerPort", "dev.tapover.natives.Poller",
            "dev.tapover.natives.EventFd", "dev.tapover.failover.ActiveLinkSelector", "dev.tapover.failover.LinkRef",
            "dev.tapover.failover.Reason", "dev.tapover.failover.LinkState", "dev.tapover.failover.LinkRole",
            "dev.tapover.liveupdate.Handoff", "dev.tapover.liveupdate.RestorePlan", "dev.tapover.natives.TapDevice$Info",
            "dev.tapover.netlink.CarrierProbe$Reading", "dev.tapover.agent.AgentControl");

    /**
     * Runs what the restore runs, on throwaway objects, so that inside the freeze the code is loaded and
     * its lambdas bootstrapped: the policy resuming a state, a restore plan, the classes of the data path.
     */
    private void warmUp() {
        for (String name : RESTORE_CLASSES) {
            try {
                Class.forName(name, true, AgentLiveUpdate.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                LOG.debug("event=warm-up-skipped class={} error=\"{}\"", name, e.toString());
            }
        }
        try {
            FailoverGroup g = new FailoverGroup(config.links(), runtime.policy().config(), System::nanoTime);
            g.linkAppeared(config.links().get(0), Integer.MAX_VALUE, true, true);
            g.resume(List.of(), java.util.OptionalInt.of(Integer.MAX_VALUE), false, true, 0);
            g.onTimer();
            RestorePlan plan = new RestorePlan().add("warm-up", RestorePlan.Result::done);
            plan.run(System::nanoTime, System.nanoTime() + 1_000_000_000L, nanos -> { });
            Successor.servingMessage(plan.reports(), 1L).encode();
        } catch (LiveUpdateException | RuntimeException e) {
            LOG.debug("event=warm-up-failed error=\"{}\"", e.toString());
        }
    }

    /** Waits (bounded) until the thread {@code which} picks has been parked for a few checks in a row. */
    private static void awaitIdle(java.util.function.Predicate<Thread> which, Duration within) {
        Thread thread = Thread.getAllStackTraces().keySet().stream().filter(which).findFirst().orElse(null);
        long deadline = System.nanoTime() + within.toNanos();
        int quiet = 0;
        while (thread != null && quiet < 3 && System.nanoTime() < deadline) {
            Thread.State state = thread.getState();
            quiet = state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING
                    || state == Thread.State.TERMINATED ? quiet + 1 : 0;
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** What {@link #takeOver} built. */
    record Restored(Master master, LinkWatch watch) {
    }

    /**
     * The successor's startup after {@link #prepare}: FREEZE (answered by HANDOFF), the restore plan, reading,
     * then SERVING and FINISH. Everything made is pushed on {@code undo}; a failure before reading tells the
     * predecessor (which rolls back) and closes only this process's copies.
     */
    Restored takeOver(Successor successor, GroupRuntime groupRuntime, List<Cidr> masterAddresses,
                      Deque<AutoCloseable> undo) throws CommandFailure {
        this.runtime = groupRuntime;
        this.addresses = masterAddresses;
        Handoff handoff;
        try {
            handoff = successor.freezeAndHandOff();
        } catch (LiveUpdateException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, "live update failed: " + e.getMessage()
                    + "; the running agent keeps serving");
        }
        Session session = handoff.session();
        StateSnapshot snapshot = handoff.snapshot();
        LinkWatch[] linkWatch = new LinkWatch[1];
        RestorePlan plan = new RestorePlan()
                .add("master", () -> {
                    if (handoff.holds(session.tapToken())) {
                        return RestorePlan.Result.fail("the master's TAP is not the one the session carried");
                    }
                    groupRuntime.master().assumeCarrier(snapshot.master().carrier());
                    return RestorePlan.Result.done();
                })
                .add("packet-sockets", () -> {
                    // the ring's slot at the freeze; a socket opened again since came with HANDOFF
                    for (FdEntry entry : session.entries()) {
                        if (entry.kind() != FdKind.PACKET) {
                            continue;
                        }
                        FdEntry.Ring ring = entry.ring();
                        int fd = handoff.take(entry.token());
                        if (fd >= 0) {
                            try {
                                groupRuntime.inheritSocket(entry.ifindex(), new LowerPort.Handed(
                                        PacketSocket.adopt(fd, entry.name(), entry.promiscuous()),
                                        ring == null ? 0 : ring.frameSize(), ring == null ? 0 : ring.frames(),
                                        ring == null ? 0 : ring.position()));
                            } catch (NativeException | RuntimeException e) {
                                dev.tapover.liveupdate.Transport.closeAll(new int[] {fd});
                                throw e;
                            }
                            continue;
                        }
                        LowerPort.Handed handed = preparedSockets.remove(entry.token());
                        if (handed == null) {
                            return RestorePlan.Result.fail("no socket for " + entry.token());
                        }
                        if (handed.ring() != null && ring != null) {
                            handed.ring().startAt(ring.position());
                        }
                        groupRuntime.inheritSocket(entry.ifindex(), handed);
                    }
                    preparedSockets.values().forEach(h -> h.socket().close()); // replaced since the session
                    preparedSockets.clear();
                    return RestorePlan.Result.done();
                })
                .add("addresses", () -> {
                    List<Cidr> frozenSet = new ArrayList<>();
                    for (String cidr : snapshot.master().addresses()) {
                        frozenSet.add(Cidr.parse(cidr));
                    }
                    if (!frozenSet.equals(masterAddresses)) { // changed since the preview
                        masterAddresses.clear();
                        masterAddresses.addAll(frozenSet);
                        groupRuntime.addressesChanged(masterAddresses);
                    }
                    return RestorePlan.Result.done();
                })
                .add("link-monitor", () -> {
                    // takes in the link changes since the monitor opened (before the freeze), registers the
                    // links on the handed-over sockets, and resumes the policy where the predecessor froze it
                    List<LinkSnapshot> saved = snapshot.linksAt(System.nanoTime());
                    LinkWatch w = preparedWatch;
                    preparedWatch = null;
                    try {
                        if (w == null) {
                            w = LinkWatch.open(config, groupRuntime, conductor, events, masterAddresses);
                            undo.push(w);
                        }
                        w.begin(() -> groupRuntime.resume(saved, snapshot.activeIfindex(), snapshot.policy().pinned(),
                                snapshot.policy().everActive(), snapshot.policy().eventCount()));
                    } catch (CommandFailure e) {
                        if (w != null) {
                            undo.remove(w);
                            w.close();
                        }
                        return RestorePlan.Result.retry(e.getMessage());
                    }
                    linkWatch[0] = w;
                    undo.remove(w);
                    undo.push(w); // closed before the group runtime, as in a normal start
                    groupRuntime.closeUnusedInheritedSockets();
                    return RestorePlan.Result.done();
                })
                .add("counters", () -> {
                    carryOver(groupRuntime.dataPath().masterCounters(), snapshot.counters().master());
                    List<StateSnapshot.CounterValues> links = snapshot.counters().links();
                    for (int rank = 0; rank < config.links().size() && links != null && rank < links.size(); rank++) {
                        carryOver(groupRuntime.linkCounters(rank), links.get(rank));
                    }
                    return RestorePlan.Result.done();
                });
        long start = System.nanoTime();
        try {
            plan.run(System::nanoTime, start + deadlines.restoreNanos() * 3 / 4,
                    nanos -> TimeUnit.NANOSECONDS.sleep(nanos));
            FaultInjection.pauseIf("restore");
        } catch (LiveUpdateException e) {
            handoff.closeUntaken();
            groupRuntime.closeUnusedInheritedSockets();
            successor.fail(e.getMessage());
            logSteps(plan);
            throw new CommandFailure(ExitCode.UNAVAILABLE, "live update failed: " + e.getMessage()
                    + "; the running agent keeps serving");
        }
        handoff.closeUntaken();
        // the predecessor stopped reading before it sent HANDOFF and reads again only once this process is gone
        groupRuntime.thaw();
        groupRuntime.holdCarrier(false);
        long readingAt = System.nanoTime();
        linkWatch[0].follow(); // the link changes since begin() waited in its socket
        successor.serving(plan.reports(), readingAt);
        renice(mainNiceBefore, false);
        try {
            int before = dataPathNiceBefore;
            groupRuntime.dataPath().sync(() -> renice(before, false));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        logSteps(plan); // only now: logging costs time while frozen
        groupRuntime.inherit(snapshot.policy().failovers(), snapshot.policy().lastFailover(), snapshot.silenced());
        generation = session.generation() + 1;
        predecessorPid = successor.predecessorPid();
        this.watch = linkWatch[0];
        LOG.info("event=takeover-done master={} generation={} predecessor_pid={} restore_us={} gap_ms={} active={}",
                config.master(), generation, predecessorPid, (readingAt - start) / 1000,
                String.format("%.3f", (readingAt - successor.frozenAtNanos()) / 1e6),
                groupRuntime.policy().activeLink().map(a -> a.name()).orElse("none"));
        events.publish("takeover", GroupRuntime.fields("group", config.master(), "generation", generation,
                "predecessorPid", predecessorPid, "gapMs", Math.round((readingAt - successor.frozenAtNanos()) / 1e3) / 1e3));
        return new Restored(groupRuntime.master(), linkWatch[0]);
    }

    private static void logSteps(RestorePlan plan) {
        for (RestorePlan.StepReport r : plan.reports()) {
            LOG.info("event=restore-step step={} result={} attempts={} us={}{}", r.name(),
                    r.result().name().toLowerCase(), r.attempts(), r.micros(), r.why() == null ? "" : " why=\"" + r.why() + "\"");
        }
    }

    // ---- systemd ---------------------------------------------------------------------------------------------

    /** The TAP fd systemd passed for this master (a restart after a crash), or -1. */
    int passedTap() {
        Integer fd = ListenFds.parse(System.getenv(), ProcessHandle.current().pid()).get(FdStore.nameFor(config.master()));
        return fd == null ? -1 : fd;
    }

    /** Adopts the TAP systemd kept: nothing on it changes, its carrier is what it is now. */
    Master adoptPassed(int fd) throws CommandFailure {
        try {
            TapDevice tap = TapDevice.adopt(fd);
            if (!tap.name().equals(config.master())) {
                tap.close();
                throw new CommandFailure(ExitCode.CONFIG, "systemd passed " + FdStore.nameFor(config.master())
                        + " but it is TAP \"" + tap.name() + "\"; clear the unit's fd store (systemctl clean --what=fdstore)");
            }
            boolean carrier = "1".equals(Files.readString(Path.of("/sys/class/net", config.master(), "carrier")).trim());
            LOG.info("event=master-adopted master={} from=fdstore fd={} carrier={}", config.master(), fd, carrier);
            return Master.adopt(tap, carrier);
        } catch (IOException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, "cannot adopt the TAP systemd passed as fd " + fd + ": "
                    + e.getMessage());
        }
    }

    /** Adds the configured addresses the adopted master lacks (those it has are kept as they are). */
    void addMissingAddresses(Master master, List<Cidr> masterAddresses) throws CommandFailure {
        try (AddressSetter setter = AddressSetter.open()) {
            int ifindex = master.tap().ifindex();
            for (Cidr cidr : config.addresses()) {
                try {
                    setter.add(ifindex, cidr);
                } catch (AddressSetter.AddressException e) {
                    if (!e.getMessage().contains("EEXIST")) {
                        throw new CommandFailure(ExitCode.UNAVAILABLE, e.getMessage());
                    }
                }
                if (!masterAddresses.contains(cidr)) {
                    masterAddresses.add(cidr);
                }
            }
        } catch (AddressSetter.AddressException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, e.getMessage());
        } catch (NativeException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, "the master vanished during start-up: " + e.getMessage());
        }
    }

    /**
     * Gives a master this agent just created (no traffic yet) a transmit queue long enough for a freeze:
     * resizing it later, under traffic, would drop frames.
     */
    void sizeNewMaster(Master master) {
        try {
            int current = NetDevice.txQueueLength(master.name());
            if (current < TxQueuePlan.INITIAL_LENGTH) {
                NetDevice.setTxQueueLength(master.name(), TxQueuePlan.INITIAL_LENGTH);
                LOG.info("event=txqueuelen-set master={} from={} to={} why=\"room for a live update's freeze\"",
                        master.name(), current, TxQueuePlan.INITIAL_LENGTH);
            }
        } catch (NativeException e) {
            LOG.warn("event=txqueuelen-set-failed master={} error=\"{}\"", master.name(), e.getMessage());
        }
    }

    /** Parks a copy of the master's TAP in systemd's fd store; the returned item removes it on a clean stop. */
    AutoCloseable storeInFdStore(Master master) {
        if (fdStore.isEmpty() || !fdStore.get().storesFds()) {
            return () -> { };
        }
        FdStore store = fdStore.get();
        String name = FdStore.nameFor(config.master());
        try {
            store.store(name, master.tap().fd());
            LOG.info("event=fdstore-stored name={} socket={}", name, store.address());
        } catch (IOException e) {
            LOG.warn("event=fdstore-failed name={} error=\"{}\" (a crash would now delete the master)", name, e.getMessage());
        }
        return () -> {
            if (!handedOver) {
                try {
                    store.remove(name);
                    LOG.info("event=fdstore-removed name={}", name);
                } catch (IOException e) {
                    LOG.warn("event=fdstore-remove-failed name={} error=\"{}\"", name, e.getMessage());
                }
            }
        };
    }

    /** Starts something that binds a TCP port. */
    interface PortStart<T> {
        T start() throws IOException;
    }

    /** Starts the metrics server, retrying while the predecessor still holds the port (a takeover). */
    static <T> T retryWhileBound(PortStart<T> start, Duration within) throws IOException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try {
                return start.start();
            } catch (java.net.BindException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Starts something that binds the control socket. */
    interface ControlStart {
        ControlServer start() throws dev.tapover.control.ControlSocketException;
    }

    /** Starts the control server, retrying while the predecessor still holds the path (a takeover). */
    static ControlServer retryWhileInUse(ControlStart start, Duration within)
            throws dev.tapover.control.ControlSocketException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try {
                return start.start();
            } catch (dev.tapover.control.ControlSocketException e) {
                if (e.reason() != dev.tapover.control.ControlSocketException.Reason.IN_USE || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
