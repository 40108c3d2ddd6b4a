// Frame slots in one direct buffer plus a ready-made struct mmsghdr vector, for recvmmsg/sendmmsg and TAP I/O.
package dev.tapover.natives;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jnr.ffi.Pointer;

/**
 * {@code count} fixed-size frame slots in one direct buffer, and one {@code struct mmsghdr} with one
 * {@code struct iovec} per slot, built once, so that moving a batch of frames costs one JNR call and no
 * allocation. Slot {@code i} starts at {@link #offset(int) offset(i)} in {@link #frames()}; frames are read
 * and written there by {@link PacketSocket#receive(FrameBatch)}, {@link PacketSocket#send(FrameBatch, int, int)}
 * and {@link TapDevice#read(FrameBatch, int, int)} / {@link TapDevice#write(FrameBatch, int, int, int)}.
 * Not thread-safe: one owner thread.
 *
 * <pre>
 * struct mmsghdr (64 bytes, x86_64/arm64)          struct iovec (16 bytes)
 *  0         8            16        24              0          8
 *  | name    | namelen    | iov     | iovlen  ...   | iov_base | iov_len |
 *  32        40           48        56     60
 *  | control | controllen | flags   | msg_len | pad |
 * </pre>
 */
public final class FrameBatch {
    static final int MMSGHDR_SIZE = 64;
    static final int IOVEC_SIZE = 16;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_FLAGS = 48;
    private static final int MSG_LEN = 56;

    private final int count;
    private final int slotSize;
    private final ByteBuffer frames;
    private final long framesAddress;
    /** The mmsghdr array followed by the iovec array, in native byte order. */
    private final ByteBuffer vector;
    private final long vectorAddress;
    private final int iovecBase;

    /**
     * @param count    slots (frames per batch), 1..1024
     * @param slotSize bytes per slot, the largest frame (with any vnet header) a slot can hold
     */
    public FrameBatch(int count, int slotSize) {
        if (count < 1 || count > 1024) {
            throw new IllegalArgumentException("frame batch of " + count + " slots (1..1024)");
        }
        if (slotSize < 64 || (long) count * slotSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("frame slot of " + slotSize + " bytes");
        }
        this.count = count;
        this.slotSize = slotSize;
        this.frames = ByteBuffer.allocateDirect(count * slotSize);
        this.framesAddress = addressOf(frames);
        this.iovecBase = count * MMSGHDR_SIZE;
        this.vector = ByteBuffer.allocateDirect(count * (MMSGHDR_SIZE + IOVEC_SIZE)).order(ByteOrder.nativeOrder());
        this.vectorAddress = addressOf(vector);
        for (int i = 0; i < count; i++) {
            int m = i * MMSGHDR_SIZE;
            int iov = iovecBase + i * IOVEC_SIZE;
            vector.putLong(m + MSG_IOV, vectorAddress + iov);
            vector.putLong(m + MSG_IOVLEN, 1);
            vector.putLong(iov, framesAddress + (long) i * slotSize);
            vector.putLong(iov + 8, slotSize);
        }
    }

    private static long addressOf(ByteBuffer direct) {
        long address = Pointer.wrap(Native.RUNTIME, direct).address();
        if (address == 0) {
            throw new IllegalStateException("no native address for a direct buffer");
        }
        return address;
    }

    /** The slots, big-endian (network order), position and limit unused by this class. */
    public ByteBuffer frames() {
        return frames;
    }

    public int count() {
        return count;
    }

    public int slotSize() {
        return slotSize;
    }

    /** Where slot {@code slot} starts in {@link #frames()}. */
    public int offset(int slot) {
        return slot * slotSize;
    }

    /**
     * The length of the frame received in {@code slot} by the last {@link PacketSocket#receive(FrameBatch)};
     * larger than {@link #slotSize()} if the frame was truncated.
     */
    public int length(int slot) {
        return vector.getInt(slot * MMSGHDR_SIZE + MSG_LEN);
    }

    /** Sets how many bytes of {@code slot} (from its start) the next send takes. */
    public void setLength(int slot, int length) {
        if (length < 0 || length > slotSize) {
            throw new IllegalArgumentException("frame of " + length + " bytes in a slot of " + slotSize);
        }
        vector.putLong(iovecBase + slot * IOVEC_SIZE + 8, length);
    }

    /** Makes every slot take a whole frame again (before a receive). */
    void resetLengths(int slots) {
        for (int i = 0; i < slots; i++) {
            vector.putLong(iovecBase + i * IOVEC_SIZE + 8, slotSize);
            vector.putInt(i * MMSGHDR_SIZE + MSG_FLAGS, 0);
        }
    }

    long address(int slot, int offset) {
        if (slot < 0 || slot >= count || offset < 0 || offset >= slotSize) {
            throw new IndexOutOfBoundsException("slot " + slot + " offset " + offset);
        }
        return framesAddress + (long) slot * slotSize + offset;
    }

    long vectorAddress(int slot) {
        return vectorAddress + (long) slot * MMSGHDR_SIZE;
    }
}
