// Watches links and addresses through rtnetlink (plus an optional fast sysfs carrier poll) and reports typed events.
package dev.tapover.netlink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.natives.Errno;
import dev.tapover.natives.Linux;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.NetlinkSocket;
import dev.tapover.natives.Poller;

/**
 * The link monitor. At open it joins RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR, then dumps
 * links and addresses (reported as {@link LinkEvent.Source#DUMP} events). Afterwards each
 * {@link #doWork(int)} round waits in poll(2) on the netlink socket (at most until the next carrier poll is
 * due), applies what arrived to a {@link LinkTable}, reads {@code /sys/class/net/IF/carrier} of the watched
 * links, and hands the resulting events to the listener. ENOBUFS (the kernel dropped notifications) makes
 * it discard the queue and re-dump, so the diff recovers every missed transition.
 *
 * <p>Run it on its own thread with {@link #start()} / {@link #close()}, or call {@link #doWork(int)} from
 * a loop you own; either way the listener is called on the thread that does the work. {@link #watch},
 * {@link #links()}, {@link #addresses()} and the counters are safe from any thread.
 */
public final class LinkMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LinkMonitor.class);
    private static final int MAX_DATAGRAMS_PER_ROUND = 256;
    private static final int MAX_DISCARD = 100_000;
    private static final int THREAD_ROUND_MILLIS = 1000;

    /**
     * How the monitor runs.
     *
     * @param carrierPollInterval how often watched links' sysfs carrier is read; {@link Duration#ZERO} = off
     * @param receiveBufferSize   SO_RCVBUF(FORCE) for the event socket in bytes, 0 = the system default
     *                            (a tiny value forces overruns in tests)
     * @param requestTimeout      bound on each dump
     * @param nanoTime            the clock for event timestamps and poll scheduling
     * @param threadStart         run first on the thread {@link #start()} creates
     */
    public record Options(Duration carrierPollInterval, int receiveBufferSize, Duration requestTimeout,
            LongSupplier nanoTime, Runnable threadStart) {

        /** 10 ms carrier poll, 1 MiB receive buffer, 2 s dump timeout, System.nanoTime, nothing at thread start. */
        public static Options defaults() {
            return new Options(Duration.ofMillis(10), 1 << 20, Duration.ofSeconds(2), System::nanoTime, () -> { });
        }

        public Options withCarrierPollInterval(Duration interval) {
            return new Options(interval, receiveBufferSize, requestTimeout, nanoTime, threadStart);
        }

        public Options withReceiveBufferSize(int bytes) {
            return new Options(carrierPollInterval, bytes, requestTimeout, nanoTime, threadStart);
        }

        public Options withNanoTime(LongSupplier clock) {
            return new Options(carrierPollInterval, receiveBufferSize, requestTimeout, clock, threadStart);
        }

        /** Run first on the monitor's own thread ({@link #start()}), e.g. to give it real-time scheduling. */
        public Options withThreadStart(Runnable action) {
            return new Options(carrierPollInterval, receiveBufferSize, requestTimeout, nanoTime, action);
        }
    }

    private final Consumer<LinkEvent> listener;
    private final LongSupplier nanoTime;
    private final long pollIntervalNanos;
    private final Runnable threadStart;
    private final NetlinkSocket socket;
    private final RouteClient dumper;
    private final Poller poller;
    private final SysfsCarrier sysfs;
    private final LinkTable table;
    private final DatagramHandler handler;
    private final ByteBuffer rx = ByteBuffer.allocateDirect(RouteClient.RECEIVE_BUFFER);
    private final Object lock = new Object();
    private final List<LinkEvent> pending = new ArrayList<>();

    private long nextCarrierPoll;
    private boolean resyncNeeded;
    private volatile boolean closed;
    private volatile Thread thread;
    private volatile long overruns;
    private volatile long resyncs;
    private volatile long carrierReads;

    private LinkMonitor(Consumer<LinkEvent> listener, Options options, NetlinkSocket socket, RouteClient dumper,
            Poller poller) {
        this.listener = listener;
        this.nanoTime = options.nanoTime();
        this.pollIntervalNanos = options.carrierPollInterval().toNanos();
        this.threadStart = options.threadStart();
        this.socket = socket;
        this.dumper = dumper;
        this.poller = poller;
        this.sysfs = new SysfsCarrier();
        this.table = new LinkTable(pollIntervalNanos > 0 ? sysfs : null);
        this.handler = new DatagramHandler(table);
        poller.watch(0, socket.fd());
    }

    /** Opens with {@link Options#defaults()}. */
    public static LinkMonitor open(Consumer<LinkEvent> listener) throws IOException {
        return open(listener, Options.defaults());
    }

    /**
     * Subscribes, then dumps the current links and addresses; their LinkAdded / AddressAdded events are
     * delivered by the first {@link #doWork(int)} round (on the monitor thread after {@link #start()}).
     */
    public static LinkMonitor open(Consumer<LinkEvent> listener, Options options) throws IOException {
        NetlinkSocket socket = NetlinkSocket.open(Linux.NETLINK_ROUTE);
        RouteClient dumper = null;
        Poller poller = null;
        try {
            if (options.receiveBufferSize() > 0) {
                socket.setReceiveBufferSize(options.receiveBufferSize());
            }
            socket.joinGroup(Rtnl.RTNLGRP_LINK);
            socket.joinGroup(Rtnl.RTNLGRP_IPV4_IFADDR);
            socket.joinGroup(Rtnl.RTNLGRP_IPV6_IFADDR);
            dumper = RouteClient.open(options.requestTimeout(), options.nanoTime());
            poller = new Poller(1);
            LinkMonitor monitor = new LinkMonitor(listener, options, socket, dumper, poller);
            synchronized (monitor.lock) {
                monitor.resync(monitor.pending);
            }
            return monitor;
        } catch (IOException | RuntimeException e) {
            socket.close();
            if (dumper != null) {
                dumper.close();
            }
            if (poller != null) {
                poller.close();
            }
            throw e;
        }
    }

    /** Runs {@link #doWork(int)} on a daemon thread named {@code tapover-link-monitor} until {@link #close()}. */
    public synchronized void start() {
        if (thread != null || closed) {
            throw new IllegalStateException(closed ? "the link monitor is closed" : "the link monitor already runs");
        }
        Thread t = new Thread(this::run, "tapover-link-monitor");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void run() {
        try {
            threadStart.run();
        } catch (RuntimeException e) {
            LOG.warn("link monitor thread-start action failed: {}", e.toString());
        }
        int failures = 0;
        while (!closed) {
            try {
                doWork(THREAD_ROUND_MILLIS);
                failures = 0;
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    break;
                }
                failures++;
                LOG.warn("link monitor round failed ({} in a row): {}", failures, e.toString());
                if (failures >= 100) {
                    LOG.error("link monitor stops after {} failed rounds in a row", failures, e);
                    break;
                }
            }
        }
    }

    /**
     * One round: wait up to {@code timeoutMillis} (-1 = until something arrives or a carrier poll is due),
     * take in netlink messages, re-dump if needed, poll watched carriers, deliver events.
     *
     * @return the number of events delivered
     */
    public int doWork(int timeoutMillis) throws IOException {
        Thread owner = thread;
        if (owner != null && owner != Thread.currentThread()) {
            throw new IllegalStateException("after start() only the monitor's own thread calls doWork");
        }
        int wait = timeoutMillis;
        synchronized (lock) {
            if (!pending.isEmpty() || resyncNeeded) {
                wait = 0;
            } else if (pollIntervalNanos > 0 && !table.watchedNames().isEmpty()) {
                long until = nextCarrierPoll - nanoTime.getAsLong();
                int ms = until <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (until + 999_999) / 1_000_000);
                wait = wait < 0 ? ms : Math.min(wait, ms);
            }
        }
        if (wait != 0) {
            poller.poll(wait);
        }
        if (closed) {
            return 0;
        }
        List<LinkEvent> out = new ArrayList<>();
        synchronized (lock) {
            out.addAll(pending);
            pending.clear();
            receiveAll(out);
            if (resyncNeeded) {
                resync(out);
            }
            if (pollIntervalNanos > 0) {
                long now = nanoTime.getAsLong();
                if (now - nextCarrierPoll >= 0) {
                    pollCarriers(out);
                    nextCarrierPoll = now + pollIntervalNanos;
                }
            }
        }
        for (LinkEvent e : out) {
            try {
                listener.accept(e);
            } catch (RuntimeException ex) {
                LOG.error("link event listener failed on {}", e, ex);
            }
        }
        return out.size();
    }

    private void receiveAll(List<LinkEvent> out) throws NativeException {
        for (int i = 0; i < MAX_DATAGRAMS_PER_ROUND; i++) {
            rx.clear();
            int n;
            try {
                n = socket.receive(rx);
            } catch (NativeException e) {
                if (e.errno() != Errno.ENOBUFS) {
                    throw e;
                }
                overrun();
                return;
            }
            if (n == 0) {
                return;
            }
            handler.handle(rx, Math.min(n, rx.capacity()), nanoTime.getAsLong(), out);
        }
    }

    /** The kernel dropped notifications: what is still queued is older than the dump that follows. */
    private void overrun() {
        long n = ++overruns;
        int discarded = 0;
        for (; discarded < MAX_DISCARD; discarded++) {
            rx.clear();
            try {
                if (socket.receive(rx) == 0) {
                    break;
                }
            } catch (NativeException e) {
                if (e.errno() != Errno.ENOBUFS) {
                    break;
                }
            }
        }
        resyncNeeded = true;
        if (n == 1) {
            LOG.warn("netlink overrun (ENOBUFS): notifications were lost; discarded {} queued datagrams and "
                    + "re-dumping links and addresses", discarded);
        } else {
            LOG.info("netlink overrun #{}: discarded {} queued datagrams, re-dumping", n, discarded);
        }
    }

    private void resync(List<LinkEvent> out) {
        try {
            List<LinkInfo> links = dumper.dumpLinks();
            List<IfAddress> addresses = dumper.dumpAddresses();
            out.addAll(table.resync(links, addresses, nanoTime.getAsLong()));
            resyncs++;
            resyncNeeded = false;
        } catch (IOException e) {
            resyncNeeded = true;
            LOG.warn("link monitor could not re-dump links and addresses, will retry: {}", e.getMessage());
        }
    }

    private void pollCarriers(List<LinkEvent> out) {
        for (LinkInfo link : table.watchedLinks()) {
            CarrierProbe.Reading r = sysfs.read(link.name());
            carrierReads++;
            out.addAll(table.apply(link.ifindex(), r, nanoTime.getAsLong()));
        }
    }

    /** Polls this link's sysfs carrier (now, or once a link of that name appears); follows renames. */
    public void watch(String ifname) {
        synchronized (lock) {
            table.watch(ifname);
        }
        wakeup();
    }

    /** Watches the link that has this index now. */
    public void watch(int ifindex) {
        String name;
        synchronized (lock) {
            LinkInfo link = table.link(ifindex);
            if (link == null) {
                throw new IllegalArgumentException("no link with ifindex " + ifindex);
            }
            name = link.name();
        }
        watch(name);
    }

    public void unwatch(String ifname) {
        synchronized (lock) {
            table.unwatch(ifname);
        }
    }

    /** The known links by ifindex (a copy). */
    public Map<Integer, LinkInfo> links() {
        synchronized (lock) {
            return table.links();
        }
    }

    /** The known link of that name, or null. */
    public LinkInfo link(String ifname) {
        synchronized (lock) {
            return table.link(ifname);
        }
    }

    /** The known IPv4/IPv6 addresses (a copy). */
    public List<IfAddress> addresses() {
        synchronized (lock) {
            return table.addresses();
        }
    }

    /** ENOBUFS overruns of the event socket (each one was followed by a re-dump). */
    public long overruns() {
        return overruns;
    }

    /** Completed full dumps, the one at open included. */
    public long resyncs() {
        return resyncs;
    }

    /** Dumps the kernel flagged NLM_F_DUMP_INTR (each was repeated). */
    public long interruptedDumps() {
        return dumper.interruptedDumps();
    }

    /** Bad or truncated messages skipped (events and dumps). */
    public long malformedMessages() {
        return handler.malformed() + dumper.malformedMessages();
    }

    /** Netlink carrier bits ignored because a newer sysfs reading contradicted them. */
    public long staleCarrierMessages() {
        synchronized (lock) {
            return table.staleCarrierMessages();
        }
    }

    /** Reads of /sys/class/net/IF/carrier so far. */
    public long carrierReads() {
        return carrierReads;
    }

    private void wakeup() {
        try {
            poller.wakeup();
        } catch (NativeException e) {
            LOG.debug("could not wake the link monitor: {}", e.getMessage());
        }
    }

    /** Stops the thread (if started), waiting up to 5 s for it, and closes the sockets. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            wakeup();
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                LOG.warn("link monitor thread did not stop within 5 s (a listener blocks?); closing anyway");
            }
        }
        synchronized (lock) {
            socket.close();
            dumper.close();
            poller.close();
        }
    }
}
