// The agent's single decision thread: runs queued tasks and the policy's timers, Agrona-agent style.
package dev.tapover.agent;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything that touches a group's policy runs here, one task at a time: link-monitor events, control
 * requests and timer ticks. Other threads {@link #post} work or {@link #call} and wait for a result.
 */
public final class Conductor {
    private static final Logger LOG = LoggerFactory.getLogger(Conductor.class);

    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final LongSupplier nanoTime;
    private volatile boolean running = true;
    private volatile Thread thread;

    public Conductor(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    public void post(Runnable task) {
        tasks.add(task);
    }

    /** Runs {@code task} on the conductor and waits up to {@code timeoutMillis} for its result. */
    public <T> T call(Callable<T> task, long timeoutMillis) throws Exception {
        if (Thread.currentThread() == thread) {
            return task.call();
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        post(() -> {
            try {
                result.complete(task.call());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            throw new IllegalStateException("the agent did not answer within " + timeoutMillis + " ms");
        }
    }

    /**
     * Runs on the calling thread until {@link #stop()}: waits for a task or the next deadline of
     * {@code timers}, whichever comes first.
     */
    public void run(Timers timers) throws InterruptedException {
        thread = Thread.currentThread();
        while (running) {
            long deadline = timers.nextDeadlineNanos();
            long waitNanos = deadline == Long.MAX_VALUE ? TimeUnit.MILLISECONDS.toNanos(500)
                    : Math.max(0, deadline - nanoTime.getAsLong());
            Runnable task = tasks.poll(Math.min(waitNanos, TimeUnit.MILLISECONDS.toNanos(500)), TimeUnit.NANOSECONDS);
            if (task != null) {
                runSafely(task);
                Runnable more;
                while ((more = tasks.poll()) != null) {
                    runSafely(more);
                }
            }
            if (timers.nextDeadlineNanos() <= nanoTime.getAsLong()) {
                runSafely(timers::onTimer);
            }
        }
        Runnable rest;
        while ((rest = tasks.poll()) != null) {
            runSafely(rest);
        }
    }

    private static void runSafely(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("event=task-failed error=\"{}\"", e.toString(), e);
        }
    }

    public void stop() {
        running = false;
        post(() -> { });
    }

    /** What the conductor asks of the groups between tasks. */
    public interface Timers {
        long nextDeadlineNanos();

        void onTimer();
    }
}
