// Bounded traffic and fault generators for reliability tests: peer ping, cable flapper, wire counter.
package dev.tapover.reliability;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.tapover.lab.Lab;

final class Traffic {
    private Traffic() {
    }

    /** A {@code ping -q} from the peer to the master, bounded by count and a deadline. */
    static final class Pinger {
        private final Process process;

        private Pinger(Process process) {
            this.process = process;
        }

        /** {@code count} probes every {@code intervalMs}, each waiting at most 1 s, all within {@code deadlineSeconds}. */
        static Pinger start(Lab lab, String target, double intervalMs, int count, int deadlineSeconds)
                throws IOException {
            List<String> command = List.of("ip", "netns", "exec", lab.peerNamespace(), "ping", "-q", "-n",
                    "-i", String.format(java.util.Locale.ROOT, "%.3f", intervalMs / 1000.0), "-c",
                    Integer.toString(count), "-W", "1", "-w", Integer.toString(deadlineSeconds), target);
            return new Pinger(new ProcessBuilder(command).redirectErrorStream(true).start());
        }

        /** Waits for ping's summary (at most its deadline plus 10 s): {transmitted, received}. */
        long[] result(int deadlineSeconds) throws IOException, InterruptedException {
            if (!process.waitFor(deadlineSeconds + 10L, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("ping did not end by its deadline");
            }
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(out);
            if (!m.find()) {
                throw new AssertionError("ping printed no summary: " + out);
            }
            return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
        }

        void stop() {
            process.destroyForcibly();
        }
    }

    /** One long-running {@code ip -force -batch -} in a namespace: commands go in as lines, no process per change. */
    static final class IpBatch implements AutoCloseable {
        private final Process process;
        private final OutputStream in;
        private long commands;

        private IpBatch(Process process) {
            this.process = process;
            this.in = process.getOutputStream();
        }

        /** {@code namespace} null = this JVM's namespace. */
        static IpBatch start(String namespace) throws IOException {
            List<String> command = new ArrayList<>(List.of("ip"));
            if (namespace != null) {
                command.addAll(List.of("-n", namespace));
            }
            command.addAll(List.of("-force", "-batch", "-"));
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return new IpBatch(p);
        }

        void send(String line) throws IOException {
            in.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            in.flush();
            commands++;
        }

        long commands() {
            return commands;
        }

        /** Closes stdin and waits for ip to finish what it read (bounded to 30 s). */
        @Override
        public void close() throws IOException {
            try {
                in.close();
            } catch (IOException e) {
                // ip already gone
            }
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    /**
     * Flaps the primary's switch port: {@code cyclesPerSecond} down+up cycles for {@code seconds}, paced by
     * a monotonic clock (a late tick is not repeated), ending plugged in. Returns the cycles done.
     */
    static long flap(Lab lab, String link, int cyclesPerSecond, double seconds) throws IOException {
        long half = TimeUnit.SECONDS.toNanos(1) / (2L * cyclesPerSecond);
        long total = Math.round(seconds * cyclesPerSecond);
        long cycles = 0;
        try (IpBatch ip = IpBatch.start(lab.switchNamespace())) {
            long next = System.nanoTime();
            long end = next + Math.round(seconds * 1e9);
            while (cycles < total && System.nanoTime() < end + TimeUnit.SECONDS.toNanos(1)) {
                ip.send("link set up-" + link + " down");
                next += half;
                LockSupport.parkNanos(next - System.nanoTime());
                ip.send("link set up-" + link + " up");
                next += half;
                cycles++;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                } else {
                    next = System.nanoTime(); // late: do not catch up with a burst
                }
            }
        }
        lab.cable(link, true);
        return cycles;
    }

    /**
     * tcpdump to a pcap file in a namespace, counting announcements the master's MAC put on the wire:
     * gratuitous ARP (sender IP = target IP), RARP and unsolicited NA to ff02::1.
     */
    static final class AnnouncementCapture implements AutoCloseable {
        static final String FILTER = "ether src " + AgentProcess.MAC + " and ((arp and arp[14:4] = arp[24:4]) or rarp"
                + " or (icmp6 and ip6[40] = 136 and ip6 dst ff02::1))";

        private final Process process;
        private final Path file;

        private AnnouncementCapture(Process process, Path file) {
            this.process = process;
            this.file = file;
        }

        static AnnouncementCapture start(String namespace, String ifname, int maxSeconds) throws IOException {
            Path file = Files.createTempFile("tapover-wire", ".pcap");
            List<String> command = List.of("ip", "netns", "exec", namespace, "timeout", Integer.toString(maxSeconds),
                    "tcpdump", "-i", ifname, "-n", "-U", "-s", "128", "-w", file.toString(), FILTER);
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            StringBuilder seen = new StringBuilder();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            var err = p.getInputStream();
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
            return new AnnouncementCapture(p, file);
        }

        /** Stops the capture and counts {arp, na, rarp}. */
        long[] stopAndCount() throws InterruptedException {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
            String text = readPcap(file);
            long arp = 0;
            long na = 0;
            long rarp = 0;
            for (String line : text.split("\n")) {
                if (line.contains("ethertype ARP")) {
                    arp++;
                } else if (line.contains("ethertype Reverse ARP") || line.contains("RARP")) {
                    rarp++;
                } else if (line.contains("neighbor advertisement")) {
                    na++;
                }
            }
            return new long[] {arp, na, rarp};
        }

        /** tcpdump -r output through a file: a big capture would fill a pipe that is read only at the end. */
        static String readPcap(Path pcap) throws InterruptedException {
            try {
                Path text = Files.createTempFile("tapover-wire", ".txt");
                try {
                    Process p = new ProcessBuilder("tcpdump", "-r", pcap.toString(), "-n", "-e")
                            .redirectErrorStream(true).redirectOutput(text.toFile()).start();
                    if (!p.waitFor(60, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        throw new AssertionError("tcpdump -r did not finish within 60 s");
                    }
                    return Files.readString(text);
                } finally {
                    Files.deleteIfExists(text);
                }
            } catch (IOException e) {
                throw new AssertionError("cannot read " + pcap + " with tcpdump", e);
            }
        }

        @Override
        public void close() throws IOException {
            process.destroyForcibly();
            Files.deleteIfExists(file);
        }
    }

    /** Latency figures of a series of measurements, in ms. */
    record Latencies(int count, double medianMs, double p99Ms, double maxMs) {
        static Latencies of(List<Long> nanos) {
            List<Long> sorted = new ArrayList<>(nanos);
            java.util.Collections.sort(sorted);
            if (sorted.isEmpty()) {
                return new Latencies(0, 0, 0, 0);
            }
            double median = sorted.get(sorted.size() / 2) / 1e6;
            double p99 = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)) / 1e6;
            return new Latencies(sorted.size(), median, p99, sorted.get(sorted.size() - 1) / 1e6);
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "n=%d median=%.2f ms p99=%.2f ms max=%.2f ms", count, medianMs,
                    p99Ms, maxMs);
        }
    }
}
