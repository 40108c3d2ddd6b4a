// Scrapes a metrics page and runs `promtool check metrics` (Prometheus's own parser and linter) on it.
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

    /** GETs /metrics from {@code address} and returns the page; anything but 200 fails the test. */
    public static String scrape(java.net.InetSocketAddress address) throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .connectTimeout(java.time.Duration.ofSeconds(5)).build();
        java.net.http.HttpResponse<String> response = client.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://" + MetricsServer.format(address) + "/metrics"))
                .timeout(java.time.Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /metrics answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
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
