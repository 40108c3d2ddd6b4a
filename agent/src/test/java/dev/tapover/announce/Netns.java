// Shell helpers for real-kernel announce tests: the throwaway-namespace guard and bounded commands.
package dev.tapover.announce;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import dev.tapover.natives.Native;

final class Netns {
    private Netns() {
    }

    /**
     * Fails (never skips) unless this JVM runs as root inside the throwaway namespace made by the test
     * wrapper (scripts/netns-jvm/bin/java), so no test can touch the machine's own interfaces.
     */
    static String requireThrowawayNamespace() {
        String ns = System.getenv("TAPOVER_TEST_NETNS");
        if (ns == null || ns.isEmpty()) {
            throw new AssertionError("real-kernel tests must run in a throwaway network namespace: run them "
                    + "through Maven (failsafe uses scripts/netns-jvm/bin/java) or scripts/test.sh");
        }
        if (!Native.isRoot()) {
            throw new AssertionError("real-kernel tests need root (CAP_NET_ADMIN): run sudo scripts/test.sh");
        }
        return ns;
    }

    /** Runs a command, bounded to 10 s; a non-zero exit fails the test. Returns stdout and stderr. */
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
        try {
            Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
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
