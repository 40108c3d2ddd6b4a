// Guards real-kernel tests of this package: they must run inside the throwaway namespace of the netns JVM wrapper.
package dev.tapover.netlink;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import dev.tapover.lab.Sh;

/** This package's kernel-test helpers, on top of the shared {@link Sh}. */
final class TestNamespace {
    private TestNamespace() {
    }

    /** Fails (never skips) unless this JVM runs as root inside a test namespace: see {@link Sh}. */
    static void requireThrowawayNamespace() {
        Sh.requireThrowawayNamespace();
    }

    /** Runs a bounded command; a non-zero exit fails the test. */
    static String sh(String... command) {
        return Sh.run(command);
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
        Sh.tryRun("ip", "link", "del", ifname);
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
