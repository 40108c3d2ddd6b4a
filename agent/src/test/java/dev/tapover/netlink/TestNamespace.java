// Guards real-kernel tests of this package: they must run inside the throwaway namespace of the netns JVM wrapper.
package dev.tapover.netlink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Helpers for tests that touch the kernel (same idea as dev.tapover.natives.TestNamespace). */
final class TestNamespace {
    private TestNamespace() {
    }

    /**
     * Fails (never skips) unless this JVM runs as root inside a test namespace, so a test can never create or
     * change an interface of the machine's own namespace.
     */
    static void requireThrowawayNamespace() {
        String ns = System.getenv("TAPOVER_TEST_NETNS");
        if (ns == null || ns.isEmpty()) {
            throw new AssertionError("real-kernel tests must run in a throwaway network namespace: run them "
                    + "through Maven (failsafe uses scripts/netns-jvm/bin/java) or scripts/test.sh");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
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

    /** Runs {@code ip ARGS...}. */
    static String ip(String... args) {
        List<String> command = new ArrayList<>();
        command.add("ip");
        command.addAll(List.of(args));
        return sh(command.toArray(new String[0]));
    }

    /** Deletes a link if it exists (cleanup that must not fail). */
    static void deleteQuietly(String ifname) {
        try {
            Process p = new ProcessBuilder("ip", "link", "del", ifname).redirectErrorStream(true).start();
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            // nothing to clean up
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The ifindex of a link, from sysfs. */
    static int ifindex(String ifname) {
        try {
            return Integer.parseInt(java.nio.file.Files.readString(
                    java.nio.file.Path.of("/sys/class/net", ifname, "ifindex")).trim());
        } catch (IOException e) {
            throw new AssertionError("no link " + ifname, e);
        }
    }
}
