// The successor's restore, CRIU-style: named steps in dependency order, each answering done, retry or fail.
package dev.tapover.liveupdate;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Steps run in the order added (dependencies first: the master before the data path, the data path before
 * the link monitor that attaches ports to it). A step that answers {@link Result#retry} runs again after a
 * short pause (1 ms, doubling to 50 ms) until it is done or the plan's deadline passes; a step that fails,
 * throws, or is still retrying at the deadline fails the plan, and the steps after it never run. Time and
 * pauses are injected, so tests drive it with a fake clock.
 */
public final class RestorePlan {
    /** What one attempt of a step says. */
    public record Result(Kind kind, String why) {
        public enum Kind { DONE, RETRY, FAIL }

        public static Result done() {
            return new Result(Kind.DONE, null);
        }

        public static Result retry(String why) {
            return new Result(Kind.RETRY, why);
        }

        public static Result fail(String why) {
            return new Result(Kind.FAIL, why);
        }
    }

    /** One step; an exception counts as a failure with the exception's message. */
    public interface Step {
        Result attempt() throws Exception;
    }

    /** Sleeps (or, in tests, advances a fake clock). */
    public interface Pause {
        void pause(long nanos) throws InterruptedException;
    }

    /** What a step did, for READY and the log. */
    public record StepReport(String name, Result.Kind result, int attempts, long micros, String why) {
    }

    private record Named(String name, Step step) {
    }

    private static final long FIRST_PAUSE_NANOS = 1_000_000;
    private static final long MAX_PAUSE_NANOS = 50_000_000;

    private final List<Named> steps = new ArrayList<>();
    private final List<StepReport> reports = new ArrayList<>();

    public RestorePlan add(String name, Step step) {
        steps.add(new Named(name, step));
        return this;
    }

    /** The reports of the steps run so far (all of them after a successful {@link #run}). */
    public List<StepReport> reports() {
        return List.copyOf(reports);
    }

    /** Runs every step by {@code deadlineNanos}; the exception names the failed step and why. */
    public void run(LongSupplier nanoTime, long deadlineNanos, Pause pause) throws LiveUpdateException {
        for (Named named : steps) {
            long start = nanoTime.getAsLong();
            long wait = FIRST_PAUSE_NANOS;
            int attempts = 0;
            while (true) {
                attempts++;
                Result r;
                try {
                    r = named.step().attempt();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    r = Result.fail("interrupted");
                } catch (Exception e) {
                    r = Result.fail(e.getMessage() == null ? e.toString() : e.getMessage());
                }
                long now = nanoTime.getAsLong();
                if (r.kind() == Result.Kind.DONE) {
                    reports.add(new StepReport(named.name(), r.kind(), attempts, (now - start) / 1000, null));
                    break;
                }
                boolean late = now - deadlineNanos >= 0;
                if (r.kind() == Result.Kind.FAIL || late) {
                    String why = r.kind() == Result.Kind.FAIL ? r.why()
                            : "still not done after " + attempts + " attempts (" + r.why() + ")";
                    reports.add(new StepReport(named.name(), Result.Kind.FAIL, attempts, (now - start) / 1000, why));
                    throw new LiveUpdateException("restore step " + named.name() + " failed: " + why);
                }
                try {
                    pause.pause(Math.min(wait, deadlineNanos - now));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    reports.add(new StepReport(named.name(), Result.Kind.FAIL, attempts, (now - start) / 1000,
                            "interrupted"));
                    throw new LiveUpdateException("restore step " + named.name() + " was interrupted");
                }
                wait = Math.min(wait * 2, MAX_PAUSE_NANOS);
            }
        }
    }
}
