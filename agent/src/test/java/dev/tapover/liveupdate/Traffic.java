// Sequence-numbered frame senders and counters (scripts/bench/seqframes.py) in the lab's namespaces, bounded in count and time.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

/** One seqframes process; its JSON lines are collected as they come. */
final class Traffic implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private Traffic(List<String> cmd) throws IOException {
        this.process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "seqframes-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private static List<String> command(String namespace, String... args) {
        List<String> cmd = new ArrayList<>();
        if (namespace != null) {
            cmd.addAll(List.of("ip", "netns", "exec", namespace));
        }
        cmd.add("python3");
        cmd.add(AgentProcess.script("scripts/bench/seqframes.py").toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Counts run {@code run}'s frames arriving on {@code ifname} (in {@code namespace}, null = this one). */
    static Traffic receive(String namespace, String ifname, int run, Duration max) throws Exception {
        Traffic t = new Traffic(command(namespace, "recv", "--ifname", ifname, "--run", Integer.toString(run),
                "--seconds", Long.toString(max.toSeconds())));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.lines.stream().noneMatch(l -> l.contains("listening")) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(t.lines.stream().anyMatch(l -> l.contains("listening")), "the counter on " + ifname + " is listening");
        return t;
    }

    /** Sends {@code rate} frames/s to {@code dstMac} out of {@code ifname} for at most {@code max}. */
    static Traffic send(String namespace, String ifname, String dstMac, int rate, Duration max, int run) throws IOException {
        return new Traffic(command(namespace, "send", "--ifname", ifname, "--dst", dstMac, "--rate", Integer.toString(rate),
                "--seconds", Long.toString(max.toSeconds()), "--run", Integer.toString(run)));
    }

    /** Asks the process to stop (SIGTERM) and returns its summary. */
    JsonNode stop() throws Exception {
        process.toHandle().destroy(); // Process.destroy() would also close the pipe the summary comes through
        return result(Duration.ofSeconds(10));
    }

    /** Waits for the process to end and returns its last JSON line. */
    JsonNode result(Duration within) throws Exception {
        if (!process.waitFor(within.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("seqframes did not finish within " + within.toSeconds() + " s");
        }
        reader.join(2000);
        String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        assertTrue(last.startsWith("{"), "seqframes exited " + process.exitValue() + " and printed a summary: " + lines);
        return AgentProcess.JSON.readTree(last);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
