// The successor's side of the protocol with a fake clock: request order, expected answers, refusals and deadlines.
package dev.tapover.liveupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class SuccessorProtocolTest {
    private static final long MS = 1_000_000L;
    private final SuccessorProtocol protocol = new SuccessorProtocol(Deadlines.defaults());
    private long now = 5_000 * MS;

    private void ask(String request, String answer) throws LiveUpdateException {
        protocol.request(Message.of(request), now);
        now += 2 * MS;
        Message a = Message.of(answer);
        assertSame(a, protocol.answer(a, now));
    }

    @Test
    void everyRequestGetsItsAnswerInOrder() throws LiveUpdateException {
        List<String> steps = List.of("HELLO", "PRESERVE", "FREEZE", "SERVING");
        String[][] pairs = {{Message.HELLO, Message.HELLO}, {Message.PRESERVE, Message.SESSION},
            {Message.FREEZE, Message.HANDOFF}, {Message.SERVING, Message.FINISH}};
        for (int i = 0; i < pairs.length; i++) {
            protocol.request(Message.of(pairs[i][0]), now);
            assertEquals(steps.get(i), protocol.step());
            assertEquals(pairs[i][1], protocol.expecting());
            assertEquals(now + Deadlines.defaults().stepNanos(), protocol.deadlineNanos());
            protocol.answer(Message.of(pairs[i][1]), now + MS);
            assertNull(protocol.expecting());
            assertEquals(Long.MAX_VALUE, protocol.deadlineNanos());
        }
        assertEquals("DONE", protocol.step());
    }

    @Test
    void betweenHandoffAndServingTheStepIsRestore() throws LiveUpdateException {
        ask(Message.HELLO, Message.HELLO);
        ask(Message.PRESERVE, Message.SESSION);
        ask(Message.FREEZE, Message.HANDOFF);
        assertEquals("RESTORE", protocol.step());
        assertThrows(IllegalStateException.class, () -> protocol.request(Message.of(Message.HANDOFF), now),
                "protocol 2 has no HANDOFF request: FREEZE is answered with the handoff");
        protocol.request(Message.of(Message.SERVING), now);
        assertEquals(Message.FINISH, protocol.expecting());
    }

    @Test
    void aFreezeAnsweredWithAnythingButTheHandoffFails() throws LiveUpdateException {
        ask(Message.HELLO, Message.HELLO);
        ask(Message.PRESERVE, Message.SESSION);
        protocol.request(Message.of(Message.FREEZE), now);
        LiveUpdateException e = assertThrows(LiveUpdateException.class,
                () -> protocol.answer(Message.of("frozen"), now)); // protocol 1's answer
        assertEquals("the running agent answered FREEZE with FROZEN instead of HANDOFF", e.getMessage());
    }

    @Test
    void requestsOutOfOrderAreAProgrammingError() throws LiveUpdateException {
        assertThrows(IllegalStateException.class, () -> protocol.request(Message.of(Message.FREEZE), now));
        protocol.request(Message.of(Message.HELLO), now);
        assertThrows(IllegalStateException.class, () -> protocol.request(Message.of(Message.PRESERVE), now),
                "no second request while an answer is due");
    }

    @Test
    void aRefusalCarriesThePredecessorsReason() {
        protocol.request(Message.of(Message.HELLO), now);
        LiveUpdateException e = assertThrows(LiveUpdateException.class, () -> protocol.answer(
                Message.withReason(Message.REFUSE, "another live update is in progress; wait for it to finish and retry"), now));
        assertEquals("the running agent refused the live update: another live update is in progress; wait for it to finish and retry",
                e.getMessage());
        assertTrue(protocol.failed());
        assertThrows(IllegalStateException.class, () -> protocol.request(Message.of(Message.PRESERVE), now));
    }

    @Test
    void anAbortNamesTheStep() throws LiveUpdateException {
        ask(Message.HELLO, Message.HELLO);
        ask(Message.PRESERVE, Message.SESSION);
        protocol.request(Message.of(Message.FREEZE), now);
        LiveUpdateException e = assertThrows(LiveUpdateException.class,
                () -> protocol.answer(Message.withReason(Message.ABORT, "cannot freeze the agent"), now));
        assertEquals("the running agent aborted the live update at FREEZE: cannot freeze the agent", e.getMessage());
    }

    @Test
    void aWrongAnswerFails() throws LiveUpdateException {
        ask(Message.HELLO, Message.HELLO);
        protocol.request(Message.of(Message.PRESERVE), now);
        LiveUpdateException e = assertThrows(LiveUpdateException.class,
                () -> protocol.answer(Message.of(Message.HANDOFF), now));
        assertEquals("the running agent answered PRESERVE with HANDOFF instead of SESSION", e.getMessage());
    }

    @Test
    void anAnswerNobodyAskedForFails() {
        LiveUpdateException e = assertThrows(LiveUpdateException.class,
                () -> protocol.answer(Message.of(Message.FINISH), now));
        assertTrue(e.getMessage().contains("when no answer was due"), e.getMessage());
    }

    @Test
    void anOverdueAnswerFailsAtTheDeadlineAndNotBefore() throws LiveUpdateException {
        ask(Message.HELLO, Message.HELLO);
        protocol.request(Message.of(Message.PRESERVE), now);
        protocol.onTick(now + Deadlines.defaults().stepNanos() - 1);
        LiveUpdateException e = assertThrows(LiveUpdateException.class,
                () -> protocol.onTick(now + Deadlines.defaults().stepNanos()));
        assertEquals("the running agent did not answer PRESERVE within 3000 ms", e.getMessage());
    }

    @Test
    void aClosedConnectionNamesTheStep() throws LiveUpdateException {
        ask(Message.HELLO, Message.HELLO);
        ask(Message.PRESERVE, Message.SESSION);
        protocol.request(Message.of(Message.FREEZE), now);
        assertEquals("the running agent closed the takeover connection during FREEZE", protocol.closed().getMessage());
        assertTrue(protocol.failed());
    }
}
