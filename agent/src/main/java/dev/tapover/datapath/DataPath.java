// The frame mover: TAP master <-> the active lower link, on one thread waiting in poll() with an eventfd.
package dev.tapover.datapath;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.natives.NativeException;
import dev.tapover.natives.PacketSocket;
import dev.tapover.natives.Poller;
import dev.tapover.natives.TapDevice;

/**
 * Owns one thread. Frames the host sends on the TAP go out of the active port; frames arriving on the
 * active port for the master (its MAC, broadcast, multicast) go into the TAP; frames on other ports are
 * read and counted as drops. Ports are attached, detached and activated from any thread: changes are queued
 * and applied by the data path thread between batches, so a frame already read is always sent on the link
 * that is active at that moment, never lost in a switch.
 */
public final class DataPath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DataPath.class);
    /** Frames taken from one fd before looking at the others (fairness between directions). */
    private static final int BATCH = 64;
    private static final int TAP_SLOT = 0;
    private static final int BUFFER_SIZE = 65536 + 64;

    private final TapDevice tap;
    private final FrameFilter filter;
    private final int headerOffset;
    private final LowerPort[] ports;
    private final Poller poller;
    private final PortCounters masterCounters = new PortCounters();
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_SIZE);
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private volatile int activeSlot = -1;
    private volatile boolean running = true;
    private volatile boolean frozen;

    /**
     * @param tap          the master's open TAP queue (non-blocking)
     * @param masterMac    the master's MAC, for the receive filter
     * @param vnetHeader   whether TAP and ports carry a 10-byte virtio_net_hdr before each frame
     * @param maxPorts     how many lower links may be attached at once
     */
    public DataPath(TapDevice tap, byte[] masterMac, boolean vnetHeader, int maxPorts) throws NativeException {
        this.tap = tap;
        this.filter = new FrameFilter(masterMac);
        this.headerOffset = vnetHeader ? 10 : 0;
        this.ports = new LowerPort[maxPorts + 1];
        this.poller = new Poller(maxPorts + 1);
        poller.watch(TAP_SLOT, tap.fd());
        this.thread = new Thread(this::run, "datapath-" + tap.name());
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Counters of the master side: rx = frames the host sent, tx = frames delivered to the host. */
    public PortCounters masterCounters() {
        return masterCounters;
    }

    /** Adds a port in slot {@code index} (1-based order of the group's links). */
    public void attach(int index, LowerPort port) {
        submit(() -> {
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
        submit(() -> activeSlot = index == 0 ? -1 : slotOf(index));
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

    private int slotOf(int index) {
        if (index < 1 || index >= ports.length) {
            throw new IllegalArgumentException("port index " + index + " outside 1.." + (ports.length - 1));
        }
        return index;
    }

    private void submit(Runnable command) {
        commands.add(command);
        if (Thread.currentThread() != thread) {
            try {
                poller.wakeup();
            } catch (NativeException e) {
                LOG.error("event=wakeup-failed error=\"{}\"", e.getMessage());
            }
        }
    }

    private void run() {
        try {
            while (running) {
                poller.poll(250);
                Runnable command;
                while ((command = commands.poll()) != null) {
                    command.run();
                }
                if (frozen) {
                    continue;
                }
                if (poller.readable(TAP_SLOT)) {
                    drainTap();
                }
                for (int slot = 1; slot < ports.length; slot++) {
                    LowerPort port = ports[slot];
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

    private void drainTap() {
        for (int i = 0; i < BATCH; i++) {
            buffer.clear();
            int n;
            try {
                n = tap.read(buffer);
            } catch (NativeException e) {
                LOG.warn("event=tap-read-failed error=\"{}\"", e.getMessage());
                return;
            }
            if (n == 0) {
                return;
            }
            masterCounters.received(n - headerOffset);
            int slot = activeSlot;
            LowerPort out = slot > 0 ? ports[slot] : null;
            if (out == null) {
                masterCounters.dropped(DropReason.NO_ACTIVE_LINK);
                continue;
            }
            buffer.flip();
            send(out, n);
        }
    }

    private void send(LowerPort out, int length) {
        try {
            if (out.socket().send(buffer) == 0) {
                out.counters().dropped(DropReason.TX_QUEUE_FULL);
            } else {
                out.counters().transmitted(length - headerOffset);
            }
        } catch (NativeException e) {
            out.counters().dropped(DropReason.LINK_ERROR);
        }
    }

    private void drainPort(int slot, LowerPort port) {
        PacketSocket socket = port.socket();
        PortCounters counters = port.counters();
        for (int i = 0; i < BATCH; i++) {
            buffer.clear();
            int n;
            try {
                n = socket.receive(buffer);
            } catch (NativeException e) {
                // ENETDOWN is reported once when the link goes down (reading it clears the socket error); the
                // socket works again when the link comes back up. A deleted link is detached by the group.
                counters.dropped(DropReason.LINK_ERROR);
                LOG.debug("event=port-error port={} error=\"{}\"", port, e.getMessage());
                return;
            }
            if (n == 0) {
                return;
            }
            counters.received(n - headerOffset);
            if (n > BUFFER_SIZE) {
                counters.dropped(DropReason.TRUNCATED);
                continue;
            }
            if (slot != activeSlot) {
                counters.dropped(DropReason.INACTIVE_LINK);
                continue;
            }
            DropReason verdict = filter.classify(buffer, headerOffset, n - headerOffset);
            if (verdict != null) {
                counters.dropped(verdict);
                continue;
            }
            buffer.flip();
            try {
                if (tap.write(buffer) == 0) {
                    masterCounters.dropped(DropReason.TAP_QUEUE_FULL);
                } else {
                    masterCounters.transmitted(n - headerOffset);
                }
            } catch (NativeException e) {
                masterCounters.dropped(DropReason.LINK_ERROR);
            }
            if ((buffer.get(headerOffset) & 0x01) == 0) { // unicast to the master: proves the path (announce)
                counters.unicastToMasterDelivered();
            }
        }
    }

    /** Kernel-side drops of each port's socket since the last call, added to its counters. */
    public void collectKernelDrops() {
        submit(() -> {
            for (int slot = 1; slot < ports.length; slot++) {
                LowerPort port = ports[slot];
                if (port != null) {
                    try {
                        port.counters().dropped(DropReason.KERNEL, port.socket().statistics().drops());
                    } catch (NativeException e) {
                        LOG.debug("event=statistics-failed port={} error=\"{}\"", port, e.getMessage());
                    }
                }
            }
        });
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
            LOG.error("event=datapath-stop-timeout");
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
