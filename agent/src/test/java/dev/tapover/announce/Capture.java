// A bounded tcpdump capture (-c N, timeout 5 s) of the frames a test sends, written to a pcap file.
package dev.tapover.announce;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

final class Capture implements AutoCloseable {
    private final Process process;
    private final Path file;
    private final StringBuilder stderr = new StringBuilder();

    private Capture(Process process, Path file) {
        this.process = process;
        this.file = file;
    }

    /**
     * Starts {@code timeout 5 tcpdump -i IF -c COUNT -U -w FILE FILTER} (inside {@code netns} unless null)
     * and returns once tcpdump is listening.
     */
    static Capture start(String netns, String ifname, int count, Path file, String filter) {
        List<String> command = new ArrayList<>();
        if (netns != null) {
            command.addAll(List.of("ip", "netns", "exec", netns));
        }
        command.addAll(List.of("timeout", "5", "tcpdump", "-i", ifname, "-nn", "-U", "-c", Integer.toString(count),
                "-w", file.toString(), filter));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new AssertionError("cannot start tcpdump (apt-get install tcpdump): " + e.getMessage(), e);
        }
        Capture capture = new Capture(p, file);
        CountDownLatch listening = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (capture.stderr) {
                        capture.stderr.append(line).append('\n');
                    }
                    if (line.contains("listening on")) {
                        listening.countDown();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "tcpdump-stderr");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!listening.await(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("tcpdump did not start listening on " + ifname + ": " + capture.stderr());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return capture;
    }

    /** Waits (at most 6 s) for tcpdump to have its frames or time out, and returns the file. */
    Path await() {
        try {
            if (!process.waitFor(6, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("tcpdump did not end: " + stderr());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return file;
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
