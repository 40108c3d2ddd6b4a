// Jazzer target: any bytes from a control client through the real Netty pipeline; every answer is a valid line.
package dev.tapover.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Consumer;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.tapover.control.ControlAccess;
import dev.tapover.control.ControlException;
import dev.tapover.control.ControlHandler;
import dev.tapover.control.ControlPipeline;
import dev.tapover.control.PeerIdentity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * A root client sends arbitrary bytes in arbitrary chunks (JSON-ish by the seeds and the dictionary of
 * the fuzzer's mutations). The contract: the pipeline never throws, every line it writes is one JSON object
 * with {@code "v":1} and either {@code ok} or {@code event}, and it never calls the handler with a command
 * outside the protocol. An over-long line closes the connection with one error line.
 */
public class ControlProtocolFuzzTest {
    /** CI's budget: a fixed number of executions (with the fixed -seed of agent/pom.xml the same inputs every run). */
    static final long RUNS = 5000;
    /** A time cap for a machine too loaded to reach {@link #RUNS} (the run then stops early, at a random input). */
    static final String BUDGET = "90s";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PeerIdentity ROOT = new PeerIdentity(4242, 0, 0);

    @FuzzTest(maxDuration = BUDGET, maxExecutions = RUNS)
    void requestBytes(FuzzedDataProvider data) throws Exception {
        fuzzerTestOneInput(data);
    }

    /**
     * The finding behind crash-unknown-command-with-newline and crash-switch-target-with-newline: a name the
     * client sent, quoted in the error, put a raw newline in the message. It is now shown escaped.
     */
    @org.junit.jupiter.api.Test
    void quotedClientInputStaysOnOneLine() throws Exception {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInitializer<EmbeddedChannel>() {
            @Override
            protected void initChannel(EmbeddedChannel ch) {
                ControlPipeline.install(ch.pipeline(), new Handler(), Runnable::run, ControlAccess.rootOnly(), c -> ROOT);
            }
        });
        try {
            channel.writeInbound(Unpooled.copiedBuffer("{\"v\":1,\"id\":\"5\",\"cmd\":\"sta\\ntus\"}\n"
                    + "{\"v\":1,\"id\":\"6\",\"cmd\":\"switch\",\"to\":\"x\\u0007y\"}\n", StandardCharsets.UTF_8));
            channel.runPendingTasks();
            StringBuilder out = new StringBuilder();
            for (ByteBuf buf; (buf = channel.readOutbound()) != null; ) {
                out.append(buf.toString(StandardCharsets.UTF_8));
                buf.release();
            }
            String[] lines = out.toString().split("\n");
            assertEquals(2, lines.length, out.toString());
            String unknown = JSON.readTree(lines[0]).path("error").path("message").asText();
            String refused = JSON.readTree(lines[1]).path("error").path("message").asText();
            assertTrue(unknown.contains("\"sta\\ntus\""), unknown);
            assertTrue(refused.contains("x\\u0007y"), refused);
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** The standalone-driver entry point ({@code scripts/fuzz.sh}). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) throws Exception {
        Handler handler = new Handler();
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInitializer<EmbeddedChannel>() {
            @Override
            protected void initChannel(EmbeddedChannel ch) {
                ControlPipeline.install(ch.pipeline(), handler, Runnable::run, ControlAccess.rootOnly(), c -> ROOT);
            }
        });
        try {
            int chunks = data.consumeInt(1, 8);
            for (int i = 0; i < chunks && channel.isOpen(); i++) {
                byte[] chunk = i == chunks - 1 ? data.consumeRemainingAsBytes() : data.consumeBytes(data.consumeInt(0, 4096));
                channel.writeInbound(Unpooled.wrappedBuffer(chunk));
                channel.runPendingTasks();
            }
            channel.checkException();
            StringBuilder out = new StringBuilder();
            for (ByteBuf buf; (buf = channel.readOutbound()) != null; ) {
                out.append(buf.toString(StandardCharsets.UTF_8));
                buf.release();
            }
            if (out.length() > 0) {
                assertTrue(out.charAt(out.length() - 1) == '\n', "answers end with a newline");
            }
            for (String line : out.toString().split("\n")) {
                if (line.isEmpty()) {
                    continue;
                }
                JsonNode node = JSON.readTree(line);
                assertTrue(node.isObject(), "an answer is one JSON object: " + line);
                assertEquals(1, node.path("v").asInt(), "an answer carries v=1: " + line);
                assertTrue(node.has("ok") || node.has("event"), "an answer has ok or event: " + line);
                if (node.has("ok") && !node.get("ok").asBoolean()) {
                    assertTrue(node.path("error").path("message").isTextual(), "a failure has a message: " + line);
                    assertTrue(!node.path("error").path("message").asText().contains("\n"), "one-line message: " + line);
                }
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** Answers like an agent would, and fails on anything the protocol should have stopped before it. */
    static final class Handler implements ControlHandler {
        /**
         * A map with a fixed iteration order: Map.of's order changes from JVM to JVM, and with it the answer's
         * bytes, which Jazzer's comparison hooks feed back into the mutations (the CI run must be repeatable).
         */
        private static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2) {
            Map<String, Object> map = new java.util.LinkedHashMap<>();
            map.put(k1, v1);
            map.put(k2, v2);
            return map;
        }

        @Override
        public Map<String, Object> status() {
            return ordered("schema", 1, "groups", java.util.List.of());
        }

        @Override
        public Map<String, Object> switchTo(String group, String target) throws ControlException {
            if (target == null || target.isEmpty()) {
                throw new AssertionError("switch reached the handler without a target");
            }
            if (!"primary".equals(target) && !"standby".equals(target)) {
                throw new ControlException("refused", "no link \"" + target + "\" in this group");
            }
            return Map.of("active", target);
        }

        @Override
        public Map<String, Object> notifyPeers(String group) {
            return Map.of("group", group == null ? "fo0" : group);
        }

        @Override
        public Map<String, Object> reload() throws ControlException {
            throw new ControlException("refused", "reload needs a configuration file");
        }

        @Override
        public Map<String, Object> upgrade() throws ControlException {
            throw new ControlException("refused", "not in this build");
        }

        @Override
        public AutoCloseable subscribe(Consumer<Map<String, Object>> listener) {
            listener.accept(ordered("seq", 1, "type", "ready"));
            return () -> { };
        }
    }
}
