// The frame mover: TAP master <-> the active lower link, on one thread waiting in poll() with an eventfd.
package dev.tapover.datapath;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.natives.FrameBatch;
import dev.tapover.natives.Linux;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.PacketSocket;
import dev.tapover.natives.Poller;
import dev.tapover.natives.RxRing;
import dev.tapover.natives.TapDevice;

/**
 * Owns one thread. Frames the host sends on the TAP go out of the active port; frames arriving on the
 * active port for the master (its MAC, broadcast, multicast) go into the TAP; frames on other ports are
 * read and counted as drops. Ports are attached, detached and activated from any thread: changes are queued
 * and applied by the data path thread between batches, so a frame already read is always sent on the link
 * that is active at that moment, never lost in a switch.
 *
 * <p>Frames move in batches with as few system calls as the kernel allows: a link's frames are read in place
 * from its PACKET_RX_RING (no system call; recvmmsg(2) batches if the ring is unavailable), one sendmmsg(2)
 * sends up to {@link #BATCH} frames read from the TAP; the TAP itself (a character device) takes one read(2)
 * or write(2) per frame. No allocation per frame. Each poll round takes at most one batch from each fd.
 *
 * <p>Every lower link is read and written with a virtio_net_hdr (PACKET_VNET_HDR), so checksum and
 * segmentation offloads survive the trip. With a master that has a vnet header too (IFF_VNET_HDR, 10 bytes,
 * offloads on: see {@link Master#create}), frames pass verbatim both ways: the host hands over TSO
 * super-frames with partial checksums and the link's GRO/GSO frames reach the host whole. A master without
 * one gets frames whose offloads were finished in software ({@link SoftwareOffload}); what it sends gets a
 * zero header ("nothing to do").
 */
public final class DataPath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DataPath.class);
    /** Frames taken from one fd before looking at the others (fairness between directions). */
    static final int BATCH = 64;
    private static final int TAP_SLOT = 0;
    private static final int VNET = SoftwareOffload.VNET_HDR_LEN;
    /** A whole GSO/GRO frame: 64 KiB of IP packet, Ethernet and VLAN headers, the vnet header. */
    static final int SLOT_SIZE = 65536 + 512;
    private static final long KERNEL_DROPS_PERIOD_NANOS = 1_000_000_000L;

    private final TapDevice tap;
    private final FrameFilter filter;
    /** Where frames read from the TAP start in a slot: 0 with a vnet header, else after a zero header. */
    private final int tapOffset;
    private final boolean tapVnet;
    private final LowerPort[] ports;
    private final Poller poller;
    private final PortCounters masterCounters = new PortCounters();
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final FrameBatch fromTap;
    private final FrameBatch fromLink;
    private final int[] txLengths = new int[BATCH];
    private final FrameBatch scratch;
    private final SoftwareOffload softwareOffload;
    private final SoftwareOffload.SegmentSink segmentSink;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private volatile int activeSlot = -1;
    private volatile boolean running = true;
    private volatile boolean frozen;

    /**
     * @param tap          the master's open TAP queue (non-blocking)
     * @param masterMac    the master's MAC, for the receive filter
     * @param vnetHeader   whether the TAP carries a 10-byte virtio_net_hdr before each frame (IFF_VNET_HDR)
     * @param maxPorts     how many lower links may be attached at once
     */
    public DataPath(TapDevice tap, byte[] masterMac, boolean vnetHeader, int maxPorts) throws NativeException {
        this(tap, masterMac, vnetHeader, maxPorts, Buffers.allocate(vnetHeader));
    }

    /**
     * The frame slots a data path moves frames through (~8 MiB, zeroed and faulted in when allocated). A live
     * update's successor allocates them before the freeze, so creating its data path inside the freeze is quick.
     */
    public static final class Buffers {
        private final FrameBatch fromTap;
        private final FrameBatch fromLink;
        private final FrameBatch scratch;
        private boolean used;

        private Buffers(FrameBatch fromTap, FrameBatch fromLink, FrameBatch scratch) {
            this.fromTap = fromTap;
            this.fromLink = fromLink;
            this.scratch = scratch;
        }

        /** For a master with ({@code vnetHeader}) or without a vnet header (which needs a scratch slot too). */
        public static Buffers allocate(boolean vnetHeader) {
            return new Buffers(new FrameBatch(BATCH, SLOT_SIZE), new FrameBatch(BATCH, SLOT_SIZE),
                    vnetHeader ? null : new FrameBatch(1, SLOT_SIZE));
        }

        /** Whether these fit a master with or without a vnet header. */
        public boolean fits(boolean vnetHeader) {
            return vnetHeader == (scratch == null);
        }
    }

    /** As above, with frame slots allocated ahead (they belong to this data path from now on). */
    public DataPath(TapDevice tap, byte[] masterMac, boolean vnetHeader, int maxPorts, Buffers buffers)
            throws NativeException {
        if (buffers.used || !buffers.fits(vnetHeader)) {
            throw new IllegalArgumentException("the frame buffers are " + (buffers.used ? "taken by another data path"
                    : "for a master " + (vnetHeader ? "without" : "with") + " a vnet header"));
        }
        buffers.used = true;
        this.fromTap = buffers.fromTap;
        this.fromLink = buffers.fromLink;
        if (vnetHeader != tap.hasVnetHeader()) {
            throw new IllegalArgumentException("vnetHeader=" + vnetHeader + " but " + tap.description()
                    + (tap.hasVnetHeader() ? " has" : " has no") + " vnet header");
        }
        if (vnetHeader && tap.vnetHeaderSize() != VNET) {
            throw new IllegalArgumentException(tap.description() + " has a " + tap.vnetHeaderSize()
                    + "-byte vnet header; the data path forwards 10-byte headers (TUNSETVNETHDRSZ 10)");
        }
        this.tap = tap;
        this.filter = new FrameFilter(masterMac);
        this.tapVnet = vnetHeader;
        this.tapOffset = vnetHeader ? 0 : VNET;
        this.ports = new LowerPort[maxPorts + 1];
        this.poller = new Poller(maxPorts + 1);
        if (vnetHeader) {
            this.scratch = null;
            this.softwareOffload = null;
            this.segmentSink = null;
        } else {
            this.scratch = buffers.scratch;
            this.softwareOffload = new SoftwareOffload(scratch.frames(), 0, SLOT_SIZE);
            this.segmentSink = (buffer, offset, length) -> writeTap(scratch, 0, offset, length, length);
        }
        poller.watch(TAP_SLOT, tap.fd());
        this.thread = new Thread(this::run, "datapath-" + tap.name());
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /**
     * Starts the thread frozen: it reads nothing (not even a first batch) until {@code freeze(false)}. A live
     * update's successor builds its data path on the handed-over TAP while the predecessor still reads it.
     */
    public void startFrozen() {
        frozen = true; // before the thread exists: it sees this and the TAP unwatched from its first poll
        poller.watch(TAP_SLOT, -1);
        thread.start();
    }

    /** Counters of the master side: rx = frames the host sent, tx = frames delivered to the host. */
    public PortCounters masterCounters() {
        return masterCounters;
    }

    /** Adds a port in slot {@code index} (1-based order of the group's links). */
    public void attach(int index, LowerPort port) {
        submitLazily(() -> {
            int slot = slotOf(index);
            LowerPort old = ports[slot];
            if (old != null && old != port) {
                old.close();
            }
            ports[slot] = port;
            poller.watch(slot, frozen ? -1 : port.socket().fd());
        });
    }

    /** Removes and closes the port in slot {@code index}; if it was active, no link is active after. */
    public void detach(int index) {
        submit(() -> {
            int slot = slotOf(index);
            LowerPort old = ports[slot];
            ports[slot] = null;
            poller.watch(slot, -1);
            if (activeSlot == slot) {
                activeSlot = -1;
            }
            if (old != null) {
                old.close();
            }
        });
    }

    /** Makes the port in slot {@code index} the active one; 0 means none. */
    public void activate(int index) {
        submitLazily(() -> activeSlot = index == 0 ? -1 : slotOf(index));
    }

    /** Stops reading the TAP and the links (frames wait in the kernel's queues); for a live update. */
    public void freeze(boolean freeze) {
        submit(() -> {
            frozen = freeze;
            poller.watch(TAP_SLOT, freeze ? -1 : tap.fd());
            for (int slot = 1; slot < ports.length; slot++) {
                if (ports[slot] != null) {
                    poller.watch(slot, freeze ? -1 : ports[slot].socket().fd());
                }
            }
        });
    }

    /** Runs {@code command} on the data path thread and waits for it (bounded to 1 s). */
    public boolean sync(Runnable command) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        submit(() -> {
            command.run();
            done.countDown();
        });
        return done.await(1, TimeUnit.SECONDS);
    }

    /** The ports attached now, read on the data path thread (a live update hands their sockets over). */
    public java.util.List<LowerPort> attachedPorts() throws InterruptedException {
        java.util.List<LowerPort> out = new java.util.ArrayList<>();
        if (!sync(() -> {
            for (int slot = 1; slot < ports.length; slot++) {
                if (ports[slot] != null) {
                    out.add(ports[slot]);
                }
            }
        })) {
            throw new IllegalStateException("the data path did not answer within 1 s");
        }
        return out;
    }

    private int slotOf(int index) {
        if (index < 1 || index >= ports.length) {
            throw new IllegalArgumentException("port index " + index + " outside 1.." + (ports.length - 1));
        }
        return index;
    }

    private void submit(Runnable command) {
        submit(command, true);
    }

    /**
     * Queues {@code command} for the data path thread; wakes it unless {@code wake} is false and it is frozen
     * (then the command waits for the next wake-up, e.g. the thaw: a live update's restore queues attach and
     * activate while frozen without handing the CPU to this thread in the middle of the handoff).
     */
    private void submit(Runnable command, boolean wake) {
        commands.add(command);
        if (Thread.currentThread() != thread && (wake || !frozen)) {
            try {
                poller.wakeup();
            } catch (NativeException e) {
                LOG.error("event=wakeup-failed error=\"{}\"", e.getMessage());
            }
        }
    }

    /** A command that may wait while frozen: frozen means nothing is read, so nothing depends on it yet. */
    private void submitLazily(Runnable command) {
        submit(command, false);
    }

    private void run() {
        long nextKernelDrops = System.nanoTime() + KERNEL_DROPS_PERIOD_NANOS;
        try {
            while (running) {
                poller.poll(250);
                Runnable command;
                while ((command = commands.poll()) != null) {
                    command.run();
                }
                long now = System.nanoTime();
                if (now - nextKernelDrops >= 0) {
                    nextKernelDrops = now + KERNEL_DROPS_PERIOD_NANOS;
                    addKernelDrops();
                }
                if (frozen) {
                    continue;
                }
                if (poller.readable(TAP_SLOT)) {
                    drainTap();
                }
                for (int slot = 1; slot < ports.length; slot++) {
                    LowerPort port = ports[slot];
                    if (port != null && poller.failed(slot)) {
                        clearPortError(port);
                    }
                    if (port != null && (poller.readable(slot) || poller.failed(slot))) {
                        drainPort(slot, port);
                    }
                }
            }
        } catch (Throwable t) {
            LOG.error("event=datapath-failed error=\"{}\"", t.toString(), t);
        } finally {
            stopped.countDown();
        }
    }

    /** Reads up to one batch from the TAP, then sends it on the link active now, with one sendmmsg. */
    private void drainTap() {
        ByteBuffer frames = fromTap.frames();
        int n = 0;
        long bytes = 0;
        while (n < BATCH) {
            int length;
            try {
                length = tap.read(fromTap, n, tapOffset);
            } catch (NativeException e) {
                LOG.warn("event=tap-read-failed error=\"{}\"", e.getMessage());
                break;
            }
            if (length == 0) {
                break;
            }
            if (!tapVnet) {
                int at = fromTap.offset(n);
                frames.putLong(at, 0L); // virtio_net_hdr: no checksum to finish, not GSO
                frames.putShort(at + 8, (short) 0);
            }
            int wire = length - (VNET - tapOffset);
            bytes += wire;
            txLengths[n] = wire;
            fromTap.setLength(n, length + tapOffset);
            n++;
        }
        if (n == 0) {
            return;
        }
        masterCounters.received(n, bytes);
        int slot = activeSlot;
        LowerPort out = slot > 0 ? ports[slot] : null;
        if (out == null) {
            masterCounters.dropped(DropReason.NO_ACTIVE_LINK, n);
            return;
        }
        send(out, n);
    }

    /** Sends slots 0..n-1 of {@link #fromTap}; a frame the link refuses is counted and skipped. */
    private void send(LowerPort out, int n) {
        PacketSocket socket = out.socket();
        PortCounters counters = out.counters();
        int from = 0;
        while (from < n) {
            int sent;
            try {
                sent = socket.send(fromTap, from, n - from);
            } catch (NativeException e) {
                counters.dropped(DropReason.LINK_ERROR);
                from++;
                continue;
            }
            if (sent == 0) {
                counters.dropped(DropReason.TX_QUEUE_FULL);
                from++;
                continue;
            }
            long bytes = 0;
            for (int i = from; i < from + sent; i++) {
                bytes += txLengths[i];
            }
            counters.transmitted(sent, bytes);
            from += sent;
        }
    }

    /** Takes the socket error poll() reported (ENETDOWN when the link went down) so poll() stops reporting it. */
    private void clearPortError(LowerPort port) {
        try {
            int errno = port.socket().takeError();
            if (errno != 0) {
                LOG.debug("event=port-error port={} errno={}", port, errno);
            }
        } catch (NativeException e) {
            LOG.debug("event=port-error-unreadable port={} error=\"{}\"", port, e.getMessage());
        }
    }

    /** Takes up to one batch of frames from a link; frames of the active link go into the TAP. */
    private void drainPort(int slot, LowerPort port) {
        try {
            if (port.ring() != null) {
                drainRing(slot, port, port.ring());
            } else {
                drainQueue(slot, port);
            }
        } catch (NativeException e) {
            // ENETDOWN is reported when the link goes down; the socket works again once it is back up,
            // so it stays watched (a deleted link is detached by the group).
            port.counters().dropped(DropReason.LINK_ERROR);
            LOG.debug("event=port-error port={} error=\"{}\"", port, e.getMessage());
        }
    }

    /** Frames in the port's receive ring: read in place, written into the TAP from the ring. */
    private void drainRing(int slot, LowerPort port, RxRing ring) throws NativeException {
        PortCounters counters = port.counters();
        boolean active = slot == activeSlot;
        ByteBuffer memory = ring.memory();
        int frames = 0;
        long bytes = 0;
        int inactive = 0;
        while (frames < BATCH) {
            int status = ring.status();
            if ((status & Linux.TP_STATUS_USER) == 0) {
                break;
            }
            int length = ring.length();
            frames++;
            bytes += length;
            if ((status & Linux.TP_STATUS_COPY) != 0) {
                // Longer than a slot: the whole frame (vnet header first) waits in the socket's queue.
                int n = port.socket().receive(fromLink, 0);
                ring.release();
                if (!active) {
                    inactive++;
                } else if (n < VNET || n > SLOT_SIZE) {
                    counters.dropped(DropReason.TRUNCATED);
                } else {
                    int verdict = admit(counters, fromLink.frames(), 0, n);
                    if (verdict == WRITE_WITH_HEADER) {
                        writeTap(fromLink, 0, 0, n, n - VNET);
                    } else if (verdict == WRITE_FRAME) {
                        writeTap(fromLink, 0, VNET, n - VNET, n - VNET);
                    }
                }
                continue;
            }
            if (!active) {
                inactive++;
            } else if (ring.snapLength() < length) {
                counters.dropped(DropReason.TRUNCATED); // no room left to copy it whole (receive buffer full)
            } else {
                int at = ring.frameOffset() - VNET;
                int verdict = admit(counters, memory, at, length + VNET);
                if (verdict == WRITE_WITH_HEADER) {
                    writeTap(ring, at, length + VNET, length);
                } else if (verdict == WRITE_FRAME) {
                    writeTap(ring, at + VNET, length, length);
                }
            }
            ring.release();
        }
        if (frames > 0) {
            counters.received(frames, bytes);
            if (inactive > 0) {
                counters.dropped(DropReason.INACTIVE_LINK, inactive);
            }
        }
    }

    /** Up to one batch from the port's receive queue with one recvmmsg (a port without a ring). */
    private void drainQueue(int slot, LowerPort port) throws NativeException {
        PortCounters counters = port.counters();
        int n = port.socket().receive(fromLink);
        if (n == 0) {
            return;
        }
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            bytes += fromLink.length(i) - VNET;
        }
        counters.received(n, bytes);
        if (slot != activeSlot) {
            counters.dropped(DropReason.INACTIVE_LINK, n);
            return;
        }
        ByteBuffer frames = fromLink.frames();
        for (int i = 0; i < n; i++) {
            int length = fromLink.length(i);
            if (length > SLOT_SIZE || length < VNET) {
                counters.dropped(DropReason.TRUNCATED);
                continue;
            }
            int verdict = admit(counters, frames, fromLink.offset(i), length);
            if (verdict == WRITE_WITH_HEADER) {
                writeTap(fromLink, i, 0, length, length - VNET);
            } else if (verdict == WRITE_FRAME) {
                writeTap(fromLink, i, VNET, length - VNET, length - VNET);
            }
        }
    }

    /** {@link #admit}: write the vnet header and the frame (the TAP has a vnet header). */
    private static final int WRITE_WITH_HEADER = 0;
    /** {@link #admit}: write the frame alone (a plain TAP; offloads, if any, are finished). */
    private static final int WRITE_FRAME = 1;
    /** {@link #admit}: nothing left to write (dropped and counted, or written as segments). */
    private static final int DONE = 2;

    /**
     * The receive decision for a frame of the active link whose vnet header starts at {@code at}
     * ({@code length} bytes with the header): the filter, then, for a plain TAP, the software offloads.
     */
    private int admit(PortCounters counters, ByteBuffer frames, int at, int length) {
        DropReason verdict = filter.classify(frames, at + VNET, length - VNET);
        if (verdict != null) {
            counters.dropped(verdict);
            return DONE;
        }
        if ((frames.get(at + VNET) & 0x01) == 0) { // unicast to the master: the path is proven (announce)
            counters.unicastToMasterDelivered();
        }
        if (tapVnet) {
            return WRITE_WITH_HEADER;
        }
        int prepared = softwareOffload.prepare(frames, at, length, segmentSink);
        if (prepared == SoftwareOffload.IN_PLACE) {
            return WRITE_FRAME;
        }
        if (prepared == SoftwareOffload.UNSUPPORTED) {
            counters.dropped(DropReason.OFFLOAD_UNSUPPORTED);
        }
        return DONE;
    }

    /** Writes one frame into the TAP; {@code wireLength} is the frame without any vnet header. */
    private void writeTap(FrameBatch batch, int slot, int offset, int length, int wireLength) {
        try {
            countTapWrite(tap.write(batch, slot, offset, length), wireLength);
        } catch (NativeException e) {
            masterCounters.dropped(DropReason.LINK_ERROR);
        }
    }

    private void writeTap(RxRing ring, int offset, int length, int wireLength) {
        try {
            countTapWrite(tap.write(ring, offset, length), wireLength);
        } catch (NativeException e) {
            masterCounters.dropped(DropReason.LINK_ERROR);
        }
    }

    private void countTapWrite(int written, int wireLength) {
        if (written == 0) {
            masterCounters.dropped(DropReason.TAP_QUEUE_FULL);
        } else {
            masterCounters.transmitted(wireLength);
        }
    }

    /**
     * Adds each port's kernel-side drops (PACKET_STATISTICS: the ring or receive queue was full) to its
     * counters now; the data path also does so by itself every second.
     */
    public void collectKernelDrops() {
        submit(this::addKernelDrops);
    }

    private void addKernelDrops() {
        for (int slot = 1; slot < ports.length; slot++) {
            LowerPort port = ports[slot];
            if (port != null) {
                try {
                    long drops = port.socket().statistics().drops();
                    if (drops > 0) {
                        port.counters().dropped(DropReason.KERNEL, drops);
                    }
                } catch (NativeException e) {
                    LOG.debug("event=statistics-failed port={} error=\"{}\"", port, e.getMessage());
                }
            }
        }
    }

    /** Stops the thread and closes the ports (not the TAP: its owner decides). */
    @Override
    public void close() throws InterruptedException {
        running = false;
        try {
            poller.wakeup();
        } catch (NativeException e) {
            LOG.warn("event=wakeup-failed error=\"{}\"", e.getMessage());
        }
        if (thread.isAlive() && !stopped.await(2, TimeUnit.SECONDS)) {
            // The thread may still be reading a port's ring: unmapping it now could crash the JVM. The
            // sockets and rings go when the process exits.
            LOG.error("event=datapath-stop-timeout ports=left-open");
            return;
        }
        for (int slot = 1; slot < ports.length; slot++) {
            if (ports[slot] != null) {
                ports[slot].close();
                ports[slot] = null;
            }
        }
        poller.close();
    }
}
