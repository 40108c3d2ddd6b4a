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
 *  successor                      predecessor (this)              step     waits at most
 *  HELLO {protocol range} ------>  compatible? HELLO | REFUSE     HELLO    step
 *  PRESERVE               ------>  Host.preserve(): SESSION       PRESERVE step
 *         (prepares: config, pcap handles, warm-up)
 *  FREEZE                 ------>  Host.freeze(): FROZEN          FREEZE   prepare
 *  HANDOFF                ------>  manifest + snapshot + fds      HANDOFF  step
 *         (checks fds, restores)
 *  READY | FAIL           ------>  COMMIT | roll back             RESTORE  restore
 *         (starts reading)
 *  SERVING                ------>  Host.finish(): FINISH, done    READY    step
 * </pre>
 *
 * Before SERVING, anything else — a FAIL or ABORT, an unexpected message, the connection closing, a missed
 * deadline, a failed send — rolls back: the successor is stopped (and, once COMMIT was sent and it may be
 * reading, waited for), then the agent is unfrozen. Nothing was closed, so nothing is lost.
 */
public final class PredecessorProtocol {
    /** What the protocol waits for. */
    public enum State {
        AWAIT_HELLO("HELLO"), AWAIT_PRESERVE("PRESERVE"), AWAIT_FREEZE("FREEZE"), AWAIT_HANDOFF("HANDOFF"),
        AWAIT_READY("RESTORE"), AWAIT_SERVING("READY"), FINISHED("FINISH"), ROLLED_BACK(null), REFUSED(null);

        private final String step;

        State(String step) {
            this.step = step;
        }

        /** The name of the step this state waits in: HELLO, PRESERVE, FREEZE, HANDOFF, RESTORE, READY. */
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
         * Builds the session as things are now (run arguments, fd tokens and metadata) and a preview of the
         * state snapshot: the successor checks it can read it, and warms up, before anything is frozen.
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
         * Stops the successor. {@code mayBeReading}: COMMIT was sent, so the successor may read the shared
         * fds; the call then returns only once it is gone (or after a bound).
         */
        void stopSuccessor(boolean mayBeReading);

        /** The successor serves: release the control socket and what else it must bind, before FINISH. */
        void finish(Outcome outcome);
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
    private Frozen frozenState;
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
                case AWAIT_HANDOFF -> expect(m, Message.HANDOFF, nowNanos, this::handoff);
                case AWAIT_READY -> expect(m, Message.READY, nowNanos, this::commit);
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
            case AWAIT_READY -> deadlines.restoreNanos();
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
        Message reply = Message.of(Message.SESSION);
        reply.body().set("session", preserved.session().toJson());
        reply.body().set("preview", preserved.preview().toJson());
        channel.send(reply);
        enter(State.AWAIT_FREEZE, nowNanos + deadlines.prepareNanos());
    }

    private void freeze(Message m, long nowNanos) throws IOException, LiveUpdateException {
        frozen = true; // set first: a failing freeze is undone by the rollback's unfreeze
        frozenAtNanos = nowNanos;
        frozenState = host.freeze();
        if (frozenState.frozenAtNanos() != 0 && frozenState.frozenAtNanos() - nowNanos >= 0) {
            frozenAtNanos = frozenState.frozenAtNanos();
        }
        Message reply = Message.of(Message.FROZEN);
        reply.body().put("fds", frozenState.session().entries().size());
        channel.send(reply);
        enter(State.AWAIT_HANDOFF, nowNanos + deadlines.stepNanos());
    }

    private void handoff(Message m, long nowNanos) throws IOException {
        Message reply = Message.of(Message.HANDOFF);
        reply.body().set("session", frozenState.session().toJson());
        reply.body().set("snapshot", frozenState.snapshot().toJson());
        channel.send(reply, frozenState.session().fds());
        enter(State.AWAIT_READY, nowNanos + deadlines.restoreNanos());
    }

    private void commit(Message m, long nowNanos) throws IOException {
        channel.send(Message.of(Message.COMMIT));
        enter(State.AWAIT_SERVING, nowNanos + deadlines.stepNanos());
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
        host.stopSuccessor(at == State.AWAIT_SERVING);
        long gap = frozen ? nowNanos - frozenAtNanos : -1;
        if (frozen) {
            host.unfreeze();
            frozen = false;
        }
        state = State.ROLLED_BACK;
        outcome = new Outcome(Outcome.ROLLED_BACK, at.step(), reason, gap, gap, successorVersion, successorPid);
    }

    private static String orUnknown(String s) {
        return s == null || s.isEmpty() ? "unknown" : s;
    }
}
