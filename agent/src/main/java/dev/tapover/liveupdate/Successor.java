// The successor's side of a live update over a real takeover connection: blocking calls, one per protocol step.
package dev.tapover.liveupdate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.tapover.natives.NativeException;

/**
 * Used by {@code tapover run --takeover SOCKET} in this order: {@link #connect} (HELLO, PRESERVE: the session
 * and the fds, checked), {@link #freezeAndHandOff} (FREEZE, answered by HANDOFF: the manifest at the freeze,
 * the snapshot, the fds that changed, checked), then — reading — {@link #serving} (SERVING, waits for FINISH).
 * Any failure before reading leaves the running agent as it was; {@link #fail} tells it why.
 */
public final class Successor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Successor.class);

    private final Transport transport;
    private final SuccessorProtocol protocol;
    private final Path path;
    private Session session;
    private StateSnapshot preview;
    private Handoff early;
    private String predecessorVersion;
    private long predecessorPid;
    private long frozenAtNanos;

    private Successor(Transport transport, Deadlines deadlines, Path path) {
        this.transport = transport;
        this.protocol = new SuccessorProtocol(deadlines);
        this.path = path;
    }

    /** Connects to the takeover socket, says HELLO and receives the session. */
    public static Successor connect(Path path, Deadlines deadlines, String version) throws LiveUpdateException {
        Transport transport;
        try {
            transport = Transport.connect(path);
        } catch (NativeException e) {
            throw new LiveUpdateException("cannot reach a running agent on takeover socket " + path + " ("
                    + e.errnoName() + "); check the path (it sits next to the control socket, e.g. /run/tapover/fo0.takeover)");
        }
        Successor s = new Successor(transport, deadlines, path);
        try {
            FaultInjection.pauseIf("connect");
            Message hello = Message.of(Message.HELLO);
            hello.body().put("protocol", Versions.PROTOCOL);
            hello.body().put("minProtocol", Versions.MIN_PROTOCOL);
            hello.body().put("version", version);
            hello.body().put("pid", ProcessHandle.current().pid());
            Message answer = s.exchange(hello).message();
            s.predecessorVersion = answer.text("version");
            s.predecessorPid = answer.body().path("pid").asLong();
            LOG.info("event=takeover-hello predecessor_pid={} predecessor_version={} protocol={}", s.predecessorPid,
                    s.predecessorVersion, answer.body().path("protocol").asInt());
            FaultInjection.pauseIf("hello");
            Transport.Incoming in = s.exchange(Message.of(Message.PRESERVE));
            try {
                s.session = Session.fromJson(in.message().body().get("session"));
                // read the preview now: an unreadable snapshot fails here, before anything is frozen
                s.preview = StateSnapshot.fromJson(in.message().body().get("preview"));
                check(s.session.entries(), in);
            } catch (LiveUpdateException e) {
                Transport.closeAll(in.fds());
                throw e;
            }
            s.early = new Handoff(s.session, s.preview, in.fds());
            LOG.info("event=takeover-session master={} generation={} fds={}", s.session.master(), s.session.generation(),
                    s.session.entries().stream().map(FdEntry::token).toList());
            FaultInjection.pauseIf("preserve");
            return s;
        } catch (LiveUpdateException e) {
            s.fail(e.getMessage());
            throw e;
        }
    }

    public Session session() {
        return session;
    }

    /** The predecessor's state at PRESERVE (the real snapshot comes with HANDOFF). */
    public StateSnapshot preview() {
        return preview;
    }

    /**
     * The fds that came with SESSION, checked against it, by token: the successor builds on them before the
     * freeze and reads nothing until HANDOFF. Untaken ones are closed by {@link #close}.
     */
    public Handoff early() {
        return early;
    }

    /** Checks the fds that came with {@code in} against {@code entries} (the same order). */
    private static void check(List<FdEntry> entries, Transport.Incoming in) throws LiveUpdateException {
        List<FdCheck.Observed> observed = new ArrayList<>();
        for (int fd : in.fds()) {
            observed.add(FdCheck.probe(fd));
        }
        FdCheck.verify(entries, observed, in.truncated());
    }

    public String predecessorVersion() {
        return predecessorVersion;
    }

    public long predecessorPid() {
        return predecessorPid;
    }

    public Path path() {
        return path;
    }

    /** When FREEZE was sent (System.nanoTime), for the gap this side measures (a little longer than the real one). */
    public long frozenAtNanos() {
        return frozenAtNanos;
    }

    /**
     * FREEZE, answered by HANDOFF: the manifest at the freeze, the snapshot, and the fds that changed since
     * SESSION (checked). Returns them by token; the others are in {@link #early()}, whose entries must still
     * describe the same files.
     */
    public Handoff freezeAndHandOff() throws LiveUpdateException {
        try {
            frozenAtNanos = System.nanoTime();
            Transport.Incoming in = exchange(Message.of(Message.FREEZE));
            Session final0;
            StateSnapshot snapshot;
            List<String> tokens = new ArrayList<>();
            try {
                final0 = Session.fromJson(in.message().body().get("session"));
                snapshot = StateSnapshot.fromJson(in.message().body().get("snapshot"));
                if (!final0.master().equals(session.master())) {
                    throw new LiveUpdateException("the handoff is for master " + final0.master() + " but the session was for "
                            + session.master());
                }
                List<FdEntry> sent = new ArrayList<>();
                for (com.fasterxml.jackson.databind.JsonNode t : in.message().body().path("fdTokens")) {
                    FdEntry e = final0.entry(t.asText());
                    if (e == null) {
                        throw new LiveUpdateException("the handoff carries an fd for \"" + t.asText()
                                + "\", which its manifest does not list");
                    }
                    sent.add(e);
                    tokens.add(e.token());
                }
                check(sent, in);
                for (FdEntry e : final0.entries()) {
                    if (tokens.contains(e.token())) {
                        continue;
                    }
                    FdEntry before = session.entry(e.token());
                    if (before == null || before.dev() != e.dev() || before.ino() != e.ino()) {
                        throw new LiveUpdateException("fd \"" + e.token() + "\" changed since the session but the handoff "
                                + "does not carry it");
                    }
                }
            } catch (LiveUpdateException e) {
                Transport.closeAll(in.fds());
                throw e;
            }
            session = final0;
            LOG.debug("event=takeover-handoff fds={} checked=ok", in.fds().length);
            Handoff handoff = new Handoff(final0, snapshot, tokens, in.fds());
            FaultInjection.pauseIf("handoff");
            return handoff;
        } catch (LiveUpdateException e) {
            fail(e.getMessage());
            throw e;
        }
    }

    /** SERVING's message with the restore report (also built once before the freeze, so that it is quick inside it). */
    public static Message servingMessage(List<RestorePlan.StepReport> report, long readingAtNanos) {
        Message m = Message.of(Message.SERVING);
        m.body().put("readingAtNanos", readingAtNanos);
        ArrayNode steps = m.body().putArray("steps");
        for (RestorePlan.StepReport r : report) {
            ObjectNode n = steps.addObject();
            n.put("name", r.name());
            n.put("result", r.result().name().toLowerCase());
            n.put("attempts", r.attempts());
            n.put("micros", r.micros());
        }
        return m;
    }

    /**
     * SERVING (this side reads since {@code readingAtNanos}), then waits (bounded) for FINISH or the
     * predecessor closing the connection: either way the predecessor has released the control socket by
     * then, or is about to.
     */
    public void serving(List<RestorePlan.StepReport> report, long readingAtNanos) {
        try {
            send(servingMessage(report, readingAtNanos));
            await();
        } catch (LiveUpdateException e) {
            LOG.info("event=takeover-finish-not-seen why=\"{}\" (serving anyway)", e.getMessage());
        }
        transport.close();
    }

    /** Tells the running agent this update failed (it rolls back) and closes the connection. */
    public void fail(String reason) {
        try {
            transport.send(Message.withReason(Message.FAIL, reason));
        } catch (IOException e) {
            LOG.debug("event=takeover-fail-unsent error=\"{}\"", e.getMessage());
        }
        transport.close();
    }

    private void send(Message m) throws LiveUpdateException {
        protocol.request(m, System.nanoTime());
        try {
            transport.send(m);
        } catch (IOException e) {
            throw new LiveUpdateException("cannot send " + m.type().toUpperCase() + " to the running agent ("
                    + e.getMessage() + ")");
        }
    }

    private Transport.Incoming exchange(Message request) throws LiveUpdateException {
        send(request);
        return await();
    }

    /** Waits for the answer the protocol expects, within its deadline. */
    private Transport.Incoming await() throws LiveUpdateException {
        while (true) {
            long wait = protocol.deadlineNanos() - System.nanoTime();
            Transport.Incoming in;
            try {
                in = transport.receive(wait);
            } catch (IOException e) {
                throw new LiveUpdateException("the takeover connection failed during " + protocol.step() + " ("
                        + e.getMessage() + ")");
            }
            if (in.closed()) {
                throw protocol.closed();
            }
            if (in.timedOut()) {
                protocol.onTick(System.nanoTime());
                continue;
            }
            try {
                protocol.answer(in.message(), System.nanoTime());
            } catch (LiveUpdateException e) {
                Transport.closeAll(in.fds());
                throw e;
            }
            if (!Message.HANDOFF.equals(in.message().type()) && !Message.SESSION.equals(in.message().type())) {
                Transport.closeAll(in.fds());
            }
            return in;
        }
    }

    @Override
    public void close() {
        if (early != null) {
            early.closeUntaken();
        }
        transport.close();
    }
}
