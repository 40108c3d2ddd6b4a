// A bounded tcpdump in the background, for tests that count what really crossed an interface.
package dev.tapover.lab;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts tcpdump on an interface of this namespace; {@link #lines()} stops it and returns one line per frame. */
public final class Capture implements AutoCloseable {
    private final Process process;

    private Capture(Process process) {
        this.process = process;
    }

    /** Captures at most {@code maxFrames} frames matching {@code filter}, for at most {@code seconds}. */
    public static Capture start(String ifname, String filter, int maxFrames, int seconds) {
        List<String> command = new ArrayList<>(List.of("timeout", String.valueOf(seconds), "tcpdump", "-i", ifname,
                "-n", "-l", "-e", "-c", String.valueOf(maxFrames)));
        command.add(filter);
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
            // tcpdump says "listening on" on stderr once the filter is attached.
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
                throw new AssertionError("tcpdump did not start on " + ifname + ": " + seen);
            }
            return new Capture(p);
        } catch (IOException e) {
            throw new AssertionError("cannot run tcpdump (apt-get install tcpdump)", e);
        }
    }

    /** Waits up to the capture's bound, then returns the captured frames as tcpdump lines. */
    public List<String> lines() {
        try {
            process.waitFor(30, TimeUnit.SECONDS);
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            List<String> lines = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
            return lines;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
    }
}
