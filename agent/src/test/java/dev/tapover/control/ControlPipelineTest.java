// In-memory tests of the control protocol: the real pipeline on an EmbeddedChannel with a fake handler.
package dev.tapover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;

class ControlPipelineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PeerIdentity ROOT = new PeerIdentity(4242, 0, 0);

    private final FakeControlHandler handler = new FakeControlHandler();

    private EmbeddedChannel connect(ControlAccess access, PeerIdentity peer) {
        return new EmbeddedChannel(new ChannelInitializer<EmbeddedChannel>() {
            @Override
            protected void initChannel(EmbeddedChannel channel) {
                ControlPipeline.install(channel.pipeline(), handler, Runnable::run, access, c -> peer);
            }
        });
    }

    private EmbeddedChannel connect() {
        return connect(ControlAccess.rootOnly(), ROOT);
    }

    private static void write(EmbeddedChannel channel, String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    /** Every line written so far, each checked to end in exactly one newline. */
    private static List<String> rawLines(EmbeddedChannel channel) {
        List<String> lines = new ArrayList<>();
        StringBuilder all = new StringBuilder();
        for (ByteBuf buf; (buf = channel.readOutbound()) != null; ) {
            all.append(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        if (all.length() > 0) {
            assertTrue(all.toString().endsWith("\n"), "output ends with a newline");
            for (String line : all.toString().split("\n")) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static List<JsonNode> lines(EmbeddedChannel channel) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : rawLines(channel)) {
            nodes.add(JSON.readTree(line));
        }
        return nodes;
    }

    private static JsonNode ask(EmbeddedChannel channel, String request) throws Exception {
        write(channel, request + "\n");
        List<JsonNode> answers = lines(channel);
        assertEquals(1, answers.size(), "one answer per request: " + answers);
        assertEquals(1, answers.get(0).get("v").asInt());
        return answers.get(0);
    }

    private static void assertError(JsonNode answer, String code) {
        assertFalse(answer.get("ok").asBoolean(), answer.toString());
        assertEquals(code, answer.get("error").get("code").asText(), answer.toString());
        String message = answer.get("error").get("message").asText();
        assertFalse(message.isBlank());
        assertFalse(message.contains("\n"), "one-sentence message: " + message);
    }

    @Test
    void statusAnswersTheDocumentInTheVersionedEnvelope() throws Exception {
        EmbeddedChannel channel = connect();
        write(channel, "{\"v\":1,\"id\":\"7\",\"cmd\":\"status\"}\n");
        List<String> raw = rawLines(channel);
        assertEquals(1, raw.size());
        assertTrue(raw.get(0).startsWith("{\"v\":1,\"id\":\"7\",\"ok\":true,\"result\":{\"schema\":1,"), raw.get(0));
        JsonNode result = JSON.readTree(raw.get(0)).get("result");
        assertEquals(JSON.readTree(JSON.writeValueAsString(FakeControlHandler.statusDocument())), result);
        assertTrue(channel.isOpen());
    }

    @Test
    void idIsEchoedAsSentAndMayBeAbsent() throws Exception {
        EmbeddedChannel channel = connect();
        assertEquals(7, ask(channel, "{\"v\":1,\"id\":7,\"cmd\":\"reload\"}").get("id").asInt());
        assertTrue(ask(channel, "{\"v\":1,\"cmd\":\"reload\"}").get("id").isNull());
    }

    @Test
    void switchPassesGroupAndTargetAndAnswersTheResult() throws Exception {
        EmbeddedChannel channel = connect();
        JsonNode answer = ask(channel, "{\"v\":1,\"id\":\"1\",\"cmd\":\"switch\",\"group\":\"fo0\",\"to\":\"standby\"}");
        assertTrue(answer.get("ok").asBoolean());
        assertEquals("eth2", answer.get("result").get("active").asText());
        assertEquals(List.of("switch fo0 standby"), handler.calls);
    }

    @Test
    void switchRefusedCarriesTheHandlersCodeAndMessage() throws Exception {
        handler.standbyUp = false;
        EmbeddedChannel channel = connect();
        JsonNode answer = ask(channel, "{\"v\":1,\"id\":\"2\",\"cmd\":\"switch\",\"to\":\"standby\"}");
        assertError(answer, "refused");
        assertEquals("2", answer.get("id").asText());
        assertEquals("eth2 has no carrier; plug it in or choose another link",
                answer.get("error").get("message").asText());
        assertEquals(List.of("switch null standby"), handler.calls);
        assertTrue(channel.isOpen());
    }

    @Test
    void switchWithoutTargetIsABadRequestThatNeverReachesTheAgent() throws Exception {
        EmbeddedChannel channel = connect();
        assertError(ask(channel, "{\"v\":1,\"id\":\"3\",\"cmd\":\"switch\"}"), "bad-request");
        assertError(ask(channel, "{\"v\":1,\"id\":\"3\",\"cmd\":\"switch\",\"to\":\"\"}"), "bad-request");
        assertError(ask(channel, "{\"v\":1,\"id\":\"3\",\"cmd\":\"switch\",\"to\":5}"), "bad-request");
        assertTrue(handler.calls.isEmpty());
    }

    @Test
    void notifyPeersWithoutGroupMeansTheOnlyGroup() throws Exception {
        EmbeddedChannel channel = connect();
        JsonNode answer = ask(channel, "{\"v\":1,\"id\":\"4\",\"cmd\":\"notify-peers\"}");
        assertTrue(answer.get("ok").asBoolean());
        assertEquals(1, answer.get("result").get("sent").get("garp").asInt());
        assertEquals(List.of("notify-peers null"), handler.calls);
    }

    @Test
    void upgradeRefusalIsPassedOn() throws Exception {
        assertError(ask(connect(), "{\"v\":1,\"id\":\"5\",\"cmd\":\"upgrade\"}"), "unavailable");
    }

    @Test
    void unknownCommandIsNamedInTheError() throws Exception {
        EmbeddedChannel channel = connect();
        JsonNode answer = ask(channel, "{\"v\":1,\"id\":\"6\",\"cmd\":\"reboot\"}");
        assertError(answer, "unknown-command");
        assertEquals("6", answer.get("id").asText());
        assertTrue(answer.get("error").get("message").asText().contains("\"reboot\""));
        assertTrue(handler.calls.isEmpty());
    }

    @Test
    void missingOrNonStringCmdIsABadRequest() throws Exception {
        EmbeddedChannel channel = connect();
        assertError(ask(channel, "{\"v\":1,\"id\":\"8\"}"), "bad-request");
        assertError(ask(channel, "{\"v\":1,\"id\":\"8\",\"cmd\":42}"), "bad-request");
    }

    @Test
    void malformedJsonGetsAnErrorWithNullIdAndTheConnectionKeepsWorking() throws Exception {
        EmbeddedChannel channel = connect();
        JsonNode answer = ask(channel, "{\"v\":1,\"id\":\"9\",\"cmd\":");
        assertError(answer, "bad-request");
        assertTrue(answer.get("id").isNull());
        assertError(ask(channel, "[1,2,3]"), "bad-request");
        assertError(ask(channel, "{\"v\":1,\"cmd\":\"status\"} trailing"), "bad-request");
        assertError(ask(channel, "\u00ff\u00fe"), "bad-request");
        assertTrue(channel.isOpen());
        assertTrue(ask(channel, "{\"v\":1,\"id\":\"10\",\"cmd\":\"status\"}").get("ok").asBoolean());
    }

    @Test
    void wrongOrMissingVersionIsRefusedBeforeTheCommandIsLookedAt() throws Exception {
        EmbeddedChannel channel = connect();
        JsonNode answer = ask(channel, "{\"v\":2,\"id\":\"11\",\"cmd\":\"status\"}");
        assertError(answer, "bad-request");
        assertEquals("11", answer.get("id").asText());
        assertTrue(answer.get("error").get("message").asText().contains("version 2"));
        assertError(ask(channel, "{\"id\":\"12\",\"cmd\":\"status\"}"), "bad-request");
        assertError(ask(channel, "{\"v\":\"1\",\"id\":\"13\",\"cmd\":\"status\"}"), "bad-request");
        assertTrue(handler.calls.isEmpty());
    }

    @Test
    void oversizedRequestIsAnsweredAndTheConnectionClosed() throws Exception {
        EmbeddedChannel channel = connect();
        write(channel, "{\"v\":1,\"cmd\":\"status\",\"pad\":\"" + "x".repeat(70_000));
        List<String> raw = rawLines(channel);
        assertEquals(List.of("{\"v\":1,\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad-request\","
                + "\"message\":\"request longer than 65536 bytes\"}}"), raw);
        assertFalse(channel.isOpen());
        assertTrue(handler.calls.isEmpty());
    }

    @Test
    void requestOfExactlyTheLimitIsAccepted() throws Exception {
        String head = "{\"v\":1,\"id\":\"14\",\"cmd\":\"status\",\"pad\":\"";
        String request = head + "x".repeat(ControlProtocol.MAX_REQUEST_BYTES - head.length() - 2) + "\"}";
        assertEquals(ControlProtocol.MAX_REQUEST_BYTES, request.length());
        assertTrue(ask(connect(), request).get("ok").asBoolean());
    }

    @Test
    void severalRequestsInOneWriteAreAnsweredInOrderAndBlankLinesIgnored() throws Exception {
        EmbeddedChannel channel = connect();
        write(channel, "{\"v\":1,\"id\":\"a\",\"cmd\":\"reload\"}\r\n\n  \n{\"v\":1,\"id\":\"b\",\"cmd\":\"notify-peers\"}\n");
        List<JsonNode> answers = lines(channel);
        assertEquals(2, answers.size());
        assertEquals("a", answers.get(0).get("id").asText());
        assertEquals("b", answers.get(1).get("id").asText());
    }

    @Test
    void aHandlerBugBecomesAnInternalErrorAndTheConnectionSurvives() throws Exception {
        EmbeddedChannel channel = connect();
        JsonNode answer = ask(channel, "{\"v\":1,\"id\":\"15\",\"cmd\":\"switch\",\"to\":\"boom\"}");
        assertError(answer, "internal");
        assertTrue(channel.isOpen());
        assertTrue(ask(channel, "{\"v\":1,\"id\":\"16\",\"cmd\":\"status\"}").get("ok").asBoolean());
    }

    @Test
    void eventsAcknowledgeThenStreamOneLinePerEvent() throws Exception {
        EmbeddedChannel channel = connect();
        JsonNode ack = ask(channel, "{\"v\":1,\"id\":\"17\",\"cmd\":\"events\"}");
        assertTrue(ack.get("ok").asBoolean());
        assertEquals("events", ack.get("result").get("stream").asText());

        handler.push("link-down");
        handler.push("failover");
        handler.push("announce");
        List<JsonNode> events = lines(channel);
        assertEquals(3, events.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(1, events.get(i).get("v").asInt());
            assertEquals("17", events.get(i).get("id").asText());
            assertEquals(i + 1, events.get(i).get("event").get("seq").asInt());
            assertNull(events.get(i).get("ok"));
        }
        assertEquals("failover", events.get(1).get("event").get("type").asText());
    }

    @Test
    void closingAnEventStreamUnsubscribes() throws Exception {
        EmbeddedChannel channel = connect();
        ask(channel, "{\"v\":1,\"id\":\"18\",\"cmd\":\"events\"}");
        assertEquals(1, handler.subscribers.size());
        channel.close().syncUninterruptibly();
        assertEquals(0, handler.subscribers.size());
        assertEquals(1, handler.unsubscribes);
        handler.push("after-close"); // no subscriber left; must not throw
    }

    @Test
    void aStreamingConnectionTakesNoOtherRequests() throws Exception {
        EmbeddedChannel channel = connect();
        ask(channel, "{\"v\":1,\"id\":\"19\",\"cmd\":\"events\"}");
        assertError(ask(channel, "{\"v\":1,\"id\":\"20\",\"cmd\":\"status\"}"), "bad-request");
        assertEquals(List.of("subscribe"), handler.calls);
        assertTrue(channel.isOpen());
    }

    @Test
    void aPeerThatIsNotPermittedGetsOneErrorAndIsDisconnected() throws Exception {
        EmbeddedChannel channel = connect(ControlAccess.of(Set.of(12345), OptionalInt.empty()), ROOT);
        List<JsonNode> answers = lines(channel);
        assertEquals(1, answers.size());
        assertError(answers.get(0), "not-permitted");
        assertTrue(answers.get(0).get("id").isNull());
        assertTrue(answers.get(0).get("error").get("message").asText().startsWith("uid 0 may not use"));
        assertFalse(channel.isOpen());
        assertTrue(handler.calls.isEmpty());
    }

    @Test
    void aMemberOfTheControlGroupIsLetIn() throws Exception {
        PeerIdentity user = new PeerIdentity(5000, 1000, 1000);
        ControlAccess access = ControlAccess.of(Set.of(0), OptionalInt.of(4321), pid -> Set.of(27, 4321));
        EmbeddedChannel channel = connect(access, user);
        assertTrue(ask(channel, "{\"v\":1,\"id\":\"21\",\"cmd\":\"status\"}").get("ok").asBoolean());
    }

    @Test
    void credentialsThatCannotBeReadAreRefused() throws Exception {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInitializer<EmbeddedChannel>() {
            @Override
            protected void initChannel(EmbeddedChannel ch) {
                ControlPipeline.install(ch.pipeline(), handler, Runnable::run, ControlAccess.rootOnly(),
                        c -> PeerIdentity.of(c));
            }
        });
        List<JsonNode> answers = lines(channel);
        assertError(answers.get(0), "not-permitted");
        assertFalse(channel.isOpen());
    }

    @Test
    void aRejectedCallSaysTheAgentIsShuttingDown() throws Exception {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInitializer<EmbeddedChannel>() {
            @Override
            protected void initChannel(EmbeddedChannel ch) {
                ControlPipeline.install(ch.pipeline(), handler, task -> {
                    throw new java.util.concurrent.RejectedExecutionException("stopped");
                }, ControlAccess.rootOnly(), c -> ROOT);
            }
        });
        assertError(ask(channel, "{\"v\":1,\"id\":\"22\",\"cmd\":\"status\"}"), "unavailable");
    }
    @Test
    void aHalfClosedConnectionGetsItsAnswersBeforeItIsClosed() throws Exception {
        List<Runnable> queued = new ArrayList<>();
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInitializer<EmbeddedChannel>() {
            @Override
            protected void initChannel(EmbeddedChannel ch) {
                ControlPipeline.install(ch.pipeline(), handler, queued::add, ControlAccess.rootOnly(), c -> ROOT);
            }
        });
        write(channel, "{\"v\":1,\"id\":\"23\",\"cmd\":\"status\"}\n{\"v\":1,\"id\":\"24\",\"cmd\":\"reload\"}\n");
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertTrue(channel.isOpen(), "requests are still being answered");
        queued.remove(0).run();
        assertTrue(channel.isOpen(), "one answer is still due");
        queued.remove(0).run();
        List<JsonNode> answers = lines(channel);
        assertEquals(List.of("23", "24"), answers.stream().map(a -> a.get("id").asText()).toList());
        assertFalse(channel.isOpen());
    }

    @Test
    void aHalfCloseWithNothingPendingClosesAndEndsAStream() throws Exception {
        EmbeddedChannel idle = connect();
        idle.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertFalse(idle.isOpen());

        EmbeddedChannel streaming = connect();
        ask(streaming, "{\"v\":1,\"id\":\"25\",\"cmd\":\"events\"}");
        streaming.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertFalse(streaming.isOpen());
        assertEquals(1, handler.unsubscribes);
    }
    @Test
    void answersKeepTheRequestsOrderEvenWhenOneIsMalformed() throws Exception {
        List<Runnable> queued = new ArrayList<>();
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInitializer<EmbeddedChannel>() {
            @Override
            protected void initChannel(EmbeddedChannel ch) {
                ControlPipeline.install(ch.pipeline(), handler, queued::add, ControlAccess.rootOnly(), c -> ROOT);
            }
        });
        write(channel, "{\"v\":1,\"id\":\"26\",\"cmd\":\"status\"}\nnot json\n");
        assertTrue(lines(channel).isEmpty(), "nothing is answered ahead of the status still queued");
        queued.forEach(Runnable::run);
        List<JsonNode> answers = lines(channel);
        assertEquals("26", answers.get(0).get("id").asText());
        assertError(answers.get(1), "bad-request");
    }
}
