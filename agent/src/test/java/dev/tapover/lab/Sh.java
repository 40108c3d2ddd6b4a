// Runs bounded shell commands for real-kernel tests and fails the test on a non-zero exit.
package dev.tapover.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

public final class Sh {
    private Sh() {
    }

    /** Runs a command bounded to 20 s; returns stdout+stderr; a non-zero exit fails the test. */
    public static String run(String... command) {
        Result r = tryRun(command);
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + r.exit() + ": " + r.output());
        }
        return r.output();
    }

    public record Result(int exit, String output) {
    }

    /** Runs a command bounded to 20 s and returns its exit code and output, whatever they are. */
    public static Result tryRun(String... command) {
        try {
            Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out after 20 s: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Fails (never skips) unless this JVM runs as root inside the throwaway test namespace. */
    public static void requireThrowawayNamespace() {
        String ns = System.getenv("TAPOVER_TEST_NETNS");
        if (ns == null || ns.isEmpty()) {
            throw new AssertionError("real-kernel tests must run in a throwaway network namespace: run them "
                    + "through Maven (failsafe uses scripts/netns-jvm/bin/java) or scripts/test.sh");
        }
        if (!"0".equals(run("id", "-u").trim())) {
            throw new AssertionError("real-kernel tests need root (CAP_NET_ADMIN): run sudo scripts/test.sh");
        }
    }
}
