// The running agent's side of a live update: a state machine fed with messages and clock ticks, rolling back on any failure.
package dev.tapover.liveupdate;

import java.io.IOException;

/**
 * Pure logic: no I/O of its own, no threads, time passed in. The runner feeds it what arrives on the
 * takeover connection ({@link #onMessage}, {@link #onClosed}) and ticks it ({@link #onTick}) when
 * {@link #deadlineNanos()} passes; it answers through {@link Channel} and acts on the agent through
 * {@link Host}.
 *
 * <pre>
 *  successor                      predecessor (this)                      step     waits at most
 *  HELLO {protocol range} ------>  compatible? HELLO | REFUSE             HELLO    step
 *  PRESERVE               ------>  Host.preserve(): SESSION + all fds     PRESERVE step
 *         (checks the fds, builds its data path on them, frozen; opens its link monitor; warm-up)
 *  FREEZE                 ------>  Host.freeze(): HANDOFF {manifest,      FREEZE   prepare
 *                                  snapshot} + the fds that changed
 *         (checks them, restores, starts reading)
 *  SERVING {steps} | FAIL ------>  Host.finish(): FINISH | roll back      RESTORE  restore
 * </pre>
 *
 * Exactly one process reads the shared fds at any time: the successor holds copies from SESSION on but reads
 * nothing before HANDOFF, which is sent only once this agent has stopped reading ({@link Host#freeze} returns
 * when nothing reads); after HANDOFF this agent reads again only once the successor is gone. Before SERVING,
 * anything else — a FAIL or ABORT, an unexpected message, the connection closing, a missed deadline, a failed
 * send — rolls back: the successor is stopped (once HANDOFF was sent, killed and waited for: it may be
 * reading), then the agent is unfrozen. Nothing was closed, so nothing is lost.
 */
public final class PredecessorProtocol {
    /** What the protocol waits for. */
    public enum State {
        AWAIT_HELLO("HELLO"), AWAIT_PRESERVE("PRESERVE"), AWAIT_FREEZE("FREEZE"), AWAIT_SERVING("RESTORE"),
        FINISHED("FINISH"), ROLLED_BACK(null), REFUSED(null);

        private final String step;

        State(String step) {
            this.step = step;
        }

        /** The name of the step this state waits in: HELLO, PRESERVE, FREEZE, RESTORE (HANDOFF is sent in FREEZE). */
        public String step() {
            return step;
        }
    }

    /** What the agent does for the protocol. Every call runs on the runner's thread. */
    public interface Host {
        /** This build's version, for HELLO. */
        String version();

        /** This process's pid, for HELLO. */
        long pid();

        /**
         * Builds the session as things are now (run arguments, fd tokens and metadata, the fds themselves) and a
         * preview of the state snapshot: the successor checks the fds and builds on them, reading nothing, and
         * checks it can read the snapshot, before anything is frozen.
         */
        Preserved preserve() throws LiveUpdateException;

        /**
         * Stops reading the TAP and the links, holds link events and pauses timers; then takes the final
         * session (the fds as they are at the freeze) and the state snapshot. Undoes itself if it fails.
         */
        Frozen freeze() throws LiveUpdateException;

        /** Starts reading again, replays held link events, resumes timers (idempotent). */
        void unfreeze();

        /**
         * Stops the successor. {@code mayBeReading}: HANDOFF was sent, so the successor may read the shared
         * fds; the call then kills it and returns only once it is gone (or after a bound).
         */
        void stopSuccessor(boolean mayBeReading);

        /** The successor serves: release the control socket and what else it must bind, before FINISH. */
        void finish(Outcome outcome);

        /** Last call of a rollback (after the unfreeze): undo what preserve() set up for the handoff. */
        default void rolledBack() {
        }
    }

    /** The session and a preview of the state, before the freeze. */
    public record Preserved(Session session, StateSnapshot preview) {
    }

    /**
     * The session at the freeze and the state snapshot; {@code frozenAtNanos} is when reading stopped (0: when
     * FREEZE arrived), so the preparations of the freeze itself do not count as gap.
     */
    public record Frozen(Session session, StateSnapshot snapshot, long frozenAtNanos) {
        public Frozen(Session session, StateSnapshot snapshot) {
            this(session, snapshot, 0);
        }
    }

    /** Sends to the successor; every failure is an IOException. */
    public interface Channel {
        void send(Message message, int... fds) throws IOException;

        void close();
    }

    /**
     * @param result         done, rolled-back or refused
     * @param step           where it ended (the step of a rollback)
     * @param reason         why it rolled back or was refused, null when done
     * @param gapNanos       from the freeze to the successor reading (no one read the TAP meanwhile), on the
     *                       host's monotonic clock that both processes share; -1 if never frozen
     * @param frozenNanos    from the freeze to SERVING or the rollback's unfreeze; -1 if never frozen
     * @param successor      the successor's build and pid, from its HELLO (null/0 before)
     */
    public record Outcome(String result, String step, String reason, long gapNanos, long frozenNanos, String successor,
                          long successorPid) {
        public static final String DONE = "done";
        public static final String ROLLED_BACK = "rolled-back";
        public static final String REFUSED = "refused";

        public boolean done() {
            return DONE.equals(result);
        }
    }

    private final Host host;
    private final Channel channel;
    private final Deadlines deadlines;

    private State state = State.AWAIT_HELLO;
    private long deadlineNanos;
    private boolean frozen;
    private long frozenAtNanos;
    private Session preservedSession;
    private String successorVersion;
    private long successorPid;
    private Outcome outcome;

    /** Starts waiting for HELLO at {@code nowNanos} (the connection was just accepted). */
    public PredecessorProtocol(Host host, Channel channel, Deadlines deadlines, long nowNanos) {
        this.host = host;
        this.channel = channel;
        this.deadlines = deadlines;
        this.deadlineNanos = nowNanos + deadlines.stepNanos();
    }

    public State state() {
        return state;
    }

    public boolean isDone() {
        return outcome != null;
    }

    /** The result once {@link #isDone()}, else null. */
    public Outcome outcome() {
        return outcome;
    }

    /** When {@link #onTick} must be called at the latest; Long.MAX_VALUE once done. */
    public long deadlineNanos() {
        return isDone() ? Long.MAX_VALUE : deadlineNanos;
    }

    /** Whether the agent is frozen right now (between FREEZE and SERVING or a rollback). */
    public boolean frozen() {
        return frozen;
    }

    public void onMessage(Message m, long nowNanos) {
        if (isDone()) {
            return;
        }
        if (Message.FAIL.equals(m.type()) || Message.ABORT.equals(m.type())) {
            rollback("the successor gave up: " + orUnknown(m.text("reason")), nowNanos);
            return;
        }
        try {
            switch (state) {
                case AWAIT_HELLO -> hello(m, nowNanos);
                case AWAIT_PRESERVE -> expect(m, Message.PRESERVE, nowNanos, this::preserve);
                case AWAIT_FREEZE -> expect(m, Message.FREEZE, nowNanos, this::freeze);
                case AWAIT_SERVING -> expect(m, Message.SERVING, nowNanos, this::finish);
                default -> throw new IllegalStateException("no message is expected in state " + state);
            }
        } catch (IOException e) {
            rollback("cannot send to the successor (" + e.getMessage() + ")", nowNanos);
        } catch (LiveUpdateException e) {
            rollback(e.getMessage(), nowNanos);
        }
    }

    /** The connection closed (EOF, reset): the successor is gone. */
    public void onClosed(long nowNanos) {
        if (!isDone()) {
            rollback("the successor closed the connection before " + state.step(), nowNanos);
        }
    }

    /** Rolls back if the current step's deadline has passed. */
    public void onTick(long nowNanos) {
        if (!isDone() && nowNanos - deadlineNanos >= 0) {
            long allowed = allowedNanos(state) / 1_000_000;
            rollback("the successor did not complete " + state.step() + " within " + allowed + " ms", nowNanos);
        }
    }

    private long allowedNanos(State s) {
        return switch (s) {
            case AWAIT_FREEZE -> deadlines.prepareNanos();
            case AWAIT_SERVING -> deadlines.restoreNanos();
            default -> deadlines.stepNanos();
        };
    }

    /** Gives up from outside (the agent is stopping). */
    public void abort(String reason, long nowNanos) {
        if (!isDone()) {
            rollback(reason, nowNanos);
        }
    }

    private interface Step {
        void run(Message m, long nowNanos) throws IOException, LiveUpdateException;
    }

    private void expect(Message m, String type, long nowNanos, Step step) throws IOException, LiveUpdateException {
        if (!type.equals(m.type())) {
            throw new LiveUpdateException("the successor sent " + m.type().toUpperCase() + " where "
                    + type.toUpperCase() + " was due");
        }
        step.run(m, nowNanos);
    }

    private void hello(Message m, long nowNanos) throws IOException, LiveUpdateException {
        if (!Message.HELLO.equals(m.type())) {
            throw new LiveUpdateException("the successor sent " + m.type().toUpperCase() + " before HELLO");
        }
        successorVersion = orUnknown(m.text("version"));
        successorPid = m.body().path("pid").asLong();
        String why = Versions.incompatibility(m.body().path("minProtocol").asInt(-1), m.body().path("protocol").asInt(-1));
        if (why != null) {
            refuse(why);
            return;
        }
        Message reply = Message.of(Message.HELLO);
        reply.body().put("protocol", Versions.PROTOCOL);
        reply.body().put("version", host.version());
        reply.body().put("pid", host.pid());
        channel.send(reply);
        enter(State.AWAIT_PRESERVE, nowNanos + deadlines.stepNanos());
    }

    /** Declines before anything changed: the agent carries on as it was. */
    public void refuse(String why) {
        try {
            channel.send(Message.withReason(Message.REFUSE, why));
        } catch (IOException e) {
            // the successor will see the connection close instead
        }
        channel.close();
        state = State.REFUSED;
        outcome = new Outcome(Outcome.REFUSED, State.AWAIT_HELLO.step(), why, -1, -1, successorVersion, successorPid);
    }

    private void preserve(Message m, long nowNanos) throws IOException, LiveUpdateException {
        Preserved preserved = host.preserve();
        preservedSession = preserved.session();
        Message reply = Message.of(Message.SESSION);
        reply.body().set("session", preserved.session().toJson());
        reply.body().set("preview", preserved.preview().toJson());
        channel.send(reply, preserved.session().fds());
        enter(State.AWAIT_FREEZE, nowNanos + deadlines.prepareNanos());
    }

    /** Freezes, then hands over at once: the manifest at the freeze, the snapshot, and the fds not sent with SESSION. */
    private void freeze(Message m, long nowNanos) throws IOException, LiveUpdateException {
        frozen = true; // set first: a failing freeze is undone by the rollback's unfreeze
        frozenAtNanos = nowNanos;
        Frozen frozenState = host.freeze();
        if (frozenState.frozenAtNanos() != 0 && frozenState.frozenAtNanos() - nowNanos >= 0) {
            frozenAtNanos = frozenState.frozenAtNanos();
        }
        Session changed = frozenState.session().changedSince(preservedSession);
        Message reply = Message.of(Message.HANDOFF);
        reply.body().set("session", frozenState.session().toJson());
        reply.body().set("snapshot", frozenState.snapshot().toJson());
        com.fasterxml.jackson.databind.node.ArrayNode tokens = reply.body().putArray("fdTokens");
        changed.entries().forEach(e -> tokens.add(e.token()));
        channel.send(reply, changed.fds());
        enter(State.AWAIT_SERVING, nowNanos + deadlines.restoreNanos());
    }

    private void finish(Message m, long nowNanos) {
        frozen = false;
        state = State.FINISHED;
        long frozenFor = nowNanos - frozenAtNanos;
        // the successor says when it started reading; believe it if it falls inside the freeze
        long readingAt = m.body().path("readingAtNanos").asLong(0);
        long gap = readingAt - frozenAtNanos > 0 && nowNanos - readingAt >= 0 ? readingAt - frozenAtNanos : frozenFor;
        outcome = new Outcome(Outcome.DONE, State.FINISHED.step(), null, gap, frozenFor, successorVersion, successorPid);
        host.finish(outcome);
        try {
            channel.send(Message.of(Message.FINISH));
        } catch (IOException e) {
            // the successor serves either way; it binds the control socket once this connection closes
        }
        channel.close();
    }

    private void enter(State next, long deadline) {
        state = next;
        deadlineNanos = deadline;
    }

    private void rollback(String reason, long nowNanos) {
        State at = state;
        try {
            channel.send(Message.withReason(Message.ABORT, reason));
        } catch (IOException e) {
            // gone already
        }
        channel.close();
        host.stopSuccessor(at == State.AWAIT_SERVING); // HANDOFF was sent: it may be reading
        long gap = frozen ? nowNanos - frozenAtNanos : -1;
        if (frozen) {
            host.unfreeze();
            frozen = false;
        }
        state = State.ROLLED_BACK;
        outcome = new Outcome(Outcome.ROLLED_BACK, at.step(), reason, gap, gap, successorVersion, successorPid);
        host.rolledBack();
    }

    private static String orUnknown(String s) {
        return s == null || s.isEmpty() ? "unknown" : s;
    }
}
