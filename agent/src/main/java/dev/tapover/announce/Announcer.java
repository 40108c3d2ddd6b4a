// Sends announcement bursts on the active link: pre-built frames, pre-opened links, per-link budgets, one worker thread.
package dev.tapover.announce;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import dev.tapover.announce.AnnouncementFrames.Frame;
import dev.tapover.announce.AnnouncementFrames.Segment;
import dev.tapover.announce.AnnouncementSchedule.Round;
import dev.tapover.announce.AnnouncementSchedule.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the network where the master's MAC and addresses live, whenever {@link #trigger} is called.
 *
 * <p>Callers on any thread only change state and wake the worker: {@link #trigger}, {@link #setActiveLink},
 * {@link #updateAddresses}, {@link #updateVlans}, {@link #prepareLinks}, {@link #linkIndexChanged},
 * {@link #pathProven} take a lock for O(1) work and never wait for I/O or throw I/O errors. Link I/O happens
 * in {@link #doWork}, run by the worker thread ({@link #start}) or, in tests, by the test itself with a fake
 * clock, with one exception that saves a thread wake-up on the critical path: {@link #trigger} sends the
 * burst's first round itself when the worker is idle, the frames are built and the active link is open
 * (a few {@code pcap_sendpacket} calls); otherwise the worker sends it.
 *
 * <p>Ahead of time the worker builds every frame ({@link AnnouncementFrames}) and opens every prepared link,
 * so a failover only costs the sends. A link whose ifindex changed (unplugged and plugged again) is
 * reopened: on {@link #linkIndexChanged}, at the start of each burst, and when a send fails. Errors are
 * counted ({@link #counters}) and logged at most once per burst. Each link has its own frame budget
 * ({@link TokenBucket}), so frames withheld on one link never starve another.
 *
 * <p>Closed loop: {@link #pathProven} reports that a frame addressed to the master arrived on the active
 * link; the time from the trigger to that frame is recorded, the {@link ProofListener} hears of it (on the
 * worker thread), and with {@code untilProven} the burst stops after its first round.
 */
public final class Announcer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Announcer.class);
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long MAX_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private volatile AnnouncementConfig config;
    private final LinkOpener opener;
    private final FrameRecorder recorder;
    private final LongSupplier nanoClock;
    private final Clock wallClock;
    private final Object lock = new Object();
    /** Held by whoever touches the worker-only state below (the worker, or {@link #trigger} for a first round). */
    private final ReentrantLock io = new ReentrantLock();

    // Inputs, guarded by lock.
    private final AnnouncementSchedule schedule;
    private byte[] mac;
    private List<InetAddress> untagged = List.of();
    private Map<Integer, List<InetAddress>> vlans = Map.of();
    private long inputVersion = 1;
    private Set<String> prepared = Set.of();
    private String activeLink;
    private final Map<String, Integer> reportedIndex = new HashMap<>();
    private Instant lastTrigger;

    // Counters, guarded by lock (written by the worker once per round).
    private final long[] sent = new long[FrameKind.values().length];
    private long sendErrors;
    private long openErrors;
    private long reopens;
    private boolean sending;

    // Worker-only state (guarded by io).
    private long builtVersion;
    private AnnouncementFrames frames;
    private final Map<String, OpenLink> links = new HashMap<>();
    private long burstSeen;
    /** Inline first rounds: when the first frame went to the link (just before its send call), -1 before. */
    private long firstFrameNanos = -1;
    private boolean warnedSendThisBurst;
    private boolean warnedBudgetThisBurst;

    private volatile boolean running;
    /** False for a warm-up announcer: no log line per burst. */
    private boolean logBursts = true;
    private volatile Thread worker;
    private volatile ProofListener proofListener;

    // Proof intake, guarded by lock: set by pathProven, reported by the worker.
    private long proofLatencyToReport = -1;
    private String proofLink;
    private Reason proofReason;
    private boolean proofCut;
    private String lastProofLink;

    // Worker-only: one frame budget per link name.
    private final Map<String, TokenBucket> budgets = new HashMap<>();

    /** Hears that a trigger's path was proven; called on the worker thread, must not block. */
    @FunctionalInterface
    public interface ProofListener {
        /**
         * @param link         the active link the frame came in on
         * @param reason       the proven burst's reason
         * @param micros       from the trigger to the frame's arrival
         * @param stoppedEarly whether the burst dropped rounds because of it ({@code untilProven})
         */
        void proven(String link, Reason reason, long micros, boolean stoppedEarly);
    }

    /** A link handle and the ifindex the link had when it was opened. */
    private static final class OpenLink {
        final String name;
        LinkSender sender;
        int ifindex = -1;
        boolean stale;
        long retryAt;
        boolean retryArmed;
        boolean warnedOpen;

        OpenLink(String name) {
            this.name = name;
        }
    }

    /**
     * @param masterMac the master's MAC, the source of every frame
     * @param recorder  gets a copy of every frame sent, or null
     * @param nanoClock monotonic nanoseconds ({@code System::nanoTime})
     * @param wallClock for the last trigger's timestamp
     */
    public Announcer(AnnouncementConfig config, byte[] masterMac, LinkOpener opener, FrameRecorder recorder,
            LongSupplier nanoClock, Clock wallClock) {
        this.config = Objects.requireNonNull(config, "config");
        this.opener = Objects.requireNonNull(opener, "opener");
        this.recorder = recorder;
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
        this.schedule = new AnnouncementSchedule(config);
        this.frames = AnnouncementFrames.plan(masterMac, List.of(), config.arpForm(), false); // validates the MAC
        this.mac = masterMac.clone();
    }

    /** With the system clocks. */
    public Announcer(AnnouncementConfig config, byte[] masterMac, LinkOpener opener, FrameRecorder recorder) {
        this(config, masterMac, opener, recorder, System::nanoTime, Clock.systemUTC());
    }

    /**
     * Runs the code of a failover's first round {@code rounds} times on a private announcer whose links
     * discard every frame, so the JIT has compiled it before the first real failover (which would otherwise
     * run it interpreted, ~10x slower). Same settings and addresses as the real one; nothing reaches a link,
     * a log or a counter of the real announcer. Returns the frames "sent" (to check it ran).
     */
    public static long warmUp(AnnouncementConfig config, byte[] masterMac, List<InetAddress> addresses, int rounds) {
        LinkOpener discard = new LinkOpener() {
            @Override
            public int ifindex(String ifname) {
                return ifname.equals("warm-a") ? 1 : 2;
            }

            @Override
            public LinkSender open(String ifname) {
                return new LinkSender() {
                    @Override
                    public void send(byte[] frame) {
                        if (frame.length < 14) {
                            throw new IllegalStateException("not a frame");
                        }
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        // No budget: every round is sent, as on a real failover; spacing 0 is not needed, each trigger restarts.
        Announcer a = new Announcer(config.toBuilder().budgetPerSecond(0).build(), masterMac, discard, null);
        a.logBursts = false;
        a.prepareLinks(List.of("warm-a", "warm-b"));
        a.updateAddresses(addresses);
        a.doWork(); // builds the frames and opens both links
        for (int i = 0; i < rounds; i++) {
            a.announceOn((i & 1) == 0 ? "warm-a" : "warm-b", (i & 1) == 0 ? 1 : 2,
                    (i & 1) == 0 ? Reason.FAILOVER : Reason.FAILBACK);
        }
        long sent = a.counters().sentTotal();
        a.close();
        return sent;
    }

    // ---- called from any thread ---------------------------------------------------------------------

    /**
     * Starts (or restarts) a burst on the active link. Sends the first round right here when the worker is
     * idle and everything is ready (frames built, link open, same ifindex), else leaves it to the worker.
     * Never waits for a lock held during I/O, never opens a link, never throws.
     */
    public void trigger(Reason reason) {
        Objects.requireNonNull(reason, "reason");
        triggerOn(null, -1, reason);
    }

    /**
     * What a failover does, in one step with one wake-up: {@code ifname} (now with {@code ifindex}, as the
     * link monitor reported it) becomes the active link and a burst for {@code reason} starts on it, its
     * first round sent here when ready (see {@link #trigger}).
     *
     * @return when (nanoClock) the first frame was handed to the link on this thread, or -1 when the worker
     *         sends the first round (not ready, or busy); for the failover-path timing
     */
    public long announceOn(String ifname, int ifindex, Reason reason) {
        Objects.requireNonNull(ifname, "ifname");
        Objects.requireNonNull(reason, "reason");
        return triggerOn(ifname, ifindex, reason);
    }

    /**
     * @param newActive null to keep the active link; @param ifindex its reported ifindex, -1 if unknown
     * @return when the first frame was handed to the link here, or -1
     */
    private long triggerOn(String newActive, int ifindex, Reason reason) {
        long now = nanoClock.getAsLong();
        long version;
        String active;
        synchronized (lock) {
            if (newActive != null) {
                activeLink = newActive;
                if (ifindex >= 0) {
                    reportedIndex.put(newActive, ifindex);
                }
            }
            schedule.onTrigger(reason, now);
            lastTrigger = wallClock.instant();
            version = inputVersion;
            active = activeLink;
        }
        long firstFrame = -1;
        if (active != null && io.tryLock()) {
            try {
                OpenLink link = links.get(active);
                if (builtVersion == version && link != null && link.sender != null && !link.stale
                        && (ifindex >= 0 ? ifindex : opener.ifindex(active)) == link.ifindex) {
                    firstFrameNanos = -1;
                    sendDueRounds(nanoClock.getAsLong(), link.ifindex);
                    firstFrame = firstFrameNanos;
                }
            } catch (RuntimeException e) {
                LOG.warn("announce first round failed error=\"{}\" (the worker retries)", e.toString());
            } finally {
                io.unlock();
            }
        }
        wake();
        return firstFrame;
    }

    /** The link frames go out on from now on (the active lower link); null stops sending. */
    public void setActiveLink(String ifname) {
        synchronized (lock) {
            activeLink = ifname;
        }
        wake();
    }

    /** Links to keep open ahead of time (primary and standby); the active link is always kept open too. */
    public void prepareLinks(Collection<String> ifnames) {
        synchronized (lock) {
            prepared = Collections.unmodifiableSet(new LinkedHashSet<>(ifnames)); // opened in this order
        }
        wake();
    }

    /** The untagged addresses of the master (IPv4 and IPv6); frames are rebuilt ahead of the next burst. */
    public void updateAddresses(List<InetAddress> addresses) {
        List<InetAddress> copy = List.copyOf(addresses);
        synchronized (lock) {
            untagged = copy;
            inputVersion++;
        }
        wake();
    }

    /** VLAN id (1..4094) to the addresses that live on it; each VLAN gets its own 802.1Q-tagged frames. */
    public void updateVlans(Map<Integer, List<InetAddress>> byVlan) {
        Map<Integer, List<InetAddress>> copy = new TreeMap<>();
        byVlan.forEach((vlan, addresses) -> {
            AnnouncementFrames.checkVlan(vlan);
            if (vlan == AnnouncementFrames.UNTAGGED) {
                throw new IllegalArgumentException("VLAN id 0 is the untagged segment: pass it to updateAddresses");
            }
            copy.put(vlan, List.copyOf(addresses));
        });
        synchronized (lock) {
            vlans = copy;
            inputVersion++;
        }
        wake();
    }

    /** A new master MAC (e.g. changed by the operator); frames are rebuilt. */
    public void setMasterMac(byte[] masterMac) {
        AnnouncementFrames.plan(masterMac, List.of(), config.arpForm(), false); // validates
        synchronized (lock) {
            mac = masterMac.clone();
            inputVersion++;
        }
        wake();
    }

    /** The link monitor saw {@code ifname} with {@code ifindex} (-1: gone); a changed link is reopened. */
    public void linkIndexChanged(String ifname, int ifindex) {
        synchronized (lock) {
            reportedIndex.put(ifname, ifindex);
        }
        wake();
    }

    /**
     * New settings from now on (form, counts, spacing, budget): a running burst continues under them and the
     * frames are rebuilt before the next round. Counters and open links are kept. Never blocks on I/O.
     */
    public void reconfigure(AnnouncementConfig newConfig) {
        Objects.requireNonNull(newConfig, "config");
        synchronized (lock) {
            config = newConfig;
            schedule.reconfigure(newConfig);
            inputVersion++;
        }
        wake();
    }

    /**
     * A frame addressed to the master's own MAC (not broadcast or multicast) arrived on {@code ifname} at
     * {@code nanos} (same clock as this announcer's). Counts when {@code ifname} is the active link and the
     * frame came after the last trigger. Any thread (the data path calls it); never blocks.
     */
    public void pathProven(String ifname, long nanos) {
        boolean report = false;
        synchronized (lock) {
            if (ifname.equals(activeLink)) {
                long before = schedule.stoppedEarly();
                long latency = schedule.onProven(nanos, nanoClock.getAsLong());
                if (latency >= 0) {
                    proofLatencyToReport = latency;
                    proofLink = ifname;
                    lastProofLink = ifname;
                    proofReason = schedule.lastReason();
                    proofCut = schedule.stoppedEarly() != before;
                    report = true;
                }
            }
        }
        if (report) {
            wake();
        }
    }

    /** Who hears of proofs (the agent publishes an event); null for nobody. */
    public void setProofListener(ProofListener listener) {
        proofListener = listener;
    }

    public AnnouncementCounters counters() {
        synchronized (lock) {
            Map<FrameKind, Long> perKind = new EnumMap<>(FrameKind.class);
            for (FrameKind kind : FrameKind.values()) {
                perKind.put(kind, sent[kind.ordinal()]);
            }
            return new AnnouncementCounters(perKind, schedule.framesSuppressed(), schedule.roundsSuppressed(), sendErrors,
                    openErrors, reopens, schedule.bursts(), schedule.coalesced(), schedule.lastReason(), lastTrigger,
                    activeLink, schedule.active() || sending, schedule.refreshRounds(), schedule.proofs(),
                    schedule.stoppedEarly(), schedule.lastProofLatencyNanos() < 0 ? -1
                            : schedule.lastProofLatencyNanos() / 1000, lastProofLink, schedule.awaitingProof());
        }
    }

    public AnnouncementConfig config() {
        return config;
    }

    // ---- the worker ----------------------------------------------------------------------------------

    /** Starts the worker thread (daemon, "tapover-announce"). */
    public void start() {
        start(() -> { });
    }

    /** As {@link #start()}, running {@code threadStart} first on the worker (e.g. real-time scheduling). */
    public synchronized void start(Runnable threadStart) {
        if (worker != null) {
            throw new IllegalStateException("announcer already started");
        }
        running = true;
        Thread thread = new Thread(() -> {
            try {
                threadStart.run();
            } catch (RuntimeException e) {
                LOG.warn("announce worker thread-start action failed: {}", e.toString());
            }
            runLoop();
        }, "tapover-announce");
        thread.setDaemon(true);
        worker = thread;
        thread.start();
    }

    private void runLoop() {
        while (running) {
            long park = MAX_PARK_NANOS;
            try {
                doWork();
                long deadline = nextDeadlineNanos();
                if (deadline != AnnouncementSchedule.NO_DEADLINE) {
                    park = Math.min(park, deadline - nanoClock.getAsLong());
                }
            } catch (RuntimeException e) {
                LOG.error("announce worker error={}", e.toString(), e);
                park = MAX_PARK_NANOS / 10;
            }
            if (park > 0 && running) {
                LockSupport.parkNanos(this, park);
            }
        }
    }

    private void wake() {
        Thread thread = worker;
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }

    /** When {@link #doWork} next has something to do, or {@link AnnouncementSchedule#NO_DEADLINE}; worker only. */
    public long nextDeadlineNanos() {
        long deadline;
        synchronized (lock) {
            deadline = schedule.nextDeadlineNanos();
        }
        io.lock();
        try {
            for (OpenLink link : links.values()) {
                if (link.retryArmed && (deadline == AnnouncementSchedule.NO_DEADLINE || link.retryAt - deadline < 0)) {
                    deadline = link.retryAt;
                }
            }
        } finally {
            io.unlock();
        }
        return deadline;
    }

    /**
     * Does what is due now: rebuilds frames after input changes, opens or reopens links, sends due rounds.
     * Worker thread only. Returns how many of those things it did (0 when idle).
     */
    public int doWork() {
        io.lock();
        try {
            return doWorkLocked();
        } finally {
            io.unlock();
        }
    }

    private int doWorkLocked() {
        long now = nanoClock.getAsLong();
        int work = 0;
        byte[] macIn = null;
        List<Segment> segments = null;
        long version;
        Set<String> wanted;
        Map<String, Integer> reports;
        synchronized (lock) {
            version = inputVersion;
            if (version != builtVersion) {
                macIn = mac;
                segments = segments();
            }
            wanted = new LinkedHashSet<>(prepared);
            if (activeLink != null) {
                wanted.add(activeLink);
            }
            reports = reportedIndex.isEmpty() ? Map.of() : new HashMap<>(reportedIndex);
            reportedIndex.clear();
        }
        if (segments != null) {
            frames = AnnouncementFrames.plan(macIn, segments, config.arpForm(), config.rarpWhenNoAddress());
            builtVersion = version;
            work++;
            LOG.debug("announce frames rebuilt arp_frames={} na_frames={}", frames.arpFramesPerRound(),
                    frames.naFramesPerRound());
        }
        work += sendDueRounds(now, -1);
        work += reportProof();
        work += maintainLinks(wanted, reports, now); // after the sends: opening a link can take ~10 ms
        return work;
    }

    /** Logs a proof that came in since the last call and tells the listener; after the sends. */
    private int reportProof() {
        long latency;
        String link;
        Reason reason;
        boolean cut;
        synchronized (lock) {
            latency = proofLatencyToReport;
            if (latency < 0) {
                return 0;
            }
            proofLatencyToReport = -1;
            link = proofLink;
            reason = proofReason;
            cut = proofCut;
        }
        LOG.info("announce path-proven link={} reason={} after_us={} stopped_early={}", link, reason, latency / 1000,
                cut);
        ProofListener listener = proofListener;
        if (listener != null) {
            try {
                listener.proven(link, reason, latency / 1000, cut);
            } catch (RuntimeException e) {
                LOG.warn("announce proof listener failed error=\"{}\"", e.toString());
            }
        }
        return 1;
    }

    /** Sends the rounds due now on the active link; {@code checkedIfindex}: its ifindex just verified, or -1. */
    private int sendDueRounds(long now, int checkedIfindex) {
        int work = 0;
        List<Round> rounds;
        long burst;
        String active;
        synchronized (lock) {
            TokenBucket budget = budgets.computeIfAbsent(activeLink == null ? "" : activeLink,
                    name -> new TokenBucket(config.budgetPerSecond()));
            if (budget.perSecond() != config.budgetPerSecond()) {
                budget.resize(config.budgetPerSecond()); // reconfigured
            }
            rounds = schedule.due(now, frames.arpFramesPerRound(), frames.naFramesPerRound(), budget);
            burst = schedule.bursts();
            active = activeLink;
            sending = !rounds.isEmpty(); // the burst is not over until its last round went out
        }
        Reason started = null;
        int startedIndex = -1;
        try {
            for (Round round : rounds) {
                if (round.reason() != Reason.REFRESH && burst != burstSeen) {
                    burstSeen = burst;
                    warnedSendThisBurst = false;
                    warnedBudgetThisBurst = false;
                    started = round.reason();
                    startedIndex = checkedIfindex >= 0 ? checkedIfindex : checkActiveLink(active, now);
                }
                sendRound(round, active, burst, now);
                work++;
            }
            if (started != null && logBursts) {
                logBurst(started, active, startedIndex, burst); // after the sends: the wire comes first
            }
        } finally {
            if (!rounds.isEmpty()) {
                synchronized (lock) {
                    sending = false;
                }
            }
        }
        return work;
    }

    private List<Segment> segments() {
        List<Segment> segments = new ArrayList<>();
        segments.add(Segment.untagged(untagged));
        vlans.forEach((vlan, addresses) -> segments.add(new Segment(vlan, addresses)));
        return segments;
    }

    /** Opens wanted links that are closed or stale, closes unwanted ones. */
    private int maintainLinks(Set<String> wanted, Map<String, Integer> reports, long now) {
        int work = 0;
        for (Iterator<OpenLink> it = links.values().iterator(); it.hasNext();) {
            OpenLink link = it.next();
            if (!wanted.contains(link.name)) {
                closeQuietly(link);
                it.remove();
                work++;
            }
        }
        for (String name : wanted) {
            OpenLink link = links.computeIfAbsent(name, OpenLink::new);
            Integer reported = reports.get(name);
            if (reported != null && link.sender != null && reported != link.ifindex) {
                link.stale = true;
                link.retryArmed = false; // a report is news: try now
            }
            if ((link.sender == null || link.stale) && (!link.retryArmed || now - link.retryAt >= 0)) {
                open(link, now);
                work++;
            }
        }
        return work;
    }

    /** (Re)opens a link; on failure arms a retry in one second. */
    private void open(OpenLink link, long now) {
        boolean reopen = link.sender != null || link.stale;
        closeQuietly(link);
        int ifindex = opener.ifindex(link.name);
        if (ifindex < 0) {
            link.retryArmed = true;
            link.retryAt = now + RETRY_NANOS;
            return; // not there (yet): no error, hotplug may bring it
        }
        try {
            link.sender = opener.open(link.name);
            link.ifindex = ifindex;
            link.stale = false;
            link.retryArmed = false;
            link.warnedOpen = false;
            synchronized (lock) {
                if (reopen) {
                    reopens++;
                }
            }
            LOG.debug("announce link opened link={} ifindex={} reopen={}", link.name, ifindex, reopen);
        } catch (IOException | RuntimeException e) {
            link.retryArmed = true;
            link.retryAt = now + RETRY_NANOS;
            synchronized (lock) {
                openErrors++;
            }
            if (!link.warnedOpen) {
                link.warnedOpen = true;
                LOG.warn("announce link open failed link={} error=\"{}\" (retrying every second; further failures "
                        + "are counted, not logged, until it opens)", link.name, e.getMessage());
            }
        }
    }

    private static void closeQuietly(OpenLink link) {
        if (link.sender != null) {
            try {
                link.sender.close();
            } catch (RuntimeException e) {
                LOG.debug("announce link close failed link={} error=\"{}\"", link.name, e.getMessage());
            }
            link.sender = null;
        }
    }

    /**
     * First round of a burst: checks the active link still has the ifindex it was opened with (else it was
     * replugged: reopen it). Returns the link's ifindex, -1 when it is gone or none is set.
     */
    private int checkActiveLink(String active, long now) {
        if (active == null) {
            return -1;
        }
        OpenLink link = links.get(active);
        int ifindex = opener.ifindex(active);
        if (link != null && link.sender != null && ifindex != link.ifindex) {
            link.stale = true;
            open(link, now);
        }
        return ifindex;
    }

    /** The one log line of a burst, with key=value fields. */
    private void logBurst(Reason reason, String active, int ifindex, long burst) {
        long coalesced;
        int addresses;
        int vlanCount;
        synchronized (lock) {
            coalesced = schedule.coalesced();
            vlanCount = vlans.size();
            addresses = untagged.size() + vlans.values().stream().mapToInt(List::size).sum();
        }
        LOG.info("announce burst={} reason={} link={} ifindex={} mac={} form={} arp_rounds={} na_rounds={} "
                + "interval_mode={} addresses={} vlans={} arp_frames={} na_frames={} coalesced={}",
                burst, reason, active, ifindex, HexFormat.ofDelimiter(":").formatHex(mac()), config.arpForm(),
                config.arpCount(), config.naCount(), config.intervalMode(), addresses, vlanCount,
                frames.arpFramesPerRound(), frames.naFramesPerRound(), coalesced);
    }

    private byte[] mac() {
        synchronized (lock) {
            return mac;
        }
    }

    private void sendRound(Round round, String active, long burst, long now) {
        List<Frame> all = round.stream() == Stream.ARP ? frames.arpRound(round.index()) : frames.naRound();
        List<Frame> toSend = all.subList(0, Math.min(round.frames(), all.size()));
        int done = 0;
        String error = null;
        OpenLink link = active == null ? null : links.computeIfAbsent(active, OpenLink::new);
        if (link != null && (link.sender == null || link.stale)) {
            open(link, now); // not opened ahead (just set, or came back during the burst): open now
        }
        if (link == null || link.sender == null) {
            error = active == null ? "no active link" : "link " + active + " is not open";
        } else {
            for (; done < toSend.size(); done++) {
                try {
                    if (done == 0 && firstFrameNanos < 0) {
                        firstFrameNanos = nanoClock.getAsLong();
                    }
                    link.sender.send(toSend.get(done).bytes());
                } catch (IOException | RuntimeException e) {
                    error = e.getMessage();
                    // A new ifindex (or none) means the link was replaced: reopen before the next round.
                    // The same ifindex means e.g. the link is down: the handle stays, reopening cannot help.
                    if (opener.ifindex(link.name) != link.ifindex) {
                        link.stale = true;
                    }
                    break;
                }
            }
        }
        int failed = toSend.size() - done;
        synchronized (lock) {
            for (int i = 0; i < done; i++) {
                sent[toSend.get(i).kind().ordinal()]++;
            }
            sendErrors += failed;
        }
        if (recorder != null && done > 0) {
            record(toSend.subList(0, done)); // after the sends: the wire comes first
        }
        if (failed > 0 && !warnedSendThisBurst) {
            warnedSendThisBurst = true;
            LOG.warn("announce send failed burst={} link={} stream={} round={} frames_failed={} error=\"{}\" "
                    + "(further failures in this burst are counted, not logged)",
                    burst, active, round.stream(), round.index(), failed, error);
        }
        if (round.suppressed() > 0 && !warnedBudgetThisBurst) {
            warnedBudgetThisBurst = true;
            LOG.warn("announce budget exceeded burst={} stream={} round={} frames_suppressed={} budget_per_second={}",
                    burst, round.stream(), round.index(), round.suppressed(), config.budgetPerSecond());
        }
        LOG.debug("announce round burst={} stream={} round={} sent={} failed={} suppressed={}", burst, round.stream(),
                round.index(), done, failed, round.suppressed());
    }

    private void record(List<Frame> sentFrames) {
        try {
            for (Frame frame : sentFrames) {
                recorder.record(frame.bytes());
            }
            recorder.flush();
        } catch (IOException | RuntimeException e) {
            LOG.debug("announce pcap record failed error=\"{}\"", e.getMessage());
        }
    }

    /** Stops the worker (waits up to 2 s), closes every link and the recorder. */
    @Override
    public void close() {
        running = false;
        Thread thread = worker;
        if (thread != null) {
            LockSupport.unpark(thread);
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                LOG.warn("announce worker did not stop within 2 s; closing its links anyway");
            }
        }
        io.lock();
        try {
            for (OpenLink link : links.values()) {
                closeQuietly(link);
            }
            links.clear();
        } finally {
            io.unlock();
        }
        if (recorder != null) {
            recorder.close();
        }
    }
}
