// The CRIU-style restore plan with a fake clock: dependency order, done/retry/fail, and the deadline.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.tapover.liveupdate.RestorePlan.Result;

class RestorePlanTest {
    private static final long MS = 1_000_000L;
    private long now = 100 * MS;
    private final List<String> ran = new ArrayList<>();
    private final List<Long> pauses = new ArrayList<>();

    private void run(RestorePlan plan, long deadline) throws LiveUpdateException {
        plan.run(() -> now, deadline, nanos -> {
            pauses.add(nanos);
            now += nanos;
        });
    }

    private RestorePlan.Step step(String name, Result... results) {
        int[] i = {0};
        return () -> {
            ran.add(name);
            now += MS;
            return results[Math.min(i[0]++, results.length - 1)];
        };
    }

    @Test
    void stepsRunOnceEachInTheOrderAdded() throws LiveUpdateException {
        RestorePlan plan = new RestorePlan().add("master", step("master", Result.done()))
                .add("data-path", step("data-path", Result.done())).add("links", step("links", Result.done()));
        run(plan, now + 5_000 * MS);
        assertEquals(List.of("master", "data-path", "links"), ran);
        assertEquals(List.of("master", "data-path", "links"), plan.reports().stream().map(RestorePlan.StepReport::name).toList());
        assertEquals(1000, plan.reports().get(0).micros());
        assertEquals(1, plan.reports().get(2).attempts());
        assertEquals(List.of(), pauses);
    }

    @Test
    void aRetriedStepRunsAgainAfterGrowingPauses() throws LiveUpdateException {
        RestorePlan plan = new RestorePlan().add("link-monitor",
                step("link-monitor", Result.retry("ENOBUFS"), Result.retry("ENOBUFS"), Result.retry("ENOBUFS"), Result.done()))
                .add("counters", step("counters", Result.done()));
        run(plan, now + 5_000 * MS);
        assertEquals(List.of("link-monitor", "link-monitor", "link-monitor", "link-monitor", "counters"), ran);
        assertEquals(List.of(1 * MS, 2 * MS, 4 * MS), pauses);
        assertEquals(4, plan.reports().get(0).attempts());
        assertEquals(Result.Kind.DONE, plan.reports().get(0).result());
    }

    @Test
    void pausesAreCappedAndTheDeadlineEndsRetries() {
        RestorePlan plan = new RestorePlan().add("link-monitor", step("link-monitor", Result.retry("EAGAIN")))
                .add("never", step("never", Result.done()));
        long deadline = now + 300 * MS;
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> run(plan, deadline));
        assertEquals(0, e.getMessage().indexOf("restore step link-monitor failed: still not done after "));
        assertEquals(true, e.getMessage().endsWith("attempts (EAGAIN)"), e.getMessage());
        assertEquals(false, ran.contains("never"), "a failed step stops the plan");
        assertEquals(50 * MS, pauses.stream().mapToLong(Long::longValue).max().getAsLong(), "pauses stop growing at 50 ms");
        assertEquals(true, now >= deadline && now < deadline + 2 * MS, "gave up at the deadline, not long after");
        assertEquals(Result.Kind.FAIL, plan.reports().get(0).result());
    }

    @Test
    void aFailedStepStopsThePlanWithItsReason() {
        RestorePlan plan = new RestorePlan().add("master", step("master", Result.done()))
                .add("adopt-master", step("adopt-master", Result.fail("the handoff carries no fd for tap/fo0")))
                .add("data-path", step("data-path", Result.done()));
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> run(plan, now + 5_000 * MS));
        assertEquals("restore step adopt-master failed: the handoff carries no fd for tap/fo0", e.getMessage());
        assertEquals(List.of("master", "adopt-master"), ran);
        assertEquals(2, plan.reports().size());
    }

    @Test
    void anExceptionIsAFailure() {
        RestorePlan plan = new RestorePlan().add("adopt-master", () -> {
            throw new java.io.IOException("ioctl(TUNGETIFF) on fd 9 failed: EBADFD (File descriptor in bad state)");
        });
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> run(plan, now + 5_000 * MS));
        assertEquals("restore step adopt-master failed: ioctl(TUNGETIFF) on fd 9 failed: EBADFD (File descriptor in bad state)",
                e.getMessage());
    }

    @Test
    void aStepThatIsDoneLateStillCounts() throws LiveUpdateException {
        RestorePlan plan = new RestorePlan().add("slow", () -> {
            now += 10_000 * MS;
            return Result.done();
        });
        run(plan, now + 5_000 * MS);
        assertEquals(Result.Kind.DONE, plan.reports().get(0).result());
    }
}
