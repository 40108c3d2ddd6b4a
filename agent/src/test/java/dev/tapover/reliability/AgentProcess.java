// A real `scripts/tapover run` process for reliability tests: start, status timing, fds, RSS, heap after GC, kill.
package dev.tapover.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.tapover.control.ControlClient;
import dev.tapover.control.ControlClientException;
import dev.tapover.lab.Sh;

/**
 * The agent as a separate JVM, so its file descriptors, RSS and heap can be measured from outside
 * ({@code /proc/PID}, {@code jcmd}). The launcher is run with {@code JAVA_HOME} set to this JVM's home:
 * failsafe points {@code JAVA_HOME} at the namespace wrapper. Its log (stderr and stdout) goes to a file.
 */
final class AgentProcess implements AutoCloseable {
    static final String MAC = "02:00:5e:00:53:01";

    private final Process process;
    private final Path socket;
    private final Path log;

    private AgentProcess(Process process, Path socket, Path log) {
        this.process = process;
        this.socket = socket;
        this.log = log;
    }

    /** The usual lab agent: fo0 over primary and standby, 192.0.2.1/24 and 2001:db8::1/64, the test MAC. */
    static List<String> labArgs(Path socket, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--master", "fo0", "--primary", "primary", "--standby",
                "standby", "--address", "192.0.2.1/24", "--address", "2001:db8::1/64", "--mac", MAC, "--control",
                socket.toString()));
        args.addAll(List.of(extra));
        return args;
    }

    /** Starts {@code scripts/tapover ARGS}; {@code javaOpts} go to TAPOVER_JAVA_OPTS. */
    static AgentProcess start(Path socket, String javaOpts, List<String> args) throws IOException {
        Path log = Files.createTempFile("tapover-agent", ".log");
        List<String> command = new ArrayList<>();
        command.add(launcher().toString());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("TAPOVER_JAVA_OPTS", javaOpts == null ? "" : javaOpts);
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        return new AgentProcess(pb.start(), socket, log);
    }

    /** scripts/tapover of this source tree (failsafe runs in agent/). */
    static Path launcher() {
        Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            Path candidate = p.resolve("scripts/tapover");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("scripts/tapover not found above " + here);
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path socket() {
        return socket;
    }

    /** Waits until {@code status} answers ok; fails with the log if the agent exits or times out. */
    void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the agent exited " + process.exitValue() + " before it was ready:\n" + logText());
            }
            if (Files.exists(socket)) {
                try {
                    status(Duration.ofSeconds(2));
                    return;
                } catch (ControlClientException | AssertionError e) {
                    // not listening yet
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the agent was not ready within " + timeout + ":\n" + logText());
    }

    /** One {@code status} over a fresh connection, as the CLI does; the result document. */
    @SuppressWarnings("unchecked")
    Map<String, Object> status(Duration timeout) throws ControlClientException {
        try (ControlClient client = ControlClient.connect(socket)) {
            Map<String, Object> answer = client.call(client.request("status", null, null), timeout);
            if (!Boolean.TRUE.equals(answer.get("ok"))) {
                throw new AssertionError("status failed: " + answer);
            }
            return (Map<String, Object>) answer.get("result");
        }
    }

    /** The group part of the status document. */
    @SuppressWarnings("unchecked")
    Map<String, Object> group() throws ControlClientException {
        return ((List<Map<String, Object>>) status(Duration.ofSeconds(5)).get("groups")).get(0);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> link(String role) throws ControlClientException {
        for (Map<String, Object> l : (List<Map<String, Object>>) group().get("links")) {
            if (role.equals(l.get("configuredName"))) {
                return l;
            }
        }
        throw new AssertionError("no link " + role);
    }

    String active() throws ControlClientException {
        return (String) group().get("active");
    }

    /** Polls until the active link is {@code expected}; returns whether it got there within the timeout. */
    boolean awaitActive(String expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (java.util.Objects.equals(expected, active())) {
                return true;
            }
            Thread.sleep(20);
        }
        return java.util.Objects.equals(expected, active());
    }

    int fdCount() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
            return (int) fds.count();
        }
    }

    /** A field of /proc/PID/status in kB or as a number (VmRSS, Threads). */
    long procStatus(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError("no " + field + " in /proc/" + pid() + "/status");
    }

    long rssKb() throws IOException {
        return procStatus("VmRSS");
    }

    long threads() throws IOException {
        return procStatus("Threads");
    }

    /** Runs a full GC in the agent (jcmd GC.run) and returns the heap in use after it, in kB (GC.heap_info). */
    long heapUsedAfterFullGcKb() {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Sh.run(jcmd, Long.toString(pid()), "GC.run");
        String info = Sh.run(jcmd, Long.toString(pid()), "GC.heap_info");
        Matcher m = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K").matcher(info);
        if (!m.find()) {
            throw new AssertionError("cannot read the heap from jcmd GC.heap_info: " + info);
        }
        return Long.parseLong(m.group(1));
    }

    /** SIGTERM, then the exit code (SIGKILL after {@code timeout}). */
    int stop(Duration timeout) throws InterruptedException {
        process.destroy();
        return waitFor(timeout);
    }

    /** Waits for the exit code; SIGKILL after {@code timeout} and fail. */
    int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("the agent did not exit within " + timeout + ":\n" + logText());
        }
        return process.exitValue();
    }

    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read the agent log: " + e + ")";
        }
    }

    /** Lines of the agent log containing {@code fragment}. */
    long logCount(String fragment) {
        return logText().lines().filter(l -> l.contains(fragment)).count();
    }

    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Files.deleteIfExists(log);
    }
}
