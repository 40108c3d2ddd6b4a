// Tests that real-time scheduling is asked for only when configured and that a refusal is a warning, not a failure.
package dev.tapover.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.tapover.config.AgentConfig;

class RealtimeThreadsTest {
    /** Records the calls; refuses them when told to, as the kernel does without CAP_SYS_NICE / CAP_IPC_LOCK. */
    private static final class FakeNatives implements RealtimeThreads.Natives {
        final List<String> calls = new ArrayList<>();
        boolean refuse;

        @Override
        public void setRealtime(int priority) throws IOException {
            calls.add("sched_setscheduler " + priority);
            if (refuse) {
                throw new IOException("sched_setscheduler on the calling thread failed: EPERM (Operation not permitted)");
            }
        }

        @Override
        public void lockAllMemory() throws IOException {
            calls.add("mlockall");
            if (refuse) {
                throw new IOException("mlockall on the process failed: EPERM (Operation not permitted)");
            }
        }
    }

    @Test
    void priorityZeroAsksForNothing() {
        FakeNatives natives = new FakeNatives();
        RealtimeThreads rt = new RealtimeThreads(new AgentConfig.Realtime(0, false), natives);
        assertFalse(rt.promoteCurrentThread("conductor"));
        assertFalse(rt.lockMemory());
        assertEquals(List.of(), natives.calls);
        assertEquals(Map.of("priority", 0, "threads", List.of(), "refused", List.of(), "memoryLocked", false),
                rt.status());
    }

    @Test
    void eachThreadAsksAtTheConfiguredPriority() throws Exception {
        FakeNatives natives = new FakeNatives();
        RealtimeThreads rt = new RealtimeThreads(new AgentConfig.Realtime(10, true), natives);
        assertTrue(rt.promoteCurrentThread("conductor"));
        Thread t = new Thread(rt.threadStart("link-monitor"));
        t.start();
        t.join();
        assertTrue(rt.lockMemory());
        assertEquals(List.of("sched_setscheduler 10", "sched_setscheduler 10", "mlockall"), natives.calls);
        assertEquals(List.of("conductor", "link-monitor"), rt.status().get("threads"));
        assertEquals(true, rt.status().get("memoryLocked"));
    }

    @Test
    void aRefusalIsReportedAndTheAgentGoesOn() {
        FakeNatives natives = new FakeNatives();
        natives.refuse = true;
        RealtimeThreads rt = new RealtimeThreads(new AgentConfig.Realtime(30, true), natives);
        assertFalse(rt.promoteCurrentThread("announce"));
        assertFalse(rt.lockMemory());
        assertEquals(List.of("sched_setscheduler 30", "mlockall"), natives.calls);
        assertEquals(List.of(), rt.status().get("threads"));
        assertEquals(List.of("announce"), rt.status().get("refused"));
        assertEquals(false, rt.status().get("memoryLocked"));
    }
}
