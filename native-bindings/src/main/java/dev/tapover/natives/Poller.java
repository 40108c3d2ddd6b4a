// poll(2) over a fixed set of fd slots plus an eventfd, so a waiting thread can be woken from another.
package dev.tapover.natives;

import jnr.ffi.Pointer;

/**
 * A reusable pollfd array. Slots hold fds (a negative fd disables a slot, as poll(2) ignores it); the last
 * entry is an internal eventfd that {@link #wakeup()} signals. Only the owning thread calls {@link #poll}.
 *
 * <pre>
 * struct pollfd (8 bytes)
 *  0       4        6         8
 *  | fd    | events | revents |
 * </pre>
 */
public final class Poller implements AutoCloseable {
    private static final int POLLFD_SIZE = 8;

    private final int slots;
    private final Pointer pollfds;
    private final EventFd wakeup;
    private boolean woken;

    public Poller(int slots) throws NativeException {
        this.slots = slots;
        this.pollfds = Native.allocate(POLLFD_SIZE * (slots + 1));
        this.wakeup = EventFd.open();
        for (int i = 0; i < slots; i++) {
            set(i, -1, (short) 0);
        }
        pollfds.putInt(slots * POLLFD_SIZE, wakeup.fd());
        pollfds.putShort(slots * POLLFD_SIZE + 4, Linux.POLLIN);
    }

    /** Watches {@code fd} in {@code slot} for readability; -1 disables the slot. */
    public void watch(int slot, int fd) {
        set(slot, fd, Linux.POLLIN);
    }

    public void set(int slot, int fd, short events) {
        if (slot < 0 || slot >= slots) {
            throw new IndexOutOfBoundsException("poll slot " + slot + " of " + slots);
        }
        pollfds.putInt(slot * POLLFD_SIZE, fd);
        pollfds.putShort(slot * POLLFD_SIZE + 4, events);
        pollfds.putShort(slot * POLLFD_SIZE + 6, (short) 0);
    }

    /**
     * Waits up to {@code timeoutMillis} (-1 forever) for a watched fd or a wakeup.
     *
     * @return the number of slots with events (the wakeup is not counted; see {@link #wasWoken()})
     */
    public int poll(int timeoutMillis) throws NativeException {
        int n = Native.LIBC.poll(pollfds, slots + 1, timeoutMillis);
        if (n < 0) {
            if (Errors.lastErrno() == Errno.EINTR) {
                woken = false;
                return 0;
            }
            throw Errors.failure("poll", slots + " fds");
        }
        woken = (pollfds.getShort(slots * POLLFD_SIZE + 6) & Linux.POLLIN) != 0;
        if (woken) {
            wakeup.drain();
            n--;
        }
        return n;
    }

    /** The revents of a slot after the last poll. */
    public int events(int slot) {
        return pollfds.getShort(slot * POLLFD_SIZE + 6) & 0xffff;
    }

    public boolean readable(int slot) {
        return (events(slot) & Linux.POLLIN) != 0;
    }

    /** Whether the slot reported POLLERR, POLLHUP or POLLNVAL (the fd is broken or closed). */
    public boolean failed(int slot) {
        return (events(slot) & (Linux.POLLERR | Linux.POLLHUP | Linux.POLLNVAL)) != 0;
    }

    /** Whether the last poll returned because of {@link #wakeup()}. */
    public boolean wasWoken() {
        return woken;
    }

    /** Wakes the thread in {@link #poll}; callable from any thread. */
    public void wakeup() throws NativeException {
        wakeup.signal();
    }

    @Override
    public void close() {
        wakeup.close();
    }
}
