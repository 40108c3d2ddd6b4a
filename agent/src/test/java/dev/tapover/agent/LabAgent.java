// A whole agent running inside the test JVM on the lab's links, with bounded waits on its status and events.
package dev.tapover.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

import dev.tapover.cli.RunCommand;
import dev.tapover.lab.Sh;

/**
 * Starts {@code fo0} over the lab's {@code primary} and {@code standby} with 192.0.2.1/24, 2001:db8::1/64 and
 * MAC {@link #MAC}, plus any extra {@code run} options; {@link #close()} stops it and checks that it left
 * nothing behind.
 */
final class LabAgent implements AutoCloseable {
    static final String MAC = "02:00:5e:00:53:01";
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final Agent agent;
    private final Path socket;
    private final ExecutorService executor = Executors.newSingleThreadExecutor();
    private final Future<Integer> running;

    private LabAgent(Agent agent, Path socket) {
        this.agent = agent;
        this.socket = socket;
        this.running = executor.submit(agent::run);
    }

    static LabAgent start(String... extra) throws Exception {
        Path socket = Files.createTempDirectory("tapover-it").resolve("fo0.sock");
        List<String> args = new ArrayList<>(List.of("--master", "fo0", "--primary", "primary", "--standby", "standby",
                "--address", "192.0.2.1/24", "--address", "2001:db8::1/64", "--mac", MAC, "--control", socket.toString()));
        args.addAll(List.of(extra));
        LabAgent lab = new LabAgent(new Agent(RunCommand.configFrom(args.toArray(String[]::new)), false), socket);
        if (!lab.agent.awaitReady(Duration.ofSeconds(10))) {
            lab.close();
            throw new AssertionError("the agent did not become ready within 10 s");
        }
        return lab;
    }

    Path socket() {
        return socket;
    }

    /** The group's status document, asked over the control socket as a user would (answered on the agent's thread). */
    @SuppressWarnings("unchecked")
    Map<String, Object> group() {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int rc = dev.tapover.cli.Main.execute(new String[] {"status", "--json", "--control", socket.toString()},
                new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true));
        if (rc != 0) {
            throw new AssertionError("tapover status exited " + rc + ": " + err);
        }
        try {
            Map<String, Object> doc = JSON.readValue(out.toString(), Map.class);
            return ((List<Map<String, Object>>) doc.get("groups")).get(0);
        } catch (java.io.IOException e) {
            throw new AssertionError("status --json is not JSON: " + out, e);
        }
    }

    String active() {
        return (String) group().get("active");
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> announcements() {
        return (Map<String, Object>) group().get("announcements");
    }

    long announcementCounter(String name) {
        return ((Number) announcements().get(name)).longValue();
    }

    long failovers() {
        return ((Number) group().get("failovers")).longValue();
    }

    List<Map<String, Object>> events() {
        return agent.recentEvents();
    }

    /** Events of {@code type} published after the event numbered {@code afterSeq}. */
    List<Map<String, Object>> eventsSince(long afterSeq, String type) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> e : agent.recentEvents()) {
            if (((Number) e.get("seq")).longValue() > afterSeq && type.equals(e.get("type"))) {
                out.add(e);
            }
        }
        return out;
    }

    /** The number of the last event so far (0 if none). */
    long lastSeq() {
        List<Map<String, Object>> all = agent.recentEvents();
        return all.isEmpty() ? 0 : ((Number) all.get(all.size() - 1).get("seq")).longValue();
    }

    /** Polls {@code value} every 10 ms until {@code done} holds, at most {@code limit}; returns the last value. */
    static <T> T await(Supplier<T> value, Predicate<T> done, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        T last = value.get();
        while (!done.test(last) && System.nanoTime() < deadline) {
            Thread.sleep(10);
            last = value.get();
        }
        return last;
    }

    void awaitActive(String expected) throws InterruptedException {
        assertEquals(expected, await(this::active, a -> Objects.equals(expected, a), Duration.ofSeconds(5)),
                "active link within 5 s");
    }

    /** Waits (at most 5 s) until no announcement burst runs, so a test starts from a quiet wire. */
    void awaitQuiet() throws InterruptedException {
        assertEquals(Boolean.FALSE, await(() -> announcements().get("burstRunning"), Boolean.FALSE::equals,
                Duration.ofSeconds(5)), "the announcement burst ended within 5 s");
    }

    @Override
    public void close() throws Exception {
        agent.requestStop("test");
        try {
            assertEquals(0, running.get(10, TimeUnit.SECONDS), "the agent exits 0 when stopped");
            assertTrue(Sh.tryRun("ip", "link", "show", "fo0").exit() != 0, "the master is gone after stop");
            assertTrue(!Files.exists(socket), "the control socket file is gone after stop");
        } finally {
            executor.shutdownNow();
        }
    }
}
