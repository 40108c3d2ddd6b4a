// Guards real-kernel tests: they must run inside the throwaway namespace made by scripts/netns-jvm/java.
package dev.tapover.natives;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Helpers for tests that touch the kernel. */
final class TestNamespace {
    private TestNamespace() {
    }

    /**
     * Fails (never skips) unless this JVM runs as root inside a test namespace, so a test can never
     * create or change an interface of the machine's own namespace.
     */
    static void requireThrowawayNamespace() {
        String ns = System.getenv("TAPOVER_TEST_NETNS");
        if (ns == null || ns.isEmpty()) {
            throw new AssertionError("real-kernel tests must run in a throwaway network namespace: run them "
                    + "through Maven (failsafe uses scripts/netns-jvm/bin/java) or scripts/test.sh");
        }
        if (!Native.isRoot()) {
            throw new AssertionError("real-kernel tests need root (CAP_NET_ADMIN): run sudo scripts/test.sh");
        }
    }

    /** Runs a command, bounded to 10 s, and returns its stdout; a non-zero exit fails the test. */
    static String sh(String... command) {
        try {
            Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", command));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
