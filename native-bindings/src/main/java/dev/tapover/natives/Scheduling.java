// Real-time scheduling of the calling thread and locking the process's memory (sched_setscheduler, mlockall).
package dev.tapover.natives;

/**
 * What keepalived's {@code --realtime} and corosync's default do, for one thread at a time: Linux applies
 * {@code sched_setscheduler(0, ...)} to the calling thread only. {@link #SCHED_RESET_ON_FORK} is always
 * set, so threads and processes the real-time thread creates start under the normal policy.
 */
public final class Scheduling {
    public static final int SCHED_OTHER = 0;
    public static final int SCHED_FIFO = 1;
    public static final int SCHED_RR = 2;
    public static final int SCHED_RESET_ON_FORK = 0x40000000;
    public static final int MCL_CURRENT = 1;
    public static final int MCL_FUTURE = 2;

    private Scheduling() {
    }

    /**
     * Puts the calling thread under {@code policy} ({@link #SCHED_FIFO} or {@link #SCHED_RR}) at
     * {@code priority} (1..99), reset on fork.
     *
     * @throws NativeException EPERM without CAP_SYS_NICE (or an RLIMIT_RTPRIO below the priority, or a
     *                         cgroup with no real-time budget), EINVAL for a bad policy or priority
     */
    public static void setRealtime(int policy, int priority) throws NativeException {
        if (policy != SCHED_FIFO && policy != SCHED_RR) {
            throw new IllegalArgumentException("policy must be SCHED_FIFO or SCHED_RR, got " + policy);
        }
        if (priority < 1 || priority > 99) {
            throw new IllegalArgumentException("real-time priority must be 1..99, got " + priority);
        }
        Errors.check(Native.LIBC.sched_setscheduler(0, policy | SCHED_RESET_ON_FORK, new int[] {priority}),
                "sched_setscheduler", "the calling thread");
    }

    /** The calling thread's policy ({@link #SCHED_OTHER}, {@link #SCHED_FIFO}, ...), without the reset flag. */
    public static int policy() throws NativeException {
        return Errors.check(Native.LIBC.sched_getscheduler(0), "sched_getscheduler", "the calling thread")
                & ~SCHED_RESET_ON_FORK;
    }

    /**
     * Locks every page the process has mapped and will map into RAM (MCL_CURRENT | MCL_FUTURE), so no page of
     * the failover path is paged out or faulted in on demand.
     *
     * @throws NativeException EPERM without CAP_IPC_LOCK, ENOMEM over RLIMIT_MEMLOCK
     */
    public static void lockAllMemory() throws NativeException {
        Errors.check(Native.LIBC.mlockall(MCL_CURRENT | MCL_FUTURE), "mlockall", "the process");
    }
}
