// A packet socket's PACKET_RX_RING (TPACKET_V2) mapped into this process: frames without a system call each.
package dev.tapover.natives;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The kernel copies each frame into the next free slot of the ring (in softirq, on the CPU that received
 * it) and flips the slot's status to TP_STATUS_USER; the consumer reads the frame in place and hands the
 * slot back with TP_STATUS_KERNEL. One consumer thread; obtained from {@link PacketSocket#mapRxRing}, unmapped
 * when the socket closes.
 *
 * <pre>
 * slot (frameSize bytes)
 *  0           4        8            12       14       16 ...  32           tp_mac - 10   tp_mac
 *  | tp_status | tp_len | tp_snaplen | tp_mac | tp_net | ...   | sockaddr_ll | vnet header | frame ...
 *  (native byte order; tp_len is the frame's full length, tp_snaplen what the slot holds)
 * </pre>
 * A frame too long for its slot is marked TP_STATUS_COPY: the slot holds its head, the whole frame waits in
 * the socket's receive queue (PACKET_COPY_THRESH), in order, for {@link PacketSocket#receive(FrameBatch, int)}.
 */
public final class RxRing {
    private static final VarHandle STATUS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final long address;
    private final long size;
    private final ByteBuffer memory;
    private final ByteBuffer headers;
    private final int frameSize;
    private final int frames;
    private int next;

    RxRing(long address, long size, int frameSize, int frames) {
        this.address = address;
        this.size = size;
        this.frameSize = frameSize;
        this.frames = frames;
        this.memory = com.kenai.jffi.MemoryIO.getInstance().newDirectByteBuffer(address, (int) size);
        this.headers = memory.duplicate().order(ByteOrder.nativeOrder());
    }

    /** The ring's memory, big-endian for reading frames; slot {@code i} starts at {@code i * frameSize()}. */
    public ByteBuffer memory() {
        return memory;
    }

    public int frameSize() {
        return frameSize;
    }

    public int frames() {
        return frames;
    }

    /** The tp_status of the consumer's current slot, read with acquire semantics (0: nothing yet). */
    public int status() {
        return (int) STATUS.getAcquire(headers, next * frameSize);
    }

    /** The consumer's current slot: a live update hands it on, with the socket, to the next consumer. */
    public int position() {
        return next;
    }

    /**
     * Continues at slot {@code slot} (a ring mapped from a socket another process consumed; a live update's
     * successor maps it before the freeze and learns the slot at the freeze). Not while another thread reads.
     */
    public void startAt(int slot) {
        if (slot < 0 || slot >= frames) {
            throw new IndexOutOfBoundsException("ring slot " + slot + " of " + frames);
        }
        next = slot;
    }

    /** Whether the current slot holds a frame for the consumer. */
    public boolean ready() {
        return (status() & Linux.TP_STATUS_USER) != 0;
    }

    /** tp_len: the full length of the current slot's frame (without the vnet header). */
    public int length() {
        return headers.getInt(next * frameSize + 4);
    }

    /** tp_snaplen: how much of the frame the slot holds. */
    public int snapLength() {
        return headers.getInt(next * frameSize + 8);
    }

    /** Where the current slot's Ethernet frame starts in {@link #memory()} (any vnet header is just before). */
    public int frameOffset() {
        return next * frameSize + (headers.getShort(next * frameSize + 12) & 0xffff);
    }

    /** Hands the current slot back to the kernel (release semantics) and moves to the next. */
    public void release() {
        STATUS.setRelease(headers, next * frameSize, Linux.TP_STATUS_KERNEL);
        next = next + 1 == frames ? 0 : next + 1;
    }

    long address(int offset, int length) {
        if (offset < 0 || length < 0 || (long) offset + length > size) {
            throw new IndexOutOfBoundsException(length + " bytes at " + offset + " of a " + size + "-byte ring");
        }
        return address + offset;
    }

    void unmap() {
        Native.LIBC.munmap(address, size);
    }
}
