// Real tapover processes for the live-update namespace tests: start, read their log, ask the CLI, count their fds.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code scripts/tapover run ...} as a child of the test JVM, in the test JVM's namespace (the lab's host),
 * stdout and stderr into one log file. A successor started by {@code upgrade} inherits that file, so one log
 * holds every generation. Every wait is bounded.
 */
final class AgentProcess implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MAC = "02:00:5e:00:53:01";

    private final Process process;
    private final Path log;

    private AgentProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** The source tree (the directory holding scripts/tapover), found upwards from the working directory. */
    static Path repo() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (dir != null && !Files.isExecutable(dir.resolve("scripts/tapover"))) {
            dir = dir.getParent();
        }
        if (dir == null || !Files.exists(dir.resolve("agent/target/tapover.jar"))) {
            throw new AssertionError("scripts/tapover and agent/target/tapover.jar are needed: run the tests through "
                    + "mvn verify (failsafe runs after package)");
        }
        return dir;
    }

    static Path script(String relative) {
        return repo().resolve(relative);
    }

    /** The usual lab group: fo0 over primary and standby, with a control socket in {@code dir}. */
    static List<String> runArgs(Path dir, String... extra) {
        List<String> args = new ArrayList<>(List.of("--master", "fo0", "--primary", "primary", "--standby", "standby",
                "--address", "192.0.2.1/24", "--mac", MAC, "--control", dir.resolve("fo0.sock").toString()));
        args.addAll(List.of(extra));
        return args;
    }

    /** Starts {@code scripts/tapover run} with {@code args}, its output into {@code log}. */
    static AgentProcess start(Path log, Map<String, String> env, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(script("scripts/tapover").toString());
        cmd.add("run");
        cmd.addAll(args);
        return startCommand(log, env, cmd);
    }

    static AgentProcess startCommand(Path log, Map<String, String> env, List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        realJava(pb);
        pb.environment().putAll(env);
        return new AgentProcess(pb.start(), log);
    }

    /**
     * Failsafe points JAVA_HOME at scripts/netns-jvm (whose bin/java would start yet another namespace): the
     * launcher must find this JVM's own java instead.
     */
    static void realJava(ProcessBuilder pb) {
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    }

    Process process() {
        return process;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits until the log has at least {@code count} lines matching {@code regex}; returns the last match. */
    Matcher awaitLog(String regex, int count, Duration within) throws InterruptedException {
        return awaitLog(regex, count, within, false);
    }

    /** Waits until the agent this object started is up (its takeover socket listens); fails at once if it exits. */
    void awaitStarted() throws InterruptedException {
        awaitLog("event=takeover-listening", 1, Duration.ofSeconds(60), true);
    }

    private Matcher awaitLog(String regex, int count, Duration within, boolean failFast) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            Matcher last = null;
            int seen = 0;
            for (String line : logText().split("\n")) {
                Matcher m = p.matcher(line);
                if (m.find()) {
                    seen++;
                    last = m;
                }
            }
            if (seen >= count) {
                return last;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + count + " log lines matching /" + regex + "/ within " + within.toSeconds()
                        + " s; log " + log + ":\n" + tail(60));
            }
            if (failFast && !process.isAlive()) {
                throw new AssertionError("the process exited " + process.exitValue() + " before /" + regex + "/:\n" + tail(60));
            }
            Thread.sleep(20);
        }
    }

    Matcher awaitLog(String regex, Duration within) throws InterruptedException {
        return awaitLog(regex, 1, within);
    }

    int countLog(String regex) {
        Pattern p = Pattern.compile(regex);
        int n = 0;
        for (String line : logText().split("\n")) {
            if (p.matcher(line).find()) {
                n++;
            }
        }
        return n;
    }

    String tail(int lines) {
        String[] all = logText().split("\n");
        return String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
    }

    /** Runs a CLI command against the control socket; returns exit code and output. */
    static CliResult cli(Path socket, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(script("scripts/tapover").toString());
        cmd.addAll(List.of(args));
        cmd.add("--control");
        cmd.add(socket.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        realJava(pb);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new CliResult(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    record CliResult(int exit, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }
    }

    /** The status document, retried while the control socket is between owners (at most 15 s). */
    static JsonNode status(Path socket) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            CliResult r = cli(socket, "status", "--json");
            if (r.exit() == 0) {
                return r.json();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("tapover status kept failing: " + r.exit() + " " + r.err());
            }
            Thread.sleep(50);
        }
    }

    /** Waits for the status to show {@code generation}; returns that status. */
    static JsonNode awaitGeneration(Path socket, long generation) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            JsonNode s = status(socket);
            if (s.path("liveUpdate").path("generation").asLong() == generation) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the agent never reported generation " + generation + ": " + s.path("liveUpdate"));
            }
            Thread.sleep(50);
        }
    }

    /** What the fds of {@code pid} are, by kind: tun, socket, eventfd, pipe, file... */
    static Map<String, Integer> fdCensus(long pid) throws IOException {
        Map<String, Integer> kinds = new TreeMap<>();
        try (var list = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : list.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                String kind = target.equals("/dev/net/tun") ? "tun" : target.startsWith("socket:") ? "socket"
                        : target.startsWith("anon_inode:") ? target.substring(11) : target.startsWith("pipe:") ? "pipe"
                        : target.endsWith(".jar") ? "jar" : "file";
                kinds.merge(kind, 1, Integer::sum);
            }
        }
        kinds.put("total", kinds.values().stream().mapToInt(Integer::intValue).sum());
        return kinds;
    }

    static String sys(String ifname, String attribute) throws IOException {
        return Files.readString(Path.of("/sys/class/net", ifname, attribute)).trim();
    }

    static void assertExitsZero(long pid, Duration within) throws Exception {
        ProcessHandle h = ProcessHandle.of(pid).orElse(null);
        if (h == null) {
            return;
        }
        h.onExit().get(within.toSeconds(), TimeUnit.SECONDS);
        assertTrue(!h.isAlive(), "pid " + pid + " exited");
    }

    /** Stops the agent currently serving on {@code socket} (SIGTERM to its pid) and waits for it. */
    static void stopCurrent(Path socket) throws Exception {
        long pid = status(socket).path("liveUpdate").path("pid").asLong();
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
        h.destroy();
        h.onExit().get(20, TimeUnit.SECONDS);
    }

    /** Ends the process this object started, if it still runs (SIGTERM, then SIGKILL). */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    static void assertStatus(int expected, CliResult r) {
        assertEquals(expected, r.exit(), "exit code; stdout: " + r.out() + " stderr: " + r.err());
    }
}
