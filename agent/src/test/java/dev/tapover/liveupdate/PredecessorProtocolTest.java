// Walks the running agent's side of the live-update protocol with a fake clock: every step, every timeout, every rollback.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.tapover.liveupdate.PredecessorProtocol.State;

class PredecessorProtocolTest {
    private static final long MS = 1_000_000L;
    private static final long T0 = 1_000_000 * MS;
    private static final Deadlines DEADLINES = Deadlines.defaults(); // step 3 s, prepare 15 s, restore 5 s

    /** Records what the protocol asks of the agent, in order. */
    static class FakeHost implements PredecessorProtocol.Host {
        final List<String> calls = new ArrayList<>();
        boolean failFreeze;
        boolean failPreserve;
        /** What freeze() returns as the session at the freeze (default: as preserved). */
        Session atFreeze = Samples.session();

        @Override
        public String version() {
            return "1.2.3";
        }

        @Override
        public long pid() {
            return 100;
        }

        @Override
        public PredecessorProtocol.Preserved preserve() throws LiveUpdateException {
            calls.add("preserve");
            if (failPreserve) {
                throw new LiveUpdateException("the session already holds an fd under token \"tap/fo0\"; each fd needs its own token");
            }
            return new PredecessorProtocol.Preserved(Samples.session(), Samples.snapshot());
        }

        @Override
        public PredecessorProtocol.Frozen freeze() throws LiveUpdateException {
            calls.add("freeze");
            if (failFreeze) {
                throw new LiveUpdateException("cannot freeze the agent: the data path did not answer");
            }
            return new PredecessorProtocol.Frozen(atFreeze, Samples.snapshot());
        }

        @Override
        public void unfreeze() {
            calls.add("unfreeze");
        }

        @Override
        public void stopSuccessor(boolean mayBeReading) {
            calls.add("stop-successor" + (mayBeReading ? "-and-wait" : ""));
        }

        @Override
        public void finish(PredecessorProtocol.Outcome outcome) {
            calls.add("finish");
        }
    }

    /** Records what goes to the successor. */
    static final class FakeChannel implements PredecessorProtocol.Channel {
        final List<Message> sent = new ArrayList<>();
        final List<int[]> fds = new ArrayList<>();
        boolean closed;
        String failOn;

        @Override
        public void send(Message message, int... passed) throws IOException {
            if (message.type().equals(failOn)) {
                throw new IOException("sendmsg(SCM_RIGHTS, 3 fds) failed: EPIPE (Broken pipe)");
            }
            sent.add(message);
            fds.add(passed);
        }

        @Override
        public void close() {
            closed = true;
        }

        String lastType() {
            return sent.isEmpty() ? null : sent.get(sent.size() - 1).type();
        }

        List<String> types() {
            return sent.stream().map(Message::type).toList();
        }
    }

    private final FakeHost host = new FakeHost();
    private final FakeChannel channel = new FakeChannel();
    private long now = T0;
    private final PredecessorProtocol protocol = new PredecessorProtocol(host, channel, DEADLINES, T0);

    private static Message hello(int min, int max) {
        Message m = Message.of(Message.HELLO);
        m.body().put("minProtocol", min);
        m.body().put("protocol", max);
        m.body().put("version", "2.0.0");
        m.body().put("pid", 4242);
        return m;
    }

    private void receive(Message m, long afterMs) {
        now += afterMs * MS;
        protocol.onMessage(m, now);
    }

    /** Drives the protocol to {@code target} along the happy path. */
    private void driveTo(State target) {
        List<Runnable> steps = List.of(
                () -> receive(hello(Versions.PROTOCOL, Versions.PROTOCOL), 5),
                () -> receive(Message.of(Message.PRESERVE), 5),
                () -> receive(Message.of(Message.FREEZE), 5));
        State[] order = {State.AWAIT_HELLO, State.AWAIT_PRESERVE, State.AWAIT_FREEZE, State.AWAIT_SERVING};
        for (int i = 0; order[i] != target; i++) {
            steps.get(i).run();
        }
        assertEquals(target, protocol.state());
    }

    @Test
    void happyPathWalksEveryStepTheFdsTravelWithTheSessionAndFreezeIsAnsweredByTheHandoff() {
        assertEquals(State.AWAIT_HELLO, protocol.state());
        receive(hello(2, 3), 5);
        assertEquals(State.AWAIT_PRESERVE, protocol.state());
        assertEquals(Message.HELLO, channel.lastType());
        assertEquals(Versions.PROTOCOL, channel.sent.get(0).body().get("protocol").asInt());
        assertEquals("1.2.3", channel.sent.get(0).text("version"));

        receive(Message.of(Message.PRESERVE), 5);
        assertEquals(State.AWAIT_FREEZE, protocol.state());
        assertEquals(Message.SESSION, channel.lastType());
        assertEquals("fo0", channel.sent.get(1).body().get("session").get("master").asText());
        assertTrue(channel.sent.get(1).body().has("preview"), "the session carries a preview of the snapshot");
        assertArrayEquals(Samples.FDS, channel.fds.get(1), "all fds travel with the session, in manifest order");
        assertFalse(protocol.frozen());
        assertEquals(now + DEADLINES.prepareNanos(), protocol.deadlineNanos());

        receive(Message.of(Message.FREEZE), 5);
        assertTrue(protocol.frozen());
        long frozenAt = now;
        assertEquals(State.AWAIT_SERVING, protocol.state());
        Message handoff = channel.sent.get(2);
        assertEquals(Message.HANDOFF, handoff.type(), "FREEZE is answered by the handoff itself: no FROZEN round trip");
        assertArrayEquals(new int[0], channel.fds.get(2), "no fd changed since the session: none travels again");
        assertEquals(0, handoff.body().get("fdTokens").size());
        assertEquals(StateSnapshot.SCHEMA, handoff.body().get("snapshot").get("schema").asInt());
        assertEquals(3, handoff.body().get("session").get("fds").size(), "the manifest at the freeze (ring slots)");
        assertEquals(now + DEADLINES.restoreNanos(), protocol.deadlineNanos());

        Message serving = Message.of(Message.SERVING);
        serving.body().put("readingAtNanos", frozenAt + 12 * MS);
        receive(serving, 13);
        assertEquals(State.FINISHED, protocol.state());
        assertEquals(Message.FINISH, channel.lastType());
        assertTrue(channel.closed);
        assertEquals(List.of("preserve", "freeze", "finish"), host.calls, "never unfrozen, successor never stopped");
        PredecessorProtocol.Outcome o = protocol.outcome();
        assertTrue(o.done());
        assertEquals(12 * MS, o.gapNanos(), "the gap ends when the successor started reading");
        assertEquals(13 * MS, o.frozenNanos(), "frozen from FREEZE to SERVING");
        assertEquals(4242, o.successorPid());
        assertEquals("2.0.0", o.successor());
        assertEquals(Long.MAX_VALUE, protocol.deadlineNanos());
        assertFalse(protocol.frozen());
    }

    @Test
    void aSocketOpenedAgainSinceTheSessionTravelsWithTheHandoffAlone() throws LiveUpdateException {
        // eth2's socket was re-opened between PRESERVE and FREEZE (new inode, new fd number)
        Session s = Samples.session();
        host.atFreeze = new Session.Builder("fo0", 0).argv(s.argv())
                .add(s.entries().get(0), Samples.FDS[0]).add(s.entries().get(1), Samples.FDS[1])
                .add(Samples.packet("eth2", 3, 9999), 20).build();
        driveTo(State.AWAIT_SERVING);
        Message handoff = channel.sent.get(2);
        assertEquals(Message.HANDOFF, handoff.type());
        assertArrayEquals(new int[] {20}, channel.fds.get(2));
        assertEquals(1, handoff.body().get("fdTokens").size());
        assertEquals("packet/eth2", handoff.body().get("fdTokens").get(0).asText());
    }

    @Test
    void theGapStartsWhenTheHostStoppedReadingNotWhenFreezeArrived() {
        FakeHost late = new FakeHost() {
            @Override
            public PredecessorProtocol.Frozen freeze() {
                calls.add("freeze");
                return new PredecessorProtocol.Frozen(Samples.session(), Samples.snapshot(), now + 4 * MS);
            }
        };
        PredecessorProtocol p = new PredecessorProtocol(late, channel, DEADLINES, now);
        p.onMessage(hello(Versions.PROTOCOL, Versions.PROTOCOL), now);
        p.onMessage(Message.of(Message.PRESERVE), now);
        p.onMessage(Message.of(Message.FREEZE), now); // sized queues for 4 ms, then stopped reading
        p.onMessage(Message.of(Message.SERVING), now + 24 * MS);
        assertEquals(20 * MS, p.outcome().frozenNanos());
    }

    @Test
    void aReadingTimeOutsideTheFreezeIsNotBelievedAndTheFrozenTimeIsTheGap() {
        driveTo(State.AWAIT_SERVING);
        Message serving = Message.of(Message.SERVING);
        serving.body().put("readingAtNanos", T0 - 5 * MS); // another clock: before the freeze
        receive(serving, 2);
        PredecessorProtocol.Outcome o = protocol.outcome();
        assertEquals(o.frozenNanos(), o.gapNanos());
        assertEquals(2 * MS, o.gapNanos());
    }

    @Test
    void anIncompatibleSuccessorIsRefusedAndNothingIsTouched() {
        receive(hello(3, 4), 1);
        assertEquals(State.REFUSED, protocol.state());
        assertEquals(Message.REFUSE, channel.lastType());
        assertTrue(channel.sent.get(0).text("reason").contains("speaks live-update protocol 3..4"),
                channel.sent.get(0).text("reason"));
        assertTrue(channel.closed);
        assertEquals(List.of(), host.calls, "no preserve, no freeze, nothing to stop or undo");
        assertEquals(PredecessorProtocol.Outcome.REFUSED, protocol.outcome().result());
        assertEquals(-1, protocol.outcome().gapNanos());
    }

    @Test
    void aHelloWithoutProtocolRangeIsRefused() {
        Message m = Message.of(Message.HELLO);
        receive(m, 1);
        assertEquals(State.REFUSED, protocol.state());
    }

    /** The states in which the protocol waits for the successor, i.e. where a timeout or a close can happen. */
    private static boolean waiting(State s) {
        return s.ordinal() <= State.AWAIT_SERVING.ordinal();
    }

    @ParameterizedTest
    @EnumSource(value = State.class, names = {"AWAIT_HELLO", "AWAIT_PRESERVE", "AWAIT_FREEZE", "AWAIT_SERVING"})
    void aMissedDeadlineRollsBackAtEveryStep(State at) {
        driveTo(at);
        long allowed = at == State.AWAIT_SERVING ? DEADLINES.restoreNanos()
                : at == State.AWAIT_FREEZE ? DEADLINES.prepareNanos() : DEADLINES.stepNanos();
        long entered = protocol.deadlineNanos() - allowed;
        protocol.onTick(entered + allowed - 1);
        assertEquals(at, protocol.state(), "one nanosecond before the deadline nothing happens");
        protocol.onTick(entered + allowed);
        assertRolledBack(at, "did not complete " + at.step() + " within " + allowed / MS + " ms");
    }

    @ParameterizedTest
    @EnumSource(value = State.class, names = {"AWAIT_HELLO", "AWAIT_PRESERVE", "AWAIT_FREEZE", "AWAIT_SERVING"})
    void theSuccessorDyingRollsBackAtEveryStep(State at) {
        driveTo(at);
        now += 7 * MS;
        protocol.onClosed(now);
        assertRolledBack(at, "closed the connection before " + at.step());
    }

    @ParameterizedTest
    @EnumSource(value = State.class, names = {"AWAIT_HELLO", "AWAIT_PRESERVE", "AWAIT_FREEZE", "AWAIT_SERVING"})
    void aSuccessorThatGivesUpRollsBackAtEveryStep(State at) {
        driveTo(at);
        receive(Message.withReason(Message.FAIL, "fd \"tap/fo0\" is TAP \"fo1\", not \"fo0\""), 3);
        assertRolledBack(at, "the successor gave up: fd \"tap/fo0\" is TAP \"fo1\", not \"fo0\"");
    }

    @ParameterizedTest
    @EnumSource(value = State.class, names = {"AWAIT_PRESERVE", "AWAIT_FREEZE", "AWAIT_SERVING"})
    void aMessageOutOfOrderRollsBack(State at) {
        driveTo(at);
        receive(Message.of(Message.HELLO), 1);
        assertRolledBack(at, "the successor sent HELLO where");
    }

    @Test
    void aMessageBeforeHelloRollsBackWithoutTouchingAnything() {
        receive(Message.of(Message.FREEZE), 1);
        assertRolledBack(State.AWAIT_HELLO, "sent FREEZE before HELLO");
    }

    private void assertRolledBack(State at, String reasonPart) {
        assertEquals(State.ROLLED_BACK, protocol.state());
        PredecessorProtocol.Outcome o = protocol.outcome();
        assertEquals(PredecessorProtocol.Outcome.ROLLED_BACK, o.result());
        assertEquals(at.step(), o.step());
        assertTrue(o.reason().contains(reasonPart), o.reason());
        assertTrue(channel.closed, "the connection is closed");
        assertEquals(Message.ABORT, channel.lastType(), "the successor is told why");
        boolean wasFrozen = at == State.AWAIT_SERVING; // frozen, and HANDOFF sent: it may read
        boolean mayRead = at == State.AWAIT_SERVING;
        List<String> expected = new ArrayList<>();
        if (at.ordinal() >= State.AWAIT_FREEZE.ordinal()) {
            expected.add("preserve");
        }
        if (wasFrozen) {
            expected.add("freeze");
        }
        expected.add(mayRead ? "stop-successor-and-wait" : "stop-successor");
        if (wasFrozen) {
            expected.add("unfreeze");
        }
        assertEquals(expected, host.calls, "stopped (killed and waited for once it may read) before unfreezing: "
                + "one reader at a time");
        assertFalse(protocol.frozen());
        assertEquals(wasFrozen, o.frozenNanos() >= 0);
        assertTrue(protocol.isDone());
        int sent = channel.sent.size();
        protocol.onMessage(Message.of(Message.SERVING), now + MS);
        protocol.onTick(now + 100_000 * MS);
        assertEquals(sent, channel.sent.size(), "a finished session ignores everything");
        assertEquals(State.ROLLED_BACK, protocol.state());
    }

    @Test
    void aFailedFreezeIsUndone() {
        host.failFreeze = true;
        driveTo(State.AWAIT_FREEZE);
        receive(Message.of(Message.FREEZE), 1);
        assertEquals(State.ROLLED_BACK, protocol.state());
        assertEquals(List.of("preserve", "freeze", "stop-successor", "unfreeze"), host.calls);
        assertTrue(protocol.outcome().reason().contains("cannot freeze the agent"));
        assertEquals("FREEZE", protocol.outcome().step());
    }

    @Test
    void aSessionThatCannotBeBuiltRollsBackWithItsReason() {
        host.failPreserve = true;
        driveTo(State.AWAIT_PRESERVE);
        receive(Message.of(Message.PRESERVE), 1);
        assertEquals(State.ROLLED_BACK, protocol.state());
        assertTrue(protocol.outcome().reason().contains("each fd needs its own token"), protocol.outcome().reason());
        assertEquals(List.of("preserve", "stop-successor"), host.calls);
    }

    @Test
    void aFailedHandoffSendRollsBackAndUnfreezesWithoutWaitingForAReader() {
        driveTo(State.AWAIT_FREEZE);
        channel.failOn = Message.HANDOFF;
        receive(Message.of(Message.FREEZE), 1);
        assertEquals(State.ROLLED_BACK, protocol.state());
        assertEquals("FREEZE", protocol.outcome().step());
        assertTrue(protocol.outcome().reason().contains("EPIPE"), protocol.outcome().reason());
        assertEquals(List.of("preserve", "freeze", "stop-successor", "unfreeze"), host.calls,
                "the handoff never arrived: the successor cannot have read");
    }

    @Test
    void theRestoreStepHasItsOwnLongerDeadline() {
        driveTo(State.AWAIT_FREEZE);
        receive(Message.of(Message.FREEZE), 0);
        assertEquals(now + DEADLINES.restoreNanos(), protocol.deadlineNanos());
        protocol.onTick(now + DEADLINES.stepNanos() + MS);
        assertEquals(State.AWAIT_SERVING, protocol.state(), "the step deadline does not apply to RESTORE");
    }

    @Test
    void theSuccessorMayPrepareLongerThanAStepBecauseNothingIsFrozenYet() {
        driveTo(State.AWAIT_FREEZE);
        assertEquals(now + DEADLINES.prepareNanos(), protocol.deadlineNanos());
        protocol.onTick(now + DEADLINES.stepNanos() + MS);
        assertEquals(State.AWAIT_FREEZE, protocol.state());
        assertTrue(DEADLINES.prepareNanos() > DEADLINES.stepNanos());
    }

    @Test
    void eachAnswerRestartsTheStepDeadline() {
        receive(hello(Versions.PROTOCOL, Versions.PROTOCOL), 2_900);
        assertEquals(now + DEADLINES.stepNanos(), protocol.deadlineNanos());
        receive(Message.of(Message.PRESERVE), 2_900);
        protocol.onTick(now);
        assertEquals(State.AWAIT_FREEZE, protocol.state(), "5.8 s in, but each step took less than 3 s");
    }

    @Test
    void abortFromOutsideRollsBack() {
        driveTo(State.AWAIT_SERVING);
        protocol.abort("the running agent is stopping", now);
        assertRolledBack(State.AWAIT_SERVING, "the running agent is stopping");
    }

    @Test
    void stepNamesFollowTheIssue() {
        assertEquals(List.of("HELLO", "PRESERVE", "FREEZE", "RESTORE"),
                List.of(State.values()).stream().filter(PredecessorProtocolTest::waiting).map(State::step).toList());
        assertNull(State.ROLLED_BACK.step());
    }
}
