// Tests real-time scheduling of one thread through sched_setscheduler: it applies to the caller only and is reset for its children.
package dev.tapover.natives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class SchedulingTest {
    @Test
    void onlyTheCallingThreadRunsRealTimeAndThreadsItStartsDoNot() throws Exception {
        assumeTrue(Native.isRoot(), "sched_setscheduler(SCHED_RR) needs CAP_SYS_NICE");
        AtomicInteger promoted = new AtomicInteger(-1);
        AtomicInteger child = new AtomicInteger(-1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                Scheduling.setRealtime(Scheduling.SCHED_RR, 1);
                promoted.set(Scheduling.policy());
                Thread c = new Thread(() -> {
                    try {
                        child.set(Scheduling.policy());
                    } catch (NativeException e) {
                        failure.set(e);
                    }
                });
                c.start();
                c.join();
            } catch (Exception e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(Scheduling.SCHED_RR, promoted.get());
        assertEquals(Scheduling.SCHED_OTHER, child.get(), "SCHED_RESET_ON_FORK: its children start normal");
        assertEquals(Scheduling.SCHED_OTHER, Scheduling.policy(), "the test thread itself is untouched");
    }

    @Test
    void badArgumentsAreRefusedBeforeTheKernelSeesThem() {
        assertThrows(IllegalArgumentException.class, () -> Scheduling.setRealtime(Scheduling.SCHED_OTHER, 1));
        assertThrows(IllegalArgumentException.class, () -> Scheduling.setRealtime(Scheduling.SCHED_RR, 0));
        assertThrows(IllegalArgumentException.class, () -> Scheduling.setRealtime(Scheduling.SCHED_FIFO, 100));
    }
}
