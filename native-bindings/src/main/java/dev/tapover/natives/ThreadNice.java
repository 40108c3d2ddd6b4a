// The calling thread's nice value: raised for a short critical section (a live update's handoff), then put back.
package dev.tapover.natives;

/**
 * On Linux the nice value is per thread ({@code setpriority(PRIO_PROCESS, gettid(), nice)}). A lower value
 * gives the thread a larger share of a busy CPU (CFS weight ×1.25 per step: nice -10 weighs ~9× nice 0). Needs
 * CAP_SYS_NICE to go below the current value; without it nothing changes and the call says so.
 */
public final class ThreadNice {
    private static final int PRIO_PROCESS = 0;

    private ThreadNice() {
    }

    /** The calling thread's nice value now. */
    public static int current() {
        return Native.LIBC.getpriority(PRIO_PROCESS, Native.LIBC.gettid());
    }

    /**
     * Sets the calling thread's nice value to {@code nice}; returns the value it had, or {@link Integer#MIN_VALUE}
     * if the kernel refused (no CAP_SYS_NICE), leaving it unchanged.
     */
    public static int set(int nice) {
        int tid = Native.LIBC.gettid();
        int before = Native.LIBC.getpriority(PRIO_PROCESS, tid);
        if (before == nice) {
            return before;
        }
        return Native.LIBC.setpriority(PRIO_PROCESS, tid, nice) == 0 ? before : Integer.MIN_VALUE;
    }
}
