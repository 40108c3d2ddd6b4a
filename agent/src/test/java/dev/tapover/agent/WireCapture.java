// A bounded tcpdump on one interface of a given namespace (e.g. the switch side of a cable), one line per frame.
package dev.tapover.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Captures what really crossed a wire: on the switch-side veth end, frames the host sent on a cable that
 * was pulled never show up (the host-side end would still show them). Only frames coming in from the host
 * ({@code -Q in}) are kept, not the bridge's flooded copies of frames from elsewhere. Bounded by a frame count and by
 * {@code timeout}; {@link #lines()} waits for the bound and returns tcpdump's {@code -e} lines.
 */
final class WireCapture implements AutoCloseable {
    private final Process process;
    private final Path output;

    private WireCapture(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    /** Starts capturing on {@code ifname} inside namespace {@code netns}; returns once tcpdump listens. */
    static WireCapture start(String netns, String ifname, String filter, int maxFrames, int seconds) throws IOException {
        Path output = Files.createTempFile("wire-" + ifname, ".txt");
        List<String> command = List.of("ip", "netns", "exec", netns, "timeout", "-k", "2", String.valueOf(seconds), "tcpdump",
                "-i", ifname, "-Q", "in", "-n", "-l", "-e", "--immediate-mode", "-c", String.valueOf(maxFrames), filter);
        Process p = new ProcessBuilder(command).redirectOutput(output.toFile()).redirectError(ProcessBuilder.Redirect.PIPE)
                .start();
        InputStream err = p.getErrorStream();
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!seen.toString().contains("listening on") && System.nanoTime() < deadline && p.isAlive()) {
            int c = err.read();
            if (c < 0) {
                break;
            }
            seen.append((char) c);
        }
        if (!seen.toString().contains("listening on")) {
            p.destroyForcibly();
            throw new AssertionError("tcpdump did not start on " + ifname + " in " + netns + ": " + seen);
        }
        return new WireCapture(p, output);
    }

    /** Waits for the capture's bound (count or time), then returns one line per frame. */
    List<String> lines() throws IOException, InterruptedException {
        process.waitFor(60, TimeUnit.SECONDS);
        return read();
    }

    /** Stops the capture now (SIGTERM: tcpdump flushes) and returns what it has. */
    List<String> stop() throws IOException, InterruptedException {
        process.destroy();
        process.waitFor(5, TimeUnit.SECONDS);
        return read();
    }

    private List<String> read() throws IOException {
        List<String> lines = new ArrayList<>();
        for (String line : Files.readString(output, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** Stops tcpdump through {@code timeout} (SIGTERM is passed on; SIGKILL would orphan tcpdump). */
    @Override
    public void close() throws IOException, InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        Files.deleteIfExists(output);
    }
}
