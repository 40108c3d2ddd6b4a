// The Netty pipeline of one control connection: peer check, line framing, requests, event streams.
package dev.tapover.control;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ReferenceCountUtil;

/**
 * Installs the handlers of one connection:
 *
 * <pre>
 *   "access"    PeerCheck          SO_PEERCRED against {@link ControlAccess}; refuses with one error line, closes
 *   "lines"     LineBasedFrameDecoder   at most {@link ControlProtocol#MAX_REQUEST_BYTES} per line
 *   "requests"  RequestHandler     validates on the event loop, calls {@link ControlHandler} on {@code calls}
 * </pre>
 *
 * The server passes a single-thread executor as {@code calls}, so the handler sees one call at a time and the
 * event loop never blocks; tests pass {@code Runnable::run}. Every answer, a refusal of a malformed line
 * included, passes through {@code calls}, so answers keep the order of the requests. A client that shuts down
 * its sending side after its requests (needs {@code ALLOW_HALF_CLOSURE}) gets all its answers, then the close.
 * Events are written from the thread that raises them (Netty hands the write to the event loop).
 */
public final class ControlPipeline {
    private static final Logger log = LoggerFactory.getLogger(ControlPipeline.class);

    /** Reads a connected channel's peer credentials; the server reads SO_PEERCRED, tests make them up. */
    @FunctionalInterface
    public interface PeerSource {
        PeerIdentity identify(Channel channel) throws IOException;
    }

    private ControlPipeline() {
    }

    /** Adds the control handlers to a freshly connected channel's pipeline. */
    public static void install(ChannelPipeline pipeline, ControlHandler handler, Executor calls,
            ControlAccess access, PeerSource peers) {
        NettyLogging.quiet();
        pipeline.addLast("access", new PeerCheck(access, peers));
        pipeline.addLast("lines", new LineBasedFrameDecoder(ControlProtocol.MAX_REQUEST_BYTES, true, true));
        pipeline.addLast("requests", new RequestHandler(handler, calls));
    }

    static void send(Channel channel, Object line) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(ControlProtocol.toLine(line)));
    }

    static void sendAndClose(Channel channel, Object line) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(ControlProtocol.toLine(line)))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** Lets the connection through if its peer is permitted, else answers one error line and closes it. */
    static final class PeerCheck extends ChannelInboundHandlerAdapter {
        private final ControlAccess access;
        private final PeerSource peers;
        private boolean refused;

        PeerCheck(ControlAccess access, PeerSource peers) {
            this.access = access;
            this.peers = peers;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            String refusal;
            try {
                PeerIdentity peer = peers.identify(ctx.channel());
                if (access.permits(peer)) {
                    log.debug("control connection from {}", peer);
                    ctx.fireChannelActive();
                    ctx.pipeline().remove(this);
                    return;
                }
                refusal = access.refusal(peer);
                log.info("refused a control connection from {}: not root or in the control group", peer);
            } catch (IOException | RuntimeException e) {
                refusal = "the agent could not read this connection's credentials (" + e.getMessage()
                        + "); connect through the UNIX socket as root";
                log.warn("refused a control connection: {}", e.toString());
            }
            refused = true;
            sendAndClose(ctx.channel(), ControlProtocol.failure(NullNode.instance, ControlProtocol.NOT_PERMITTED,
                    refusal));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (refused) {
                ReferenceCountUtil.release(msg); // nothing from a refused peer reaches the agent
            } else {
                ctx.fireChannelRead(msg);
            }
        }
    }

    /** Turns request lines into handler calls and their results into response lines. */
    static final class RequestHandler extends ChannelInboundHandlerAdapter {
        private final ControlHandler handler;
        private final Executor calls;
        // The fields below are read and written on the event loop only.
        /** Set by an "events" request. */
        private boolean streaming;
        /** Requests read but not yet answered. */
        private int unanswered;
        /** The client shut down its sending side (e.g. {@code echo ... | nc -UN}): close once all are answered. */
        private boolean inputShutdown;

        RequestHandler(ControlHandler handler, Executor calls) {
            this.handler = handler;
            this.calls = calls;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            byte[] line;
            ByteBuf buf = (ByteBuf) msg;
            try {
                line = ByteBufUtil.getBytes(buf);
            } finally {
                buf.release();
            }
            if (isBlank(line)) {
                return; // an empty line (e.g. a stray newline from socat) is not a request
            }
            Channel channel = ctx.channel();
            ControlRequest request = null;
            Object refusal = null;
            try {
                request = ControlRequest.parse(line);
                if (streaming) {
                    refusal = ControlProtocol.failure(request.id(), ControlProtocol.BAD_REQUEST,
                            "this connection is streaming events; open another connection for other requests");
                } else if (request.cmd().equals(ControlProtocol.EVENTS)) {
                    streaming = true;
                }
            } catch (ControlRequest.Invalid invalid) {
                refusal = ControlProtocol.failure(invalid.id, invalid.code, invalid.getMessage());
            }
            // Every answer, refusals included, goes through the same queue, so answers keep the requests' order.
            unanswered++;
            Object refused = refusal;
            ControlRequest valid = request;
            try {
                calls.execute(refused != null ? () -> answer(channel, refused) : () -> dispatch(channel, valid));
            } catch (RejectedExecutionException e) {
                answer(channel, refused != null ? refused : ControlProtocol.failure(valid.id(),
                        ControlProtocol.UNAVAILABLE, "the agent is shutting down; try again when it is running"));
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent) {
                inputShutdown = true;
                // a stream ends with its client's sending side; a request still running gets its answer first
                if (streaming || unanswered == 0) {
                    ctx.close();
                }
            }
            ctx.fireUserEventTriggered(event);
        }

        /** Writes one answer on the event loop, closing a half-closed connection after its last answer. */
        private void answer(Channel channel, Object line) {
            if (!channel.eventLoop().inEventLoop()) {
                channel.eventLoop().execute(() -> answer(channel, line));
                return;
            }
            unanswered--;
            if (inputShutdown && unanswered == 0) {
                sendAndClose(channel, line);
            } else {
                send(channel, line);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TooLongFrameException) {
                log.info("closed a control connection that sent a request longer than {} bytes",
                        ControlProtocol.MAX_REQUEST_BYTES);
                sendAndClose(ctx.channel(), ControlProtocol.failure(NullNode.instance, ControlProtocol.BAD_REQUEST,
                        "request longer than " + ControlProtocol.MAX_REQUEST_BYTES + " bytes"));
            } else {
                log.debug("control connection failed: {}", cause.toString());
                ctx.close();
            }
        }

        /** Runs on {@code calls}: one handler call, one response line (or the start of an event stream). */
        private void dispatch(Channel channel, ControlRequest request) {
            if (!channel.isActive()) {
                return; // the client went away while the request waited
            }
            JsonNode id = request.id();
            if (request.cmd().equals(ControlProtocol.EVENTS)) {
                startEvents(channel, id);
                return;
            }
            Object response;
            try {
                Map<String, Object> result = switch (request.cmd()) {
                    case ControlProtocol.STATUS -> handler.status();
                    case ControlProtocol.SWITCH -> handler.switchTo(request.group(), request.to());
                    case ControlProtocol.NOTIFY_PEERS -> handler.notifyPeers(request.group());
                    case ControlProtocol.RELOAD -> handler.reload();
                    case ControlProtocol.UPGRADE -> handler.upgrade();
                    default -> throw new ControlException(ControlProtocol.UNKNOWN_COMMAND,
                            "unknown command \"" + request.cmd() + "\"");
                };
                response = ControlProtocol.success(id, result);
            } catch (ControlException e) {
                log.debug("control {} refused: {} ({})", request.cmd(), e.getMessage(), e.code());
                response = ControlProtocol.failure(id, e.code(), e.getMessage());
            } catch (RuntimeException | LinkageError | AssertionError e) {
                // LinkageError too: after an upgrade replaced the jar, a class loaded late may be missing
                log.warn("control {} failed", request.cmd(), e);
                response = ControlProtocol.failure(id, ControlProtocol.INTERNAL, "the agent failed to run "
                        + request.cmd() + " (" + e + "); see the agent log");
            }
            answer(channel, response);
        }

        /** Acknowledges, then forwards every event until the channel closes. */
        private void startEvents(Channel channel, JsonNode id) {
            answer(channel, ControlProtocol.success(id, Map.of("stream", ControlProtocol.EVENTS)));
            EventForwarder forwarder = new EventForwarder(channel, id);
            AutoCloseable subscription;
            try {
                subscription = handler.subscribe(forwarder::forward);
            } catch (RuntimeException e) {
                log.warn("control events: subscribing failed", e);
                sendAndClose(channel, ControlProtocol.failure(id, ControlProtocol.INTERNAL,
                        "the agent could not subscribe to events (" + e + "); see the agent log"));
                return;
            }
            channel.closeFuture().addListener(closed -> {
                try {
                    subscription.close();
                } catch (Exception e) {
                    log.warn("control events: unsubscribing failed", e);
                }
            });
        }

        private static boolean isBlank(byte[] line) {
            for (byte b : line) {
                if (b != ' ' && b != '\t' && b != '\r') {
                    return false;
                }
            }
            return true;
        }
    }

    /** Writes events of one stream; a client too slow to keep up is told so and disconnected. */
    static final class EventForwarder {
        private final Channel channel;
        private final JsonNode id;
        private volatile boolean overflowed;

        EventForwarder(Channel channel, JsonNode id) {
            this.channel = channel;
            this.id = id;
        }

        void forward(Map<String, Object> event) {
            if (!channel.isActive() || overflowed) {
                return;
            }
            if (!channel.isWritable()) {
                overflowed = true;
                log.info("closed an event stream whose client stopped reading");
                sendAndClose(channel, ControlProtocol.failure(id, ControlProtocol.UNAVAILABLE,
                        "the event stream was closed because the client stopped reading; reconnect"));
                return;
            }
            byte[] line;
            try {
                line = ControlProtocol.toLine(ControlProtocol.event(id, event));
            } catch (RuntimeException e) {
                log.warn("control events: event {} is not JSON-ready, skipped", event, e);
                return;
            }
            channel.writeAndFlush(Unpooled.wrappedBuffer(line));
        }
    }
}
