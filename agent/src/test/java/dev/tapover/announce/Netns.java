// Shell helpers for real-kernel announce tests: the throwaway-namespace guard and bounded commands.
package dev.tapover.announce;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import dev.tapover.lab.Sh;

final class Netns {
    private Netns() {
    }

    /** Fails (never skips) unless this JVM runs as root inside the throwaway namespace: see {@link Sh}. */
    static String requireThrowawayNamespace() {
        Sh.requireThrowawayNamespace();
        return System.getenv("TAPOVER_TEST_NETNS");
    }

    /** Runs a bounded command; a non-zero exit fails the test. Returns stdout and stderr. */
    static String sh(String... command) {
        Result r = run(command);
        if (r.exit != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + r.exit + ": " + r.out);
        }
        return r.out;
    }

    /** Runs a command for cleanup: failures are reported on stderr, never thrown. */
    static void quietly(String... command) {
        try {
            Result r = run(command);
            if (r.exit != 0) {
                System.err.println("cleanup: " + String.join(" ", command) + " exited " + r.exit + ": " + r.out);
            }
        } catch (AssertionError e) {
            System.err.println("cleanup: " + e.getMessage());
        }
    }

    record Result(int exit, String out) {
    }

    static Result run(String... command) {
        Sh.Result r = Sh.tryRun(command);
        return new Result(r.exit(), r.output());
    }

    /** Polls {@code condition} every 20 ms for at most {@code millis}; returns its last value. */
    static boolean within(long millis, BooleanSupplier condition) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - end > 0) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
