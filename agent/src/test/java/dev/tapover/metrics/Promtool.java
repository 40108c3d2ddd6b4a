// Runs `promtool check metrics` (Prometheus's own parser and linter) on a metrics page, independently of the client.
package dev.tapover.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A missing promtool fails the test, it never skips it. */
public final class Promtool {
    private Promtool() {
    }

    /** promtool's exit code and its output. */
    public record Result(int exit, String output) {
    }

    /** Feeds {@code page} to {@code promtool check metrics}; 0 means it parsed and passed the lint. */
    public static Result check(String page) {
        try {
            Process p = new ProcessBuilder(binary().toString(), "check", "metrics").redirectErrorStream(true).start();
            p.getOutputStream().write(page.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("promtool check metrics timed out");
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run promtool: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** $TAPOVER_PROMTOOL, else promtool on PATH. */
    static Path binary() {
        String configured = System.getenv("TAPOVER_PROMTOOL");
        if (configured != null && !configured.isEmpty()) {
            return Path.of(configured);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "promtool");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("promtool is not installed: the metrics page is checked by Prometheus's own parser; "
                + "scripts/test.sh extracts it from Debian's prometheus package (apt-get download prometheus; "
                + "dpkg -x), or set TAPOVER_PROMTOOL");
    }
}
