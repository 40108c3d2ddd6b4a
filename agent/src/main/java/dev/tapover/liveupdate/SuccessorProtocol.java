// The successor's side of a live update: the order of its requests, what each answer must be, and each step's deadline.
package dev.tapover.liveupdate;

import java.util.List;

/**
 * Pure logic, time passed in. The successor asks, the predecessor answers; each request names the answer it
 * waits for and how long it waits:
 * <pre>
 *   send      HELLO    PRESERVE          FREEZE            SERVING
 *   answer    HELLO    SESSION + fds     HANDOFF (+ fds)   FINISH
 *   within    step     step              step              step
 * </pre>
 * Between HANDOFF and SERVING the successor restores and starts reading: nothing is asked in that step
 * (RESTORE). An answer of another type fails the update with a one-sentence reason (REFUSE and ABORT carry the
 * predecessor's own); so do a closed connection and a missed deadline. Failing before it starts reading changes
 * nothing: the successor exits, closing only its copies.
 */
public final class SuccessorProtocol {
    private static final List<String> REQUESTS = List.of(Message.HELLO, Message.PRESERVE, Message.FREEZE,
            Message.SERVING);
    private static final List<String> ANSWERS = List.of(Message.HELLO, Message.SESSION, Message.HANDOFF,
            Message.FINISH);

    private final Deadlines deadlines;
    private int next;
    private String expecting;
    private long deadlineNanos = Long.MAX_VALUE;
    private boolean failed;

    public SuccessorProtocol(Deadlines deadlines) {
        this.deadlines = deadlines;
    }

    /** The name of the step in progress: HELLO, PRESERVE, FREEZE (until HANDOFF arrives), RESTORE, SERVING. */
    public String step() {
        if (expecting == null) {
            return next == 3 ? "RESTORE" : next >= REQUESTS.size() ? "DONE" : REQUESTS.get(next).toUpperCase();
        }
        return REQUESTS.get(next - 1).toUpperCase();
    }

    /** The answer awaited, or null between an answer and the next request. */
    public String expecting() {
        return expecting;
    }

    public long deadlineNanos() {
        return expecting == null ? Long.MAX_VALUE : deadlineNanos;
    }

    /** Marks {@code message} (the next request in order) as sent at {@code nowNanos}; its answer is now due. */
    public Message request(Message message, long nowNanos) {
        if (failed) {
            throw new IllegalStateException("the live update already failed");
        }
        if (expecting != null || next >= REQUESTS.size() || !REQUESTS.get(next).equals(message.type())) {
            throw new IllegalStateException("request " + message.type() + " out of order (next is "
                    + (next < REQUESTS.size() ? REQUESTS.get(next) : "none") + ", awaiting " + expecting + ")");
        }
        expecting = ANSWERS.get(next);
        next++;
        deadlineNanos = nowNanos + deadlines.stepNanos();
        return message;
    }

    /** Checks an answer; returns it if it is the one awaited, else fails with the reason. */
    public Message answer(Message m, long nowNanos) throws LiveUpdateException {
        if (expecting == null) {
            throw fail("the running agent sent " + m.type().toUpperCase() + " when no answer was due");
        }
        if (Message.REFUSE.equals(m.type())) {
            throw fail("the running agent refused the live update: " + reason(m));
        }
        if (Message.ABORT.equals(m.type())) {
            throw fail("the running agent aborted the live update at " + step() + ": " + reason(m));
        }
        if (!expecting.equals(m.type())) {
            throw fail("the running agent answered " + step() + " with " + m.type().toUpperCase() + " instead of "
                    + expecting.toUpperCase());
        }
        expecting = null;
        return m;
    }

    /** Fails if the awaited answer is overdue. */
    public void onTick(long nowNanos) throws LiveUpdateException {
        if (expecting != null && nowNanos - deadlineNanos >= 0) {
            throw fail("the running agent did not answer " + step() + " within " + deadlines.stepNanos() / 1_000_000 + " ms");
        }
    }

    /** The connection closed. */
    public LiveUpdateException closed() {
        return fail("the running agent closed the takeover connection during " + step());
    }

    public boolean failed() {
        return failed;
    }

    private LiveUpdateException fail(String reason) {
        failed = true;
        expecting = null;
        return new LiveUpdateException(reason);
    }

    private static String reason(Message m) {
        String r = m.text("reason");
        return r == null || r.isEmpty() ? "no reason given" : r;
    }
}
